import { sql, type Kysely } from 'kysely';

/**
 * Backups that honor deletion (issue 5, docs/adr/0011-backups-and-bucket-keys.md):
 * - backup_buckets: per backup bucket (`<source id>:<conversation row id>:<yyyy-mm>`), the key
 *   generation new backups encrypt it under, and the highest generation a completed backup holds;
 * - backup_key_retirements: bucket-key generations to destroy (crypto-shred), written by a
 *   disposition in its own transaction and carried out after the commit: at once when the bucket is
 *   empty, else once a completed backup holds a newer generation of the bucket;
 * - backup_runs: backups started and completed (a running backup makes dispositions rotate the
 *   buckets they touch, whatever keys exist yet).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('backup_buckets')
    .addColumn('bucket', 'text', (c) => c.primaryKey())
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('backed_up_generation', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('backup_key_retirements')
    .addColumn('key_name', 'text', (c) => c.primaryKey())
    .addColumn('bucket', 'text', (c) => c.notNull())
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('noted_at', 'bigint', (c) => c.notNull())
    .addColumn('destroyed_at', 'bigint')
    .addColumn('outcome', 'text')
    .execute();
  await sql`CREATE INDEX backup_key_retirements_pending ON backup_key_retirements (bucket) WHERE destroyed_at IS NULL`.execute(db);

  await db.schema
    .createTable('backup_runs')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('backup_id', 'text', (c) => c.notNull().unique())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('summary', 'text')
    .execute();
  await sql`CREATE INDEX backup_runs_running ON backup_runs (status) WHERE status = 'running'`.execute(db);
}
