import { sql, type Kysely } from 'kysely';

/** Content-addressed, encrypted attachment blobs with reference counts. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('blobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('stored_size', 'bigint', (c) => c.notNull())
    .addColumn('compression', 'text', (c) => c.notNull())
    .addColumn('bucket', 'text', (c) => c.notNull())
    .addColumn('wrapped_dek', 'blob', (c) => c.notNull())
    .addColumn('ref_count', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('blobs_ref_count_nonnegative', sql`ref_count >= 0`)
    .addCheckConstraint('blobs_compression_known', sql`compression in ('none', 'gzip')`)
    .execute();
  // Crypto-shredding and statistics work per bucket; retention looks for unreferenced blobs.
  await db.schema.createIndex('blobs_bucket').on('blobs').column('bucket').execute();
  await db.schema.createIndex('blobs_ref_count').on('blobs').column('ref_count').execute();
}
