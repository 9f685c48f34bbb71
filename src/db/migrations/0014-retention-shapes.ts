import { sql, type Kysely } from 'kysely';

/**
 * Retention passes count records by shape (issue 5: the forecast of 1M records in under 2 s).
 * The index messages_retention (0010, ordered by key) made every forecast hand each record to
 * JavaScript. messages_shape is ordered by the key's 30-day bucket, then the shape (conversation,
 * sender, type, attachments, recall, recipients), so that `GROUP BY` over it streams in SQLite with
 * no sort and a forecast reads one row per bucket and shape (docs/retention.md, "How the forecast
 * counts"). The bucket keeps an import's inserts together: a shape-first index (no bucket) cost
 * about a quarter of the import's throughput at 1M records, this one about 1 % idle and 7–10 %
 * under load (docs/benchmarks.md).
 * The expression is repeated in repositories/retention-facts.ts (SHAPE_BUCKET): SQLite uses the
 * index only for the same expression. 5308416000000 = 30 days × 86,400,000 ms × 2048 slots.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS messages_retention`.execute(db);
  await sql`CREATE INDEX messages_shape ON messages ((id / 5308416000000), conversation_id, from_person_id, type, attachment_count, recalled_at, to_person_ids)`.execute(db);
}
