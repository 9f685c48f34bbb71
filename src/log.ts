import { pino, type Logger } from 'pino';

/**
 * Structured, content-free logging. Never pass a message body, file name, person identifier or
 * secret to a logger: log counts, codes, durations and opaque ids only.
 */
export type Log = Logger;

export function createLog(level: string = process.env.WEKEEP_LOG_LEVEL ?? 'warn'): Log {
  // Logs go to stderr so that `--json` output on stdout stays machine-readable.
  return pino({ level, base: { app: 'wekeep' }, redact: { paths: ['*.key', '*.secret', '*.password', '*.text'], remove: true } }, pino.destination(2));
}
