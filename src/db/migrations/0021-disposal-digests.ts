import { sql, type Kysely } from 'kysely';

/**
 * Records disposed of that a store knows only by a keyed digest of (source, id): a restore of a
 * backup older than their disposal finds them in the key store backup (`disposals`), since their
 * identities were in segments whose keys are destroyed. An import skips a record whose digest is
 * here, as it skips one with a tombstone (ADR 0011, amended 2026-11-25 b).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE disposal_digests (digest BLOB PRIMARY KEY) WITHOUT ROWID`.execute(db);
}
