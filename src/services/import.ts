import { createHmac } from 'node:crypto';
import { statSync } from 'node:fs';
import v8 from 'node:v8';
import { dirname, resolve } from 'node:path';
import type { ControlledTransaction, Insertable, Kysely } from 'kysely';
import type { StoredBlob } from '../blobs/blob-store.js';
import type { Context } from '../context.js';
import type { Database } from '../db/schema.js';
import type { MessagesTable } from '../db/tables/core.js';
import { acquireWriterLock } from '../db/writer-lock.js';
import { firstKeyOf, preferredSlot, SLOTS_PER_MS } from '../domain/message-key.js';
import { fatalError } from '../errors.js';
import { findBlobs, prepareBlobReferences, recordScan } from '../repositories/blobs.js';
import type { ScanStatus } from '../db/tables/blobs.js';
import { createReadStream } from 'node:fs';
import { addConversationMembers, conversationCacheKey, resolveConversations, resolvePersons } from '../repositories/directory.js';
import { prepareExternalSince } from '../repositories/external-since.js';
import { purgeOrphanBlobs } from './blob-orphans.js';
import { addUsage, emptyUsageBatch, type UsageBatch, type UsageDelta } from '../repositories/usage.js';
import { localDay } from '../domain/time-zone.js';
import { createImport, finishImport, markInterruptedImports, quarantineLines, type QuarantineInput } from '../repositories/imports.js';
import {
  addPendingRecall, existingByExtIds, keysOfMillisecond, markRecalled, messagesByKeys, prepareMessageLookups, prepareMessageWriter, takePendingRecalls,
  type MessageLookups, type MessageWriter,
} from '../repositories/messages.js';
import { bumpSourceCounters, findSourceId, prepareSeqRecorder, resolveSource } from '../repositories/sources.js';
import { AWAITING_ERASURE, membersAmong, prepareArrivalRestrictions, prepareFrozenKeys, recordOutcomes, restrictMessages, type ArrivalRestriction } from '../repositories/privacy.js';
import { prepareTombstoneLookup } from '../repositories/tombstones.js';
import { META_RECALLED, META_RESTRICTED, type FtsRow } from '../search/fts-document.js';
import { indexMessages, prepareIndexWriter, unindexMessages } from '../search/sqlite-fts5.js';
import { disposalDigest } from '../backup/disposal-digests.js';
import { appendAudit } from './audit.js';
import { prepareBatches, type PrepareOptions, type PreparedAttachment, type PreparedBatch, type PreparedRecord } from './import-prepare.js';
import { storedFtsDocuments } from './index-documents.js';
import { DEFAULT_BATCH_SIZE, HEAP_GROWING_PERCENT, IMPORT_CACHE_MIB, IMPORT_TRANSACTION_MAX_MS, PREPARED_BATCH_BYTES, PREPARED_BATCH_SIZE } from './limits.js';
import { assertIndexCurrent } from './reindex.js';

/**
 * NDJSON import in two stages: prepare (services/import-prepare.ts: stream, parse, validate, hash,
 * tokenize — no database) and write (here): new attachment blobs first, made durable, then the
 * batch's database writes — the messages, their index rows, recall links, watermarks, quarantined
 * lines and the audit event — inside one transaction, which file imports keep open over several
 * prepared batches (`batchSize` records per transaction, at most 2 s; PREPARED_BATCH_SIZE records
 * at a time in memory). Idempotent on (source, id); crash-safe because a transaction is
 * all-or-nothing and re-running skips what is already archived.
 *
 * (Preparing NDJSON in a worker thread was measured: no faster on 2 cores — the writer is the
 * bottleneck — and ~170 MB more resident memory, so it runs on this thread. Large WeChat exports,
 * whose reading costs more, are prepared in one: ADR 0014.)
 */

export { DEFAULT_BATCH_SIZE, PREPARED_BATCH_SIZE };
const BLOB_WRITE_CONCURRENCY = 16;
/** Bound of the in-memory set of conversation memberships already written. */
const MEMBER_CACHE_LIMIT = 200_000;

async function forEachConcurrently<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

export interface ImportProgress {
  bytesRead: number;
  totalBytes: number;
  lines: number;
  imported: number;
  duplicates: number;
  quarantined: number;
}

export interface ImportOptions {
  file: string;
  /** Records per transaction (DEFAULT_BATCH_SIZE); they are prepared PREPARED_BATCH_SIZE at a time. */
  batchSize?: number;
  onProgress?: (p: ImportProgress) => void;
}

export interface SourceImportSummary {
  name: string;
  imported: number;
  duplicates: number;
  /** New records whose `seq` another record of the source already has (archived, or earlier in this import). */
  seqReused: number;
}

export interface ImportSummary {
  importId: number;
  file: string;
  status: 'completed' | 'partial';
  lines: number;
  blankLines: number;
  imported: number;
  duplicates: number;
  /** Records whose (source, id) was archived before with different content; the archived one is kept, the new one quarantined. */
  conflicts: number;
  /** Records whose (source, id) was disposed of earlier (a tombstone): skipped, never archived again. */
  disposed: number;
  quarantined: number;
  recallsLinked: number;
  recallsPending: number;
  /**
   * Records archived in the RESTRICTED state because their sender or a recipient is the subject of a
   * restriction in force, or of an executed erasure request (docs/privacy-requests.md).
   */
  restrictedOnArrival: number;
  /**
   * New records archived with a `seq` that another record of their source already has: both are kept
   * (their ids differ), and the import warns, since a source's seq names one record.
   */
  seqReused: number;
  attachments: { total: number; stored: number; deduplicated: number; bytes: number };
  sources: SourceImportSummary[];
  durationMs: number;
  recordsPerSecond: number;
}

interface ImportState {
  ctx: Context;
  importId: number;
  file: string;
  writer: MessageWriter;
  lookups: MessageLookups;
  tombstones: ReturnType<typeof prepareTombstoneLookup>;
  /** Keys frozen by an open erasure request (their recalls wait). */
  frozenKeys: ReturnType<typeof prepareFrozenKeys>;
  /** Privacy requests that restrict their subject's records as they arrive, by person id. */
  arrivalRestrictions: ReturnType<typeof prepareArrivalRestrictions>;
  index: (rows: readonly ({ id: number } & FtsRow)[]) => void;
  blobReferences: ReturnType<typeof prepareBlobReferences>;
  recordSeqs: ReturnType<typeof prepareSeqRecorder>;
  /** Moves conversations' external_since_key down to new records that involve an external party. */
  externalSince: ReturnType<typeof prepareExternalSince>;
  sourceIds: Map<string, number>;
  persons: Map<string, { id: number; name: string | null }>;
  conversations: Map<string, { id: number; title: string | null; kind: 'direct' | 'group' }>;
  /** (conversation, person) pairs known to be in conversation_members. */
  members: Set<string>;
  summary: ImportSummary;
  perSource: Map<string, SourceImportSummary>;
}

/** The keyed digest that tells one quarantined line from another at the same file and line number. */
export function quarantineMac(dedupKey: Buffer, content: string | null, reason: string): string {
  return createHmac('sha256', dedupKey).update('quarantine\0').update(content === null ? `\0unreadable\0${reason}` : `\u0001${content}`).digest('hex');
}

export async function importNdjson(ctx: Context, options: ImportOptions): Promise<ImportSummary> {
  const file = resolve(options.file);
  let totalBytes: number;
  let isDir = false;
  try {
    const st = statSync(file);
    isDir = st.isDirectory();
    if (!st.isFile()) throw new Error('not a file');
    totalBytes = st.size;
  } catch (cause) {
    if (isDir) throw fatalError('import.file_unreadable', `cannot read ${options.file}: it is a directory, not an NDJSON file (a WeChat export folder: add --format auto)`, cause);
    throw fatalError('import.file_unreadable', `cannot read ${options.file}: not an existing, readable file`, cause);
  }
  const release = acquireWriterLock(ctx.config.dataDir);
  try {
    return await runImport(ctx, file, totalBytes, options);
  } finally {
    release();
  }
}

async function runImport(ctx: Context, file: string, totalBytes: number, options: ImportOptions): Promise<ImportSummary> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const writer = await openArchiveWriter(ctx, { file, format: 'ndjson', details: { bytes: totalBytes } }, { recordsPerCommit: batchSize });
  const prepare: PrepareOptions = { file, baseDir: dirname(file), batchSize: Math.min(batchSize, PREPARED_BATCH_SIZE), maxBatchBytes: PREPARED_BATCH_BYTES, dedupKey: ctx.keys.dedupKey };
  try {
    for await (const batch of prepareBatches(prepare)) {
      await writer.archive(batch);
      const summary = writer.summary;
      options.onProgress?.({ bytesRead: batch.bytesRead, totalBytes, lines: summary.lines, imported: summary.imported, duplicates: summary.duplicates, quarantined: summary.quarantined });
    }
  } catch (e) {
    await writer.fail();
    throw e;
  }
  return writer.finish();
}

/**
 * The writing half of every ingest (NDJSON files, connectors): one import run, fed prepared
 * batches. Each `archive` call writes its batch inside a transaction, which is committed at once,
 * or — with `recordsPerCommit` — kept open for the next batches until that many records were
 * written or it is IMPORT_TRANSACTION_MAX_MS old (fewer commits: each one writes every page the batch dirtied, and the random (source, id)
 * index dirties most of its pages in any large batch; docs/benchmarks.md). `inTransaction` lets a
 * connector commit its own state (e.g. its cursor) atomically with the batch. The caller holds the
 * writer lock, and while a transaction is open reads the archive through `db`, never `ctx.db`
 * (SQLite has one connection: a query outside the open transaction would wait for it forever).
 */
export interface ArchiveWriter {
  readonly importId: number;
  readonly summary: ImportSummary;
  /** The open transaction between batches, else ctx.db. */
  readonly db: Kysely<Database>;
  archive(batch: PreparedBatch, options?: { inTransaction?: (trx: Kysely<Database>) => Promise<void> }): Promise<void>;
  /** Commits what is written, marks the run completed (or partial) and returns its summary. */
  finish(): Promise<ImportSummary>;
  /** Rolls back what is not committed and marks the run failed (after an error that stops it). */
  fail(): Promise<void>;
}

export interface ArchiveWriterOptions {
  /** Commit once at least this many records (archived, duplicate or quarantined) were written since the last commit; default 0: after every batch. */
  recordsPerCommit?: number;
}

/** File imports open now (nested ones share the cap). */
let heapCaps = 0;

/**
 * While a file import runs, V8's old generation grows at most HEAP_GROWING_PERCENT between full
 * collections (V8's own factor goes up to 4× while collections are cheap: an import's ~40 MB of
 * live heap grew to ~190 MB, mostly garbage, and peak RSS to 386 MiB = 405 MB against the 400 MB
 * target). Not for the whole process: the disposition sweep ran 10–15 % slower under the cap.
 * Returns the release (idempotent); the last release gives V8 its own heuristics back.
 */
function capHeapGrowth(): () => void {
  if (heapCaps++ === 0) v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--heapCaps === 0) v8.setFlagsFromString('--heap-growing-percent=0');
  };
}

export async function openArchiveWriter(ctx: Context, run: { file: string; format: string; details?: Record<string, unknown> }, options: ArchiveWriterOptions = {}): Promise<ArchiveWriter> {
  const started = ctx.clock.now();
  // Records indexed by an outdated tokenizer would be found differently from the rest.
  await assertIndexCurrent(ctx);
  const { importId, interrupted } = await ctx.db.transaction().execute(async (trx) => {
    const interrupted = await markInterruptedImports(trx, started);
    const id = await createImport(trx, { file: run.file, format: run.format, actor: ctx.actor, startedAt: started });
    await appendAudit(ctx, trx, { action: 'import.started', subject: `import:${id}`, details: { format: run.format, ...run.details, ...(interrupted.length > 0 ? { interruptedImports: interrupted } : {}) } });
    return { importId: id, interrupted };
  });
  // A writer that died may have left attachment objects it never committed: removed (we hold the writer lock).
  if (interrupted.length > 0) {
    const orphans = await purgeOrphanBlobs(ctx);
    if (orphans > 0) await appendAudit(ctx, ctx.db, { action: 'blobs.orphans_deleted', details: { objects: orphans, interruptedImports: interrupted } });
  }
  const summary: ImportSummary = {
    importId, file: run.file, status: 'completed', lines: 0, blankLines: 0, imported: 0, duplicates: 0, conflicts: 0, disposed: 0, quarantined: 0,
    recallsLinked: 0, recallsPending: 0, restrictedOnArrival: 0, seqReused: 0, attachments: { total: 0, stored: 0, deduplicated: 0, bytes: 0 }, sources: [], durationMs: 0, recordsPerSecond: 0,
  };
  const state: ImportState = {
    ctx, importId, file: run.file, writer: prepareMessageWriter(ctx.db, ctx.sqlite), lookups: prepareMessageLookups(ctx.db, ctx.sqlite), tombstones: prepareTombstoneLookup(ctx.db, ctx.sqlite, (source, extId) => disposalDigest(ctx.keys.dedupKey, source, extId)), frozenKeys: prepareFrozenKeys(ctx.sqlite), arrivalRestrictions: prepareArrivalRestrictions(ctx.sqlite), index: prepareIndexWriter(ctx.db, ctx.sqlite), blobReferences: prepareBlobReferences(ctx.db, ctx.sqlite), recordSeqs: prepareSeqRecorder(ctx.sqlite), externalSince: prepareExternalSince(ctx.sqlite), sourceIds: new Map(), persons: new Map(), conversations: new Map(), members: new Set(), summary, perSource: new Map(),
  };
  const recordsPerCommit = options.recordsPerCommit ?? 0;
  // Grouped transactions get a larger page cache while the run lasts (limits.ts IMPORT_CACHE_MIB).
  const cacheBefore = ctx.sqlite.pragma('cache_size', { simple: true }) as number;
  const releaseHeap = recordsPerCommit > 0 ? capHeapGrowth() : () => {};
  const restoreCache = (): void => {
    ctx.sqlite.pragma(`cache_size = ${cacheBefore}`);
    releaseHeap();
  };
  if (recordsPerCommit > 0) ctx.sqlite.pragma(`cache_size = -${IMPORT_CACHE_MIB * 1024}`);
  let open: ControlledTransaction<Database> | undefined;
  let openedAt = 0;
  let sinceCommit = 0;
  // The counts as of the last commit: what a failed run really archived.
  let committed = { imported: summary.imported, lines: summary.lines };
  const commit = async (): Promise<void> => {
    const trx = open;
    open = undefined;
    sinceCommit = 0;
    if (trx) await trx.commit().execute();
    committed = { imported: summary.imported, lines: summary.lines };
  };
  const rollback = async (): Promise<void> => {
    const trx = open;
    open = undefined;
    sinceCommit = 0;
    if (trx) await trx.rollback().execute();
  };
  return {
    importId,
    summary,
    get db() {
      return open ?? ctx.db;
    },
    async archive(batch, archiveOptions = {}) {
      summary.lines = Math.max(summary.lines, batch.lines);
      summary.blankLines += batch.blankLines;
      if (!open) {
        open = await ctx.db.startTransaction().execute();
        openedAt = performance.now();
      }
      try {
        await archiveBatch(state, open, batch, archiveOptions.inTransaction);
      } catch (e) {
        await rollback();
        throw e;
      }
      sinceCommit += batch.records.length + batch.bad.length;
      // By count, or by age: an open transaction holds SQLite's write lock, and other writers (the
      // server's audit events) wait for it at most busy_timeout (10 s); slow batches (attachments,
      // malware scan) must not keep it that long.
      if (sinceCommit >= recordsPerCommit || performance.now() - openedAt >= IMPORT_TRANSACTION_MAX_MS) await commit();
    },
    async fail() {
      await rollback();
      restoreCache();
      await ctx.db.transaction().execute(async (trx) => {
        await finishImport(trx, importId, 'failed', ctx.clock.now(), summary);
        await appendAudit(ctx, trx, { action: 'import.failed', subject: `import:${importId}`, details: { lines: committed.lines, imported: committed.imported } });
      });
    },
    async finish() {
      await commit();
      restoreCache();
      const finished = ctx.clock.now();
      summary.durationMs = finished - started;
      summary.recordsPerSecond = summary.durationMs > 0 ? Math.round(((summary.imported + summary.duplicates) * 1000) / summary.durationMs) : 0;
      summary.status = summary.quarantined > 0 ? 'partial' : 'completed';
      summary.sources = [...state.perSource.values()].sort((a, b) => a.name.localeCompare(b.name));
      await ctx.db.transaction().execute(async (trx) => {
        await finishImport(trx, importId, summary.status, finished, summary);
        await appendAudit(ctx, trx, {
          action: 'import.completed',
          subject: `import:${importId}`,
          details: {
            status: summary.status, lines: summary.lines, imported: summary.imported, duplicates: summary.duplicates, conflicts: summary.conflicts, disposed: summary.disposed,
            quarantined: summary.quarantined, attachmentsStored: summary.attachments.stored, ...(summary.seqReused > 0 ? { seqReused: summary.seqReused } : {}),
          },
        });
      });
      return summary;
    },
  };
}

/** Writes one batch inside the writer's open transaction `trx` (the caller commits or rolls back). */
async function archiveBatch(state: ImportState, trx: Kysely<Database>, batch: PreparedBatch, inTransaction?: (trx: Kysely<Database>) => Promise<void>): Promise<void> {
  const { ctx, summary } = state;
  const now = ctx.clock.now();
  const mac = (content: string | null, reason: string): string => quarantineMac(state.ctx.keys.dedupKey, content, reason);
  const quarantine: QuarantineInput[] = batch.bad.map((b) => ({ importId: state.importId, file: state.file, line: b.line, reason: b.reason, content: b.content, contentEncoding: b.encoding, contentMac: mac(b.content, b.reason), createdAt: now }));
  const reject = (p: PreparedRecord, why: string): void => {
    const reason = p.where === undefined ? why : `${p.where}: ${why}`;
    quarantine.push({ importId: state.importId, file: state.file, line: p.line, reason, content: p.text, contentMac: mac(p.text, reason), createdAt: now });
  };
  const candidates = batch.records;

  // 1. Split new records from duplicates (already archived, or repeated within the batch) and conflicts.
  const bySource = new Map<string, PreparedRecord[]>();
  for (const p of candidates) {
    const list = bySource.get(p.record.source) ?? [];
    list.push(p);
    bySource.set(p.record.source, list);
  }
  const fresh: PreparedRecord[] = [];
  const anyDisposed = state.tombstones.any();
  for (const [source, list] of bySource) {
    const known = state.sourceIds.get(source) ?? (await findSourceId(trx, source));
    if (known !== undefined) state.sourceIds.set(source, known);

    const seen = new Map<string, string>();
    const stats = state.perSource.get(source) ?? { name: source, imported: 0, duplicates: 0, seqReused: 0 };
    state.perSource.set(source, stats);
    const archivedIds = known === undefined ? undefined : state.lookups.byExtIds(known, list.map((p) => p.record.id));
    for (const p of list) {
      const hash = p.recordHash;
      const prior = archivedIds?.get(p.record.id)?.recordHash ?? seen.get(p.record.id);
      // A record disposed of earlier (retention, review, erasure) is never archived again.
      if (prior === undefined && anyDisposed && state.tombstones.isDisposed(known, source, p.record.id)) {
        summary.disposed++;
        continue;
      }
      if (prior === undefined) {
        seen.set(p.record.id, hash);
        fresh.push(p);
      } else if (prior === hash) {
        summary.duplicates++;
        stats.duplicates++;
      } else {
        summary.conflicts++;
        reject(p, `conflict: ${source}/${p.record.id} is already archived with different content; the archived record is kept`);
      }
    }
  }

  // 2. Store attachment blobs that the archive does not hold yet.
  const allAtts = fresh.flatMap((p) => p.attachments);
  const knownBlobs = new Map((await findBlobs(trx, [...new Set(allAtts.map((a) => a.address))])).map((b) => [b.id, b]));
  const toStore = new Map<string, PreparedAttachment>();
  for (const a of allAtts) {
    summary.attachments.total++;
    summary.attachments.bytes += a.size;
    if (knownBlobs.has(a.address) || toStore.has(a.address)) summary.attachments.deduplicated++;
    else toStore.set(a.address, a);
  }
  // Written concurrently without per-object fsyncs, then made durable by one file-system sync, before the commit.
  const newBlobs = new Map<string, StoredBlob>();
  if (toStore.size > 0) {
    await ctx.blobs.withDeferredSync(() =>
      forEachConcurrently([...toStore.values()], BLOB_WRITE_CONCURRENCY, async (a) => {
        const stored = a.data ? await ctx.blobs.put(a.data, { mime: a.mime }) : await ctx.blobs.putFile(a.path!, { mime: a.mime });
        newBlobs.set(a.address, stored);
      }),
    );
  }
  summary.attachments.stored += newBlobs.size;
  // Every new attachment is scanned before it can be served (fail-closed: no answer = pending).
  const scans = await scanNewBlobs(ctx, toStore);
  const infected = [...scans.entries()].filter(([, v]) => v.status === 'infected').map(([id, v]) => ({ blob: id.slice(0, 16), signature: v.signature }));
  const pendingScan = [...scans.values()].filter((v) => v.status === 'pending').length;

  // 3. Everything the batch changes, with its audit event, in the writer's transaction.
  {
    for (const source of bySource.keys()) {
      if (!state.sourceIds.has(source)) state.sourceIds.set(source, await resolveSource(trx, source, now));
    }
    await resolvePersons(trx, fresh.flatMap((p) => [p.record.from, ...p.record.to]), state.persons);
    await resolveConversations(
      trx,
      fresh.map((p) => ({ sourceId: state.sourceIds.get(p.record.source)!, id: p.record.conversation.id, kind: p.record.conversation.type, title: p.record.conversation.title })),
      state.conversations,
    );

    const keys = await allocateKeys(trx, state.lookups, fresh);
    const rows: Insertable<MessagesTable>[] = [];
    const fts: ({ id: number } & FtsRow)[] = [];
    const rowOf = new Map<string, Insertable<MessagesTable>>();
    const archived: PreparedRecord[] = [];
    const newMembers: { conversationId: number; personId: number }[] = [];
    const usage = emptyUsageBatch();
    for (const p of fresh) {
      const key = keys.get(p);
      if (key === undefined) {
        reject(p, `invalid record: time: more than ${SLOTS_PER_MS} messages share this millisecond`);
        continue;
      }
      const r = p.record;
      const sourceId = state.sourceIds.get(r.source)!;
      // A record that calls a group a 1:1 chat (or the reverse) contradicts what is archived: it would
      // be shown, searched (kind:) and kept (retention) as the other kind.
      const conversation = state.conversations.get(conversationCacheKey(sourceId, r.conversation.id))!;
      if (conversation.kind !== r.conversation.type) {
        reject(p, `invalid record: conversation.type: "${r.conversation.type}", but conversation ${JSON.stringify(r.conversation.id)} of source ${JSON.stringify(r.source)} is archived as "${conversation.kind}"`);
        continue;
      }
      const fields: Record<string, unknown> = { ...(r.fields ?? {}) };
      if (r.call) fields.call = r.call;
      if (r.recalls !== undefined) fields.recalls = r.recalls;
      const row: Insertable<MessagesTable> = {
        id: key,
        source_id: sourceId,
        ext_id: r.id,
        seq: r.seq ?? null,
        time_ms: r.timeMs,
        conversation_id: conversation.id,
        from_person_id: state.persons.get(r.from.id)!.id,
        to_person_ids: r.to.length > 0 ? JSON.stringify(r.to.map((t) => state.persons.get(t.id)!.id)) : null,
        type: r.type,
        text: r.text ?? null,
        fields: Object.keys(fields).length > 0 ? JSON.stringify(fields) : null,
        raw: p.rawJson,
        recalled_at: null,
        recalled_by: null,
        attachment_count: r.attachments.length,
        record_hash: Buffer.from(p.recordHash, 'hex'),
        import_id: state.importId,
        archived_at: now,
      };
      rows.push(row);
      countUsage(usage, localDay(state.ctx.config.timeZone, r.timeMs), row, p.attachments);
      for (const personId of [row.from_person_id, ...r.to.map((t) => state.persons.get(t.id)!.id)]) {
        const pair = `${row.conversation_id}:${personId}`;
        if (state.members.has(pair)) continue;
        if (state.members.size >= MEMBER_CACHE_LIMIT) state.members.clear();
        state.members.add(pair);
        newMembers.push({ conversationId: row.conversation_id, personId });
      }
      rowOf.set(`${sourceId}\u0000${r.id}`, row);
      archived.push(p);
    }

    // Recalls: a recall marks its original (kept, never deleted); one that arrives first waits for it.
    const hasPending = state.lookups.pendingRecallCount() > 0;
    const reindex: number[] = [];
    for (const [source] of bySource) {
      const sourceId = state.sourceIds.get(source)!;
      const mine = archived.filter((p) => p.record.source === source);
      const waiting = hasPending ? await takePendingRecalls(trx, state.lookups, sourceId, mine.map((p) => p.record.id)) : new Map<string, { recallExtId: string; recallTimeMs: number }>();
      for (const [extId, w] of waiting) {
        const row = rowOf.get(`${sourceId}\u0000${extId}`)!;
        row.recalled_at = w.recallTimeMs;
        row.recalled_by = w.recallExtId;
        summary.recallsLinked++;
      }
      const recalls = mine.filter((p) => p.record.type === 'recall' && p.record.recalls !== undefined);
      if (recalls.length === 0) continue;
      const targets = await existingByExtIds(trx, sourceId, recalls.map((p) => p.record.recalls!));
      for (const p of recalls) {
        const targetId = p.record.recalls!;
        const inBatch = rowOf.get(`${sourceId}\u0000${targetId}`);
        if (inBatch) {
          if (inBatch.recalled_at === null) {
            inBatch.recalled_at = p.record.timeMs;
            inBatch.recalled_by = p.record.id;
            summary.recallsLinked++;
          }
        } else if (targets.has(targetId)) {
          const key = targets.get(targetId)!.id;
          const [current] = await messagesByKeys(trx, [key]);
          if (current && current.recalledAt === null) {
            if (state.frozenKeys([key]).size > 0) {
              // An open erasure request freezes the original: the recall waits for its decision (services/recalls.ts).
              await addPendingRecall(trx, { source_id: sourceId, target_ext_id: targetId, recall_ext_id: p.record.id, recall_time_ms: p.record.timeMs });
              summary.recallsPending++;
              continue;
            }
            await markRecalled(trx, key, p.record.timeMs, p.record.id);
            reindex.push(key);
            summary.recallsLinked++;
          }
        } else {
          await addPendingRecall(trx, { source_id: sourceId, target_ext_id: targetId, recall_ext_id: p.record.id, recall_time_ms: p.record.timeMs });
          summary.recallsPending++;
        }
      }
    }

    // Privacy: records of a subject whose restriction (or executed erasure) is in force arrive restricted.
    const rules = state.arrivalRestrictions();
    const restricted = restrictionsOnArrival(rules, rows, rules.size === 0 ? undefined : subjectMembers(ctx, rules, rows, newMembers));
    for (const [i, p] of archived.entries()) {
      const row = rows[i]!;
      let meta = row.recalled_at === null ? p.fts.meta : `${p.fts.meta} ${META_RECALLED}`;
      if (restricted.keys.has(row.id)) meta = `${meta} ${META_RESTRICTED}`;
      fts.push({ id: row.id, body: p.fts.body, uni: p.fts.uni, meta });
    }
    state.writer.messages(rows);
    for (const r of restricted.byRequest) {
      // In request order: the first request that restricts a record is named in its reason.
      await restrictMessages(trx, r.keys, now, JSON.stringify({ requestId: r.requestId, kind: r.kind }));
      const grounds = r.kind === 'erasure' ? JSON.stringify([AWAITING_ERASURE]) : null;
      await recordOutcomes(trx, r.requestId, r.keys.map((key) => ({ key, outcome: 'restricted' as const, grounds, untilMs: null })), now);
    }
    summary.restrictedOnArrival += restricted.keys.size;

    const attachmentRows = [];
    const references = new Map<string, number>();
    for (const [i, p] of archived.entries()) {
      for (const [ordinal, a] of p.attachments.entries()) {
        attachmentRows.push({ message_id: rows[i]!.id, ordinal, blob_id: a.address, name: a.name, mime: a.mime ?? null });
        references.set(a.address, (references.get(a.address) ?? 0) + 1);
      }
    }
    for (const [address, count] of references) {
      state.blobReferences(newBlobs.get(address) ?? knownBlobs.get(address)!, count, now);
      const scan = scans.get(address);
      if (scan) await recordScan(trx, address, scan, now);
    }
    state.writer.attachments(attachmentRows);
    state.index(fts);
    if (reindex.length > 0) {
      await unindexMessages(trx, reindex);
      await indexMessages(trx, await storedFtsDocuments(trx, await messagesByKeys(trx, reindex)));
    }

    const seqReused: { source: string; count: number }[] = [];
    for (const [source] of bySource) {
      const sourceId = state.sourceIds.get(source)!;
      const mine = archived.filter((p) => p.record.source === source);
      if (mine.length === 0) continue;
      const seqs = mine.map((p) => p.record.seq).filter((s): s is number => s !== undefined);
      const reused = seqs.length > 0 ? state.recordSeqs(sourceId, seqs) : 0;
      await bumpSourceCounters(trx, sourceId, mine.length, seqs.length > 0 ? Math.max(...seqs) : null, Math.max(...mine.map((p) => p.record.timeMs)));
      state.perSource.get(source)!.imported += mine.length;
      if (reused > 0) {
        state.perSource.get(source)!.seqReused += reused;
        summary.seqReused += reused;
        seqReused.push({ source, count: reused });
      }
    }

    await addConversationMembers(trx, newMembers);
    state.externalSince(rows.map((r) => r.id));
    await addUsage(trx, usage);
    await quarantineLines(trx, quarantine);
    const events = [];
    if (archived.length > 0) {
      events.push({
        action: 'record.imported',
        subject: `import:${state.importId}`,
        details: { count: archived.length, firstLine: archived[0]!.line, lastLine: archived[archived.length - 1]!.line, recallsLinked: summary.recallsLinked },
      });
    }
    if (seqReused.length > 0) events.push({ action: 'record.seq_reused', subject: `import:${state.importId}`, details: { sources: seqReused } });
    if (restricted.keys.size > 0) {
      events.push({
        action: 'privacy.restricted_on_arrival',
        subject: `import:${state.importId}`,
        details: { count: restricted.keys.size, requests: restricted.byRequest.map((r) => ({ requestId: r.requestId, kind: r.kind, records: r.keys.length })) },
      });
    }
    if (infected.length > 0) events.push({ action: 'attachment.infected', subject: `import:${state.importId}`, details: { count: infected.length, blobs: infected.slice(0, 100) } });
    if (pendingScan > 0) events.push({ action: 'attachment.pending_scan', subject: `import:${state.importId}`, details: { count: pendingScan } });
    if (quarantine.length > 0) {
      events.push({ action: 'record.quarantined', subject: `import:${state.importId}`, details: { count: quarantine.length, lines: quarantine.slice(0, 100).map((q) => q.line) } });
    }
    if (events.length > 0) await appendAudit(ctx, trx, events);
    if (inTransaction) await inTransaction(trx);
    summary.imported += archived.length;
    summary.quarantined += quarantine.length;
  }
}

/**
 * Which of a batch's new rows arrive restricted, and by which requests: a row whose sender or a
 * recipient is the subject of a request in force (repositories/privacy.ts prepareArrivalRestrictions).
 */
export function restrictionsOnArrival(
  rules: ReadonlyMap<number, readonly ArrivalRestriction[]>,
  rows: readonly Pick<Insertable<MessagesTable>, 'id' | 'time_ms' | 'from_person_id' | 'to_person_ids' | 'conversation_id'>[],
  /** The subjects among a conversation's members: they received its messages that have no `to` list. */
  membersOf?: (conversationId: number) => Iterable<number>,
): { keys: Set<number>; byRequest: { requestId: number; kind: ArrivalRestriction['kind']; keys: number[] }[] } {
  const keys = new Set<number>();
  const byRequest = new Map<number, { requestId: number; kind: ArrivalRestriction['kind']; keys: number[] }>();
  if (rules.size === 0) return { keys, byRequest: [] };
  for (const row of rows) {
    const persons = [row.from_person_id, ...(row.to_person_ids ? (JSON.parse(row.to_person_ids) as number[]) : membersOf ? membersOf(row.conversation_id) : [])];
    for (const personId of new Set(persons)) {
      for (const rule of rules.get(personId) ?? []) {
        if (rule.untilTimeMs !== null && row.time_ms > rule.untilTimeMs) continue;
        const entry = byRequest.get(rule.requestId) ?? { requestId: rule.requestId, kind: rule.kind, keys: [] };
        if (entry.keys[entry.keys.length - 1] !== row.id) entry.keys.push(row.id);
        byRequest.set(rule.requestId, entry);
        keys.add(row.id);
      }
    }
  }
  return { keys, byRequest: [...byRequest.values()].sort((a, b) => a.requestId - b.requestId) };
}

/**
 * For restrictionsOnArrival: which subjects of the rules are members of the conversations of the
 * batch's messages without a `to` list — members archived before, or becoming members in this batch
 * (repositories/privacy.ts sentOrReceived: such a message was received by every member).
 */
function subjectMembers(
  ctx: Context,
  rules: ReadonlyMap<number, readonly ArrivalRestriction[]>,
  rows: readonly Pick<Insertable<MessagesTable>, 'to_person_ids' | 'conversation_id'>[],
  newMembers: readonly { conversationId: number; personId: number }[],
): (conversationId: number) => Iterable<number> {
  const conversations = [...new Set(rows.filter((r) => !r.to_person_ids).map((r) => r.conversation_id))];
  const members = new Map<number, Set<number>>();
  const add = (c: number, p: number): void => void (members.get(c) ?? members.set(c, new Set()).get(c)!).add(p);
  if (conversations.length > 0) {
    for (const [c, p] of membersAmong(ctx.sqlite, conversations, [...rules.keys()])) add(c, p);
    for (const m of newMembers) if (rules.has(m.personId)) add(m.conversationId, m.personId);
  }
  return (c) => members.get(c) ?? [];
}

const SCAN_CONCURRENCY = 4;

type ScanRecord = { status: ScanStatus; signature: string | null; engine: string | null };

/** Scans the batch's new attachments (no scanner configured: `not_scanned`). */
async function scanNewBlobs(ctx: Context, toStore: ReadonlyMap<string, PreparedAttachment>): Promise<Map<string, ScanRecord>> {
  const out = new Map<string, ScanRecord>();
  const scanner = ctx.scanner;
  if (!scanner || toStore.size === 0) return out;
  let infected = 0;
  let pending = 0;
  await forEachConcurrently([...toStore.values()], SCAN_CONCURRENCY, async (a) => {
    const verdict = await scanner.scan(a.data ?? (createReadStream(a.path!) as AsyncIterable<Buffer>));
    if (verdict.status === 'clean') out.set(a.address, { status: 'clean', signature: null, engine: verdict.engine });
    else if (verdict.status === 'infected') {
      infected++;
      out.set(a.address, { status: 'infected', signature: verdict.signature, engine: verdict.engine });
    } else {
      pending++;
      out.set(a.address, { status: 'pending', signature: null, engine: null });
    }
  });
  if (infected + pending > 0) ctx.log.warn({ infected, pending }, 'attachments held back by the malware scan');
  return out;
}


function addDelta(map: Map<number, UsageDelta>, key: number, d: UsageDelta): void {
  const cur = map.get(key);
  if (!cur) map.set(key, { ...d });
  else {
    cur.messages += d.messages;
    cur.textBytes += d.textBytes;
    cur.attachments += d.attachments;
    cur.attachmentBytes += d.attachmentBytes;
  }
}

/** Adds one archived message to the batch's usage rollups. */
function countUsage(usage: UsageBatch, day: string, row: Insertable<MessagesTable>, attachments: readonly PreparedAttachment[]): void {
  const d: UsageDelta = {
    messages: 1,
    textBytes: (row.text ? Buffer.byteLength(row.text) : 0) + (row.raw ? Buffer.byteLength(row.raw) : 0),
    attachments: attachments.length,
    attachmentBytes: attachments.reduce((n, a) => n + a.size, 0),
  };
  const key = `${day}\u0000${row.source_id}\u0000${row.type}`;
  const cur = usage.daily.get(key);
  if (!cur) usage.daily.set(key, { ...d, day, sourceId: row.source_id, type: row.type });
  else {
    cur.messages += 1;
    cur.textBytes += d.textBytes;
    cur.attachments += d.attachments;
    cur.attachmentBytes += d.attachmentBytes;
  }
  addDelta(usage.persons, row.from_person_id, d);
  addDelta(usage.conversations, row.conversation_id, d);
}

/** Chooses each new record's time-ordered key: its preferred slot, else the next free slot in that millisecond. */
async function allocateKeys(db: Kysely<Database>, lookups: MessageLookups, fresh: readonly PreparedRecord[]): Promise<Map<PreparedRecord, number>> {
  const preferred = new Map<PreparedRecord, number>();
  for (const p of fresh) preferred.set(p, firstKeyOf(p.record.timeMs) + preferredSlot(p.record.source, p.record.id));
  const taken = lookups.keysTaken([...preferred.values()]);
  const used = new Set<number>();
  const out = new Map<PreparedRecord, number>();
  for (const p of fresh) {
    const want = preferred.get(p)!;
    if (!used.has(want) && !taken.has(want)) {
      used.add(want);
      out.set(p, want);
      continue;
    }
    const base = firstKeyOf(p.record.timeMs);
    const occupied = await keysOfMillisecond(db, p.record.timeMs);
    for (let i = 1; i < SLOTS_PER_MS; i++) {
      const k = base + ((want - base + i) % SLOTS_PER_MS);
      if (!occupied.has(k) && !used.has(k)) {
        used.add(k);
        out.set(p, k);
        break;
      }
    }
  }
  return out;
}
