import { resolve } from 'node:path';
import type { Context } from '../context.js';
import { detectFormat } from '../connectors/wechat/detect.js';
import { WECHAT_READERS, type WeChatReaderOpener } from '../connectors/wechat/readers.js';
import type { RowLocation, WeChatFormat, WeChatImportOptions, WeChatReader } from '../connectors/wechat/types.js';
import { acquireWriterLock } from '../db/writer-lock.js';
import { isAppError, usageError } from '../errors.js';
import { existingByExtIds, prepareMessageLookups, type MessageLookups } from '../repositories/messages.js';
import { findSourceId } from '../repositories/sources.js';
import { DEFAULT_BATCH_SIZE, openArchiveWriter, type ArchiveWriter, type ImportSummary } from './import.js';
import { isBadLine, type BadLine, type PreparedRecord } from './import-prepare.js';
import { changedDetailsOnly } from './redelivery.js';
import { preparedInThread, preparedInWorker, WORKER_MIN_ROWS } from './wechat-prepare.js';

/**
 * Personal WeChat imports (PC 3.x / 4.x databases, Android, iOS, WeChatMsg CSV): a reader per
 * format (src/connectors/wechat/<format>/) streams the export as canonical record inputs with their
 * media; this service prepares them exactly like NDJSON lines (validation, attachment hashing,
 * record hash, index row; services/wechat-prepare.ts, in a worker thread for large exports),
 * archives them through the common writer in batches (dedup on (source, id), blobs encrypted,
 * malware scan, an audit event per batch, transactions of `batchSize` records or 2 s) and summarizes per
 * conversation. Idempotent and resumable like every import: a re-run (after a crash
 * or with a newer export of the same phone) archives only what is missing.
 *
 * A message already archived whose content is the same but whose details differ in this export
 * (a contact renamed, a status flag, media now present) is counted as a duplicate with changed
 * details and left as archived (the archive is append-only); a message whose content differs is a
 * conflict and is quarantined, as for NDJSON.
 */

export { WECHAT_READERS, type WeChatReaderOpener };

export interface WeChatImportProgress {
  rows: number;
  totalRows: number;
  imported: number;
  duplicates: number;
  quarantined: number;
}

export interface WeChatImportServiceOptions extends WeChatImportOptions {
  format: WeChatFormat;
  batchSize?: number | undefined;
  /** Where the export is read and prepared: default a worker thread from WORKER_MIN_ROWS rows on, else this thread. */
  prepareIn?: 'thread' | 'worker' | undefined;
  onProgress?: ((p: WeChatImportProgress) => void) | undefined;
}

export interface WeChatConversationSummary {
  id: string;
  title: string | null;
  type: 'direct' | 'group' | null;
  /** Rows of this chat read from the export (messages and bad rows). */
  rows: number;
  archived: number;
  duplicates: number;
  quarantined: number;
  /** Media files the chat's messages refer to that the export does not contain. */
  missingMedia: number;
}

export interface WeChatMissingMedia {
  source: string;
  id: string;
  conversation: string;
  files: string[];
}

export interface WeChatImportSummary extends ImportSummary {
  format: WeChatFormat;
  /** What the reader found, in one line (its `describe()`). */
  found: string;
  ownerWxid: string;
  source: string;
  custodian: string;
  /** Rows the reader counted before reading (the progress bar's total) and rows it yielded. */
  totalRows: number;
  rows: number;
  /** Duplicates whose names, status or media differ in this export; the archived record is kept. */
  duplicatesWithChangedDetails: number;
  conversations: WeChatConversationSummary[];
  missingMedia: { messages: number; files: number; list: WeChatMissingMedia[]; truncated: boolean };
}

/**
 * Records handed to the writer at a time (within its transactions of `batchSize` records): fewer than
 * an NDJSON import's PREPARED_BATCH_SIZE, because the rows of the batch being collected are what
 * survives the import thread's garbage collections (measured on PC 3.x: less CPU and ~50 MiB less
 * peak memory than 5000; docs/benchmarks.md).
 */
export const WECHAT_BATCH_SIZE = 1000;

/** Messages with missing media listed in the summary (the counts cover all). */
export const MISSING_MEDIA_LIST_LIMIT = 10_000;

/** Where a row came from, for quarantine reasons: `message_0.db table Msg_… row 12`, `chat.csv line 7`. */
export function describeLocation(l: RowLocation): string {
  if (l.table !== undefined) return `${l.file} table ${l.table}${l.row !== undefined ? ` row ${l.row}` : ''}`;
  return `${l.file}${l.row !== undefined ? ` line ${l.row}` : ''}`;
}

/** A reader's "not this kind of export here" errors: worth saying which kind it is. */
const NOT_THIS_FORMAT = new Set(['wechat.pc3_no_shards', 'import.not_pc4', 'wechat.android_no_database', 'import.not_ios', 'wechat.csv_none']);

/** Opens the reader of `--format`; when the folder holds another kind of export, the error says which. */
async function openReader(options: WeChatImportServiceOptions): Promise<WeChatReader> {
  try {
    return await WECHAT_READERS[options.format]({ ...options, path: resolve(options.path) });
  } catch (e) {
    if (!isAppError(e) || !NOT_THIS_FORMAT.has(e.code)) throw e;
    let other: ReturnType<typeof detectFormat> | undefined;
    try {
      other = detectFormat(options.path);
    } catch {
      throw e; // nothing recognisable either: the reader's own words
    }
    if (other.format === options.format) throw e;
    throw usageError(e.code, `${e.message}; it looks like a ${other.format} export (${other.evidence}): pass --format ${other.format}, or --format auto`);
  }
}

export async function importWeChat(ctx: Context, options: WeChatImportServiceOptions): Promise<WeChatImportSummary> {
  // The reader checks the export (and its owner) before anything is locked or written.
  const reader = await openReader(options);
  try {
    const release = acquireWriterLock(ctx.config.dataDir);
    try {
      return await runImport(ctx, reader, options);
    } finally {
      release();
    }
  } finally {
    reader.close();
  }
}

interface Pending {
  prepared: PreparedRecord;
  conversation: ConversationStats;
}

type ConversationStats = WeChatConversationSummary;

interface RunState {
  ctx: Context;
  writer: ArchiveWriter;
  lookups: MessageLookups;
  custodian: string;
  conversations: Map<string, ConversationStats>;
  sourceIds: Map<string, number>;
  duplicatesWithChangedDetails: number;
  /** Counted here because they never reach the writer. */
  extraDuplicates: number;
}

function conversationOf(state: RunState, c: unknown): ConversationStats {
  const conv = typeof c === 'object' && c !== null ? (c as { id?: unknown; type?: unknown; title?: unknown }) : {};
  const id = typeof conv.id === 'string' || typeof conv.id === 'number' ? String(conv.id) : '';
  let stats = state.conversations.get(id);
  if (!stats) {
    stats = { id, title: null, type: null, rows: 0, archived: 0, duplicates: 0, quarantined: 0, missingMedia: 0 };
    state.conversations.set(id, stats);
  }
  if (stats.title === null && typeof conv.title === 'string' && conv.title !== '') stats.title = conv.title;
  if (stats.type === null && (conv.type === 'direct' || conv.type === 'group')) stats.type = conv.type;
  return stats;
}

async function runImport(ctx: Context, reader: WeChatReader, options: WeChatImportServiceOptions): Promise<WeChatImportSummary> {
  // `batchSize` records per transaction, handed to the writer WECHAT_BATCH_SIZE at a time.
  const recordsPerCommit = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const batchSize = Math.min(recordsPerCommit, WECHAT_BATCH_SIZE);
  const path = resolve(options.path);
  const found = reader.describe();
  const totalRows = reader.totalRows();
  const source = `wechat:${reader.ownerWxid}`;
  const writer = await openArchiveWriter(ctx, {
    file: path,
    format: options.format,
    details: { custodian: options.custodian, owner: reader.ownerWxid, rows: totalRows },
  }, { recordsPerCommit });
  const state: RunState = { ctx, writer, lookups: prepareMessageLookups(ctx.db, ctx.sqlite), custodian: options.custodian, conversations: new Map(), sourceIds: new Map(), duplicatesWithChangedDetails: 0, extraDuplicates: 0 };
  const missing = { messages: 0, files: 0, list: [] as WeChatMissingMedia[], truncated: false };
  let line = 0;
  let records: Pending[] = [];
  let bad: BadLine[] = [];

  const progress = (): void => {
    const s = writer.summary;
    options.onProgress?.({ rows: line, totalRows, imported: s.imported, duplicates: s.duplicates + state.extraDuplicates, quarantined: s.quarantined });
  };
  const flush = async (): Promise<void> => {
    if (records.length === 0 && bad.length === 0) return;
    const batch = records;
    const badRows = bad;
    records = [];
    bad = [];
    await archiveBatch(state, batch, badRows, line);
    progress();
  };
  const quarantine = (row: { location: RowLocation; reason: string; content: string | null }, stats: ConversationStats | undefined): void => {
    bad.push({ line, reason: `${describeLocation(row.location)}: ${row.reason}`, content: row.content ?? null });
    if (stats) stats.quarantined++;
  };

  // Large exports are read and prepared in a worker thread (services/wechat-prepare.ts).
  const inWorker = options.prepareIn === 'worker' || (options.prepareIn === undefined && totalRows >= WORKER_MIN_ROWS);
  // What the reader takes (onProgress cannot cross to the worker).
  const readerOptions: WeChatImportOptions = { path, custodian: options.custodian, ownerWxid: options.ownerWxid, tz: options.tz, imei: options.imei, uin: options.uin, key: options.key };
  const items = inWorker ? preparedInWorker(options.format, readerOptions, ctx.keys.dedupKey) : preparedInThread(reader, options.custodian, ctx.keys.dedupKey);
  try {
    for await (const item of items) {
      line++;
      if (item.kind === 'bad') {
        const stats = item.conversation ? conversationOf(state, item.conversation) : undefined;
        if (stats) stats.rows++;
        quarantine(item, stats);
      } else {
        const stats = conversationOf(state, item.conversation);
        stats.rows++;
        const { prepared } = item;
        if (item.missingMedia.length > 0) {
          stats.missingMedia += item.missingMedia.length;
          missing.messages++;
          missing.files += item.missingMedia.length;
          if (missing.list.length < MISSING_MEDIA_LIST_LIMIT) {
            missing.list.push({ source: typeof item.source === 'string' ? item.source : source, id: String(item.id), conversation: stats.id, files: [...item.missingMedia] });
          } else missing.truncated = true;
        }
        if (isBadLine(prepared)) quarantine({ location: item.location, reason: prepared.reason, content: prepared.content }, stats);
        else {
          // A conflict found by the writer names the row too, not only the export and an item number.
          prepared.where = describeLocation(item.location);
          records.push({ prepared, conversation: stats });
        }
      }
      if (records.length >= batchSize || bad.length >= batchSize) await flush();
    }
    await flush();
  } catch (e) {
    await writer.fail();
    throw e;
  }
  const s = await writer.finish();
  s.duplicates += state.extraDuplicates;
  const done = s.durationMs > 0 ? Math.round(((s.imported + s.duplicates) * 1000) / s.durationMs) : 0;
  return {
    ...s,
    recordsPerSecond: done,
    format: options.format,
    found,
    ownerWxid: reader.ownerWxid,
    source,
    custodian: options.custodian,
    totalRows,
    rows: line,
    duplicatesWithChangedDetails: state.duplicatesWithChangedDetails,
    conversations: [...state.conversations.values()].sort((a, b) => a.id.localeCompare(b.id)),
    missingMedia: missing,
  };
}

async function archiveBatch(state: RunState, batch: Pending[], bad: BadLine[], lines: number): Promise<void> {
  const { writer } = state;
  // Classify against the archive first, to count per conversation (the writer counts in total).
  const bySource = new Map<string, Pending[]>();
  for (const p of batch) {
    const list = bySource.get(p.prepared.record.source) ?? [];
    list.push(p);
    bySource.set(p.prepared.record.source, list);
  }
  const toWriter: PreparedRecord[] = [];
  const candidates: Pending[] = [];
  const changed: Pending[] = [];
  for (const [source, list] of bySource) {
    const sourceId = state.sourceIds.get(source) ?? (await findSourceId(writer.db, source));
    if (sourceId !== undefined) state.sourceIds.set(source, sourceId);
    const known = sourceId === undefined ? new Map<string, { id: number; recordHash: string }>() : state.lookups.byExtIds(sourceId, list.map((p) => p.prepared.record.id));
    const detailsChanged = await changedDetailsOnly(writer.db, list.map((p) => p.prepared), known);
    const seen = new Map<string, string>();
    for (const p of list) {
      const { record, recordHash } = p.prepared;
      const prior = known.get(record.id);
      if (prior === undefined) {
        const earlier = seen.get(record.id);
        if (earlier === undefined) {
          seen.set(record.id, recordHash);
          candidates.push(p);
        } else if (earlier === recordHash) p.conversation.duplicates++;
        else p.conversation.quarantined++;
        toWriter.push(p.prepared);
      } else if (prior.recordHash === recordHash) {
        p.conversation.duplicates++;
        toWriter.push(p.prepared);
      } else {
        if (detailsChanged.has(p.prepared)) changed.push(p);
        else {
          p.conversation.quarantined++;
          toWriter.push(p.prepared);
        }
      }
    }
  }
  for (const p of changed) p.conversation.duplicates++;
  state.duplicatesWithChangedDetails += changed.length;
  state.extraDuplicates += changed.length;

  const before = writer.summary.imported;
  await writer.archive({ records: toWriter, bad, blankLines: 0, lines, bytesRead: 0 });
  const archived = writer.summary.imported - before;
  if (archived === candidates.length) {
    for (const p of candidates) p.conversation.archived++;
    return;
  }
  // Rare: the writer rejected some new records (e.g. more than 2048 messages in one millisecond).
  for (const [source, list] of bySource) {
    const sourceId = state.sourceIds.get(source) ?? (await findSourceId(writer.db, source));
    if (sourceId !== undefined) state.sourceIds.set(source, sourceId);
    const mine = candidates.filter((p) => list.includes(p));
    const now = sourceId === undefined ? new Map<string, { id: number; recordHash: string }>() : await existingByExtIds(writer.db, sourceId, mine.map((p) => p.prepared.record.id));
    for (const p of mine) {
      if (now.get(p.prepared.record.id)?.recordHash === p.prepared.recordHash) p.conversation.archived++;
      else p.conversation.quarantined++;
    }
  }
}
