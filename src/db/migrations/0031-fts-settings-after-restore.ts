import { sql, type Kysely } from 'kysely';

/**
 * Sets the full-text index's `deletemerge` 0 (migration 0017) again: a store restored from a backup
 * made before backups carried the index's settings (backup/backup.ts copyDatabase) had it back at
 * FTS5's default, so its sweeps re-merged segments. Setting it again changes nothing elsewhere.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`INSERT INTO message_fts (message_fts, rank) VALUES ('deletemerge', 0)`.execute(db);
}
