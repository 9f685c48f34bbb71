import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { createLocalBlobStore } from './blobs/local.js';
import type { BlobStore } from './blobs/blob-store.js';
import { DB_FILE, type Config } from './config.js';
import { createClamdScanner } from './scan/clamd.js';
import type { MalwareScanner } from './scan/scanner.js';
import { createKeyring, loadKeyring, readMasterKey, type Keyring } from './crypto/keyring.js';
import { migrateToLatest, openSqlite, wrapKysely, type SqliteHandle } from './db/connection.js';
import type { Database } from './db/schema.js';
import { systemClock, type Clock } from './domain/clock.js';
import { TOKENIZER_VERSION } from './domain/tokenizer.js';
import { fatalError } from './errors.js';
import { createLog, type Log } from './log.js';
import { TOKENIZER_VERSION_KEY, writeMeta } from './repositories/meta.js';

/** Everything a service needs, built once from the config. Tests build one on a temporary data dir. */
export interface Context {
  readonly config: Config;
  readonly db: Kysely<Database>;
  /** The raw SQLite handle: only db/ and search/ use it (pragmas, checkpoints). */
  readonly sqlite: SqliteHandle;
  readonly keys: Keyring;
  readonly blobs: BlobStore;
  /** Malware scanner for new attachments (clamd), when configured; fail-closed (see scan/scanner.ts). */
  readonly scanner: MalwareScanner | undefined;
  readonly clock: Clock;
  readonly log: Log;
  /** Who acts, for the audit log (e.g. `cli:alice`, `user:alice`). */
  readonly actor: string;
  /** Where a request came from (HTTP requests); added to every audit event this context writes. */
  readonly origin?: RequestOrigin | undefined;
  close(): Promise<void>;
}

export interface RequestOrigin {
  /** Client address (after trusted-proxy resolution). */
  address: string;
}

/** The context of one request: the same infrastructure, another actor and origin. */
export const actingAs = (ctx: Context, actor: string, origin?: RequestOrigin): Context => ({ ...ctx, actor, origin });

export { DB_FILE };
export const BLOB_DIR = 'blobs';

export interface ContextOptions {
  clock?: Clock;
  log?: Log;
  scanner?: MalwareScanner;
  /** The restore itself opens the store it is filling (backup/restore.ts), marker and all. */
  restoring?: boolean;
}

/** Written by a restore into the data dir when it starts, removed when it has finished: while it is there the dir is no store. */
export const RESTORE_MARKER = 'restore-in-progress';

/** Opens an initialized data dir. A missing dir or wrong key fails with a clear error and changes nothing. */
export async function createContext(config: Config, options: ContextOptions = {}): Promise<Context> {
  if (!existsSync(join(config.dataDir, DB_FILE))) {
    throw fatalError('store.not_initialized', `no WeKeep data in ${config.dataDir} (run \`wekeep init\` or set --data / WEKEEP_DATA)`);
  }
  if (options.restoring !== true && existsSync(join(config.dataDir, RESTORE_MARKER))) {
    throw fatalError('store.restore_incomplete', `${config.dataDir}: a restore into this directory did not finish (${RESTORE_MARKER}), so it is not a usable store; run the same \`wekeep restore\` again (it starts over)`);
  }
  const keys = loadKeyring(config.dataDir, config);
  return assemble(config, keys, false, options);
}

/** Fails (changing nothing) unless a new store can be created in the data dir: new, or empty but for its key file. */
export function assertInitializable(config: Config): void {
  if (existsSync(join(config.dataDir, DB_FILE)) || existsSync(join(config.dataDir, 'keyring.json'))) {
    throw fatalError('store.exists', `${config.dataDir} already holds a WeKeep store; nothing was changed`);
  }
  if (existsSync(config.dataDir) && readdirSync(config.dataDir).some((f) => f !== 'master.key')) {
    throw fatalError('store.dir_not_empty', `${config.dataDir} is not empty; choose an empty or new directory (nothing was changed)`);
  }
}

/** Creates a new data dir with fresh keys; fails if one already exists there. */
export async function initializeContext(config: Config, master: Buffer, options: ContextOptions = {}): Promise<Context> {
  assertInitializable(config);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  // Only its owner may list or open anything in it (the key file may have created it with the umask's mode).
  chmodSync(config.dataDir, 0o700);
  const keys = createKeyring(config.dataDir, master);
  return assemble(config, keys, true, options);
}

async function assemble(config: Config, keys: Keyring, create: boolean, options: ContextOptions): Promise<Context> {
  const sqlite = openSqlite(join(config.dataDir, DB_FILE), keys.dbKey, keys.dbCipher, { create });
  const db = wrapKysely(sqlite);
  try {
    await migrateToLatest(db);
    // A new store's (empty) index is built by this tokenizer.
    if (create) await writeMeta(db, TOKENIZER_VERSION_KEY, String(TOKENIZER_VERSION));
  } catch (e) {
    await db.destroy();
    throw e;
  }
  const blobDir = join(config.dataDir, BLOB_DIR);
  mkdirSync(blobDir, { recursive: true, mode: 0o700 });
  let closed = false;
  return {
    config,
    db,
    sqlite,
    keys,
    blobs: createLocalBlobStore(blobDir, keys),
    scanner: options.scanner ?? (config.clamd ? createClamdScanner({ address: config.clamd }) : undefined),
    clock: options.clock ?? systemClock,
    log: options.log ?? createLog(config.logLevel),
    actor: config.actor,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

export { readMasterKey };
