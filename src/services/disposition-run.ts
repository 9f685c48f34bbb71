import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { Context } from '../context.js';
import { startCheckpointer, type Checkpointer } from '../db/checkpointer.js';
import { acquireWriterLock } from '../db/writer-lock.js';
import type { Database } from '../db/schema.js';
import { appendLeaf, decodeFrontier, emptyFrontier, encodeFrontier, type Frontier } from '../domain/merkle.js';
import { firstKeyOf } from '../domain/message-key.js';
import { subtractDuration } from '../domain/retention-duration.js';
import { decideRetention, type RetentionDecision } from '../domain/retention.js';
import { AppError, isAppError, usageError } from '../errors.js';
import {
  createRun, findRun, lastCompletedRun, listRuns, type SWEEP_TRIGGERS, queueReviews, resumableRun, reviewStateInRange, runningDryRuns, runningRealRuns, updateRun, type RunRow,
} from '../repositories/disposition.js';
import { appendAudit } from './audit.js';
import { writeCertificate } from './disposition-certificates.js';
import { wormState, type WormState } from './disposition-worm.js';
import { afterDisposal, disposeRecords, purgeDisposedBlobs, purgeIndexNow } from './disposition.js';
import { createFactsReader, type FactsRow } from '../repositories/retention-facts.js';
import { loadRetentionRules, resolveHoldText, rulesVersion, type RetentionRules } from './retention-rules.js';
import { processAlive } from '../file-system.js';
import { deleteMeta, readMeta, RESTORED_PAUSE_KEY } from '../repositories/meta.js';

/**
 * The disposition sweep (`wekeep retention run`, the daily job, POST /retention/runs).
 *
 * Candidates are read in key (= time) order from the run's cursor up to the newest record that any
 * policy maximum could have reached at `now`. Each batch is ONE write transaction whose first
 * statement writes (so SQLite's writer lock is taken before anything is read), then: re-reads the
 * rules version and reloads the rules if a policy or hold changed, resolves hold text queries for
 * the batch's key range, decides each record (decideRetention), disposes the `delete` ones
 * (disposeRecords), queues the `review` ones, counts, and advances the cursor. A hold committed
 * before a batch's transaction therefore protects that batch's records; SQLite serializes writers.
 *
 * A real run holds the writer lock (no import runs meanwhile), is bounded in time (maxDurationMs:
 * it then stops as `interrupted`), and is resumable: a run left `running` by a dead process, or
 * stopped by its time bound, is continued from its cursor by the next run, under the same id. A
 * run that completes (or fails after disposing of something) writes its certificate into the
 * audit log. A dry run decides and counts only: it changes nothing but its own run row (and one
 * audit event saying it ran).
 */

export const DEFAULT_DISPOSITION_BATCH = 5000;
/**
 * Other writers (a hold being placed, a review decided) wait for the batch in progress through
 * SQLite's busy handler, which polls with sleeps of up to 100 ms: back-to-back batches would leave
 * them only millisecond gaps. So a sweep pauses this long every YIELD_EVERY_MS.
 */
const YIELD_EVERY_MS = 2000;
const YIELD_PAUSE_MS = 150;
/** Page cache of a sweeping connection (negative: KiB). */
const SWEEP_CACHE_KIB = -131072;
/** The daily job runs when the last completed run is older than this. */
export const RUN_INTERVAL_MS = 24 * 3_600_000;
/** No completed run for this long while policies with a maximum are enabled: an alert. */
export const OVERDUE_AFTER_MS = 26 * 3_600_000;
/**
 * How long the first policy with a maximum may wait for its first run before the alert: the daily
 * job looks every hour (jobs/background.ts), so a run that has not happened after two is missing.
 */
export const FIRST_RUN_GRACE_MS = 2 * 3_600_000;

/** What started a sweep run. Runs of `review` and `erasure` disposals have those triggers instead (disposition-certificates.ts certifiedDisposal). */
export type RunTrigger = (typeof SWEEP_TRIGGERS)[number];

export interface PolicyCounts {
  disposed: number;
  queued: number;
  /** Due, but an active legal hold keeps them. */
  keptByHold: number;
  /** Due, but an open privacy request freezes them. */
  keptByPrivacy: number;
  /** Records whose floor ends after their ceiling (kept until the floor). */
  conflicts: number;
  errors: number;
}

export interface RunCounts {
  examined: number;
  disposed: number;
  queued: number;
  /** `review` records that already had an open review item. */
  alreadyQueued: number;
  /** `review` records whose disposal review approved keeping them (for this policy version). */
  retainedByReview: number;
  keptByHold: number;
  keptByPrivacy: number;
  conflicts: number;
  errors: number;
  bytesFreed: number;
  blobsDeleted: number;
  batches: number;
  durationMs: number;
  /** Per policy id. */
  perPolicy: Record<string, PolicyCounts>;
  /** The time bound stopped the run (it is continued by the next run). */
  stoppedEarly: boolean;
}

export interface RunProgress {
  runId: number;
  cursor: number;
  examined: number;
  disposed: number;
  queued: number;
}

export interface RunOptions {
  dryRun: boolean;
  /** The instant to decide at (default: the clock). Under WORM it cannot be in the future. */
  now?: number | undefined;
  batchSize?: number | undefined;
  maxDurationMs?: number | undefined;
  trigger: RunTrigger;
  onProgress?: ((p: RunProgress) => void) | undefined;
}

export interface RunView {
  id: number;
  status: RunRow['status'];
  dryRun: boolean;
  trigger: string;
  actor: string;
  startedAt: string;
  finishedAt: string | null;
  now: string;
  cursor: number | null;
  resumes: number;
  error: string | null;
  counts: RunCounts | null;
}

export interface RunSummary extends RunView {
  /** The run continued one left interrupted (from its cursor). */
  resumed: boolean;
  certificate: { merkleRoot: string; tombstones: number; auditSeq: number } | null;
}

export const emptyPolicyCounts = (): PolicyCounts => ({ disposed: 0, queued: 0, keptByHold: 0, keptByPrivacy: 0, conflicts: 0, errors: 0 });
export const emptyRunCounts = (): RunCounts => ({
  examined: 0, disposed: 0, queued: 0, alreadyQueued: 0, retainedByReview: 0, keptByHold: 0, keptByPrivacy: 0, conflicts: 0, errors: 0, bytesFreed: 0, blobsDeleted: 0,
  batches: 0, durationMs: 0, perPolicy: {}, stoppedEarly: false,
});

/** The data dir's writer lock; busy (an import, another run) is a 409 for the API, exit 1 for the CLI. */
function takeWriterLock(ctx: Context): () => void {
  try {
    return acquireWriterLock(ctx.config.dataDir);
  } catch (e) {
    if (isAppError(e) && e.code === 'store.busy') throw new AppError('store.busy', 'an import or another disposition run is writing to this store; try again when it has finished', { exitCode: 1, status: 409 });
    throw e;
  }
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(Number(ms)).toISOString());

/** A run row that says `running` although its process is gone (kill -9, power loss) is shown as interrupted; the next run marks it so and continues it. */
export function runView(r: RunRow): RunView {
  const dead = r.status === 'running' && (r.pid === null || !processAlive(r.pid));
  return {
    id: r.id, status: dead ? 'interrupted' : r.status, dryRun: r.dry_run === 1, trigger: r.trigger, actor: r.actor, startedAt: iso(r.started_at)!, finishedAt: iso(r.finished_at),
    now: iso(r.now_ms)!, cursor: r.cursor === null ? null : Number(r.cursor), resumes: Number(r.resumes), error: dead ? 'the process running it stopped' : r.error,
    counts: r.counts === null ? null : { ...emptyRunCounts(), ...(JSON.parse(r.counts) as Partial<RunCounts>) },
  };
}

/** What the run knows of each policy besides the domain object (for review versions and certificates). */
export interface PolicyMeta {
  id: number;
  name: string;
  version: number;
  min: string | null;
  max: string | null;
  action: string;
  locked: boolean;
  enabled: boolean;
}

export async function loadPolicyMeta(db: Kysely<Database>): Promise<Map<number, PolicyMeta>> {
  const rows = await db.selectFrom('retention_policies').select(['id', 'name', 'version', 'min', 'max', 'action', 'locked', 'enabled']).orderBy('id').execute();
  return new Map(rows.map((p) => [p.id, { id: p.id, name: p.name, version: p.version, min: p.min, max: p.max, action: p.action, locked: p.locked === 1, enabled: p.enabled === 1 }]));
}

/** Exclusive upper key of the candidates: after the newest record any enabled maximum has reached at `now`; 0 when no policy has one. */
export function candidateEndKey(rules: RetentionRules, now: number): number {
  let latest: number | undefined;
  for (const p of rules.policies) {
    if (!p.enabled || p.max === undefined) continue;
    const t = subtractDuration(now, p.max);
    if (latest === undefined || t > latest) latest = t;
  }
  return latest === undefined ? 0 : firstKeyOf(latest + 1);
}

interface SweepState {
  runId: number;
  dryRun: boolean;
  now: number;
  cursor: number;
  rules: RetentionRules;
  meta: Map<number, PolicyMeta>;
  endKey: number;
  counts: RunCounts;
  batchSize: number;
  /** Merkle frontier over the run's tombstones so far. */
  frontier: Frontier;
}

const policyCounts = (c: RunCounts, id: number | undefined): PolicyCounts => {
  const k = id === undefined ? 'none' : String(id);
  let p = c.perPolicy[k];
  if (!p) {
    p = emptyPolicyCounts();
    c.perPolicy[k] = p;
  }
  return p;
};

/** One batch: decide, dispose, queue, count, advance. Runs inside a write transaction (real runs) or on the plain connection (dry runs). */
async function sweepBatch(ctx: Context, db: Kysely<Database>, s: SweepState, reader: ReturnType<typeof createFactsReader>): Promise<boolean> {
  if (!s.dryRun) await updateRun(db, s.runId, { heartbeat_at: ctx.clock.now() }); // first statement writes: SQLite's writer lock before any read
  const version = await rulesVersion(db);
  if (version !== s.rules.version) {
    s.rules = await loadRetentionRules(db, ctx.config.timeZone);
    s.meta = await loadPolicyMeta(db);
    s.endKey = candidateEndKey(s.rules, s.now);
  }
  const rows = s.cursor + 1 < s.endKey ? await reader.read(s.cursor, s.batchSize, s.endKey) : [];
  if (rows.length === 0) return true;
  const lo = rows[0]!.key;
  const hi = rows[rows.length - 1]!.key;
  const holds = await resolveHoldText(db, s.rules.holds, lo, hi);
  const reviews = await reviewStateInRange(db, lo, hi);
  const c = s.counts;
  const toDelete: FactsRow[] = [];
  const decisions = new Map<number, RetentionDecision>();
  const toQueue: { messageKey: number; policyId: number; policyVersion: number; runId: number; queuedAt: number }[] = [];
  const queuedAt = ctx.clock.now();
  for (const row of rows) {
    c.examined++;
    let d: RetentionDecision;
    try {
      d = decideRetention(row, s.rules.policies, holds, s.now);
    } catch (e) {
      c.errors++;
      policyCounts(c, undefined).errors++;
      ctx.log.warn({ runId: s.runId, key: row.key, code: (e as { code?: unknown }).code ?? 'unexpected' }, 'disposition: a record could not be decided');
      continue;
    }
    const policyId = d.ceiling?.policyId;
    if (d.conflict) {
      c.conflicts++;
      policyCounts(c, policyId).conflicts++;
    }
    if (d.fate === 'delete') {
      toDelete.push(row);
      decisions.set(row.key, d);
      policyCounts(c, policyId).disposed++;
    } else if (d.fate === 'review') {
      const version = s.meta.get(policyId!)?.version ?? 0;
      if (reviews.open.has(row.key)) c.alreadyQueued++;
      else if (reviews.retained.get(row.key)?.some((r) => r.policyId === policyId && r.policyVersion === version)) c.retainedByReview++;
      else {
        toQueue.push({ messageKey: row.key, policyId: policyId!, policyVersion: version, runId: s.runId, queuedAt });
        policyCounts(c, policyId).queued++;
      }
    } else if (d.disposeAt !== undefined && d.disposeAt <= s.now) {
      if (d.keepReason === 'hold') {
        c.keptByHold++;
        policyCounts(c, policyId).keptByHold++;
      } else if (d.keepReason === 'privacy-request') {
        c.keptByPrivacy++;
        policyCounts(c, policyId).keptByPrivacy++;
      }
    }
  }
  if (s.dryRun) {
    c.disposed += toDelete.length;
    c.queued += toQueue.length;
  } else {
    const result = await disposeRecords(ctx, db, toDelete, {
      reason: 'policy', runId: s.runId, rules: { ...s.rules, holds }, decisions, policyIdOf: (r) => decisions.get(r.key)?.ceiling?.policyId ?? null,
    });
    c.disposed += result.count;
    c.bytesFreed += result.bytesFreed;
    c.blobsDeleted += result.blobsDeleted;
    for (const h of result.leafHashes) appendLeaf(s.frontier, h);
    const queued = await queueReviews(db, toQueue);
    c.queued += queued;
    if (queued > 0) {
      await appendAudit(ctx, db, { action: 'retention.reviews_queued', subject: `disposition-run:${s.runId}`, details: { runId: s.runId, count: queued, firstKey: toQueue[0]!.messageKey, lastKey: toQueue[toQueue.length - 1]!.messageKey } });
    }
  }
  c.batches++;
  s.cursor = hi;
  if (!s.dryRun) await updateRun(db, s.runId, { cursor: s.cursor, counts: JSON.stringify(c), merkle_frontier: encodeFrontier(s.frontier), tombstone_count: s.frontier.size });
  return rows.length < s.batchSize;
}

/** Runs (or continues) a disposition. Returns the run's summary; throws after marking the run failed. */
export async function runDisposition(ctx: Context, options: RunOptions): Promise<RunSummary> {
  const startedAt = ctx.clock.now();
  const t0 = performance.now();
  const now = options.now ?? startedAt;
  const batchSize = options.batchSize ?? DEFAULT_DISPOSITION_BATCH;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw usageError('retention.bad_batch', 'the batch size must be a positive integer');
  const worm = await wormState(ctx.db);
  // A later decision time would dispose records before their floor (and before their ceiling): only
  // a dry run may look ahead. WORM keeps its own code, which certificates and docs name.
  if (!options.dryRun && now > startedAt) {
    if (worm.enabled) throw usageError('worm.future_now', 'WORM mode: a disposition cannot decide at a time later than now');
    throw usageError('retention.future_now', 'a disposition cannot decide at a time later than now (it would dispose records before their retention floor); use --dry-run to look ahead');
  }
  const release = options.dryRun ? undefined : takeWriterLock(ctx);
  // Started when a real run goes past its first batch (small runs do not pay for a thread).
  let checkpointer: Checkpointer | undefined;
  // A larger page cache while sweeping: a batch's deletes dirty many pages; spilling them mid-transaction was measured to cost.
  const cacheSize = ctx.sqlite.pragma('cache_size', { simple: true }) as number;
  if (!options.dryRun) ctx.sqlite.pragma(`cache_size = ${SWEEP_CACHE_KIB}`);
  try {
    if (!options.dryRun) await purgeDisposedBlobs(ctx, { lockHeld: true }); // leftovers of an interrupted run
    const start = await ctx.db.transaction().execute(async (trx) => {
      for (const d of await runningDryRuns(trx)) {
        if (d.pid === null || !processAlive(d.pid)) await updateRun(trx, d.id, { status: 'interrupted', error: 'the process running it stopped' });
      }
      if (!options.dryRun) {
        // After a restore the schedule waits for a person (restoredPause); a run by hand is that person.
        const paused = await restoredPause(trx);
        if (paused && options.trigger === 'schedule') {
          throw new AppError('retention.paused_after_restore', `scheduled disposition waits after the restore of backup ${paused.backupId}: run \`wekeep retention run\` by hand once holds, policies and privacy requests are up to date`, { status: 409 });
        }
        if (paused) {
          await deleteMeta(trx, RESTORED_PAUSE_KEY);
          await appendAudit(ctx, trx, { action: 'retention.schedule_resumed', subject: `backup:${paused.backupId}`, details: { backupId: paused.backupId, snapshotAt: paused.snapshotAt, trigger: options.trigger } });
        }
        const dead = await runningRealRuns(trx);
        for (const d of dead) {
          await updateRun(trx, d.id, { status: 'interrupted', error: 'the process running it stopped' });
          await appendAudit(ctx, trx, { action: 'retention.run_interrupted', subject: `disposition-run:${d.id}`, details: { runId: d.id, cursor: d.cursor === null ? null : Number(d.cursor) } });
        }
        const resumable = await resumableRun(trx);
        if (resumable) {
          await updateRun(trx, resumable.id, { status: 'running', pid: process.pid, heartbeat_at: startedAt, now_ms: now, resumes: Number(resumable.resumes) + 1, finished_at: null, error: null });
          await appendAudit(ctx, trx, { action: 'retention.run_resumed', subject: `disposition-run:${resumable.id}`, details: { runId: resumable.id, cursor: resumable.cursor === null ? null : Number(resumable.cursor), trigger: options.trigger, now } });
          const prior = resumable.counts === null ? emptyRunCounts() : { ...emptyRunCounts(), ...(JSON.parse(resumable.counts) as Partial<RunCounts>) };
          const frontier = resumable.merkle_frontier === null ? emptyFrontier() : decodeFrontier(Number(resumable.tombstone_count), resumable.merkle_frontier);
          return { runId: resumable.id, cursor: resumable.cursor === null ? -1 : Number(resumable.cursor), counts: { ...prior, stoppedEarly: false }, resumed: true, frontier };
        }
      }
      const id = await createRun(trx, { startedAt, dryRun: options.dryRun, actor: ctx.actor, trigger: options.trigger, nowMs: now, cursor: null, pid: process.pid });
      if (!options.dryRun) await appendAudit(ctx, trx, { action: 'retention.run_started', subject: `disposition-run:${id}`, details: { runId: id, trigger: options.trigger, now } });
      return { runId: id, cursor: -1, counts: emptyRunCounts(), resumed: false, frontier: emptyFrontier() };
    });
    const rules = await loadRetentionRules(ctx.db, ctx.config.timeZone);
    const s: SweepState = {
      runId: start.runId, dryRun: options.dryRun, now, cursor: start.cursor, rules, meta: await loadPolicyMeta(ctx.db), endKey: candidateEndKey(rules, now), counts: start.counts, batchSize, frontier: start.frontier,
    };
    const priorDuration = s.counts.durationMs;
    const reader = createFactsReader(ctx);
    let batchesNow = 0;
    let lastPause = performance.now();
    try {
      for (;;) {
        // At least one batch per invocation: a run always makes progress, however short its bound.
        if (options.maxDurationMs !== undefined && batchesNow > 0 && performance.now() - t0 >= options.maxDurationMs) {
          s.counts.stoppedEarly = true;
          break;
        }
        const done = s.dryRun ? await sweepBatch(ctx, ctx.db, s, reader) : await ctx.db.transaction().execute((trx) => sweepBatch(ctx, trx, s, reader));
        batchesNow++;
        if (!s.dryRun && s.counts.blobsDeleted > 0) await purgeDisposedBlobs(ctx, { lockHeld: true });
        options.onProgress?.({ runId: s.runId, cursor: s.cursor, examined: s.counts.examined, disposed: s.counts.disposed, queued: s.counts.queued });
        if (done) break;
        if (!s.dryRun && checkpointer === undefined) {
          checkpointer = startCheckpointer(ctx.sqlite, { key: ctx.keys.dbKey, cipher: ctx.keys.dbCipher }, ctx.log);
        }
        if (!s.dryRun && performance.now() - lastPause >= YIELD_EVERY_MS) {
          await sleep(YIELD_PAUSE_MS);
          lastPause = performance.now();
        } else await nextTurn(); // let other work of this process (HTTP requests) in between batches
      }
    } catch (e) {
      s.counts.durationMs = priorDuration + Math.round(performance.now() - t0);
      const code = (e as { code?: unknown }).code;
      await ctx.db.transaction().execute(async (trx) => {
        await updateRun(trx, s.runId, { status: 'failed', finished_at: ctx.clock.now(), counts: JSON.stringify(s.counts), error: typeof code === 'string' ? code : 'unexpected' });
        await appendAudit(ctx, trx, { action: 'retention.run_failed', subject: `disposition-run:${s.runId}`, details: { runId: s.runId, code: typeof code === 'string' ? code : 'unexpected', disposed: s.counts.disposed } });
        if (!s.dryRun) await writeCertificate(ctx, trx, s.runId, { skipEmpty: true, worm });
      });
      throw e;
    }
    s.counts.durationMs = priorDuration + Math.round(performance.now() - t0);
    const finishedAt = ctx.clock.now();
    let certificate: RunSummary['certificate'] = null;
    await ctx.db.transaction().execute(async (trx) => {
      if (s.counts.stoppedEarly && !s.dryRun) {
        await updateRun(trx, s.runId, { status: 'interrupted', finished_at: finishedAt, counts: JSON.stringify(s.counts), cursor: s.cursor < 0 ? null : s.cursor });
        await appendAudit(ctx, trx, { action: 'retention.run_paused', subject: `disposition-run:${s.runId}`, details: { runId: s.runId, cursor: s.cursor, disposed: s.counts.disposed } });
        // What this invocation disposed is certified now (status `interrupted`, its decision time), not
        // only once a later invocation completes the run: that may never come. The last certificate of
        // a run covers all its tombstones; verify checks it.
        certificate = await writeCertificate(ctx, trx, s.runId, { skipEmpty: true, worm });
        return;
      }
      await updateRun(trx, s.runId, { status: 'completed', finished_at: finishedAt, counts: JSON.stringify(s.counts), cursor: s.cursor < 0 ? null : s.cursor });
      if (s.dryRun) {
        await appendAudit(ctx, trx, { action: 'retention.dry_run', subject: `disposition-run:${s.runId}`, details: { runId: s.runId, examined: s.counts.examined, wouldDispose: s.counts.disposed, wouldQueue: s.counts.queued } });
      } else {
        certificate = await writeCertificate(ctx, trx, s.runId, { skipEmpty: false, worm });
      }
    });
    if (!s.dryRun) {
      await afterDisposal(ctx, { lockHeld: true });
      // Completed: drop the disposed records' tokens from the index (also those of reviews and erasures since the last run).
      if (!s.counts.stoppedEarly) await purgeIndexNow(ctx, `disposition-run:${s.runId}`, { runId: s.runId });
    }
    const row = await findRun(ctx.db, s.runId);
    return { ...runView(row!), resumed: start.resumed, certificate };
  } finally {
    if (checkpointer) {
      const c = await checkpointer.stop();
      ctx.log.debug({ checkpoints: c.checkpoints, frames: c.frames, busyMs: Math.round(c.busyMs), failed: c.failed }, 'disposition: background checkpoints');
    }
    ctx.sqlite.pragma(`cache_size = ${Number(cacheSize)}`);
    release?.();
  }
}

// ---------------------------------------------------------------------------------------------
// Status

export interface RetentionStatus {
  generatedAt: string;
  worm: { enabled: boolean; enabledAt: string | null; enabledBy: string | null };
  enabledPolicies: number;
  policiesWithMaximum: number;
  lastRuns: RunView[];
  lastCompleted: RunView | null;
  running: RunView | null;
  /** When the daily job will run next (24 h after the last completed run; now when none). */
  nextRunDueAt: string | null;
  /**
   * Set after a restore until a disposition is run by hand: scheduled runs (and the erasure
   * follow-ups of the hourly job) wait, since holds, policies and privacy requests placed after the
   * backup's snapshot are not in it and must be entered again first.
   */
  pausedAfterRestore: { backupId: string; snapshotAt: string; restoredAt: string } | null;
  /**
   * Enabled policies set a maximum, and no run completed in the last 26 h; or none has completed
   * since the first of them was created more than 2 h ago (the hourly job should have run it).
   */
  overdue: boolean;
  alert: string | null;
  pendingReviews: number;
}

const wormView = (w: WormState): RetentionStatus['worm'] => ({ enabled: w.enabled, enabledAt: iso(w.enabledAt), enabledBy: w.enabledBy });

interface RestoredPause {
  backupId: string;
  snapshotAt: number;
  restoredAt: number;
}

/** The pause a restore left (RESTORED_PAUSE_KEY), if any. */
export async function restoredPause(db: Kysely<Database>): Promise<RestoredPause | undefined> {
  const value = await readMeta(db, RESTORED_PAUSE_KEY);
  return value === undefined ? undefined : (JSON.parse(value) as RestoredPause);
}

/** Whether a scheduled run is due (the daily job asks this every hour). */
export async function dispositionDue(ctx: Context): Promise<boolean> {
  if (await restoredPause(ctx.db)) return false;
  const withMax = await ctx.db.selectFrom('retention_policies').select('id').where('enabled', '=', 1).where('max', 'is not', null).limit(1).execute();
  if (withMax.length === 0) return false;
  const last = await lastCompletedRun(ctx.db);
  const resumable = await resumableRun(ctx.db);
  return resumable !== undefined || last === undefined || ctx.clock.now() - Number(last.finished_at ?? last.started_at) >= RUN_INTERVAL_MS;
}

export async function retentionStatus(ctx: Context): Promise<RetentionStatus> {
  const now = ctx.clock.now();
  const policies = await ctx.db.selectFrom('retention_policies').select(['enabled', 'max', 'created_at']).execute();
  const enabled = policies.filter((p) => p.enabled === 1);
  const maxima = enabled.filter((p) => p.max !== null);
  const withMax = maxima.length;
  const maximaSince = Math.min(...maxima.map((p) => Number(p.created_at)));
  const runs = (await listRuns(ctx.db, { limit: 10 })).map(runView);
  const lastCompletedRow = await lastCompletedRun(ctx.db);
  const lastCompleted = lastCompletedRow ? runView(lastCompletedRow) : null;
  const runningRow = (await listRuns(ctx.db, { limit: 1, dryRun: false, status: 'running' }))[0];
  const lastEnd = lastCompletedRow ? Number(lastCompletedRow.finished_at ?? lastCompletedRow.started_at) : undefined;
  // A run that ended before any of today's maxima existed does not count as their first run.
  const ranSinceMaxima = lastEnd !== undefined && lastEnd >= maximaSince;
  const overdue = withMax > 0 && (ranSinceMaxima ? now - lastEnd > OVERDUE_AFTER_MS : now - maximaSince > FIRST_RUN_GRACE_MS);
  const pending = await ctx.db.selectFrom('disposition_reviews').select((eb) => eb.fn.countAll<number>().as('n')).where('status', 'in', ['pending', 'proposed']).executeTakeFirstOrThrow();
  const paused = await restoredPause(ctx.db);
  let alert: string | null = null;
  if (paused) {
    alert = `restored from backup ${paused.backupId} (snapshot ${new Date(paused.snapshotAt).toISOString()}): scheduled disposition waits. Enter again the holds, policy changes and privacy requests made after the snapshot, then run \`wekeep retention run\` once by hand`;
  } else if (overdue) {
    alert = ranSinceMaxima
      ? `the last completed disposition run finished ${Math.floor((now - lastEnd) / 3_600_000)} h ago (more than 26 h)`
      : `no disposition run has completed ${lastEnd === undefined ? 'yet' : `since ${new Date(maximaSince).toISOString()}`} although ${withMax} enabled ${withMax === 1 ? 'policy sets' : 'policies set'} a maximum (for more than 2 h)`;
  }
  return {
    generatedAt: new Date(now).toISOString(),
    worm: wormView(await wormState(ctx.db)),
    enabledPolicies: enabled.length,
    policiesWithMaximum: withMax,
    lastRuns: runs,
    lastCompleted,
    running: runningRow && runView(runningRow).status === 'running' ? runView(runningRow) : null,
    nextRunDueAt: withMax === 0 ? null : new Date(lastEnd === undefined ? now : Math.max(now, lastEnd + RUN_INTERVAL_MS)).toISOString(),
    pausedAfterRestore: paused ? { backupId: paused.backupId, snapshotAt: new Date(paused.snapshotAt).toISOString(), restoredAt: new Date(paused.restoredAt).toISOString() } : null,
    overdue,
    alert,
    pendingReviews: Number(pending.n),
  };
}

export async function listDispositionRuns(ctx: Context, options: { limit?: number | undefined } = {}): Promise<RunView[]> {
  return (await listRuns(ctx.db, { limit: options.limit ?? 50 })).map(runView);
}
