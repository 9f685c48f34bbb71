import { sql, type Kysely } from 'kysely';

/** The archive core: sources, people, conversations, messages, attachments, imports, quarantine. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('meta').addColumn('key', 'text', (c) => c.primaryKey()).addColumn('value', 'text', (c) => c.notNull()).execute();

  await db.schema
    .createTable('sources')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('record_count', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_seq', 'bigint')
    .addColumn('last_time_ms', 'bigint')
    .execute();

  await db.schema
    .createTable('source_seq_ranges')
    .addColumn('source_id', 'integer', (c) => c.notNull())
    .addColumn('lo', 'bigint', (c) => c.notNull())
    .addColumn('hi', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('source_seq_ranges_pk', ['source_id', 'lo'])
    .execute();

  await db.schema
    .createTable('persons')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('ext_id', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text')
    .execute();

  await db.schema
    .createTable('conversations')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('source_id', 'integer', (c) => c.notNull())
    .addColumn('ext_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('title', 'text')
    .addUniqueConstraint('conversations_source_ext', ['source_id', 'ext_id'])
    .execute();

  await db.schema
    .createTable('messages')
    // INTEGER PRIMARY KEY: the key is SQLite's rowid (and the FTS rowid); a PostgreSQL dialect needs bigint.
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('source_id', 'integer', (c) => c.notNull())
    .addColumn('ext_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint')
    .addColumn('time_ms', 'bigint', (c) => c.notNull())
    .addColumn('conversation_id', 'integer', (c) => c.notNull())
    .addColumn('from_person_id', 'integer', (c) => c.notNull())
    .addColumn('to_person_ids', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('text', 'text')
    .addColumn('fields', 'text')
    .addColumn('raw', 'text')
    .addColumn('recalled_at', 'bigint')
    .addColumn('recalled_by', 'text')
    .addColumn('attachment_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('record_hash', 'blob', (c) => c.notNull())
    .addColumn('import_id', 'integer')
    .addColumn('archived_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('messages_source_ext', ['source_id', 'ext_id'])
    .execute();
  await db.schema.createIndex('messages_conversation').on('messages').columns(['conversation_id', 'id']).execute();

  await db.schema
    .createTable('attachments')
    .addColumn('message_id', 'bigint', (c) => c.notNull())
    .addColumn('ordinal', 'integer', (c) => c.notNull())
    .addColumn('blob_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('mime', 'text')
    .addPrimaryKeyConstraint('attachments_pk', ['message_id', 'ordinal'])
    .execute();
  await db.schema.createIndex('attachments_blob').on('attachments').column('blob_id').execute();

  await db.schema
    .createTable('pending_recalls')
    .addColumn('source_id', 'integer', (c) => c.notNull())
    .addColumn('target_ext_id', 'text', (c) => c.notNull())
    .addColumn('recall_ext_id', 'text', (c) => c.notNull())
    .addColumn('recall_time_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('pending_recalls_pk', ['source_id', 'target_ext_id'])
    .execute();

  await db.schema
    .createTable('imports')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('file', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('summary', 'text')
    .execute();

  await db.schema
    .createTable('quarantine')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('import_id', 'integer')
    .addColumn('file', 'text', (c) => c.notNull())
    .addColumn('line', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('content', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('quarantine_file_line').on('quarantine').columns(['file', 'line']).unique().execute();

  await sql`select 1`.execute(db);
}
