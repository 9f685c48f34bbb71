import type { Kysely } from 'kysely';
import { applyBucketRetirements, noteDisposed } from '../backup/buckets.js';
import type { Context } from '../context.js';
import { acquireWriterLock } from '../db/writer-lock.js';
import type { Database } from '../db/schema.js';
import { decideRetention, type RetentionDecision } from '../domain/retention.js';
import { localDay } from '../domain/time-zone.js';
import { AppError, isAppError } from '../errors.js';
import { blobRowsExisting, deleteBlobPurges, disposalStatements, markIndexPurgePending, pendingBlobPurges, purgeIndexTokens, type UsageSubtraction } from '../repositories/disposition.js';
import { prepareTombstoneWriter, tombstoneLeafHash, type Tombstone } from '../repositories/tombstones.js';
import { appendAudit } from './audit.js';
import { wormState } from './disposition-worm.js';
import { type FactsRow } from '../repositories/retention-facts.js';
import { loadRetentionRules, resolveHoldText, type RetentionRules } from './retention-rules.js';

/**
 * The one deletion path of archived records: retention sweeps, approved disposition reviews and
 * privacy erasure all dispose through `disposeRecords`, in the caller's transaction.
 *
 * The rows are FactsRows read in the caller's transaction (identity, hashes, attachments are taken
 * from them; only whether each still exists and its text size are read again here).
 *
 * For each record it deletes the message row, its attachment rows, its full-text index entry and
 * pending recalls that name it; subtracts it from the usage rollups and its source's record count;
 * drops its blob references (a blob whose last reference goes loses its row, and its file is
 * queued for deletion after the commit: `purgeDisposedBlobs`); voids open review items on it; and
 * writes a tombstone (identity, hashes, time, policy, run, reason, disposal time — no content);
 * and tells the backup module (noteDisposed), whose bucket keys are retired after the commit
 * (callers run `afterDisposal`).
 *
 * It refuses (throws, nothing changes) when any record is under an active legal hold, and, in WORM
 * mode, when any record's retention floor has not passed yet — for every reason, erasure included.
 */

export type DisposalReason = 'policy' | 'review' | 'erasure';

export interface DisposeHow {
  reason: DisposalReason;
  /** The policy the disposal is attributed to (the governing ceiling), or null (erasure). */
  policyIdOf(row: FactsRow): number | null;
  runId: number | null;
  /** The rules the caller decided with inside this transaction; loaded here when absent. */
  rules?: RetentionRules | undefined;
  /** The caller's decisions (with `rules`, holds resolved, in this transaction), by key: not decided again. */
  decisions?: ReadonlyMap<number, RetentionDecision> | undefined;
}

export interface DisposeResult {
  /** Records disposed (rows that no longer existed are skipped). */
  count: number;
  /** Text bytes of the records plus the stored bytes of blobs whose last reference went. */
  bytesFreed: number;
  /** Blobs whose last reference went (their files are deleted after the commit by purgeDisposedBlobs). */
  blobsDeleted: number;
  /** Keys disposed, ascending. */
  keys: number[];
  /** Disposed records per attributed policy id (`none` for null). */
  byPolicy: Record<string, number>;
  /** The Merkle leaf hashes of the tombstones written, in key order. */
  leafHashes: Buffer[];
}

function addTo(map: Map<string | number, UsageSubtraction & { extra?: unknown }>, key: string | number, d: UsageSubtraction): void {
  const cur = map.get(key);
  if (!cur) map.set(key, { ...d });
  else {
    cur.messages += d.messages;
    cur.textBytes += d.textBytes;
    cur.attachments += d.attachments;
    cur.attachmentBytes += d.attachmentBytes;
  }
}

/**
 * Checks that none of the rows is held and, under WORM, that every floor has passed. Throws
 * `retention.held` or `worm.floor_not_reached`.
 */
async function assertDisposable(ctx: Context, trx: Kysely<Database>, rows: readonly FactsRow[], how: DisposeHow): Promise<void> {
  const worm = await wormState(trx);
  const clockNow = ctx.clock.now();
  let decide: (row: FactsRow) => RetentionDecision;
  if (how.decisions) {
    const given = how.decisions;
    const rules = how.rules ?? (await loadRetentionRules(trx, ctx.config.timeZone));
    decide = (row) => given.get(row.key) ?? decideRetention(row, rules.policies, rules.holds, clockNow);
  } else {
    const rules = how.rules ?? (await loadRetentionRules(trx, ctx.config.timeZone));
    const keys = rows.map((r) => r.key);
    const holds = await resolveHoldText(trx, rules.holds, Math.min(...keys), Math.max(...keys));
    decide = (row) => decideRetention(row, rules.policies, holds, clockNow);
  }
  let held = 0;
  let floorBlocked = 0;
  let earliestFloorEnd = Number.POSITIVE_INFINITY;
  for (const row of rows) {
    const d = decide(row);
    if (d.holdIds.length > 0) held++;
    if (worm.enabled && d.floor !== undefined && d.floor.until > clockNow) {
      floorBlocked++;
      earliestFloorEnd = Math.min(earliestFloorEnd, d.floor.until);
    }
  }
  if (held > 0) {
    throw new AppError('retention.held', `${held} of the records to dispose ${held === 1 ? 'is' : 'are'} under an active legal hold; nothing was disposed`, { exitCode: 1, status: 409, details: { count: held } });
  }
  if (floorBlocked > 0) {
    const iso = new Date(earliestFloorEnd).toISOString();
    throw new AppError('worm.floor_not_reached', `WORM mode: ${floorBlocked} of the records to dispose ${floorBlocked === 1 ? 'is' : 'are'} within ${floorBlocked === 1 ? 'its' : 'their'} retention floor (the earliest floor ends ${iso}); nothing was disposed`, {
      exitCode: 1, status: 409, details: { count: floorBlocked, earliestFloorEnd: iso },
    });
  }
}

/** Disposes of records inside the caller's write transaction (see the module comment). */
export async function disposeRecords(ctx: Context, trx: Kysely<Database>, rows: readonly FactsRow[], how: DisposeHow): Promise<DisposeResult> {
  const empty: DisposeResult = { count: 0, bytesFreed: 0, blobsDeleted: 0, keys: [], byPolicy: {}, leafHashes: [] };
  if (rows.length === 0) return empty;
  if (!trx.isTransaction) throw new Error('disposeRecords must run inside a transaction');
  await assertDisposable(ctx, trx, rows, how);

  const st = disposalStatements(ctx.sqlite);
  const now = ctx.clock.now();
  const keysJson = JSON.stringify(rows.map((r) => r.key));
  // Which of the rows still exist, read in this transaction (a caller's rows may be stale).
  const textBytesOf = new Map(st.textBytes(keysJson));
  const present = rows.filter((r) => textBytesOf.has(r.key)).sort((a, b) => a.key - b.key);
  if (present.length === 0) return empty;

  const daily = new Map<string | number, UsageSubtraction>();
  const dailyKeys = new Map<string, { day: string; sourceId: number; type: string }>();
  const persons = new Map<string | number, UsageSubtraction>();
  const conversations = new Map<string | number, UsageSubtraction>();
  const perSource = new Map<number, number>();
  const blobRefs = new Map<string, number>();
  const tombstones: Tombstone[] = [];
  const byPolicy: Record<string, number> = {};
  let textBytes = 0;
  for (const m of present) {
    const tb = textBytesOf.get(m.key)!;
    const d: UsageSubtraction = { messages: 1, textBytes: tb, attachments: m.attachments.length, attachmentBytes: m.attachments.reduce((n, a) => n + a.size, 0) };
    textBytes += tb;
    const day = localDay(ctx.config.timeZone, m.timeMs);
    const dk = `${day}\u0000${m.sourceId}\u0000${m.type}`;
    if (!dailyKeys.has(dk)) dailyKeys.set(dk, { day, sourceId: m.sourceId, type: m.type });
    addTo(daily, dk, d);
    addTo(persons, m.fromPersonId, d);
    addTo(conversations, m.conversationRowId, d);
    perSource.set(m.sourceId, (perSource.get(m.sourceId) ?? 0) + 1);
    for (const a of m.attachments) blobRefs.set(a.blobId, (blobRefs.get(a.blobId) ?? 0) + 1);
    const policyId = how.policyIdOf(m);
    const pk = policyId === null ? 'none' : String(policyId);
    byPolicy[pk] = (byPolicy[pk] ?? 0) + 1;
    tombstones.push({
      messageKey: m.key, sourceId: m.sourceId, extId: m.id, recordHash: Buffer.from(m.recordHash).toString('hex'),
      attachmentHashes: m.attachments.map((a) => a.sha256), timeMs: m.timeMs, policyId, runId: how.runId, reason: how.reason, disposedAt: now,
    });
  }

  const presentJson = present.length === rows.length ? keysJson : JSON.stringify(present.map((r) => r.key));
  const deleted = st.deleteRows(presentJson);
  if (deleted !== present.length) throw new Error(`disposal deleted ${deleted} rows where ${present.length} were read`);
  const pairs = JSON.stringify(present.map((m) => [m.sourceId, m.id]));
  st.deletePendingRecalls(pairs);
  // A disposed record's quarantined lines (an invalid copy, a conflicting re-send) go with it.
  const quarantinedLines = st.deleteQuarantined(pairs);
  let blobsDeleted = 0;
  let blobBytes = 0;
  for (const [id, n] of blobRefs) {
    const storedSize = st.releaseBlob(id, n, now);
    if (storedSize !== undefined) {
      blobsDeleted++;
      blobBytes += storedSize;
    }
  }
  for (const [k, d] of daily) {
    const { day, sourceId, type } = dailyKeys.get(k as string)!;
    st.subtractDaily(day, sourceId, type, d);
  }
  for (const [id, d] of persons) st.subtractPerson(id as number, d);
  for (const [id, d] of conversations) st.subtractConversation(id as number, d);
  for (const [id, n] of perSource) st.subtractSource(id, n);
  st.voidOpenReviews(presentJson, 'disposed');
  await markIndexPurgePending(trx);
  tombstoneWriter(ctx)(tombstones);

  // Backups: buckets whose records are disposed move to a new key generation (src/backup/buckets.ts).
  await noteDisposed(ctx, trx, present.map((m) => ({ sourceId: m.sourceId, conversationRowId: m.conversationRowId, timeMs: m.timeMs, key: m.key })));

  const keys = present.map((m) => m.key);
  await appendAudit(ctx, trx, {
    action: 'record.disposed',
    subject: how.runId === null ? undefined : `disposition-run:${how.runId}`,
    details: { reason: how.reason, runId: how.runId, count: keys.length, firstKey: keys[0], lastKey: keys[keys.length - 1], byPolicy, blobsReleased: blobsDeleted, ...(quarantinedLines > 0 ? { quarantinedLinesDeleted: quarantinedLines } : {}) },
  });
  return { count: keys.length, bytesFreed: textBytes + blobBytes, blobsDeleted, keys, byPolicy, leafHashes: tombstones.map(tombstoneLeafHash) };
}

const writers = new WeakMap<object, ReturnType<typeof prepareTombstoneWriter>>();
function tombstoneWriter(ctx: Context): ReturnType<typeof prepareTombstoneWriter> {
  let w = writers.get(ctx.sqlite);
  if (!w) {
    w = prepareTombstoneWriter(ctx.db, ctx.sqlite);
    writers.set(ctx.sqlite, w);
  }
  return w;
}

/**
 * Drops the tokens of disposed records from the full-text index now, when a disposal left them
 * (repositories/disposition.ts INDEX_PURGE_PENDING_KEY): FTS5 `optimize`, one write transaction
 * (~0.6 s at 200,000 records). The sweep does it when it completes; an erasure request right after
 * it is executed; the background job of `serve` / `work` hourly, for approved reviews and for
 * stores that run no sweep. Audited `search.index_purged` with what asked for it.
 */
export async function purgeIndexNow(ctx: Context, subject: string, details: Record<string, unknown> = {}): Promise<boolean> {
  return ctx.db.transaction().execute(async (trx) => {
    if (!(await purgeIndexTokens(trx))) return false;
    await appendAudit(ctx, trx, { action: 'search.index_purged', subject, details });
    return true;
  });
}

/** After a disposal transaction committed: delete freed blob files and retire backup bucket keys (both idempotent, both finished by the next call after a crash). */
export async function afterDisposal(ctx: Context, options: { lockHeld?: boolean } = {}): Promise<number> {
  const files = await purgeDisposedBlobs(ctx, options);
  await applyBucketRetirements(ctx);
  return files;
}

/**
 * Deletes the files of blobs whose last reference was disposed (queued in blob_purges by the
 * disposal transaction), after that transaction committed. Runs under the writer lock, so no
 * import is between looking a blob up and referencing it; a blob that was referenced again
 * meanwhile (its row exists again) keeps its file. Without the lock (an import runs) it does
 * nothing and the next purge finishes the work. Returns the number of files deleted.
 */
export async function purgeDisposedBlobs(ctx: Context, options: { lockHeld?: boolean } = {}): Promise<number> {
  let release: (() => void) | undefined;
  if (!options.lockHeld) {
    try {
      release = acquireWriterLock(ctx.config.dataDir);
    } catch (e) {
      if (isAppError(e) && e.code === 'store.busy') return 0;
      throw e;
    }
  }
  let deleted = 0;
  try {
    for (;;) {
      const ids = await pendingBlobPurges(ctx.db, 1000);
      if (ids.length === 0) break;
      const referenced = await blobRowsExisting(ctx.db, ids);
      for (const id of ids) {
        if (referenced.has(id)) continue;
        await ctx.blobs.delete(id);
        deleted++;
      }
      await deleteBlobPurges(ctx.db, ids);
      if (ids.length < 1000) break;
    }
  } finally {
    release?.();
  }
  return deleted;
}
