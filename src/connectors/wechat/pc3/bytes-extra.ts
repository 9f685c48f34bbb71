import { decodeProto, ProtoError } from '../reader-kit.js';

/**
 * PC 3.x `MSG.BytesExtra`: a protobuf `{ 1: header; repeated 3: { 1: kind, 2: value } }`
 * (reference B.1, after WeChatMsg's `msg.proto`). The kinds WeKeep reads:
 *   1 the sender's wxid in group chats (PC 3.x does not prefix group content with it),
 *   3 the thumbnail path and 4 the file path of media (`<wxid>\FileStorage\…`),
 *   2 a hash, 7 the `<msgsource>` XML (kept in `raw` only).
 * Malformed bytes give a problem naming the column (the row becomes a bad row), never an exception.
 */

export interface BytesExtra {
  senderWxid?: string;
  thumbPath?: string;
  filePath?: string;
  /** Every `{kind, value}` entry, in order (values as UTF-8 text). */
  entries: { kind: number; value: string }[];
}

export type BytesExtraResult = { ok: true; value: BytesExtra } | { ok: false; problem: string };

export function parseBytesExtra(blob: Uint8Array | null | undefined): BytesExtraResult {
  const value: BytesExtra = { entries: [] };
  if (blob === null || blob === undefined || blob.length === 0) return { ok: true, value };
  const buf = Buffer.isBuffer(blob) ? blob : Buffer.from(blob.buffer, blob.byteOffset, blob.length);
  try {
    for (const f of decodeProto(buf)) {
      if (f.field !== 3) continue;
      if (f.wire !== 2 || f.bytes === undefined) throw new ProtoError('field 3 is not a message');
      let kind: number | undefined;
      let text = '';
      for (const g of decodeProto(f.bytes)) {
        if (g.field === 1 && g.varint !== undefined) kind = Number(g.varint);
        else if (g.field === 2 && g.bytes !== undefined) text = g.bytes.toString('utf8');
      }
      if (kind === undefined) continue;
      value.entries.push({ kind, value: text });
      if (kind === 1 && value.senderWxid === undefined && text !== '') value.senderWxid = text;
      else if (kind === 3 && value.thumbPath === undefined && text !== '') value.thumbPath = text;
      else if (kind === 4 && value.filePath === undefined && text !== '') value.filePath = text;
    }
  } catch (e) {
    if (e instanceof ProtoError) return { ok: false, problem: `BytesExtra: malformed protobuf (${e.message})` };
    return { ok: false, problem: 'BytesExtra: malformed protobuf' };
  }
  return { ok: true, value };
}
