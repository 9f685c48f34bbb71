import type { ArchiveRecord } from '../domain/record.js';
import { isBadLine, type PreparedAttachment } from './import-prepare.js';
import type { PreparedRow, PreparedWeChatItem } from './wechat-prepare.js';

/**
 * How a prepared WeChat row crosses from the reader worker to the import's thread
 * (services/wechat-prepare.ts). A message row travels as a flat array of its values instead of
 * nested objects: the structured clone writes and reads every property name of every object, and
 * deserializing a row's ~14 objects cost the import's thread ~8 µs against ~3 µs for the array and
 * the objects rebuilt from it (measured on PC 3.x rows, docs/benchmarks.md). Bad rows and records
 * that failed validation (rare) travel as they are. `fields` (unknown extra fields, any shape)
 * crosses as its JSON text, one string instead of an object tree, and is parsed again here; the
 * record hash was computed before the crossing.
 */
export type TransferItem = unknown[] | PreparedWeChatItem<PreparedRow>;

export function encodeItem(item: PreparedWeChatItem<PreparedRow>): TransferItem {
  if (item.kind !== 'message' || isBadLine(item.prepared)) return item;
  const p = item.prepared;
  const r = p.record;
  const to: (string | undefined)[] = [];
  for (const t of r.to) to.push(t.id, t.name);
  return [
    item.location.file, item.location.table, item.location.row, item.source, item.id, item.missingMedia.length > 0 ? item.missingMedia : undefined,
    p.line, p.recordHash, p.rawJson, p.fts.body, p.fts.uni, p.fts.meta, p.attachments.length > 0 ? p.attachments : undefined,
    r.source, r.id, r.seq, r.timeMs, r.conversation.id, r.conversation.type, r.conversation.title, r.from.id, r.from.name, to, r.type, r.text,
    r.attachments.length > 0 ? r.attachments : undefined, r.recalls, r.call, r.fields === undefined ? undefined : JSON.stringify(r.fields),
  ];
}

export function decodeItem(t: TransferItem): PreparedWeChatItem<PreparedRow> {
  if (!Array.isArray(t)) return t;
  const flatTo = t[22] as (string | undefined)[];
  const to: ArchiveRecord['to'] = [];
  for (let i = 0; i < flatTo.length; i += 2) to.push(flatTo[i + 1] === undefined ? { id: flatTo[i]! } : { id: flatTo[i]!, name: flatTo[i + 1] });
  const title = t[19] as string | undefined;
  const fromName = t[21] as string | undefined;
  const conversation: ArchiveRecord['conversation'] = title === undefined ? { id: t[17] as string, type: t[18] as 'direct' | 'group' } : { id: t[17] as string, type: t[18] as 'direct' | 'group', title };
  const fields = t[28] as string | undefined;
  const record: ArchiveRecord = {
    source: t[13] as string,
    id: t[14] as string,
    seq: t[15] as number | undefined,
    timeMs: t[16] as number,
    conversation,
    from: fromName === undefined ? { id: t[20] as string } : { id: t[20] as string, name: fromName },
    to,
    type: t[23] as ArchiveRecord['type'],
    text: t[24] as string | undefined,
    attachments: (t[25] as ArchiveRecord['attachments'] | undefined) ?? [],
    recalls: t[26] as string | undefined,
    call: t[27] as ArchiveRecord['call'],
    fields: fields === undefined ? undefined : (JSON.parse(fields) as ArchiveRecord['fields']),
    raw: undefined,
  };
  // Attachment bytes arrive as Uint8Arrays: give the writer Buffers again (no copy).
  const attachments = (t[12] as PreparedAttachment[] | undefined) ?? [];
  for (const a of attachments) {
    const bytes = a.data as Uint8Array | undefined;
    if (bytes && !Buffer.isBuffer(bytes)) a.data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  const location = { file: t[0] as string, table: t[1] as string | undefined, row: t[2] as number | string | undefined };
  return {
    kind: 'message',
    location,
    conversation,
    source: t[3],
    id: t[4],
    prepared: { line: t[6] as number, record, attachments, recordHash: t[7] as string, rawJson: t[8] as string | null, fts: { body: t[9] as string, uni: t[10] as string, meta: t[11] as string } },
    missingMedia: (t[5] as string[] | undefined) ?? [],
  };
}
