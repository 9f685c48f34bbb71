import { sql, type Insertable, type Kysely } from 'kysely';
import type { StoredBlob } from '../blobs/blob-store.js';
import { prepareBulkInsert } from '../db/bulk-insert.js';
import type { SqliteHandle } from '../db/connection.js';
import type { Database } from '../db/schema.js';
import type { AttachmentsTable, MessagesTable } from '../db/tables/core.js';
import type { ScanStatus } from '../db/tables/blobs.js';
import { firstKeyOf, lastKeyOf } from '../domain/message-key.js';
import { chunks } from './directory.js';
import { SUBJECT_RESTRICTED } from './privacy.js';

/** Messages, their attachments and pending recalls. */

export async function existingByExtIds(db: Kysely<Database>, sourceId: number, extIds: readonly string[]): Promise<Map<string, { id: number; recordHash: string }>> {
  const out = new Map<string, { id: number; recordHash: string }>();
  for (const part of chunks([...new Set(extIds)])) {
    const rows = await db.selectFrom('messages').select(['id', 'ext_id', 'record_hash']).where('source_id', '=', sourceId).where('ext_id', 'in', part).execute();
    for (const r of rows) out.set(r.ext_id, { id: r.id, recordHash: r.record_hash.toString('hex') });
  }
  return out;
}

/** All keys taken within one millisecond (used when the preferred slot is taken). */
export async function keysOfMillisecond(db: Kysely<Database>, timeMs: number): Promise<Set<number>> {
  const rows = await db.selectFrom('messages').select('id').where('id', '>=', firstKeyOf(timeMs)).where('id', '<=', lastKeyOf(timeMs)).execute();
  return new Set(rows.map((r) => r.id));
}

export interface MessageWriter {
  messages(rows: readonly Insertable<MessagesTable>[]): void;
  attachments(rows: readonly Insertable<AttachmentsTable>[]): void;
}

export interface MessageLookups {
  /**
   * The archived messages with these (source, ext id)s, by ext id. One statement per 5000 ids:
   * SQLite probes the (source, ext id) index in sorted order, which on a large archive (random
   * ids, an index bigger than the page cache) costs a fraction of one lookup per record.
   */
  byExtIds(sourceId: number, extIds: readonly string[]): Map<string, { id: number; recordHash: string }>;
  /** Which of these keys are taken (one statement per 5000 keys). */
  keysTaken(keys: readonly number[]): Set<number>;
  pendingRecallCount(): number;
  /** Recalls waiting for these originals (ext ids of one source), by original (one statement per 5000 ids). */
  pendingRecallsFor(sourceId: number, extIds: readonly string[]): Map<string, { recallExtId: string; recallTimeMs: number }>;
}

/** Point lookups for the import's hot path: built once by Kysely, run as prepared statements. */
export function prepareMessageLookups(db: Kysely<Database>, sqlite: SqliteHandle): MessageLookups {
  const byExt = sqlite.prepare('SELECT ext_id, id, record_hash FROM messages WHERE source_id = ? AND ext_id IN (SELECT value FROM json_each(?))').raw(true);
  const byKeys = sqlite.prepare('SELECT id FROM messages WHERE id IN (SELECT value FROM json_each(?))').pluck();
  const pending = sqlite.prepare(db.selectFrom('pending_recalls').select((eb) => eb.fn.countAll().as('n')).compile().sql).pluck();
  const pendingFor = sqlite.prepare('SELECT target_ext_id, recall_ext_id, recall_time_ms FROM pending_recalls WHERE source_id = ? AND target_ext_id IN (SELECT value FROM json_each(?))').raw(true);
  return {
    byExtIds(sourceId, extIds) {
      const out = new Map<string, { id: number; recordHash: string }>();
      for (let i = 0; i < extIds.length; i += 5000) {
        for (const [extId, id, hash] of byExt.all(sourceId, JSON.stringify(extIds.slice(i, i + 5000))) as [string, number, Buffer][]) {
          out.set(extId, { id, recordHash: hash.toString('hex') });
        }
      }
      return out;
    },
    keysTaken(keys) {
      const out = new Set<number>();
      for (let i = 0; i < keys.length; i += 5000) for (const k of byKeys.all(JSON.stringify(keys.slice(i, i + 5000))) as number[]) out.add(Number(k));
      return out;
    },
    pendingRecallCount: () => Number(pending.get()),
    pendingRecallsFor(sourceId, extIds) {
      const out = new Map<string, { recallExtId: string; recallTimeMs: number }>();
      for (let i = 0; i < extIds.length; i += 5000) {
        for (const [target, recallExtId, recallTimeMs] of pendingFor.all(sourceId, JSON.stringify(extIds.slice(i, i + 5000))) as [string, string, number][]) {
          out.set(target, { recallExtId, recallTimeMs: Number(recallTimeMs) });
        }
      }
      return out;
    },
  };
}

/** Bulk writers for new messages and their attachment rows (prepared once, run inside the caller's transaction). */
export function prepareMessageWriter(db: Kysely<Database>, sqlite: SqliteHandle): MessageWriter {
  return {
    messages: prepareBulkInsert(db, sqlite, 'messages', [
      'id', 'source_id', 'ext_id', 'seq', 'time_ms', 'conversation_id', 'from_person_id', 'to_person_ids', 'type', 'text', 'fields', 'raw',
      'recalled_at', 'recalled_by', 'attachment_count', 'record_hash', 'import_id', 'archived_at',
    ]),
    attachments: prepareBulkInsert(db, sqlite, 'attachments', ['message_id', 'ordinal', 'blob_id', 'name', 'mime']),
  };
}

export async function markRecalled(db: Kysely<Database>, id: number, recalledAt: number, recalledBy: string): Promise<void> {
  await db.updateTable('messages').set({ recalled_at: recalledAt, recalled_by: recalledBy }).where('id', '=', id).execute();
}

export async function addPendingRecall(db: Kysely<Database>, row: Database['pending_recalls']): Promise<void> {
  await db
    .insertInto('pending_recalls')
    .values(row)
    .onConflict((oc) => oc.columns(['source_id', 'target_ext_id']).doNothing())
    .execute();
}

/** Pending recalls whose original is archived (held back while an erasure request froze it). */
export async function waitingRecallsOfArchived(db: Kysely<Database>): Promise<{ sourceId: number; targetExtId: string; recallExtId: string; recallTimeMs: number; key: number }[]> {
  const rows = await db.selectFrom('pending_recalls as p')
    .innerJoin('messages as m', (j) => j.onRef('m.source_id', '=', 'p.source_id').onRef('m.ext_id', '=', 'p.target_ext_id'))
    .select(['p.source_id', 'p.target_ext_id', 'p.recall_ext_id', 'p.recall_time_ms', 'm.id'])
    .execute();
  return rows.map((r) => ({ sourceId: r.source_id, targetExtId: r.target_ext_id, recallExtId: r.recall_ext_id, recallTimeMs: Number(r.recall_time_ms), key: Number(r.id) }));
}

/** Forgets one pending recall (it was applied, or its original was already recalled). */
export async function removePendingRecall(db: Kysely<Database>, sourceId: number, targetExtId: string): Promise<void> {
  await db.deleteFrom('pending_recalls').where('source_id', '=', sourceId).where('target_ext_id', '=', targetExtId).execute();
}

/** Removes and returns the pending recalls that target these messages. */
export async function takePendingRecalls(db: Kysely<Database>, lookups: MessageLookups, sourceId: number, extIds: readonly string[]): Promise<Map<string, { recallExtId: string; recallTimeMs: number }>> {
  const out = lookups.pendingRecallsFor(sourceId, extIds);
  for (const part of chunks([...out.keys()])) await db.deleteFrom('pending_recalls').where('source_id', '=', sourceId).where('target_ext_id', 'in', part).execute();
  return out;
}

/** A message joined with its source, conversation and sender: what views and the index need. */
export interface MessageRow {
  key: number;
  source: string;
  extId: string;
  seq: number | null;
  timeMs: number;
  conversationRowId: number;
  conversation: { id: string; type: 'direct' | 'group'; title: string | null };
  from: { id: string; name: string | null };
  toPersonIds: number[];
  type: string;
  text: string | null;
  fields: Record<string, unknown> | null;
  raw: string | null;
  recalledAt: number | null;
  recalledBy: string | null;
  attachmentCount: number;
  recordHash: string;
  archivedAt: number;
}

function baseQuery(db: Kysely<Database>) {
  return db
    .selectFrom('messages as m')
    .innerJoin('sources as s', 's.id', 'm.source_id')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .innerJoin('persons as p', 'p.id', 'm.from_person_id')
    .select([
      'm.id', 'm.ext_id', 'm.seq', 'm.time_ms', 'm.conversation_id', 'm.to_person_ids', 'm.type', 'm.text', 'm.fields', 'm.raw',
      'm.recalled_at', 'm.recalled_by', 'm.attachment_count', 'm.record_hash', 'm.archived_at',
      's.name as source_name', 'c.ext_id as conv_ext_id', 'c.kind as conv_kind', 'c.title as conv_title',
      'p.ext_id as from_ext_id', 'p.name as from_name',
    ]);
}

type BaseRow = Awaited<ReturnType<ReturnType<typeof baseQuery>['execute']>>[number];

function toMessageRow(r: BaseRow): MessageRow {
  return {
    key: r.id,
    source: r.source_name,
    extId: r.ext_id,
    seq: r.seq,
    timeMs: r.time_ms,
    conversationRowId: r.conversation_id,
    conversation: { id: r.conv_ext_id, type: r.conv_kind, title: r.conv_title },
    from: { id: r.from_ext_id, name: r.from_name },
    toPersonIds: r.to_person_ids ? (JSON.parse(r.to_person_ids) as number[]) : [],
    type: r.type,
    text: r.text,
    fields: r.fields ? (JSON.parse(r.fields) as Record<string, unknown>) : null,
    raw: r.raw,
    recalledAt: r.recalled_at,
    recalledBy: r.recalled_by,
    attachmentCount: r.attachment_count,
    recordHash: r.record_hash.toString('hex'),
    archivedAt: r.archived_at,
  };
}

/** Loads messages by key, in the order of `keys`. */
export async function messagesByKeys(db: Kysely<Database>, keys: readonly number[]): Promise<MessageRow[]> {
  const byKey = new Map<number, MessageRow>();
  for (const part of chunks([...new Set(keys)])) {
    for (const r of await baseQuery(db).where('m.id', 'in', part).execute()) byKey.set(r.id, toMessageRow(r));
  }
  return keys.map((k) => byKey.get(k)).filter((m): m is MessageRow => m !== undefined);
}

/** `source/id` of archived messages by key (keys no longer archived are absent). */
export async function recordRefsOfKeys(db: Kysely<Database>, keys: readonly number[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (const part of chunks([...new Set(keys)])) {
    const rows = await db.selectFrom('messages as m').innerJoin('sources as s', 's.id', 'm.source_id').select(['m.id', 's.name', 'm.ext_id']).where('m.id', 'in', part).execute();
    for (const r of rows) out.set(r.id, `${r.name}/${r.ext_id}`);
  }
  return out;
}

export async function messageKeyOf(db: Kysely<Database>, source: string, extId: string): Promise<number | undefined> {
  const r = await db
    .selectFrom('messages as m')
    .innerJoin('sources as s', 's.id', 'm.source_id')
    .select('m.id')
    .where('s.name', '=', source)
    .where('m.ext_id', '=', extId)
    .executeTakeFirst();
  return r?.id;
}

/**
 * Keys of up to `n` messages before and after `key` in the same conversation, in time order.
 * Privacy-RESTRICTED messages (migration 0013) are never context: they are skipped as if absent.
 */
export async function conversationNeighbours(db: Kysely<Database>, conversationRowId: number, key: number, n: number): Promise<{ before: number[]; after: number[] }> {
  if (n === 0) return { before: [], after: [] };
  const base = () => db.selectFrom('messages').select('id').where('conversation_id', '=', conversationRowId).where('restricted_at', 'is', null);
  const before = await base().where('id', '<', key).orderBy('id', 'desc').limit(n).execute();
  const after = await base().where('id', '>', key).orderBy('id', 'asc').limit(n).execute();
  return { before: before.map((r) => r.id).reverse(), after: after.map((r) => r.id) };
}

/** An attachment of a message with its blob's metadata (what reading it back needs). */
export interface AttachmentRow extends Omit<StoredBlob, 'id'> {
  /** Malware scan of the content: only `clean` and `not_scanned` may be served. */
  scanStatus: ScanStatus;
  messageKey: number;
  ordinal: number;
  name: string;
  mime: string | null;
  blobId: string;
}

export async function attachmentsOf(db: Kysely<Database>, keys: readonly number[]): Promise<Map<number, AttachmentRow[]>> {
  const out = new Map<number, AttachmentRow[]>();
  for (const part of chunks([...new Set(keys)])) {
    const rows = await db
      .selectFrom('attachments as a')
      .innerJoin('blobs as b', 'b.id', 'a.blob_id')
      .select(['a.message_id', 'a.ordinal', 'a.name', 'a.mime', 'a.blob_id', 'b.sha256', 'b.size', 'b.stored_size', 'b.compression', 'b.bucket', 'b.wrapped_dek', 'b.scan_status'])
      .where('a.message_id', 'in', part)
      .orderBy('a.message_id')
      .orderBy('a.ordinal')
      .execute();
    for (const r of rows) {
      const list = out.get(r.message_id) ?? [];
      list.push({
        messageKey: r.message_id, ordinal: r.ordinal, name: r.name, mime: r.mime, blobId: r.blob_id, sha256: r.sha256,
        size: r.size, storedSize: r.stored_size, compression: r.compression, bucket: r.bucket, wrappedDek: r.wrapped_dek, scanStatus: r.scan_status,
      });
      out.set(r.message_id, list);
    }
  }
  return out;
}

/** Message keys in key order, a page at a time (for whole-archive passes such as reindexing). */
export async function messageKeysAfter(db: Kysely<Database>, after: number, limit: number): Promise<number[]> {
  const rows = await db.selectFrom('messages').select('id').where('id', '>', after).orderBy('id').limit(limit).execute();
  return rows.map((r) => r.id);
}

export async function countArchivedMessages(db: Kysely<Database>): Promise<number> {
  const r = await db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * A conversation by its row id, with its source's name. `restrictedOnly`: it has messages and every one of them is privacy-
 * restricted — as good as absent to every reader (it is not listed either).
 */
export async function conversationByKey(db: Kysely<Database>, key: number): Promise<{ source: string; id: string; type: 'direct' | 'group'; title: string | null; restrictedOnly: boolean } | undefined> {
  const r = await db
    .selectFrom('conversations as c')
    .innerJoin('sources as s', 's.id', 'c.source_id')
    .select(({ exists, not, and, selectFrom }) => [
      's.name', 'c.ext_id', 'c.kind', 'c.title',
      and([
        exists(selectFrom('messages as m').select('m.id').whereRef('m.conversation_id', '=', 'c.id').where('m.restricted_at', 'is not', null)),
        not(exists(selectFrom('messages as m').select('m.id').whereRef('m.conversation_id', '=', 'c.id').where('m.restricted_at', 'is', null))),
      ]).as('restricted_only'),
    ])
    .where('c.id', '=', key)
    .executeTakeFirst();
  return r && { source: r.name, id: r.ext_id, type: r.kind, title: r.title, restrictedOnly: Number(r.restricted_only) === 1 };
}

export type ConversationPosition = { kind: 'newest' } | { kind: 'before'; key: number } | { kind: 'after'; key: number } | { kind: 'around'; key: number };

/**
 * Message keys of one page of a conversation (oldest first), and whether more exist on either side.
 * Privacy-RESTRICTED messages (migration 0013) are left out as if absent.
 */
export async function conversationPage(db: Kysely<Database>, conversationRowId: number, position: ConversationPosition, limit: number): Promise<{ keys: number[]; hasBefore: boolean; hasAfter: boolean }> {
  const base = () => db.selectFrom('messages').select('id').where('conversation_id', '=', conversationRowId).where('restricted_at', 'is', null);
  const older = async (below: number, n: number): Promise<number[]> => (await base().where('id', '<', below).orderBy('id', 'desc').limit(n).execute()).map((r) => r.id).reverse();
  const newer = async (above: number, n: number): Promise<number[]> => (await base().where('id', '>', above).orderBy('id', 'asc').limit(n).execute()).map((r) => r.id);
  let keys: number[];
  switch (position.kind) {
    case 'newest':
      keys = await older(Number.MAX_SAFE_INTEGER, limit);
      break;
    case 'before':
      keys = await older(position.key, limit);
      break;
    case 'after':
      keys = await newer(position.key, limit);
      break;
    case 'around': {
      const half = Math.floor(limit / 2);
      const at = await base().where('id', '=', position.key).execute();
      keys = [...(await older(position.key, half)), ...at.map((r) => r.id), ...(await newer(position.key, limit - half - at.length))];
      break;
    }
  }
  if (keys.length === 0) return { keys, hasBefore: false, hasAfter: false };
  const hasBefore = (await base().where('id', '<', keys[0]!).limit(1).execute()).length > 0;
  const hasAfter = (await base().where('id', '>', keys[keys.length - 1]!).limit(1).execute()).length > 0;
  return { keys, hasBefore, hasAfter };
}

export interface ConversationSummaryRow {
  key: number;
  source: string;
  id: string;
  type: 'direct' | 'group';
  title: string | null;
  messages: number;
  lastKey: number | null;
}

/** Members shown in a conversation's label (services/message-views.ts conversationLabel). */
const LABEL_MEMBERS = 4;

/**
 * Per conversation, the members it is labelled with when it has no title: their names in the order
 * they were first seen, or their ids. A person whose privacy restriction or erasure is in force is
 * named by id only (their id is in a direct conversation's own id already).
 */
export async function conversationMemberLabels(db: Kysely<Database>, conversationIds: readonly number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  if (conversationIds.length === 0) return out;
  const rows = await sql<{ conversation_id: number; ext_id: string; name: string | null; hidden: number }>`
    SELECT cm.conversation_id, p.ext_id, p.name,
           p.id IN (SELECT rp.person_id FROM privacy_request_persons rp JOIN privacy_requests q ON q.id = rp.request_id WHERE ${sql.raw(SUBJECT_RESTRICTED)}) AS hidden
    FROM conversation_members cm JOIN persons p ON p.id = cm.person_id
    WHERE cm.conversation_id IN (SELECT value FROM json_each(${JSON.stringify(conversationIds)}))
    ORDER BY cm.conversation_id, p.id`.execute(db);
  for (const r of rows.rows) {
    const list = out.get(Number(r.conversation_id)) ?? [];
    if (list.length < LABEL_MEMBERS + 1) list.push(r.name && !r.hidden ? r.name : r.ext_id);
    out.set(Number(r.conversation_id), list);
  }
  return out;
}

/** Conversations (all, or the given row ids), busiest first, with their message count and newest message. */
export async function listConversations(db: Kysely<Database>, only: readonly number[] | undefined, page: { limit: number; offset: number }): Promise<{ total: number; rows: ConversationSummaryRow[] }> {
  if (only !== undefined && only.length === 0) return { total: 0, rows: [] };
  // A conversation with nothing to open (every message restricted by a privacy request, or disposed of) is not listed.
  let base = db.selectFrom('conversations as c')
    .where(({ exists, selectFrom }) => exists(selectFrom('messages as m').select('m.id').whereRef('m.conversation_id', '=', 'c.id').where('m.restricted_at', 'is', null)));
  if (only !== undefined) base = base.where('c.id', 'in', [...only]);
  const total = Number((await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const rows = await base
    .innerJoin('sources as s', 's.id', 'c.source_id')
    .leftJoin('usage_conversation as u', 'u.conversation_id', 'c.id')
    .select((eb) => [
      'c.id', 's.name', 'c.ext_id', 'c.kind', 'c.title', 'u.messages',
      eb.selectFrom('messages as m').select((e) => e.fn.max('m.id').as('k')).whereRef('m.conversation_id', '=', 'c.id').where('m.restricted_at', 'is', null).as('last_key'),
    ])
    .orderBy('u.messages', 'desc')
    .orderBy('c.id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return {
    total,
    rows: rows.map((r) => ({ key: r.id, source: r.name, id: r.ext_id, type: r.kind, title: r.title, messages: Number(r.messages ?? 0), lastKey: r.last_key === null ? null : Number(r.last_key) })),
  };
}

/** Adds an attachment after the message was archived (services/late-attachments.ts): the row, the count, and the message's fields as they are now. */
export async function appendAttachment(db: Kysely<Database>, key: number, a: { ordinal: number; blobId: string; name: string; mime: string | null; fields: string | null }): Promise<void> {
  await db.insertInto('attachments').values({ message_id: key, ordinal: a.ordinal, blob_id: a.blobId, name: a.name, mime: a.mime }).execute();
  await db.updateTable('messages').set({ attachment_count: a.ordinal + 1, fields: a.fields }).where('id', '=', key).execute();
}

/** The source and sender row ids of a message (for its usage rollups). */
export async function messageOwnerRowIds(db: Kysely<Database>, key: number): Promise<{ source_id: number; from_person_id: number }> {
  return db.selectFrom('messages').select(['source_id', 'from_person_id']).where('id', '=', key).executeTakeFirstOrThrow();
}
