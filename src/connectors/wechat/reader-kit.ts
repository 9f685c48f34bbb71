import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import Sqlite from 'better-sqlite3-multiple-ciphers';
import { fatalError } from '../../errors.js';
import type { ConnectorAttachment } from '../../services/import-prepare.js';
import type { WeChatBadRow } from './types.js';

/**
 * Small tools shared by the PC 4.x, iOS and CSV readers: read-only SQLite with errors that name
 * the file and table (never content), column checks, a schema-less protobuf walker, media
 * lookups (rows as JSON for `raw`: wechat-record.ts). No content ever goes into an error text.
 */

export const md5Hex = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

/** SQLite's own words for what went wrong (codes and messages carry no row content). */
export function sqliteReason(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err.code === 'string' ? err.code : undefined;
  const message = typeof err.message === 'string' ? err.message : 'unknown error';
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/** Opens a database read-only and proves it is one (a wrong key, a truncated head or another file type fail here). */
export function openReadOnly(file: string, label: string): Sqlite.Database {
  if (!existsSync(file)) throw fatalError('wechat.file_missing', `${label}: file not found`);
  // SQLite opens an empty file as an empty database: a failed copy would pass for an export without messages.
  if (statSync(file).size === 0) throw fatalError('wechat.database_unreadable', `${label}: not a readable SQLite database: the file is empty (0 bytes) (is it decrypted and complete?)`);
  let db: Sqlite.Database | undefined;
  try {
    db = new Sqlite(file, { readonly: true, fileMustExist: true });
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db;
  } catch (e) {
    db?.close();
    throw fatalError('wechat.database_unreadable', `${label}: not a readable SQLite database: ${sqliteReason(e)} (is it decrypted and complete?)`, e);
  }
}

/** An error's message without the `<label>: ` it starts with (where the location already names the file). */
export const reasonAfterLabel = (e: Error, label: string): string => (e.message.startsWith(`${label}: `) ? e.message.slice(label.length + 2) : e.message);

/**
 * Opens each database of an export read-only. One that cannot be opened becomes one bad item naming
 * it and the others are read; when none can be opened, the first error is thrown. Every handle
 * opened is pushed to `opened` (the reader closes them).
 */
export function openEachReadOnly<F extends { path: string; label: string }>(files: readonly F[], opened: Sqlite.Database[]): { dbs: { file: F; db: Sqlite.Database }[]; unreadable: WeChatBadRow[] } {
  const dbs: { file: F; db: Sqlite.Database }[] = [];
  const unreadable: WeChatBadRow[] = [];
  let firstError: unknown;
  for (const file of files) {
    try {
      const db = openReadOnly(file.path, file.label);
      opened.push(db);
      dbs.push({ file, db });
    } catch (e) {
      firstError ??= e;
      unreadable.push({ kind: 'bad', location: { file: file.label }, reason: `${reasonAfterLabel(e as Error, file.label)}; the database is not imported` });
    }
  }
  if (dbs.length === 0) throw firstError;
  return { dbs, unreadable };
}

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export function tableNames(db: Sqlite.Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
}

export function columnsOf(db: Sqlite.Database, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${quoteIdent(table)})`).all() as { name: string }[]).map((r) => r.name);
}

/** The required columns a table lacks (case-insensitive, as SQLite resolves names). */
export function missingColumns(db: Sqlite.Database, table: string, required: readonly string[]): string[] {
  const have = new Set(columnsOf(db, table).map((c) => c.toLowerCase()));
  return required.filter((c) => !have.has(c.toLowerCase()));
}

/** An integer column (read with safeIntegers) as a decimal string; null, 0 and non-integers give undefined. */
export function idString(v: unknown): string | undefined {
  if (typeof v === 'bigint') return v === 0n ? undefined : v.toString();
  if (typeof v === 'number' && Number.isInteger(v)) return v === 0 ? undefined : String(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v) && !/^-?0+$/.test(v)) return v;
  return undefined;
}

export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

/** Epoch seconds or milliseconds (told apart by magnitude, 13 vs 10 digits) → milliseconds. */
export function epochToMs(v: number): number {
  return Math.abs(v) >= 1e11 ? Math.trunc(v) : Math.trunc(v * 1000);
}

export function textOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return undefined;
}

/** Ids that may prefix a group message (`wxid_abc:\n…`): no whitespace or colon, ≤ 64 chars. */
const SENDER_PREFIX = /^([^\s:]{1,64}):\n/;

/** Splits the `sender:\n` prefix of a group message body, if it has one. */
export function splitGroupSender(content: string): { sender: string; body: string } | undefined {
  const m = SENDER_PREFIX.exec(content);
  return m ? { sender: m[1]!, body: content.slice(m[0].length) } : undefined;
}

// ---------------------------------------------------------------------------------------------
// Protobuf, without a schema

export interface ProtoField {
  field: number;
  /** 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
  wire: number;
  varint?: bigint;
  bytes?: Buffer;
}

export class ProtoError extends Error {}

function readVarint(buf: Buffer, at: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  for (let i = at; i < buf.length && i < at + 10; i++) {
    const b = buf[i]!;
    value |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return { value, next: i + 1 };
    shift += 7n;
  }
  throw new ProtoError(`truncated varint at byte ${at}`);
}

/** Decodes one level of a protobuf message; throws ProtoError on malformed input. */
export function decodeProto(buf: Buffer): ProtoField[] {
  const out: ProtoField[] = [];
  let at = 0;
  while (at < buf.length) {
    const key = readVarint(buf, at);
    at = key.next;
    const field = Number(key.value >> 3n);
    const wire = Number(key.value & 7n);
    if (field === 0) throw new ProtoError(`field number 0 at byte ${at}`);
    if (wire === 0) {
      const v = readVarint(buf, at);
      out.push({ field, wire, varint: v.value });
      at = v.next;
    } else if (wire === 2) {
      const len = readVarint(buf, at);
      const end = len.next + Number(len.value);
      if (len.value > BigInt(buf.length) || end > buf.length) throw new ProtoError(`field ${field}: length ${len.value} runs past the end (${buf.length} bytes)`);
      out.push({ field, wire, bytes: buf.subarray(len.next, end) });
      at = end;
    } else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      if (at + size > buf.length) throw new ProtoError(`field ${field}: truncated fixed${size * 8}`);
      out.push({ field, wire, bytes: buf.subarray(at, at + size) });
      at += size;
    } else throw new ProtoError(`field ${field}: unsupported wire type ${wire}`);
  }
  return out;
}

/** The first length-delimited value of `field`, as UTF-8 text. */
export function protoString(fields: readonly ProtoField[], field: number): string | undefined {
  const f = fields.find((x) => x.field === field && x.wire === 2);
  return f?.bytes?.toString('utf8');
}

export function protoMessage(fields: readonly ProtoField[], field: number): ProtoField[] | undefined {
  const f = fields.find((x) => x.field === field && x.wire === 2);
  if (!f?.bytes) return undefined;
  try {
    return decodeProto(f.bytes);
  } catch {
    return undefined;
  }
}

const MD5_HEX = /^[0-9a-f]{32}$/i;

/** The first 32-hex-digit string directly inside a protobuf message (an md5 naming a media file). */
export function protoMd5(fields: readonly ProtoField[] | undefined): string | undefined {
  for (const f of fields ?? []) {
    if (f.wire !== 2 || !f.bytes || f.bytes.length !== 32) continue;
    const s = f.bytes.toString('latin1');
    if (MD5_HEX.test(s)) return s.toLowerCase();
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Media files

/**
 * Media files up to this size are read into memory. Larger ones (videos, documents) are handed
 * over by path and streamed into the archive (hashed and stored chunk by chunk), whatever their
 * size; only images and voice notes, which must be decoded, are never read above it (WeChat does
 * not write such images or voice notes).
 */
export const IN_MEMORY_MEDIA_BYTES = 64 * 1024 * 1024;

/** A media file found in the export: its bytes, or (above IN_MEMORY_MEDIA_BYTES) only its path and size. */
export type FoundFile = { path: string; data: Buffer } | { path: string; size: number; large: true };

/** Reads the first existing regular file among `candidates`; undefined when none exists. */
export function readFirstFile(candidates: readonly string[]): FoundFile | undefined {
  for (const path of candidates) {
    let size: number;
    try {
      const st = statSync(path);
      if (!st.isFile()) continue;
      size = st.size;
    } catch {
      continue;
    }
    try {
      if (size > IN_MEMORY_MEDIA_BYTES) {
        closeSync(openSync(path, 'r')); // readable: it is streamed later
        return { path, size, large: true };
      }
      return { path, data: readFileSync(path) };
    } catch {
      continue;
    }
  }
  return undefined;
}

/** The first bytes of a file (to sniff a large file's type). */
function headOf(path: string): Buffer {
  const head = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  try {
    return head.subarray(0, readSync(fd, head, 0, 16, 0));
  } finally {
    closeSync(fd);
  }
}

/** A found video or document as an attachment: in memory, or by path when large (streamed into the archive). */
export function fileMedia(found: FoundFile, name: string, fallbackMime?: string): ConnectorAttachment {
  if ('large' in found) return { name, mime: sniffMime(headOf(found.path)) ?? fallbackMime, path: found.path };
  return { name, mime: sniffMime(found.data) ?? fallbackMime, data: found.data };
}

/** The note for an image or voice file too large to decode (never written by WeChat). */
export const tooLargeToDecode = (what: string): string => `${what} (larger than ${IN_MEMORY_MEDIA_BYTES / 1024 / 1024} MiB: not decoded)`;

/** MIME type of common media by magic bytes (never by name). */
export function sniffMime(data: Buffer): string | undefined {
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg';
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (data.length >= 6 && (data.subarray(0, 6).toString('latin1') === 'GIF87a' || data.subarray(0, 6).toString('latin1') === 'GIF89a')) return 'image/gif';
  if (data.length >= 12 && data.subarray(0, 4).toString('latin1') === 'RIFF' && data.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  if (data.length >= 12 && data.subarray(4, 8).toString('latin1') === 'ftyp') return 'video/mp4';
  if (data.length >= 5 && data.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  return undefined;
}
