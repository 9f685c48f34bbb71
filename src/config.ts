import { userInfo } from 'node:os';
import { resolve, join } from 'node:path';
import { z } from 'zod';
import { usageError } from './errors.js';

/** Everything configurable, parsed once from env + flags into one frozen object. */
/** The encrypted database in a data dir. */
export const DB_FILE = 'wekeep.db';

export const configSchema = z.object({
  dataDir: z.string().min(1),
  /** Path of the master-key file; ignored when masterKeyHex is given. */
  keyFile: z.string().min(1),
  /** The master key from WEKEEP_MASTER_KEY (64 hex characters), if set. */
  masterKeyHex: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'WEKEEP_MASTER_KEY must be 64 hexadecimal characters (32 bytes)')
    .optional(),
  /** Who the CLI acts as in the audit log. */
  actor: z.string().min(1),
  debug: z.boolean(),
  logLevel: z.string(),
  /** Time zone used for dates without an offset (search filters, display). */
  timeZone: z.string(),
  /** clamd address (`tcp://host:port`, `unix:/path`, `/path`): every new attachment is scanned; unset = not scanned. */
  clamd: z.string().optional(),
});

export type Config = Readonly<z.infer<typeof configSchema>>;

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export interface ConfigFlags {
  data?: string | undefined;
  keyFile?: string | undefined;
  debug?: boolean | undefined;
  clamd?: string | undefined;
}

export function loadConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): Config {
  const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);
  const dataDir = resolve(flags.data ?? nonEmpty(env.WEKEEP_DATA) ?? 'wekeep-data');
  const raw = {
    dataDir,
    keyFile: resolve(flags.keyFile ?? nonEmpty(env.WEKEEP_KEY_FILE) ?? join(dataDir, 'master.key')),
    masterKeyHex: nonEmpty(env.WEKEEP_MASTER_KEY),
    actor: `cli:${nonEmpty(env.WEKEEP_ACTOR) ?? nonEmpty(env.USER) ?? nonEmpty(env.LOGNAME) ?? osUser()}`,
    debug: flags.debug ?? false,
    logLevel: env.WEKEEP_LOG_LEVEL ?? (flags.debug ? 'debug' : 'warn'),
    timeZone: env.WEKEEP_TZ ?? 'Asia/Shanghai',
    clamd: flags.clamd ?? nonEmpty(env.WEKEEP_CLAMD),
  };
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw usageError('config.invalid', `invalid configuration: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return Object.freeze(parsed.data);
}
