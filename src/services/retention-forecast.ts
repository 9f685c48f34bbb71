import type { Context } from '../context.js';
import { firstKeyOf } from '../domain/message-key.js';
import { decideRetention, type LegalHold, type RetentionDecision, type RetentionPolicy } from '../domain/retention.js';
import { parseRetentionScope, scopeMatches } from '../domain/retention-scope.js';
import { appendAudit } from './audit.js';
import { applyChanges, draftPolicy, showPolicy, type PolicyChanges, type PolicyInput } from './policies.js';
import { attachmentBytes, createFactsReader, type FactsRow } from '../repositories/retention-facts.js';
import { loadRetentionRules, resolveHoldText } from './retention-rules.js';

/**
 * The live forecast (what each policy will dispose in the next 7/30/365 days) and the dry run of a
 * policy before it is saved (which records would change fate). Both are one pass over the records'
 * metadata in key order, deciding each with the same `decideRetention` the sweep uses.
 */

export const FORECAST_HORIZONS_DAYS = [7, 30, 365] as const;
const BATCH = 50_000;
const DAY = 86_400_000;

export interface ForecastCount {
  records: number;
  /** Attachment bytes (the message rows themselves are small). */
  bytes: number;
}

export interface PolicyForecast {
  policyId: number;
  name: string;
  action: 'delete' | 'review';
  /** Due already (the next run disposes or queues them). */
  dueNow: ForecastCount;
  /** Keyed by horizon in days: due within that many days from now (including those due now). */
  within: Record<string, ForecastCount>;
}

export interface RetentionForecast {
  at: number;
  records: number;
  policies: PolicyForecast[];
  /** Records that would be due but are kept by a legal hold. */
  held: ForecastCount;
  /** Records whose floor ends after their ceiling (kept until the floor): shown to the compliance officer. */
  conflicts: { records: number; byPolicies: { floorPolicyId: number; ceilingPolicyId: number; records: number }[] };
  /** Records under an open privacy request (frozen). */
  frozen: number;
  durationMs: number;
}

/**
 * Visits every record (metadata only, from the narrow retention index) with the active holds
 * resolved for its batch and a `decide` that memoizes which policies cover records of the same
 * shape (source, conversation, sender, recipients, type, attachment, recalled): the scope match is
 * computed once per shape, the dates once per record, by the one `decideRetention`. `afterBatch`
 * runs after each batch (to add attachment bytes of what was counted).
 */
async function forEachDecision(
  ctx: Context,
  rules: { policies: RetentionPolicy[]; holds: LegalHold[] },
  visit: (row: FactsRow, decide: (policies: RetentionPolicy[], now: number) => RetentionDecision) => void,
  options: { beforeKey?: number; afterBatch?: () => void } = {},
): Promise<number> {
  const reader = createFactsReader(ctx, { metadataOnly: true });
  let after = -1;
  let seen = 0;
  const needText = rules.holds.some((h) => h.scope?.hasText === true);
  const timed = (p: RetentionPolicy): boolean => p.scope.query?.afterMs !== undefined || p.scope.query?.beforeMs !== undefined;
  // Per policy list, per shape (the reader shares one FactsRow per shape): the policies whose scope covers it.
  const memo = new Map<RetentionPolicy[], WeakMap<FactsRow, RetentionPolicy[]>>();
  let holds = rules.holds;
  let current: FactsRow | undefined;
  const decide = (policies: RetentionPolicy[], now: number): RetentionDecision => {
    const r = current!;
    let perShape = memo.get(policies);
    if (perShape === undefined) memo.set(policies, (perShape = new WeakMap()));
    let covering = perShape.get(r);
    if (covering === undefined) {
      // Policies whose scope has a time filter stay in the list: decideRetention checks them per record.
      covering = policies.filter((p) => p.enabled && (timed(p) || scopeMatches(p.scope, r)));
      perShape.set(r, covering);
    }
    return decideRetention(r, covering, holds, now);
  };
  for (;;) {
    if (needText) {
      // The batch's key range is known only after reading it: peek at its bounds first.
      const bounds = ctx.sqlite.prepare(`SELECT min(id) AS lo, max(id) AS hi FROM (SELECT id FROM messages INDEXED BY messages_retention WHERE id > ? AND id < ? ORDER BY id LIMIT ?)`)
        .get(after, options.beforeKey ?? Number.MAX_SAFE_INTEGER, BATCH) as { lo: number | null; hi: number | null };
      if (bounds.lo === null || bounds.hi === null) break;
      holds = await resolveHoldText(ctx.db, rules.holds, bounds.lo, bounds.hi);
    }
    const { count, lastKey } = reader.scan(after, BATCH, options.beforeKey, (r) => {
      current = r;
      visit(r, decide);
    });
    if (count === 0) break;
    options.afterBatch?.();
    seen += count;
    after = lastKey;
    if (count < BATCH) break;
  }
  return seen;
}

/** Counters to credit with a record's attachment bytes once the batch is done. */
type PendingBytes = { key: number; counters: ForecastCount[] }[];

function creditBytes(ctx: Context, pending: PendingBytes): void {
  if (pending.length === 0) return;
  const sizes = attachmentBytes(ctx, [...new Set(pending.map((p) => p.key))]);
  for (const p of pending) for (const c of p.counters) c.bytes += sizes.get(p.key) ?? 0;
  pending.length = 0;
}

const zero = (): ForecastCount => ({ records: 0, bytes: 0 });
const count = (counters: ForecastCount[], r: FactsRow, pending: PendingBytes): void => {
  for (const c of counters) c.records++;
  if (r.hasAttachment) pending.push({ key: r.key, counters });
};

export async function forecastRetention(ctx: Context, options: { now?: number } = {}): Promise<RetentionForecast> {
  const started = Date.now();
  const now = options.now ?? ctx.clock.now();
  const rules = await loadRetentionRules(ctx.db, ctx.config.timeZone);
  const byPolicy = new Map<number, PolicyForecast>();
  for (const p of rules.policies) {
    if (!p.enabled || p.max === undefined) continue;
    byPolicy.set(p.id, { policyId: p.id, name: p.name, action: p.action, dueNow: zero(), within: Object.fromEntries(FORECAST_HORIZONS_DAYS.map((d) => [String(d), zero()])) });
  }
  const held = zero();
  let frozen = 0;
  const conflictPairs = new Map<string, { floorPolicyId: number; ceilingPolicyId: number; records: number }>();
  let conflicts = 0;
  const horizonEnd = now + FORECAST_HORIZONS_DAYS[FORECAST_HORIZONS_DAYS.length - 1]! * DAY;
  const pending: PendingBytes = [];
  const records = byPolicy.size === 0 ? 0 : await forEachDecision(ctx, rules, (r, decide) => {
    const d = decide(rules.policies, now);
    if (d.conflict && d.floor && d.ceiling) {
      conflicts++;
      const k = `${d.floor.policyId}:${d.ceiling.policyId}`;
      const e = conflictPairs.get(k) ?? { floorPolicyId: d.floor.policyId, ceilingPolicyId: d.ceiling.policyId, records: 0 };
      e.records++;
      conflictPairs.set(k, e);
    }
    if (d.disposeAt === undefined || d.ceiling === undefined || d.disposeAt > horizonEnd) return;
    if (d.keepReason === 'hold') return count([held], r, pending);
    if (d.keepReason === 'privacy-request') {
      frozen++;
      return;
    }
    const f = byPolicy.get(d.ceiling.policyId);
    if (f === undefined) return;
    const counters = FORECAST_HORIZONS_DAYS.filter((days) => d.disposeAt! <= now + days * DAY).map((days) => f.within[String(days)]!);
    if (d.disposeAt <= now) counters.push(f.dueNow);
    count(counters, r, pending);
  }, { beforeKey: firstKeyOf(horizonEnd) + 1, afterBatch: () => creditBytes(ctx, pending) });
  return {
    at: now, records, policies: [...byPolicy.values()], held,
    conflicts: { records: conflicts, byPolicies: [...conflictPairs.values()] }, frozen, durationMs: Date.now() - started,
  };
}

export interface FateChange {
  source: string;
  id: string;
  timeMs: number;
  type: string;
  before: { fate: RetentionDecision['fate']; disposeAt: number | null; keepReason: string | null };
  after: { fate: RetentionDecision['fate']; disposeAt: number | null; keepReason: string | null };
}

export interface PolicyDryRun {
  /** The policy as it would be saved. */
  policy: { name: string; scope: string; min: string | null; max: string | null; action: string; locked: boolean; enabled: boolean };
  /** Records whose fate now changes (kept → disposed or queued, or the reverse). */
  changedNow: number;
  /** Records whose disposal date changes within the next 365 days. */
  changedWithinYear: number;
  /** Records that would become due now, with their attachment bytes. */
  newlyDue: ForecastCount;
  /** Records that would stop being due now. */
  noLongerDue: ForecastCount;
  /** Newly in conflict (floor after ceiling). */
  newConflicts: number;
  /** Up to `sample` changed records (identity and metadata only, no content). */
  examples: FateChange[];
  durationMs: number;
}

const view = (d: RetentionDecision): FateChange['before'] => ({ fate: d.fate, disposeAt: d.disposeAt ?? null, keepReason: d.keepReason ?? null });

/** The record ids (source-local) of the examples: the metadata-only pass does not read them. */
function identify(ctx: Context, examples: (Omit<FateChange, 'id'> & { key: number })[]): FateChange[] {
  const ext = ctx.sqlite.prepare('SELECT ext_id FROM messages WHERE id = ?').pluck();
  return examples.map(({ key, ...e }) => ({ ...e, id: String(ext.get(key) ?? '') }));
}

/**
 * Which records would change fate if a policy were saved: a new one (`input`) or changes to an
 * existing one (`ref` + `changes`). Nothing is saved; the dry run itself is audited (it reads
 * metadata of the whole archive).
 */
export async function dryRunPolicy(
  ctx: Context,
  what: { input: PolicyInput } | { ref: string | number; changes: PolicyChanges },
  options: { now?: number; sample?: number } = {},
): Promise<PolicyDryRun> {
  const started = Date.now();
  const now = options.now ?? ctx.clock.now();
  const sample = options.sample ?? 50;
  const rules = await loadRetentionRules(ctx.db, ctx.config.timeZone);
  let id = 0;
  let draft: ReturnType<typeof applyChanges>;
  if ('input' in what) {
    draft = { ...draftPolicy(what.input, ctx.config.timeZone), enabled: true };
  } else {
    const before = await showPolicy(ctx, what.ref);
    id = before.id;
    draft = applyChanges(before, what.changes, ctx.config.timeZone);
  }
  const candidate: RetentionPolicy = {
    id, name: draft.name, scope: parseRetentionScope(draft.scope, { allowText: false, timeZone: ctx.config.timeZone }),
    min: draft.min, max: draft.max, action: draft.action, enabled: draft.enabled, locked: draft.locked,
  };
  const afterPolicies = id === 0 ? [...rules.policies, candidate] : rules.policies.map((p) => (p.id === id ? candidate : p));
  const result: PolicyDryRun = {
    policy: { name: draft.name, scope: draft.scope, min: draft.min ? `${draft.min.amount}${draft.min.unit}` : null, max: draft.max ? `${draft.max.amount}${draft.max.unit}` : null, action: draft.action, locked: draft.locked, enabled: draft.enabled },
    changedNow: 0, changedWithinYear: 0, newlyDue: zero(), noLongerDue: zero(), newConflicts: 0, examples: [], durationMs: 0,
  };
  const examples: (Omit<FateChange, 'id'> & { key: number })[] = [];
  const yearEnd = now + 365 * DAY;
  const pending: PendingBytes = [];
  await forEachDecision(ctx, rules, (r, decide) => {
    const a = decide(rules.policies, now);
    const b = decide(afterPolicies, now);
    const fateChanged = a.fate !== b.fate;
    const dateChanged = a.disposeAt !== b.disposeAt && Math.min(a.disposeAt ?? Infinity, b.disposeAt ?? Infinity) <= yearEnd;
    if (fateChanged) result.changedNow++;
    if (dateChanged) result.changedWithinYear++;
    if (a.fate === 'keep' && b.fate !== 'keep') count([result.newlyDue], r, pending);
    if (a.fate !== 'keep' && b.fate === 'keep') count([result.noLongerDue], r, pending);
    if (b.conflict && !a.conflict) result.newConflicts++;
    if ((fateChanged || dateChanged) && examples.length < sample) examples.push({ key: r.key, before: view(a), after: view(b), type: r.type, timeMs: r.timeMs, source: r.source });
  }, { afterBatch: () => creditBytes(ctx, pending) });
  result.examples = identify(ctx, examples);
  result.durationMs = Date.now() - started;
  await appendAudit(ctx, ctx.db, { action: 'retention.policy_dry_run', subject: id === 0 ? undefined : `policy:${id}`, details: { ...result.policy, changedNow: result.changedNow, changedWithinYear: result.changedWithinYear } });
  return result;
}
