import { sql, type Kysely } from 'kysely';

/**
 * Usage rollups for statistics and the dashboard, kept by the import (so a dashboard over millions
 * of messages reads a few thousand rows instead of scanning the archive):
 * - usage_daily: per local day (the store's time zone when archived), source and type;
 * - usage_person: per sender; usage_conversation: per conversation.
 * text_bytes counts the text and the raw payload; attachment_bytes the attachments' logical size.
 * Back-filled here from what is archived so far (days in Asia/Shanghai, +8 h).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('usage_daily')
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('source_id', 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('messages', 'integer', (c) => c.notNull())
    .addColumn('text_bytes', 'integer', (c) => c.notNull())
    .addColumn('attachments', 'integer', (c) => c.notNull())
    .addColumn('attachment_bytes', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('usage_daily_pk', ['day', 'source_id', 'type'])
    .execute();
  for (const [table, key] of [['usage_person', 'person_id'], ['usage_conversation', 'conversation_id']] as const) {
    await db.schema
      .createTable(table)
      .addColumn(key, 'integer', (c) => c.primaryKey())
      .addColumn('messages', 'integer', (c) => c.notNull())
      .addColumn('text_bytes', 'integer', (c) => c.notNull())
      .addColumn('attachments', 'integer', (c) => c.notNull())
      .addColumn('attachment_bytes', 'integer', (c) => c.notNull())
      .execute();
  }
  await sql`CREATE INDEX messages_recalled ON messages (recalled_at) WHERE recalled_at IS NOT NULL`.execute(db);

  const perMessage = sql`
    SELECT m.id, m.source_id, m.type, m.from_person_id, m.conversation_id,
           strftime('%Y-%m-%d', (m.time_ms + 28800000) / 1000, 'unixepoch') AS day,
           coalesce(length(CAST(m.text AS BLOB)), 0) + coalesce(length(CAST(m.raw AS BLOB)), 0) AS text_bytes,
           (SELECT count(*) FROM attachments a WHERE a.message_id = m.id) AS atts,
           (SELECT coalesce(sum(b.size), 0) FROM attachments a JOIN blobs b ON b.id = a.blob_id WHERE a.message_id = m.id) AS att_bytes
    FROM messages m`;
  await sql`INSERT INTO usage_daily SELECT day, source_id, type, count(*), sum(text_bytes), sum(atts), sum(att_bytes) FROM (${perMessage}) GROUP BY day, source_id, type`.execute(db);
  await sql`INSERT INTO usage_person SELECT from_person_id, count(*), sum(text_bytes), sum(atts), sum(att_bytes) FROM (${perMessage}) GROUP BY from_person_id`.execute(db);
  await sql`INSERT INTO usage_conversation SELECT conversation_id, count(*), sum(text_bytes), sum(atts), sum(att_bytes) FROM (${perMessage}) GROUP BY conversation_id`.execute(db);
}
