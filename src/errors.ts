/**
 * One error type for everything WeKeep reports on purpose. `code` is stable (scripts rely on it);
 * `exitCode` is the CLI exit status it maps to (1 fatal, 2 usage, 3 partial success).
 */
export type ExitCode = 1 | 2 | 3;

export class AppError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, options: { exitCode?: ExitCode; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
    this.details = options.details;
  }
}

export const usageError = (code: string, message: string, details?: Record<string, unknown>): AppError =>
  new AppError(code, message, { exitCode: 2, ...(details ? { details } : {}) });

export const fatalError = (code: string, message: string, cause?: unknown): AppError =>
  new AppError(code, message, { exitCode: 1, cause });

export const notFound = (code: string, message: string): AppError => new AppError(code, message, { exitCode: 1 });

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
