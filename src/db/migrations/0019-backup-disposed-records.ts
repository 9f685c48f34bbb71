import { sql, type Kysely } from 'kysely';

/**
 * Records disposed of from a backup bucket whose key must live on (other records of the bucket have
 * no newer backup yet): queued here by the disposal's transaction, one row per live key generation,
 * then copied into the key store (keyring.json `disposedRecords`) after the commit, where a restore of
 * an old backup finds them and leaves those records out (ADR 0011, amended 2026-11-25). A crash
 * between commit and copy leaves the rows for the next copy; copying twice is harmless.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE backup_disposed_records (key_name TEXT NOT NULL, message_key INTEGER NOT NULL, PRIMARY KEY (key_name, message_key)) WITHOUT ROWID`.execute(db);
}
