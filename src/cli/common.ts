import type { Command } from 'commander';
import type { Config } from '../config.js';
import type { Context } from '../context.js';
import { usageError } from '../errors.js';

/** Options every command inherits from the program. */
export interface GlobalOptions {
  data?: string;
  keyFile?: string;
  debug?: boolean;
  clamd?: string;
}

/**
 * The command's configuration. Like every implementation a command needs, the config module (zod)
 * is loaded when the command runs, not when the CLI starts: `wekeep --help` and each command load
 * only what they use (cli/program.ts).
 */
export async function configOf(cmd: Command): Promise<Config> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const { loadConfig } = await import('../config.js');
  return loadConfig({ data: g.data, keyFile: g.keyFile, debug: g.debug, clamd: g.clamd });
}

/** `--json` of this command or of a parent group that declares its own `--json` (which would otherwise take it). */
export const wantsJson = (cmd: Command): boolean => cmd.optsWithGlobals<{ json?: boolean }>().json === true;

/** Commander collector of a repeatable option (`--custodian A --custodian B`). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Opens the store for one command and always closes it. */
export async function withContext<T>(cmd: Command, fn: (ctx: Context) => Promise<T>): Promise<T> {
  const config = await configOf(cmd);
  const { createContext } = await import('../context.js');
  const ctx = await createContext(config);
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Archived text (messages, names, titles, file names, quarantined lines) is shown as it was received,
 * except control characters: an ESC sequence in a message must not clear the screen, move the cursor,
 * retitle the terminal or plant a hyperlink. They are shown as `\x1b` (tab and newline stay).
 * JSON output needs none of this: JSON.stringify escapes them.
 */
export function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/gu, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function printLine(text = ''): void {
  process.stdout.write(`${terminalSafe(text)}\n`);
}

/** A warning on stderr (`wekeep: warning: …`): the command goes on. */
export function printWarning(text: string): void {
  process.stderr.write(`wekeep: warning: ${terminalSafe(text)}\n`);
}

/** Parses a non-negative integer option, or fails with a usage error naming the option. */
export function intOption(name: string, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value)) throw usageError('cli.bad_option', `${name} must be a non-negative integer, got "${value}"`);
    const n = Number(value);
    if (n > max) throw usageError('cli.bad_option', `${name} must be at most ${max}`);
    return n;
  };
}

/** Sets the process exit status without cutting stdout short. */
export function setExitStatus(code: 0 | 1 | 2 | 3): void {
  const current = typeof process.exitCode === 'number' ? process.exitCode : 0;
  if (code > current) process.exitCode = code;
}
