import Sqlite from 'better-sqlite3-multiple-ciphers';
import { chmodSync, closeSync, existsSync, openSync, statSync } from 'node:fs';
import { CompiledQuery, Kysely, Migrator, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig } from 'kysely';
import { fatalError, storageError } from '../errors.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';

export type SqliteHandle = Sqlite.Database;

/** Page size of new databases (see docs/adr/0002-encrypted-sqlite.md). */
export const PAGE_SIZE = 16384;

export interface OpenedDb {
  db: Kysely<Database>;
  sqlite: SqliteHandle;
}

/**
 * Opens (or creates) the encrypted SQLite database. The key is raw (no passphrase KDF): it comes
 * from the keyring. A wrong key fails here with a clear error and writes nothing.
 */
export function openSqlite(path: string, key: Buffer, cipher: string, options: { create: boolean }): SqliteHandle {
  let handle: SqliteHandle;
  try {
    // Owner-only, like every other file of the store (SQLite gives its -wal and -shm files the database file's mode).
    if (options.create && !existsSync(path)) closeSync(openSync(path, 'wx', 0o600));
    else if (existsSync(path) && (statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    handle = new Sqlite(path, { fileMustExist: !options.create });
  } catch (cause) {
    throw fatalError('store.db_missing', `cannot open the database ${path}`, cause);
  }
  try {
    handle.pragma(`cipher='${cipher}'`);
    handle.pragma(`key="x'${key.toString('hex')}'"`);
    // Larger pages: fewer page encryptions and better full-text segment writes (must precede the first write).
    if (options.create) handle.pragma(`page_size = ${PAGE_SIZE}`);
    // Reading the schema proves the key before anything is written.
    handle.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (cause) {
    handle.close();
    // The master key was already proven by the keyring's authenticated entries: what fails here is
    // the database file itself (damaged, truncated, or another store's), which a restore repairs.
    throw fatalError('store.db_unreadable', `cannot read ${path} with this store's key: the database file is damaged, truncated or not this store's (restore it from a backup: wekeep restore); nothing was changed`, cause);
  }
  handle.pragma('journal_mode = WAL');
  handle.pragma('synchronous = NORMAL');
  // Freed pages are zeroed so deleted content does not linger in the file.
  handle.pragma('secure_delete = ON');
  handle.pragma('foreign_keys = OFF');
  handle.pragma('cache_size = -16384');
  handle.pragma('temp_store = MEMORY');
  handle.pragma('busy_timeout = 10000');
  return handle;
}

/** Statements kept by `wrapKysely`, the least recently used dropped first. */
export const STATEMENT_CACHE_SIZE = 200;

/**
 * Kysely over this connection. Kysely's SQLite driver prepares every query it runs; the statements
 * are kept here by their SQL text, so that the queries the import runs for every batch (audit event,
 * usage counters, source counters) are compiled by SQLite once, not per batch. A kept statement that is
 * still being iterated (a stream left open) is not handed out again: the caller gets a fresh one.
 */
export function wrapKysely(sqlite: SqliteHandle): Kysely<Database> {
  const statements = new Map<string, Sqlite.Statement>();
  const database = {
    prepare(sql: string): Sqlite.Statement {
      const kept = statements.get(sql);
      if (kept !== undefined) {
        if (kept.busy) return sqlite.prepare(sql);
        statements.delete(sql);
        statements.set(sql, kept);
        return kept;
      }
      const statement = sqlite.prepare(sql);
      statements.set(sql, statement);
      if (statements.size > STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
      return statement;
    },
    close(): void {
      statements.clear();
      sqlite.close();
    },
  };
  return new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database }) });
}

/**
 * Every Kysely transaction begins IMMEDIATE: it takes SQLite's write lock at BEGIN, waiting in the
 * busy handler (busy_timeout) while another process writes. Nearly every transaction here writes
 * (an audit event for each read of content), and one that began DEFERRED, read, then wrote after
 * another connection had committed would fail at once with SQLITE_BUSY ("database is locked"): a
 * search during an import failed, and made the import fail. The backup's consistent read runs on
 * its own handle with a plain BEGIN (backup/backup.ts).
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw storageError(error) ?? fatalError('store.migration_failed', 'database migration failed', error);
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
