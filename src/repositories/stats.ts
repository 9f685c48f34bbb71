import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** Aggregates for data-usage statistics. Bytes are UTF-8 bytes of text and raw payloads, and attachment sizes. */

export interface GroupRow {
  key: string;
  count: number;
  textBytes: number;
  attachments: number;
  attachmentBytes: number;
}

type Dimension = 'type' | 'source' | 'person' | 'day';

export async function groupedUsage(db: Kysely<Database>, dimension: Dimension, options: { dayOffsetMs: number; limit?: number }): Promise<GroupRow[]> {
  const keyExpr =
    dimension === 'type'
      ? sql`m.type`
      : dimension === 'source'
        ? sql`s.name`
        : dimension === 'person'
          ? sql`p.ext_id`
          : sql`strftime('%Y-%m-%d', (m.time_ms + ${options.dayOffsetMs}) / 1000, 'unixepoch')`;
  const limit = options.limit === undefined ? sql`` : sql`LIMIT ${options.limit}`;
  const joins = dimension === 'source' ? sql`JOIN sources s ON s.id = m.source_id` : dimension === 'person' ? sql`JOIN persons p ON p.id = m.from_person_id` : sql``;
  const order = dimension === 'day' ? sql`ORDER BY key` : sql`ORDER BY count DESC, key`;
  const counts = await sql<{ key: string; count: number; text_bytes: number }>`
    SELECT ${keyExpr} AS key, count(*) AS count,
           coalesce(sum(length(CAST(m.text AS BLOB))), 0) + coalesce(sum(length(CAST(m.raw AS BLOB))), 0) AS text_bytes
    FROM messages m ${joins} GROUP BY key ${order} ${limit}`.execute(db);
  const atts = await sql<{ key: string; n: number; bytes: number }>`
    SELECT ${keyExpr} AS key, count(*) AS n, coalesce(sum(b.size), 0) AS bytes
    FROM attachments a JOIN messages m ON m.id = a.message_id JOIN blobs b ON b.id = a.blob_id ${joins} GROUP BY key`.execute(db);
  const byKey = new Map(atts.rows.map((r) => [String(r.key), r]));
  return counts.rows.map((r) => {
    const a = byKey.get(String(r.key));
    return { key: String(r.key), count: Number(r.count), textBytes: Number(r.text_bytes), attachments: Number(a?.n ?? 0), attachmentBytes: Number(a?.bytes ?? 0) };
  });
}

export async function messageTotals(db: Kysely<Database>): Promise<{ messages: number; textBytes: number; persons: number; conversations: number; sources: number; recalled: number }> {
  const r = await sql<{ messages: number; text_bytes: number; recalled: number }>`
    SELECT count(*) AS messages,
           coalesce(sum(length(CAST(text AS BLOB))), 0) + coalesce(sum(length(CAST(raw AS BLOB))), 0) AS text_bytes,
           count(recalled_at) AS recalled
    FROM messages`.execute(db);
  const c = await sql<{ persons: number; conversations: number; sources: number }>`
    SELECT (SELECT count(*) FROM persons) AS persons, (SELECT count(*) FROM conversations) AS conversations, (SELECT count(*) FROM sources) AS sources`.execute(db);
  return {
    messages: Number(r.rows[0]?.messages ?? 0),
    textBytes: Number(r.rows[0]?.text_bytes ?? 0),
    recalled: Number(r.rows[0]?.recalled ?? 0),
    persons: Number(c.rows[0]?.persons ?? 0),
    conversations: Number(c.rows[0]?.conversations ?? 0),
    sources: Number(c.rows[0]?.sources ?? 0),
  };
}
