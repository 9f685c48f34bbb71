import { WECHAT_READERS } from '../connectors/wechat/readers.js';
import type { RowLocation, WeChatFormat, WeChatImportOptions, WeChatItem, WeChatReader } from '../connectors/wechat/types.js';
import { AppError } from '../errors.js';
import { startWorker } from '../worker-thread.js';
import { decodeItem, encodeItem, type TransferItem } from './wechat-transfer.js';
import { isBadLine, prepareRecordObject, type BadLine, type PreparedRecord } from './import-prepare.js';

/**
 * The first half of a personal WeChat import: each row the reader yields, prepared as an NDJSON
 * line would be (validation, attachment hashing, record hash, index row). It runs on the import's
 * thread for small exports, and in a worker thread for large ones, where reading the export's
 * SQLite rows, decoding BytesExtra/LZ4/zstd and preparing take the second core while the import's
 * thread writes (docs/benchmarks.md, issue 6). Both paths run `prepareWeChatItem`.
 */

/**
 * A row of the export, prepared: a message (or a record that failed validation), or a bad row.
 * `P` is PreparedRow while the row crosses from the worker.
 */
export type PreparedWeChatItem<P = PreparedRecord> =
  | { kind: 'bad'; location: RowLocation; reason: string; content: string | null; conversation: unknown }
  | {
      kind: 'message';
      location: RowLocation;
      /** The record input's conversation (for the per-conversation summary). */
      conversation: unknown;
      source: unknown;
      id: unknown;
      prepared: P | BadLine;
      missingMedia: string[];
    };

/** A prepared record without its quarantine text, which the import's thread makes when it needs one. */
export type PreparedRow = Omit<PreparedRecord, 'text'>;

/** Exports with at least this many rows are read and prepared in a worker thread (its start costs ~50 ms; more from the TypeScript sources). */
export const WORKER_MIN_ROWS = 20_000;

/** Prepares the `line`-th row of an export (`completeWeChatItem` adds the quarantine text). */
export function prepareWeChatItem(item: WeChatItem, line: number, custodian: string, dedupKey: Uint8Array): PreparedWeChatItem<PreparedRow> {
  if (item.kind === 'bad') return { kind: 'bad', location: item.location, reason: item.reason, content: item.content ?? null, conversation: item.conversation };
  const record: Record<string, unknown> = item.record.custodian === custodian ? item.record : { ...item.record, custodian };
  const prepared = prepareRecordObject(record, { line, text: '', attachments: item.media, dedupKey });
  if (isBadLine(prepared)) prepared.content = JSON.stringify(record);
  return { kind: 'message', location: item.location, conversation: record.conversation, source: record.source, id: record.id, prepared, missingMedia: item.missingMedia };
}

/**
 * A prepared row of an export. Its quarantine text (kept if the writer quarantines it as a
 * conflict: the record as prepared, with its original row) is made only when asked for, not for
 * every row; it reads `rawJson`, so the record's `raw` object need not cross from the worker. (A
 * class, so that every row has the same shape: a getter defined per object gave each row its own.)
 */
class PreparedWeChatRecord implements PreparedRecord {
  line: number;
  record: PreparedRecord['record'];
  attachments: PreparedRecord['attachments'];
  recordHash: string;
  rawJson: string | null;
  fts: PreparedRecord['fts'];

  constructor(p: PreparedRow) {
    this.line = p.line;
    this.record = p.record;
    this.attachments = p.attachments;
    this.recordHash = p.recordHash;
    this.rawJson = p.rawJson;
    this.fts = p.fts;
  }

  get text(): string {
    const { raw: _raw, ...rest } = this.record;
    const head = JSON.stringify(rest);
    return this.rawJson === null ? head : `${head.slice(0, -1)},"raw":${this.rawJson}}`;
  }
}

/** Completes a prepared row: its quarantine text, on demand. */
function completeWeChatItem(item: PreparedWeChatItem<PreparedRow>): PreparedWeChatItem {
  if (item.kind === 'bad' || isBadLine(item.prepared)) return item as PreparedWeChatItem;
  return { ...item, prepared: new PreparedWeChatRecord(item.prepared) };
}

/** The reader's rows, prepared on this thread. */
export async function* preparedInThread(reader: WeChatReader, custodian: string, dedupKey: Uint8Array): AsyncGenerator<PreparedWeChatItem> {
  let line = 0;
  for await (const item of reader.items()) yield completeWeChatItem(prepareWeChatItem(item, ++line, custodian, dedupKey));
}

/** What the worker is given (all of it can cross threads). */
export interface PrepareWorkerData {
  format: WeChatFormat;
  options: WeChatImportOptions;
  dedupKey: Uint8Array;
  /** Rows per message to the import's thread… */
  chunk: number;
  /** …or fewer, once the chunk's attachment bytes reach this. */
  chunkBytes: number;
}

/** Messages from the worker. */
export type PrepareWorkerMessage =
  | { items: TransferItem[] }
  | { done: true }
  | { error: { code?: string | undefined; message: string; exitCode?: number | undefined; details?: Record<string, unknown> | undefined } };

/**
 * Rows per chunk, and chunks the worker may prepare ahead of the import's thread (bounds memory).
 * Small chunks: the rows of the chunk being filled are what survives the worker's young-generation
 * garbage collections, which took ~15 µs per row with 1000-row chunks and ~9 µs with 100 (CPU
 * profiles, docs/benchmarks.md); 30 chunks ahead absorb the import's commits without stalling the worker.
 */
const CHUNK_ROWS = 100;
const CHUNKS_AHEAD = 30;
/** A chunk ends early once its media reach this many bytes: what waits between the threads stays within ~CHUNKS_AHEAD × 4 MiB (plus one row's media). */
const CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * The export's rows, read and prepared by a worker thread, in the reader's order. The worker opens
 * its own reader on the same export; it stays at most CHUNKS_AHEAD chunks ahead. An error of the
 * reader in the worker is rethrown here as the same AppError (code, message, exit status).
 */
export async function* preparedInWorker(format: WeChatFormat, options: WeChatImportOptions, dedupKey: Uint8Array): AsyncGenerator<PreparedWeChatItem> {
  const data: PrepareWorkerData = { format, options: { ...options }, dedupKey: Uint8Array.from(dedupKey), chunk: CHUNK_ROWS, chunkBytes: CHUNK_BYTES };
  const worker = startWorker(import.meta.url, './wechat-prepare-worker', data);
  const queue: PrepareWorkerMessage[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  let exited = false;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (m: PrepareWorkerMessage) => {
    queue.push(m);
    notify();
  });
  worker.on('error', (e) => {
    failure = e;
    notify();
  });
  worker.on('exit', () => {
    exited = true;
    notify();
  });
  for (let i = 0; i < CHUNKS_AHEAD; i++) worker.postMessage('more');
  try {
    for (;;) {
      const m = queue.shift();
      if (m === undefined) {
        if (failure) throw failure;
        if (exited) throw new AppError('wechat.worker_exited', 'the WeChat reader thread stopped unexpectedly');
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      if ('done' in m) return;
      if ('error' in m) throw new AppError(m.error.code ?? 'wechat.read_failed', m.error.message, { exitCode: m.error.exitCode === 2 ? 2 : 1, ...(m.error.details ? { details: m.error.details } : {}) });
      worker.postMessage('more');
      for (const t of m.items) yield completeWeChatItem(decodeItem(t));
    }
  } finally {
    await worker.terminate();
  }
}

/** The worker's side (wechat-prepare-worker.ts): reads and prepares, a chunk per 'more' from the import's thread. */
export async function runPrepareWorker(data: PrepareWorkerData, port: { postMessage(m: PrepareWorkerMessage): void; on(event: 'message', f: () => void): unknown }): Promise<void> {
  let credits = 0;
  let wake: (() => void) | undefined;
  port.on('message', () => {
    credits++;
    wake?.();
    wake = undefined;
  });
  const send = async (items: TransferItem[]): Promise<void> => {
    while (credits === 0) await new Promise<void>((r) => (wake = r));
    credits--;
    port.postMessage({ items });
  };
  let reader: WeChatReader | undefined;
  try {
    reader = await WECHAT_READERS[data.format](data.options);
    let chunk: TransferItem[] = [];
    let bytes = 0;
    let line = 0;
    for await (const row of reader.items()) {
      const item = prepareWeChatItem(row, ++line, data.options.custodian, data.dedupKey);
      if (item.kind === 'message' && !isBadLine(item.prepared)) for (const a of item.prepared.attachments) bytes += a.data?.length ?? 0;
      chunk.push(encodeItem(item));
      if (chunk.length >= data.chunk || bytes >= data.chunkBytes) {
        await send(chunk);
        chunk = [];
        bytes = 0;
      }
    }
    if (chunk.length > 0) await send(chunk);
    port.postMessage({ done: true });
  } catch (e) {
    const err = e instanceof AppError ? { code: e.code, message: e.message, exitCode: e.exitCode, details: e.details ? { ...e.details } : undefined } : { message: e instanceof Error ? e.message : String(e) };
    port.postMessage({ error: err });
  } finally {
    reader?.close();
  }
}
