import { sql, type Kysely } from 'kysely';

/**
 * Retention (issue 5): policies, matters and their legal holds, disposition runs, tombstones of
 * disposed records, and the four-eyes disposition review queue.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // What retention decides with, without reading the message rows (their text and raw payload):
  // forecasts, dry runs and hold counts scan this narrow index of 1M records in a fraction of the table's pages.
  await sql`CREATE INDEX messages_retention ON messages (id, source_id, conversation_id, from_person_id, type, attachment_count, recalled_at, to_person_ids)`.execute(db);
  await db.schema
    .createTable('retention_policies')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('min', 'text')
    .addColumn('max', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('basis', 'text', (c) => c.notNull())
    .addColumn('locked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('preset', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();

  await db.schema
    .createTable('matters')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('closed_at', 'bigint')
    .addColumn('closed_by', 'text')
    .addColumn('close_reason', 'text')
    .execute();

  await db.schema
    .createTable('legal_holds')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('matter_id', 'integer', (c) => c.notNull())
    .addColumn('scope', 'text')
    .addColumn('custodians', 'text', (c) => c.notNull())
    .addColumn('conversations', 'text', (c) => c.notNull())
    .addColumn('after_ms', 'bigint')
    .addColumn('before_ms', 'bigint')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('placed_at', 'bigint', (c) => c.notNull())
    .addColumn('placed_by', 'text', (c) => c.notNull())
    .addColumn('released_at', 'bigint')
    .addColumn('released_by', 'text')
    .addColumn('release_reason', 'text')
    .execute();
  await sql`CREATE INDEX legal_holds_matter ON legal_holds (matter_id)`.execute(db);

  await db.schema
    .createTable('disposition_runs')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('dry_run', 'integer', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('now_ms', 'bigint', (c) => c.notNull())
    .addColumn('cursor', 'bigint')
    .addColumn('counts', 'text')
    .addColumn('error', 'text')
    .execute();

  await db.schema
    .createTable('tombstones')
    .addColumn('message_key', 'bigint', (c) => c.primaryKey())
    .addColumn('source_id', 'integer', (c) => c.notNull())
    .addColumn('ext_id', 'text', (c) => c.notNull())
    .addColumn('record_hash', 'blob', (c) => c.notNull())
    .addColumn('attachment_hashes', 'text')
    .addColumn('time_ms', 'bigint', (c) => c.notNull())
    .addColumn('policy_id', 'integer')
    .addColumn('run_id', 'integer')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('disposed_at', 'bigint', (c) => c.notNull())
    .execute();
  await sql`CREATE UNIQUE INDEX tombstones_ext ON tombstones (source_id, ext_id)`.execute(db);
  await sql`CREATE INDEX tombstones_run ON tombstones (run_id)`.execute(db);

  await db.schema
    .createTable('disposition_reviews')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('message_key', 'bigint', (c) => c.notNull())
    .addColumn('policy_id', 'integer', (c) => c.notNull())
    .addColumn('run_id', 'integer')
    .addColumn('queued_at', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('proposal', 'text')
    .addColumn('proposed_by', 'text')
    .addColumn('proposed_at', 'bigint')
    .addColumn('proposal_note', 'text')
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'bigint')
    .addColumn('decision_note', 'text')
    .execute();
  await sql`CREATE UNIQUE INDEX disposition_reviews_open ON disposition_reviews (message_key) WHERE status IN ('pending', 'proposed')`.execute(db);
  await sql`CREATE INDEX disposition_reviews_status ON disposition_reviews (status)`.execute(db);
}
