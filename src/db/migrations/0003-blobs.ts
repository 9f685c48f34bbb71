import type { Kysely } from 'kysely';

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
    .execute();
}
