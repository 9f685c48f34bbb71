import { createHash, createHmac } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { open, seal } from '../crypto/aead.js';

/*
 * A backup segment: the records of ONE bucket (source × conversation × UTC month), encrypted under
 * that bucket's key generation. Destroying the key makes every copy of the segment unreadable.
 *
 * File format, version 1 (integers big-endian):
 *
 *    0   6  magic "WKSEG1"
 *    6   4  header length h
 *   10   h  header: UTF-8 JSON (SegmentHeader) — not secret, authenticated through every chunk's AAD
 *  10+h  …  chunks, each: u32 sealed length | aead.seal(enc key, deflateRaw(plaintext piece), aad_i)
 *           aad_i = "wekeep-backup-segment|v1|<sha256(header) hex>|<i>|<1 on the last chunk, else 0>"
 *           so reordering, dropping, duplicating, truncating or appending chunks, or editing the
 *           header, fails authentication. An empty segment is one empty final chunk.
 *
 * The enc key and the MAC key are derived from the bucket key (HMAC-SHA256 with fixed labels), so
 * one bucket key never serves two purposes directly.
 *
 * The plaintext is NDJSON, one line per row, each a JSON array:
 *   ["columns", {"conversations": [...], "persons": [...], "messages": [...], "attachments": [...], "blobs": [...]}]
 *   ["c", [cells]]          the conversation row
 *   ["p", [cells]]          a person referenced by the bucket's messages (sender or recipient)
 *   ["m", [cells]]          a message row (every column, content included), in key order
 *   ["a", [cells]]          an attachment row, in (message, ordinal) order
 *   ["b", [cells], dek]     a blob row (without wrapped_dek and ref_count) and its data key, base64
 * A cell is null, a number, a string, or {"b": base64} for bytes.
 */

export const SEGMENT_MAGIC = Buffer.from('WKSEG1', 'ascii');
export const SEGMENT_FORMAT_VERSION = 1;
/** Plaintext bytes per chunk (before compression). */
export const SEGMENT_CHUNK_SIZE = 1024 * 1024;
const MAX_HEADER_LENGTH = 64 * 1024;

export interface SegmentHeader {
  format: 'wekeep-backup-segment';
  version: 1;
  /** The backup run that wrote the segment. */
  backupId: string;
  bucket: string;
  generation: number;
  /** The keyring name of the bucket key generation. */
  keyName: string;
  writtenAt: number;
}

export type Cell = null | number | string | Buffer;
export type Row = Cell[];

export interface BucketColumns {
  conversations: string[];
  persons: string[];
  messages: string[];
  attachments: string[];
  blobs: string[];
}

export interface BucketContent {
  columns: BucketColumns;
  conversations: Row[];
  persons: Row[];
  messages: Row[];
  attachments: Row[];
  blobs: { row: Row; dek: Buffer }[];
}

/** Subkeys of a bucket key: one encrypts segments, one keys their fingerprints and digests. */
export function segmentKeys(bucketKey: Buffer): { enc: Buffer; mac: Buffer } {
  return {
    enc: createHmac('sha256', bucketKey).update('wekeep-backup-segment-enc|v1').digest(),
    mac: createHmac('sha256', bucketKey).update('wekeep-backup-segment-mac|v1').digest(),
  };
}

export class SegmentError extends Error {}

// ---------------------------------------------------------------------------------------------
// Rows → lines

function encodeCell(v: unknown): unknown {
  if (v === null || typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new SegmentError('a cell holds a non-finite number');
    return v;
  }
  if (typeof v === 'bigint') {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new SegmentError('a cell holds an integer beyond 2^53');
    return Number(v);
  }
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return { b: Buffer.from(v).toString('base64') };
  throw new SegmentError(`a cell holds an unsupported value (${typeof v})`);
}

const encodeRow = (row: readonly unknown[]): unknown[] => row.map(encodeCell);

function decodeCell(v: unknown): Cell {
  if (v === null || typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'object' && v !== null && 'b' in v && typeof v.b === 'string') return Buffer.from(v.b, 'base64');
  throw new SegmentError('a cell is not null, a number, a string or bytes');
}

function decodeRow(v: unknown): Row {
  if (!Array.isArray(v)) throw new SegmentError('a row is not an array');
  return v.map(decodeCell);
}

export const messageLine = (row: readonly unknown[]): string => JSON.stringify(['m', encodeRow(row)]);
export const attachmentLine = (row: readonly unknown[]): string => JSON.stringify(['a', encodeRow(row)]);
/** A blob line as the records digest sees it (no data key). */
export const blobDigestLine = (row: readonly unknown[]): string => JSON.stringify(['b', encodeRow(row)]);

/**
 * Serializes a bucket. Returns the plaintext and two keyed digests (HMAC with the bucket's MAC key):
 * - fingerprint: everything except the volatile columns named in `volatile` (e.g. when a directory
 *   sync last touched a person) — equal fingerprints mean the bucket has not changed since;
 * - recordsDigest: the message, attachment and blob rows only — a restore recomputes it from the
 *   restored database to prove the records came back exactly as they were backed up.
 */
export function serializeBucket(content: BucketContent, macKey: Buffer, volatile: { persons?: readonly string[] } = {}): { plain: Buffer; fingerprint: string; recordsDigest: string } {
  const fingerprint = createHmac('sha256', macKey).update('wekeep-backup-fingerprint|v1\n');
  const records = recordsDigester(macKey);
  const parts: string[] = [];
  const both = (line: string): void => {
    parts.push(line, '\n');
    fingerprint.update(line).update('\n');
  };
  both(JSON.stringify(['columns', content.columns]));
  for (const r of content.conversations) both(JSON.stringify(['c', encodeRow(r)]));
  const skip = new Set((volatile.persons ?? []).map((c) => content.columns.persons.indexOf(c)).filter((i) => i >= 0));
  for (const r of content.persons) {
    const line = JSON.stringify(['p', encodeRow(r)]);
    parts.push(line, '\n');
    fingerprint.update(skip.size === 0 ? line : JSON.stringify(['p', encodeRow(r.map((v, i) => (skip.has(i) ? null : v)))])).update('\n');
  }
  for (const r of content.messages) {
    const line = messageLine(r);
    both(line);
    records.add(line);
  }
  for (const r of content.attachments) {
    const line = attachmentLine(r);
    both(line);
    records.add(line);
  }
  for (const b of content.blobs) {
    const digestLine = blobDigestLine(b.row);
    records.add(digestLine);
    both(JSON.stringify(['b', encodeRow(b.row), b.dek.toString('base64')]));
  }
  return { plain: Buffer.from(parts.join(''), 'utf8'), fingerprint: fingerprint.digest('hex'), recordsDigest: records.digest() };
}

/** The records digest, fed line by line (the same lines serializeBucket feeds it). */
export function recordsDigester(macKey: Buffer): { add(line: string): void; digest(): string } {
  const h = createHmac('sha256', macKey).update('wekeep-backup-records|v1\n');
  return {
    add: (line) => {
      h.update(line).update('\n');
    },
    digest: () => h.digest('hex'),
  };
}

/** Parses a segment's plaintext back into its rows. */
export function parseBucket(plain: Buffer): BucketContent {
  const lines = plain.toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const first = lines.shift();
  if (first === undefined) throw new SegmentError('the segment is empty');
  const head = JSON.parse(first) as unknown;
  if (!Array.isArray(head) || head[0] !== 'columns' || typeof head[1] !== 'object' || head[1] === null) throw new SegmentError('the segment does not start with its columns');
  const columns = head[1] as BucketColumns;
  for (const k of ['conversations', 'persons', 'messages', 'attachments', 'blobs'] as const) {
    if (!Array.isArray(columns[k]) || !columns[k].every((c) => typeof c === 'string')) throw new SegmentError(`the segment's ${k} columns are invalid`);
  }
  const out: BucketContent = { columns, conversations: [], persons: [], messages: [], attachments: [], blobs: [] };
  for (const text of lines) {
    const v = JSON.parse(text) as unknown;
    if (!Array.isArray(v)) throw new SegmentError('a segment line is not an array');
    const row = decodeRow(v[1]);
    switch (v[0]) {
      case 'c':
        out.conversations.push(row);
        break;
      case 'p':
        out.persons.push(row);
        break;
      case 'm':
        out.messages.push(row);
        break;
      case 'a':
        out.attachments.push(row);
        break;
      case 'b':
        if (typeof v[2] !== 'string') throw new SegmentError('a blob line lacks its data key');
        out.blobs.push({ row, dek: Buffer.from(v[2], 'base64') });
        break;
      default:
        throw new SegmentError(`unknown segment line kind ${JSON.stringify(v[0])}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Encryption

const chunkAad = (headerHash: string, index: number, final: boolean): string => `wekeep-backup-segment|v1|${headerHash}|${index}|${final ? 1 : 0}`;

/** Encrypts a segment: the returned buffers, concatenated, are the file. */
export function encodeSegment(encKey: Buffer, header: SegmentHeader, plain: Buffer): Buffer[] {
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  if (headerBytes.length > MAX_HEADER_LENGTH) throw new SegmentError('segment header too long');
  const headerHash = createHash('sha256').update(headerBytes).digest('hex');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(headerBytes.length);
  const out: Buffer[] = [SEGMENT_MAGIC, len, headerBytes];
  const count = Math.max(1, Math.ceil(plain.length / SEGMENT_CHUNK_SIZE));
  for (let i = 0; i < count; i++) {
    const piece = plain.subarray(i * SEGMENT_CHUNK_SIZE, (i + 1) * SEGMENT_CHUNK_SIZE);
    const sealed = seal(encKey, deflateRawSync(piece), chunkAad(headerHash, i, i === count - 1));
    const l = Buffer.alloc(4);
    l.writeUInt32BE(sealed.length);
    out.push(l, sealed);
  }
  return out;
}

/** Reads the (authenticated later) header of a segment file without any key. */
export function readSegmentHeader(file: Buffer): { header: SegmentHeader; headerHash: string; bodyOffset: number } {
  if (file.length < 10 || !file.subarray(0, SEGMENT_MAGIC.length).equals(SEGMENT_MAGIC)) throw new SegmentError('not a WeKeep backup segment');
  const h = file.readUInt32BE(6);
  if (h > MAX_HEADER_LENGTH || file.length < 10 + h) throw new SegmentError('segment header truncated');
  const headerBytes = file.subarray(10, 10 + h);
  let header: SegmentHeader;
  try {
    header = JSON.parse(headerBytes.toString('utf8')) as SegmentHeader;
  } catch {
    throw new SegmentError('segment header is not JSON');
  }
  if (header.format !== 'wekeep-backup-segment' || header.version !== SEGMENT_FORMAT_VERSION) throw new SegmentError('unsupported segment format');
  return { header, headerHash: createHash('sha256').update(headerBytes).digest('hex'), bodyOffset: 10 + h };
}

/** Authenticates and decrypts a whole segment file; throws SegmentError on any damage or a wrong key. */
export function decodeSegment(encKey: Buffer, file: Buffer): { header: SegmentHeader; plain: Buffer } {
  const { header, headerHash, bodyOffset } = readSegmentHeader(file);
  const pieces: Buffer[] = [];
  let at = bodyOffset;
  for (let i = 0; ; i++) {
    if (at + 4 > file.length) throw new SegmentError('segment truncated (no final chunk)');
    const n = file.readUInt32BE(at);
    if (at + 4 + n > file.length) throw new SegmentError('segment truncated inside a chunk');
    const sealed = file.subarray(at + 4, at + 4 + n);
    at += 4 + n;
    const final = at === file.length;
    let packed: Buffer;
    try {
      packed = open(encKey, sealed, chunkAad(headerHash, i, final));
    } catch {
      if (!final) {
        // Maybe this chunk claims to be final but bytes follow: say so precisely.
        try {
          open(encKey, sealed, chunkAad(headerHash, i, true));
          throw new SegmentError('bytes follow the final chunk');
        } catch (e) {
          if (e instanceof SegmentError) throw e;
        }
      }
      throw new SegmentError(`chunk ${i} fails authentication (wrong key, or the segment was damaged or tampered with)`);
    }
    try {
      pieces.push(inflateRawSync(packed));
    } catch {
      throw new SegmentError(`chunk ${i} does not decompress`);
    }
    if (final) break;
  }
  return { header, plain: Buffer.concat(pieces) };
}
