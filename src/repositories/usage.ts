import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { UsageCounters } from '../db/tables/usage.js';
import { chunks } from './directory.js';
import type { GroupRow } from './stats.js';
import { SUBJECT_RESTRICTED } from './privacy.js';

/** The usage rollups (migration 0007): written by the import, read by statistics. */

export interface UsageDelta {
  messages: number;
  textBytes: number;
  attachments: number;
  attachmentBytes: number;
}

export interface UsageBatch {
  daily: Map<string, UsageDelta & { day: string; sourceId: number; type: string }>;
  persons: Map<number, UsageDelta>;
  conversations: Map<number, UsageDelta>;
}

export const emptyUsageBatch = (): UsageBatch => ({ daily: new Map(), persons: new Map(), conversations: new Map() });

const counters = (d: UsageDelta): UsageCounters => ({ messages: d.messages, text_bytes: d.textBytes, attachments: d.attachments, attachment_bytes: d.attachmentBytes });

const addCounters = {
  messages: sql<number>`messages + excluded.messages`,
  text_bytes: sql<number>`text_bytes + excluded.text_bytes`,
  attachments: sql<number>`attachments + excluded.attachments`,
  attachment_bytes: sql<number>`attachment_bytes + excluded.attachment_bytes`,
};

export async function addUsage(db: Kysely<Database>, batch: UsageBatch): Promise<void> {
  for (const part of chunks([...batch.daily.values()])) {
    await db
      .insertInto('usage_daily')
      .values(part.map((d) => ({ day: d.day, source_id: d.sourceId, type: d.type, ...counters(d) })))
      .onConflict((oc) => oc.columns(['day', 'source_id', 'type']).doUpdateSet(addCounters))
      .execute();
  }
  for (const part of chunks([...batch.persons])) {
    await db.insertInto('usage_person').values(part.map(([id, d]) => ({ person_id: id, ...counters(d) }))).onConflict((oc) => oc.column('person_id').doUpdateSet(addCounters)).execute();
  }
  for (const part of chunks([...batch.conversations])) {
    await db.insertInto('usage_conversation').values(part.map(([id, d]) => ({ conversation_id: id, ...counters(d) }))).onConflict((oc) => oc.column('conversation_id').doUpdateSet(addCounters)).execute();
  }
}

type Raw = { key: string; messages: number; text_bytes: number; attachments: number; attachment_bytes: number };
const toGroup = (r: Raw): GroupRow => ({ key: String(r.key), count: Number(r.messages), textBytes: Number(r.text_bytes), attachments: Number(r.attachments), attachmentBytes: Number(r.attachment_bytes) });
const sums = sql`sum(messages) AS messages, sum(text_bytes) AS text_bytes, sum(attachments) AS attachments, sum(attachment_bytes) AS attachment_bytes`;

export async function usageBy(db: Kysely<Database>, dimension: 'type' | 'source' | 'day'): Promise<GroupRow[]> {
  const q =
    dimension === 'type'
      ? sql<Raw>`SELECT type AS key, ${sums} FROM usage_daily GROUP BY type ORDER BY messages DESC, key`
      : dimension === 'source'
        ? sql<Raw>`SELECT s.name AS key, ${sums} FROM usage_daily u JOIN sources s ON s.id = u.source_id GROUP BY s.name ORDER BY messages DESC, key`
        : sql<Raw>`SELECT day AS key, ${sums} FROM usage_daily GROUP BY day ORDER BY day`;
  return (await q.execute(db)).rows.map(toGroup);
}

export interface DayTypeRow extends GroupRow {
  day: string;
  type: string;
}

/** Per day and type (for the dashboard's stacked series), optionally within [from, to] (inclusive days). */
export async function usageByDayAndType(db: Kysely<Database>, range: { from?: string | undefined; to?: string | undefined }): Promise<DayTypeRow[]> {
  const rows = await sql<Raw & { day: string; type: string }>`
    SELECT day, type, day || '/' || type AS key, ${sums} FROM usage_daily
    WHERE day >= ${range.from ?? '0000-00-00'} AND day <= ${range.to ?? '9999-99-99'}
    GROUP BY day, type ORDER BY day, type`.execute(db);
  return rows.rows.map((r) => ({ ...toGroup(r), day: r.day, type: r.type }));
}

/** The busiest persons (not those without messages left, nor the subjects of a restriction in force). */
export async function topPersons(db: Kysely<Database>, limit: number): Promise<(GroupRow & { name: string | null })[]> {
  const rows = await sql<Raw & { name: string | null }>`
    SELECT p.ext_id AS key, p.name AS name, u.messages, u.text_bytes, u.attachments, u.attachment_bytes
    FROM usage_person u JOIN persons p ON p.id = u.person_id
    WHERE u.messages > 0
      -- A data subject whose restriction is in force is not listed by name (GDPR Art. 18; PIPL Art. 47): the totals still count them.
      AND u.person_id NOT IN (SELECT rp.person_id FROM privacy_request_persons rp JOIN privacy_requests q ON q.id = rp.request_id WHERE ${sql.raw(SUBJECT_RESTRICTED)})
    ORDER BY u.messages DESC, p.ext_id LIMIT ${limit}`.execute(db);
  return rows.rows.map((r) => ({ ...toGroup(r), name: r.name }));
}

/** The busiest conversations (not those whose every message is restricted, nor emptied ones). */
export async function topConversations(db: Kysely<Database>, limit: number): Promise<(GroupRow & { conversationKey: number; source: string; title: string | null; kind: string })[]> {
  const rows = await sql<Raw & { id: number; source: string; title: string | null; kind: string }>`
    SELECT c.ext_id AS key, c.id AS id, s.name AS source, c.title AS title, c.kind AS kind, u.messages, u.text_bytes, u.attachments, u.attachment_bytes
    FROM usage_conversation u JOIN conversations c ON c.id = u.conversation_id JOIN sources s ON s.id = c.source_id
    -- As the conversation list: not one whose every message is privacy-restricted (its id may name the subject).
    WHERE EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.restricted_at IS NULL)
    ORDER BY u.messages DESC, c.id LIMIT ${limit}`.execute(db);
  return rows.rows.map((r) => ({ ...toGroup(r), conversationKey: Number(r.id), source: r.source, title: r.title, kind: r.kind }));
}

export async function usageTotals(db: Kysely<Database>): Promise<{ messages: number; textBytes: number; recalled: number }> {
  const t = await sql<{ messages: number | null; text_bytes: number | null }>`SELECT sum(messages) AS messages, sum(text_bytes) AS text_bytes FROM usage_daily`.execute(db);
  const r = await sql<{ n: number }>`SELECT count(*) AS n FROM messages WHERE recalled_at IS NOT NULL`.execute(db);
  return { messages: Number(t.rows[0]?.messages ?? 0), textBytes: Number(t.rows[0]?.text_bytes ?? 0), recalled: Number(r.rows[0]?.n ?? 0) };
}
