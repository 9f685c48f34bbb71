import { createHash, createHmac, hash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { parseRecordLine } from '../connectors/ndjson/parse-record.js';
import { readLineChunks } from '../connectors/ndjson/read-lines.js';
import { describeIssues, parseRecordInput, toArchiveRecord, type ArchiveRecord, type AttachmentInput } from '../domain/record.js';
import { compactJson, memberText, numbersSurviveParsing } from '../domain/raw-text.js';
import { ftsRow, type FtsRow } from '../search/fts-document.js';
import { ftsDocumentOf } from './index-documents.js';

/**
 * The first half of an import, free of database access: read lines, parse and validate, load and
 * hash attachments, hash the canonical record and build its full-text row. The second half
 * (services/import.ts) writes the batches.
 */

export interface PreparedAttachment {
  name: string;
  mime: string | undefined;
  /** The bytes (inline data or a small file), or the path of a large file to stream. */
  data?: Buffer;
  path?: string;
  /** Keyed content address (the blob id). */
  address: string;
  sha256: string;
  size: number;
}

export interface PreparedRecord {
  line: number;
  /** Where the record came from when a line number says too little (a WeChat export: `chat.csv line 7`, `MSG0.db table MSG row 12`): named in a later quarantine reason. */
  where?: string | undefined;
  /** The input line, kept in case the record must be quarantined later (conflict). */
  text: string;
  /** The record without attachment payloads (see `attachments`). */
  record: ArchiveRecord;
  attachments: PreparedAttachment[];
  recordHash: string;
  /** `raw` as stored (JSON text; an NDJSON `raw` member exactly as written in the line). */
  rawJson: string | null;
  /** Index row as if the record were not recalled. */
  fts: FtsRow;
}

export interface BadLine {
  line: number;
  reason: string;
  content: string | null;
  /** `base64`: `content` is the line's bytes (not valid UTF-8). */
  encoding?: 'base64' | undefined;
}

export interface PreparedBatch {
  records: PreparedRecord[];
  bad: BadLine[];
  blankLines: number;
  /** Lines read so far and bytes consumed so far. */
  lines: number;
  bytesRead: number;
}

export interface PrepareOptions {
  file: string;
  baseDir: string;
  batchSize: number;
  /** A batch also ends once its input lines and attachment bytes reach this (bounds memory with large inline attachments). */
  maxBatchBytes?: number;
  /** HMAC key for content addresses (the keyring's dedup key). */
  dedupKey: Uint8Array;
}

/** Files above this size are streamed into the blob store instead of read into memory. */
export const LARGE_ATTACHMENT = 64 * 1024 * 1024;

class RecordProblem extends Error {}

// crypto.hash: one call, about half the cost of createHash().update().digest() per record.
const sha256Hex = (data: Uint8Array | string): string => hash('sha256', data, 'hex');

async function hashFile(path: string, dedupKey: Uint8Array): Promise<{ address: string; sha256: string; size: number }> {
  const mac = createHmac('sha256', dedupKey);
  const sha = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    mac.update(chunk);
    sha.update(chunk);
    size += chunk.length;
  }
  return { address: mac.digest('hex'), sha256: sha.digest('hex'), size };
}

async function loadAttachment(att: AttachmentInput, index: number, options: PrepareOptions): Promise<PreparedAttachment> {
  const base = { name: att.name, mime: att.mime };
  const inMemory = (data: Buffer): PreparedAttachment => ({
    ...base,
    data,
    address: createHmac('sha256', options.dedupKey).update(data).digest('hex'),
    sha256: sha256Hex(data),
    size: data.length,
  });
  if ('data' in att) return inMemory(Buffer.from(att.data, 'base64'));
  const field = `attachments.${index}.path`;
  if (isAbsolute(att.path)) throw new RecordProblem(`${field}: must be relative to the NDJSON file`);
  const full = resolve(options.baseDir, att.path);
  const rel = relative(options.baseDir, full);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw new RecordProblem(`${field}: must stay inside the NDJSON file's folder`);
  let size: number;
  let real: string;
  try {
    real = realpathSync(full);
    const st = statSync(real);
    if (!st.isFile()) throw new RecordProblem(`${field}: not a file (${st.isDirectory() ? 'a directory' : 'a special file'}): ${att.path}`);
    size = st.size;
  } catch (e) {
    if (e instanceof RecordProblem) throw e;
    throw new RecordProblem(`${field}: file not found: ${att.path}`);
  }
  // Symbolic links are followed, so the file itself must be inside the folder, not just its name.
  const realRel = relative(realpathSync(options.baseDir), real);
  if (realRel === '..' || realRel.startsWith(`..${sep}`) || isAbsolute(realRel)) throw new RecordProblem(`${field}: must stay inside the NDJSON file's folder (a symbolic link leads outside it)`);
  if (size > LARGE_ATTACHMENT) return { ...base, path: real, ...(await hashFile(real, options.dedupKey)) };
  return inMemory(await readFile(real));
}

/**
 * SHA-256 of the canonical record: what was archived, for evidence and to tell a re-import from a
 * conflicting record. The hashed text is the JSON array
 * `[source, id, seq, timeMs, conversation, from, to, type, text, recalls, call, fields, raw, attachments]`
 * (absent fields as null, attachments as [name, mime, sha256]); `rawJson` is `raw` already serialized
 * (the stored text), spliced in so that the largest field is serialized once. The text is the same
 * as JSON.stringify of the whole array (property-tested): hashes of archived records never change.
 */
export function recordHash(r: ArchiveRecord, attachments: readonly Pick<PreparedAttachment, 'name' | 'mime' | 'sha256'>[], rawJson: string | null = rawJsonOf(r)): string {
  const head = JSON.stringify([r.source, r.id, r.seq ?? null, r.timeMs, r.conversation, r.from, r.to, r.type, r.text ?? null, r.recalls ?? null, r.call ?? null, r.fields ?? null]);
  const tail = JSON.stringify(attachments.map((a) => [a.name, a.mime ?? null, a.sha256]));
  return sha256Hex(`${head.slice(0, -1)},${rawJson ?? 'null'},${tail}]`);
}

/** `raw` as stored in messages.raw: its JSON text, or null when absent. */
export const rawJsonOf = (r: Pick<ArchiveRecord, 'raw'>): string | null => (r.raw === undefined ? null : JSON.stringify(r.raw));

/**
 * `raw` for the row and for the hash. A `raw` member is stored as its exact text in the line (as
 * received: JSON.parse would round a 20-digit id). The hash keeps its established form
 * (JSON.stringify of the parsed value, so re-imports of archived records still match) unless parsing
 * would change a number: then the exact text (compacted) is hashed, so that two payloads differing
 * only beyond JavaScript's precision are told apart (a conflict, not a duplicate).
 */
function rawForms(line: string | undefined, record: ArchiveRecord): { stored: string | null; hashed: string | null } {
  if (record.raw === undefined) return { stored: null, hashed: null };
  const exact = line === undefined ? undefined : memberText(line, 'raw');
  if (exact === undefined) {
    // An `other` record without `raw` keeps its whole line, as a JSON string. The hash ignores the
    // spacing between the line's tokens, so the same record written with other spacing is a duplicate.
    const stored = JSON.stringify(record.raw);
    return { stored, hashed: line !== undefined && record.raw === line ? JSON.stringify(compactJson(line)) : stored };
  }
  return { stored: exact, hashed: numbersSurviveParsing(exact) ? JSON.stringify(record.raw) : JSON.stringify({ rawText: compactJson(exact) }) };
}

/** `fromLine`: `text` is the NDJSON line the record was parsed from (a connector's payload is not). */
function preparedOf(line: number, text: string, record: ArchiveRecord, attachments: PreparedAttachment[], fromLine: boolean): PreparedRecord {
  const raw = rawForms(fromLine ? text : undefined, record);
  return { line, text, record, attachments, recordHash: recordHash(record, attachments, raw.hashed), rawJson: raw.stored, fts: ftsRow(ftsDocumentOf(record, false)) };
}

/** Reads and prepares a whole NDJSON file as a stream of batches. */
export async function* prepareBatches(options: PrepareOptions): AsyncGenerator<PreparedBatch> {
  let batch: PreparedBatch = { records: [], bad: [], blankLines: 0, lines: 0, bytesRead: 0 };
  const maxBytes = options.maxBatchBytes ?? Number.POSITIVE_INFINITY;
  let batchStart = 0;
  let attachmentBytes = 0;
  for await (const chunk of readLineChunks(options.file)) for (const line of chunk) {
    batch.lines = line.line;
    batch.bytesRead = line.bytesRead;
    if (line.text === null) {
      batch.bad.push({ line: line.line, reason: line.problem ?? 'unreadable line', content: line.bytes?.toString('base64') ?? null, encoding: line.bytes ? 'base64' : undefined });
    } else if (line.text.trim() === '') {
      batch.blankLines++;
    } else {
      const parsed = parseRecordLine(line.text);
      if (!parsed.ok) {
        batch.bad.push({ line: line.line, reason: parsed.reason, content: line.text });
      } else {
        const r = parsed.record;
        try {
          const attachments: PreparedAttachment[] = [];
          for (let i = 0; i < r.attachments.length; i++) attachments.push(await loadAttachment(r.attachments[i]!, i, options));
          for (const a of attachments) attachmentBytes += a.data?.length ?? 0;
          // The payloads travel in `attachments`; the record keeps names and types only.
          const record: ArchiveRecord = { ...r, attachments: r.attachments.map((a) => ({ name: a.name, mime: a.mime, path: '' })) };
          batch.records.push(preparedOf(line.line, line.text, record, attachments, true));
        } catch (e) {
          if (!(e instanceof RecordProblem)) throw e;
          batch.bad.push({ line: line.line, reason: `invalid record: ${e.message}`, content: line.text });
        }
      }
    }
    if (batch.records.length >= options.batchSize || batch.bad.length >= options.batchSize || batch.bytesRead - batchStart + attachmentBytes >= maxBytes) {
      yield batch;
      batch = { records: [], bad: [], blankLines: 0, lines: batch.lines, bytesRead: batch.bytesRead };
      batchStart = batch.bytesRead;
      attachmentBytes = 0;
    }
  }
  if (batch.records.length > 0 || batch.bad.length > 0 || batch.blankLines > 0) yield batch;
}

/** An attachment a connector already holds in memory (downloaded media). */
export interface InMemoryAttachment {
  name: string;
  mime?: string | undefined;
  data: Buffer;
}

/** A large attachment a connector found on disk: hashed and stored by streaming the file, never read whole. */
export interface OnDiskAttachment {
  name: string;
  mime?: string | undefined;
  path: string;
}

export type ConnectorAttachment = InMemoryAttachment | OnDiskAttachment;

/** The content address, SHA-256 and size of a file, read in 1 MiB chunks (constant memory). */
function hashFileSync(path: string, dedupKey: Uint8Array): { address: string; sha256: string; size: number } {
  const mac = createHmac('sha256', dedupKey);
  const sha = createHash('sha256');
  const chunk = Buffer.allocUnsafe(1024 * 1024);
  const fd = openSync(path, 'r');
  let size = 0;
  try {
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) {
      mac.update(chunk.subarray(0, n));
      sha.update(chunk.subarray(0, n));
      size += n;
    }
  } finally {
    closeSync(fd);
  }
  return { address: mac.digest('hex'), sha256: sha.digest('hex'), size };
}

/** A large file a connector found on disk, hashed by streaming; one that cannot be read is the record's problem. */
function onDisk(a: OnDiskAttachment, dedupKey: Uint8Array): PreparedAttachment {
  try {
    return { name: a.name, mime: a.mime, path: a.path, ...hashFileSync(a.path, dedupKey) };
  } catch (e) {
    throw new RecordProblem(`attachment ${a.name}: cannot read ${a.path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/**
 * Prepares one record that a connector built as an object (not read from a file): the same
 * validation, hashing and index row as an NDJSON line. `text` is what a quarantine would keep (the
 * connector's original payload); `line` numbers the record within the run.
 */
export function prepareRecordObject(input: Record<string, unknown>, options: { line: number; text: string; attachments: readonly ConnectorAttachment[]; dedupKey: Uint8Array }): PreparedRecord | BadLine {
  const withoutFiles = { ...input, attachments: undefined };
  const parsed = parseRecordInput(withoutFiles);
  if (!parsed.success) return { line: options.line, reason: `invalid record: ${describeIssues(parsed.issues)}`, content: options.text };
  const r = toArchiveRecord(parsed.data);
  let attachments: PreparedAttachment[];
  try {
    attachments = options.attachments.map((a) => ('path' in a ? onDisk(a, options.dedupKey) : {
      name: a.name,
      mime: a.mime,
      data: a.data,
      address: createHmac('sha256', options.dedupKey).update(a.data).digest('hex'),
      sha256: sha256Hex(a.data),
      size: a.data.length,
    }));
  } catch (e) {
    if (!(e instanceof RecordProblem)) throw e;
    return { line: options.line, reason: e.message, content: options.text };
  }
  const record: ArchiveRecord = { ...r, attachments: attachments.map((a) => ({ name: a.name, mime: a.mime, path: '' })) };
  return preparedOf(options.line, options.text, record, attachments, false);
}

export const isBadLine = <T extends object>(p: T | BadLine): p is BadLine => 'reason' in p;
