import type { Kysely } from 'kysely';

/** The Merkle audit log: events (leaves), signed tree heads, and the append frontier. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_events')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('time_ms', 'bigint', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('details', 'text')
    .addColumn('leaf_hash', 'blob', (c) => c.notNull())
    .execute();
  // For `audit list --action/--actor` (newest first); seq is the tie-breaker and the page cursor.
  await db.schema.createIndex('audit_events_action').on('audit_events').columns(['action', 'seq']).execute();
  await db.schema.createIndex('audit_events_actor').on('audit_events').columns(['actor', 'seq']).execute();
  await db.schema
    .createTable('audit_tree_heads')
    .addColumn('size', 'bigint', (c) => c.primaryKey())
    .addColumn('root_hash', 'blob', (c) => c.notNull())
    .addColumn('time_ms', 'bigint', (c) => c.notNull())
    .addColumn('signature', 'blob', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('audit_state')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('frontier', 'blob', (c) => c.notNull())
    .execute();
}
