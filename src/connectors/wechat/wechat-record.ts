import { createHash } from 'node:crypto';
import type { WeChatContent } from './message-content.js';

/**
 * One source row → the canonical record input (docs/formats/ndjson.md), the same shape for every
 * personal-WeChat reader:
 *
 * - `source` `wechat:<owner wxid>`; `id` the server message id (readers fall back to a stable
 *   composite when a row has none); `time` epoch ms.
 * - `conversation` `{ id: talker, type: group for …@chatroom, title }`.
 * - `from` the real person (the owner for sent messages, the group member for group messages);
 *   `to` in direct chats the other side (the peer for sent messages, the owner for received ones);
 *   left out for groups (the member list a database holds is today's, not the message's).
 * - `type`, `text`, `call`, `recalls` (revoke notices: the revoked message's server id),
 *   `parent` (replies: the quoted message's server id), `originalType` (for `other`).
 * - `custodian`, and `wechat`: the reader's facts (type, subType, isSender, talker, shard, localId…),
 *   `direction` (`sent`/`received`), `content` (the mapped structured fields) and `notes` (media
 *   problems, transcode failures).
 * - `raw`: the row as read.
 */

export interface WeChatPerson {
  id: string;
  name?: string | undefined;
}

export interface WeChatRowFacts {
  ownerWxid: string;
  custodian: string;
  id: string;
  timeMs: number;
  talker: string;
  isGroup: boolean;
  title?: string | undefined;
  isSender: boolean;
  from: WeChatPerson;
  /** Direct chats: the recipient (the peer when the owner sent it, else the owner). */
  to?: WeChatPerson | undefined;
  mapped: WeChatContent;
  /** Reader-specific facts kept under `wechat` (type, subType, talker, shard, localId, …). */
  wechat: { [key: string]: unknown };
  notes?: readonly string[] | undefined;
  raw: unknown;
}

export const isGroupTalker = (talker: string): boolean => talker.endsWith('@chatroom');

const person = (p: WeChatPerson): WeChatPerson => (p.name === undefined || p.name === '' ? { id: p.id } : { id: p.id, name: p.name });

/** The record of one row. `f.wechat` becomes the record's `wechat` object (completed in place). */
export function buildWeChatRecord(f: WeChatRowFacts): Record<string, unknown> {
  const m = f.mapped;
  const conversation: { id: string; type: 'direct' | 'group'; title?: string } = { id: f.talker, type: f.isGroup ? 'group' : 'direct' };
  if (f.title !== undefined && f.title !== '') conversation.title = f.title;
  const wechat = f.wechat;
  wechat.direction = f.isSender ? 'sent' : 'received';
  for (const _ in m.fields) {
    wechat.content = m.fields;
    break;
  }
  if (f.notes !== undefined && f.notes.length > 0) wechat.notes = [...f.notes];
  const record: Record<string, unknown> = {
    source: `wechat:${f.ownerWxid}`,
    id: f.id,
    time: f.timeMs,
    conversation,
    from: person(f.from),
    type: m.type,
  };
  if (!f.isGroup && f.to !== undefined) record.to = [person(f.to)];
  if (m.text !== undefined) record.text = m.text;
  if (m.call !== undefined) record.call = m.call;
  if (m.recallsServerId !== undefined) record.recalls = m.recallsServerId;
  if (m.quotedServerId !== undefined) record.parent = m.quotedServerId;
  if (m.originalType !== undefined) record.originalType = m.originalType;
  record.custodian = f.custodian;
  record.wechat = wechat;
  record.raw = f.raw;
  return record;
}

/** BLOB columns above this size are kept in `raw` by length and hash only (media bytes are attachments). */
export const MAX_RAW_BLOB_BYTES = 64 * 1024;

/**
 * A database row as JSON for `raw`, converted in place (rows are read once): integers exact (read
 * with safeIntegers; beyond 2^53 as decimal strings), BLOBs as `{ base64 }`, or `{ bytes, sha256 }`
 * above `MAX_RAW_BLOB_BYTES`.
 */
export function rawRow(row: { [column: string]: unknown }): { [column: string]: unknown } {
  for (const k in row) {
    const v = row[k];
    if (typeof v === 'bigint') row[k] = v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v.toString();
    else if (v instanceof Uint8Array) {
      const b = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.length);
      row[k] = b.length > MAX_RAW_BLOB_BYTES ? { bytes: b.length, sha256: createHash('sha256').update(b).digest('hex') } : { base64: b.toString('base64') };
    }
  }
  return row;
}

/**
 * The id of a row without a server id (never sent, or a local notice): a hash of what identifies it
 * in any export of the same phone, so a re-import finds it again.
 */
export function compositeId(parts: readonly (string | number)[]): string {
  return `local-${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24)}`;
}
