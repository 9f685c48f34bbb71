/**
 * One error type for everything WeKeep reports on purpose. `code` is stable (scripts rely on it);
 * `exitCode` is the CLI exit status it maps to (1 fatal, 2 usage, 3 partial success).
 */
export type ExitCode = 1 | 2 | 3;

export class AppError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  /** The HTTP status it maps to (the API's error renderer): 400 usage, 404 missing, 500 otherwise unless set. */
  readonly status: number;

  constructor(code: string, message: string, options: { exitCode?: ExitCode; details?: Record<string, unknown>; cause?: unknown; status?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
    this.details = options.details;
    this.status = options.status ?? (this.exitCode === 2 ? 400 : 500);
  }
}

export const usageError = (code: string, message: string, details?: Record<string, unknown>): AppError =>
  new AppError(code, message, { exitCode: 2, ...(details ? { details } : {}) });

export const fatalError = (code: string, message: string, cause?: unknown): AppError =>
  new AppError(code, message, { exitCode: 1, cause });

export const notFound = (code: string, message: string): AppError => new AppError(code, message, { exitCode: 1, status: 404 });

export const conflict = (code: string, message: string): AppError => new AppError(code, message, { exitCode: 2, status: 409 });

/** Not signed in, or the credentials are wrong (never says which). */
export const unauthorized = (code: string, message: string): AppError => new AppError(code, message, { exitCode: 1, status: 401 });

/** Signed in but not allowed to perform this action (never used to hide content: that is 404). */
export const forbidden = (code: string, message: string): AppError => new AppError(code, message, { exitCode: 1, status: 403 });

export const tooManyAttempts = (retryAfterSeconds: number): AppError =>
  new AppError('auth.throttled', `too many attempts; try again in ${retryAfterSeconds} s`, { exitCode: 1, status: 429, details: { retryAfterSeconds } });

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/**
 * A storage failure that SQLite reports (better-sqlite3's SqliteError carries SQLite's code) as an
 * error that says what happened and what to do; undefined for anything else. A damaged page of the
 * encrypted database fails its authentication check and reads as SQLITE_CORRUPT.
 */
export function storageError(e: unknown): AppError | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  const said = (e as Error).message;
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return fatalError('store.damaged', `the database is damaged or was changed outside WeKeep (SQLite: ${said}); the failing transaction was rolled back. Keep the data dir as it is for investigation, restore your latest backup into an empty dir (\`wekeep --data NEWDIR restore --from BACKUP --keys KEYSTORE\`, docs/backups.md) and run \`wekeep audit verify\` there`, e);
  }
  if (code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR')) {
    return fatalError('store.io_error', `the disk under the data dir failed or is full (SQLite: ${said}); the transaction was rolled back. Free space or fix the disk, then run the command again`, e);
  }
  return undefined;
}
