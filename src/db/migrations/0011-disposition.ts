import { sql, type Kysely } from 'kysely';

/**
 * Disposition (issue 5, after 0010-retention): what the disposition engine needs besides the
 * retention tables.
 *
 * - disposition_runs.pid / heartbeat_at: the process running a sweep and its last batch commit (a
 *   run left `running` by a dead process is marked interrupted and continued by the next run);
 *   resumes: how many times a later process continued it; merkle_frontier / tombstone_count: the
 *   RFC 9162 frontier over the run's tombstones so far (kept per batch: the certificate needs no re-read).
 * - disposition_reviews.policy_version: the version of the policy that queued the item (an approved
 *   `retain` keeps the record out of the queue for that version); void_reason: why an item became void.
 * - blob_purges: attachment objects whose last reference was disposed. The row is written in the
 *   disposal transaction (the blobs row is deleted there); the file is deleted after the commit,
 *   under the writer lock, then the purge row. A crash in between leaves the purge row, and the
 *   next purge finishes it (or keeps the file when an import meanwhile referenced the blob again).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE disposition_runs ADD COLUMN pid integer`.execute(db);
  await sql`ALTER TABLE disposition_runs ADD COLUMN heartbeat_at bigint`.execute(db);
  await sql`ALTER TABLE disposition_runs ADD COLUMN resumes integer NOT NULL DEFAULT 0`.execute(db);
  await sql`ALTER TABLE disposition_runs ADD COLUMN merkle_frontier blob`.execute(db);
  await sql`ALTER TABLE disposition_runs ADD COLUMN tombstone_count integer NOT NULL DEFAULT 0`.execute(db);
  await sql`ALTER TABLE disposition_reviews ADD COLUMN policy_version integer`.execute(db);
  await sql`ALTER TABLE disposition_reviews ADD COLUMN void_reason text`.execute(db);
  await sql`CREATE INDEX disposition_reviews_key ON disposition_reviews (message_key)`.execute(db);
  await db.schema
    .createTable('blob_purges')
    .addColumn('blob_id', 'text', (c) => c.primaryKey())
    .addColumn('queued_at', 'bigint', (c) => c.notNull())
    .execute();
}
