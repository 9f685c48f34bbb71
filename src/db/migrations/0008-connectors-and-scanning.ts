import { sql, type Kysely } from 'kysely';

/**
 * Connector sources and malware scanning:
 * - blobs get a scan status: `not_scanned` (no scanner configured), `clean`, `pending` (the scanner
 *   was unreachable: fail-closed, not served until scanned), `infected` (kept encrypted, never served);
 * - source_settings: a connector source's configuration, its secrets (sealed), and its durable cursor;
 * - connector_media: media downloads of a connector, resumable (index buffer and encrypted spool);
 * - consent_events: the consent ledger (WeCom agree/disagree), kept with the archive.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('blobs').addColumn('scan_status', 'text', (c) => c.notNull().defaultTo('not_scanned')).execute();
  await db.schema.alterTable('blobs').addColumn('scan_signature', 'text').execute();
  await db.schema.alterTable('blobs').addColumn('scan_engine', 'text').execute();
  await db.schema.alterTable('blobs').addColumn('scanned_at', 'bigint').execute();
  await sql`CREATE INDEX blobs_scan_open ON blobs (scan_status) WHERE scan_status IN ('pending', 'infected')`.execute(db);

  await db.schema
    .createTable('source_settings')
    .addColumn('source_id', 'integer', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('secrets', 'blob', (c) => c.notNull())
    .addColumn('cursor_seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_sync_at', 'bigint')
    .addColumn('last_sync_status', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('connector_media')
    .addColumn('source_id', 'integer', (c) => c.notNull())
    .addColumn('file_id', 'text', (c) => c.notNull())
    .addColumn('index_buf', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('received', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('problem', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('connector_media_pk', ['source_id', 'file_id'])
    .execute();

  await db.schema
    .createTable('consent_events')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('source_id', 'integer', (c) => c.notNull())
    .addColumn('message_ext_id', 'text', (c) => c.notNull())
    .addColumn('party', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('time_ms', 'bigint', (c) => c.notNull())
    .addColumn('details', 'text')
    .addUniqueConstraint('consent_events_msg', ['source_id', 'message_ext_id'])
    .execute();
}
