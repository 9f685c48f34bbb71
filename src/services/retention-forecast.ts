import type { Context } from '../context.js';
import { firstKeyOf, timeOfKey } from '../domain/message-key.js';
import { decideRetention, type LegalHold, type RetentionDecision, type RetentionPolicy } from '../domain/retention.js';
import { retentionCuts } from '../domain/retention-cuts.js';
import { parseRetentionScope, scopeMatches } from '../domain/retention-scope.js';
import { appendAudit } from './audit.js';
import { applyChanges, assertChangeAllowed, draftPolicy, scopeZone, showPolicy, type PolicyChanges, type PolicyInput } from './policies.js';
import { attachmentBytes, createFactsReader, type FactsReader, type FactsRow, type RecordShape } from '../repositories/retention-facts.js';
import { loadRetentionRules, resolveHoldText } from './retention-rules.js';

/**
 * The live forecast (what each policy will dispose in the next 7/30/365 days) and the dry run of a
 * policy before it is saved (which records would change fate). Both decide with the same
 * `decideRetention` the sweep uses, once per group of records that must share every decision
 * (forEachGroup below), so a million records cost one SQLite pass and some thousands of decisions.
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

/** Decides the visited facts under a list of policies (memoizing which policies cover its shape). */
type Decide = (policies: RetentionPolicy[], now: number) => RetentionDecision;

/** Where a visited group of records is: one shape's records with keys in [lo, hi), or one record. */
type GroupAt = { shape: RecordShape; lo: number; hi: number } | { key: number };

/**
 * Visited once per group of records that share every decision: `n` records (negative: a group's
 * count corrected for records that the text of a hold decides one by one) like `facts`.
 */
type GroupVisit = (facts: FactsRow, n: number, at: GroupAt, decide: Decide) => void;

/**
 * Visits every record with keys below `beforeKey` (metadata only) as groups that share every
 * decision over `ruleSets` (lists of policies, with `rules.holds`) at the `horizons` (instants that
 * decisions are compared to). Returns how many records there were.
 *
 * The grouped pass (docs/retention.md, "How the forecast counts"): retentionCuts gives the instants
 * where a decision can change; SQLite counts records per shape and interval between them in one
 * streaming GROUP BY over messages_shape; each shape × interval is decided once, at the interval's
 * start, by the same decideRetention the sweep uses. Holds with words to search for are resolved by
 * the index: the records they match are decided one by one (their group's count corrected). When
 * two policy durations make decisions vary from month to month (`1m` against `30d`), every record
 * is decided on its own instead (the record-by-record pass).
 */
async function forEachGroup(
  ctx: Context,
  rules: { policies: RetentionPolicy[]; holds: LegalHold[] },
  ruleSets: RetentionPolicy[][],
  horizons: number[],
  visit: GroupVisit,
  options: { beforeKey?: number; perRecord?: boolean } = {},
): Promise<number> {
  const reader = createFactsReader(ctx, { metadataOnly: true });
  const decider = makeDecider();
  const allPolicies = [...new Set(ruleSets.flat())];
  const cuts = options.perRecord === true ? undefined : retentionCuts(allPolicies, rules.holds, horizons);
  if (cuts === undefined) return forEachRecord(ctx, reader, decider, rules, visit, options.beforeKey);
  const range = reader.keyRange(-1, options.beforeKey);
  if (range === undefined) return 0;
  const minKey = range.lo;
  const endKey = range.hi + 1;
  const cutKeys = [...new Set(cuts.map(firstKeyOf).filter((k) => k > minKey && k < endKey))];
  const textHolds = rules.holds.filter((h) => h.active && h.scope?.hasText === true);
  // Outside the records a text hold matches, it matches nothing: the groups are decided with empty matches.
  const none = new Set<number>();
  const groupHolds = rules.holds.map((h) => (textHolds.includes(h) ? { ...h, textMatches: none } : h));
  const total = reader.groups(cutKeys, endKey, (facts, counts, shape, keys) => {
    const decide = decider(facts, groupHolds);
    for (let i = 0; i < counts.length; i++) {
      const n = counts[i]!;
      if (n === 0) continue;
      // The interval, narrowed to the group's keys (a conversation an external party joined midway).
      const lo = Math.max(i === 0 ? minKey : cutKeys[i - 1]!, keys.lo);
      const hi = Math.min(i === cutKeys.length ? endKey : cutKeys[i]!, keys.hi);
      facts.key = lo;
      facts.timeMs = timeOfKey(lo);
      visit(facts, n, { shape, lo, hi }, decide);
    }
  });
  if (textHolds.length > 0) {
    const resolved = await resolveHoldText(ctx.db, rules.holds, minKey, endKey - 1);
    const special = new Set<number>();
    for (const h of resolved) for (const k of h.textMatches ?? []) special.add(k);
    reader.readKeys([...special], (facts) => {
      visit(facts, -1, { key: facts.key }, decider(facts, groupHolds));
      visit(facts, 1, { key: facts.key }, decider(facts, resolved));
    });
  }
  return total;
}

/** A decide function per visited facts and hold list, with the policies covering each shape memoized. */
function makeDecider(): (facts: FactsRow, holds: readonly LegalHold[]) => Decide {
  const timed = (p: RetentionPolicy): boolean => p.scope.query?.afterMs !== undefined || p.scope.query?.beforeMs !== undefined;
  // Per policy list, per facts object (one per shape): the policies whose scope covers it.
  const memo = new Map<RetentionPolicy[], WeakMap<FactsRow, RetentionPolicy[]>>();
  return (facts, holds) => (policies, now) => {
    let perShape = memo.get(policies);
    if (perShape === undefined) memo.set(policies, (perShape = new WeakMap()));
    let covering = perShape.get(facts);
    if (covering === undefined) {
      // Policies whose scope has a time filter stay in the list: decideRetention checks them per record.
      covering = policies.filter((p) => p.enabled && (timed(p) || scopeMatches(p.scope, facts)));
      perShape.set(facts, covering);
    }
    return decideRetention(facts, covering, holds, now);
  };
}

/**
 * The record-by-record pass: every record in key order, with the holds' text resolved per batch.
 * Records of the same shape share one FactsRow (so the covering policies are computed per shape).
 */
async function forEachRecord(
  ctx: Context,
  reader: FactsReader,
  decider: ReturnType<typeof makeDecider>,
  rules: { holds: LegalHold[] },
  visit: GroupVisit,
  beforeKey: number | undefined,
): Promise<number> {
  let after = -1;
  let seen = 0;
  const needText = rules.holds.some((h) => h.scope?.hasText === true);
  let holds = rules.holds;
  for (;;) {
    if (needText) {
      // The batch's key range is known only after reading it: peek at its bounds first.
      const bounds = reader.keyRange(after, beforeKey, BATCH);
      if (bounds === undefined) break;
      holds = await resolveHoldText(ctx.db, rules.holds, bounds.lo, bounds.hi);
    }
    const { count: visited, lastKey } = reader.scan(after, BATCH, beforeKey, (r) => visit(r, 1, { key: r.key }, decider(r, holds)));
    if (visited === 0) break;
    seen += visited;
    after = lastKey;
    if (visited < BATCH) break;
  }
  return seen;
}

/** Counters to credit with the attachment bytes of a counted group (times `n`) once the pass is done. */
type PendingBytes = { at: GroupAt; n: number; counters: ForecastCount[] }[];

function creditBytes(ctx: Context, pending: PendingBytes): void {
  if (pending.length === 0) return;
  const reader = createFactsReader(ctx, { metadataOnly: true });
  const single = attachmentBytes(ctx, [...new Set(pending.flatMap((p) => ('key' in p.at ? [p.at.key] : [])))]);
  for (const p of pending) {
    const bytes = 'key' in p.at ? (single.get(p.at.key) ?? 0) : reader.shapeBytes(p.at.shape, p.at.lo, p.at.hi);
    for (const c of p.counters) c.bytes += Math.sign(p.n) * bytes;
  }
  pending.length = 0;
}

const zero = (): ForecastCount => ({ records: 0, bytes: 0 });
const count = (counters: ForecastCount[], r: FactsRow, n: number, at: GroupAt, pending: PendingBytes): void => {
  for (const c of counters) c.records += n;
  if (r.hasAttachment) pending.push({ at, n, counters });
};

/**
 * What each policy disposes in the next 7/30/365 days. `perRecord` forces the record-by-record
 * pass (the reference the grouped pass is tested against).
 */
export async function forecastRetention(ctx: Context, options: { now?: number; perRecord?: boolean } = {}): Promise<RetentionForecast> {
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
  const horizons = [now, ...FORECAST_HORIZONS_DAYS.map((days) => now + days * DAY)];
  const records = byPolicy.size === 0 ? 0 : await forEachGroup(ctx, rules, [rules.policies], horizons, (r, n, at, decide) => {
    const d = decide(rules.policies, now);
    if (d.conflict && d.floor && d.ceiling) {
      conflicts += n;
      const k = `${d.floor.policyId}:${d.ceiling.policyId}`;
      const e = conflictPairs.get(k) ?? { floorPolicyId: d.floor.policyId, ceilingPolicyId: d.ceiling.policyId, records: 0 };
      e.records += n;
      conflictPairs.set(k, e);
    }
    if (d.disposeAt === undefined || d.ceiling === undefined || d.disposeAt > horizonEnd) return;
    if (d.keepReason === 'hold') return count([held], r, n, at, pending);
    if (d.keepReason === 'privacy-request') {
      frozen += n;
      return;
    }
    const f = byPolicy.get(d.ceiling.policyId);
    if (f === undefined) return;
    const counters = FORECAST_HORIZONS_DAYS.filter((days) => d.disposeAt! <= now + days * DAY).map((days) => f.within[String(days)]!);
    if (d.disposeAt <= now) counters.push(f.dueNow);
    count(counters, r, n, at, pending);
  }, { beforeKey: firstKeyOf(horizonEnd) + 1, perRecord: options.perRecord });
  creditBytes(ctx, pending);
  for (const [k, e] of conflictPairs) if (e.records === 0) conflictPairs.delete(k);
  return {
    at: now, records, policies: [...byPolicy.values()], held,
    conflicts: { records: conflicts, byPolicies: [...conflictPairs.values()] }, frozen, durationMs: Date.now() - started,
  };
}

/** How many archived records one hold covers (grouped like the forecast; the hold's text resolved by the index). */
export async function countHoldCoverage(ctx: Context, hold: LegalHold): Promise<number> {
  let covered = 0;
  const noPolicies: RetentionPolicy[] = [];
  await forEachGroup(ctx, { policies: noPolicies, holds: [hold] }, [noPolicies], [], (_r, n, _at, decide) => {
    if (decide(noPolicies, 0).keepReason === 'hold') covered += n;
  });
  return covered;
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
 * Up to `sample` changed records from the changed groups, each decided on its own (exact dates;
 * the holds' text resolved for them), in the order the groups were found.
 */
async function drawExamples(
  ctx: Context,
  rules: { policies: RetentionPolicy[]; holds: LegalHold[] },
  afterPolicies: RetentionPolicy[],
  changed: GroupAt[],
  now: number,
  yearEnd: number,
  sample: number,
): Promise<(Omit<FateChange, 'id'> & { key: number })[]> {
  const reader = createFactsReader(ctx, { metadataOnly: true });
  const keys = [...new Set(changed.flatMap((at) => ('key' in at ? [at.key] : reader.shapeKeys(at.shape, at.lo, at.hi, sample))))];
  if (keys.length === 0) return [];
  const holds = await resolveHoldText(ctx.db, rules.holds, Math.min(...keys), Math.max(...keys));
  const decider = makeDecider();
  const out: (Omit<FateChange, 'id'> & { key: number })[] = [];
  reader.readKeys(keys, (r) => {
    if (out.length >= sample) return;
    const decide = decider(r, holds);
    const a = decide(rules.policies, now);
    const b = decide(afterPolicies, now);
    const dateChanged = a.disposeAt !== b.disposeAt && Math.min(a.disposeAt ?? Infinity, b.disposeAt ?? Infinity) <= yearEnd;
    if (a.fate !== b.fate || dateChanged) out.push({ key: r.key, before: view(a), after: view(b), type: r.type, timeMs: r.timeMs, source: r.source });
  });
  return out;
}

/**
 * Which records would change fate if a policy were saved: a new one (`input`) or changes to an
 * existing one (`ref` + `changes`). Nothing is saved; the dry run itself is audited (it reads
 * metadata of the whole archive).
 */
export async function dryRunPolicy(
  ctx: Context,
  what: { input: PolicyInput } | { ref: string | number; changes: PolicyChanges },
  options: { now?: number; sample?: number; perRecord?: boolean } = {},
): Promise<PolicyDryRun> {
  const started = Date.now();
  const now = options.now ?? ctx.clock.now();
  const sample = options.sample ?? 50;
  const rules = await loadRetentionRules(ctx.db, ctx.config.timeZone);
  let id = 0;
  let draft: ReturnType<typeof applyChanges>;
  // The zone its scope's dates would be saved with (policies.ts scopeZone).
  let zone = ctx.config.timeZone;
  if ('input' in what) {
    draft = { ...draftPolicy(what.input, zone), enabled: true };
  } else {
    const before = await showPolicy(ctx, what.ref);
    id = before.id;
    zone = scopeZone(before, what.changes, zone);
    draft = applyChanges(before, what.changes, zone);
    await assertChangeAllowed(ctx.db, before, draft); // a dry run of a refused change is refused too
  }
  const candidate: RetentionPolicy = {
    id, name: draft.name, scope: parseRetentionScope(draft.scope, { allowText: false, timeZone: zone }),
    min: draft.min, max: draft.max, action: draft.action, enabled: draft.enabled, locked: draft.locked,
  };
  const afterPolicies = id === 0 ? [...rules.policies, candidate] : rules.policies.map((p) => (p.id === id ? candidate : p));
  const result: PolicyDryRun = {
    policy: { name: draft.name, scope: draft.scope, min: draft.min ? `${draft.min.amount}${draft.min.unit}` : null, max: draft.max ? `${draft.max.amount}${draft.max.unit}` : null, action: draft.action, locked: draft.locked, enabled: draft.enabled },
    changedNow: 0, changedWithinYear: 0, newlyDue: zero(), noLongerDue: zero(), newConflicts: 0, examples: [], durationMs: 0,
  };
  const yearEnd = now + 365 * DAY;
  const pending: PendingBytes = [];
  // Groups (or records) with changes, to draw the examples from once the counts are done.
  const changed: GroupAt[] = [];
  await forEachGroup(ctx, rules, [rules.policies, afterPolicies], [now, yearEnd], (r, n, at, decide) => {
    const a = decide(rules.policies, now);
    const b = decide(afterPolicies, now);
    const fateChanged = a.fate !== b.fate;
    const dateChanged = a.disposeAt !== b.disposeAt && Math.min(a.disposeAt ?? Infinity, b.disposeAt ?? Infinity) <= yearEnd;
    if (fateChanged) result.changedNow += n;
    if (dateChanged) result.changedWithinYear += n;
    if (a.fate === 'keep' && b.fate !== 'keep') count([result.newlyDue], r, n, at, pending);
    if (a.fate !== 'keep' && b.fate === 'keep') count([result.noLongerDue], r, n, at, pending);
    if (b.conflict && !a.conflict) result.newConflicts += n;
    if ((fateChanged || dateChanged) && n > 0 && changed.length < sample) changed.push(at);
  }, { perRecord: options.perRecord });
  creditBytes(ctx, pending);
  const examples = await drawExamples(ctx, rules, afterPolicies, changed, now, yearEnd, sample);
  result.examples = identify(ctx, examples);
  result.durationMs = Date.now() - started;
  await appendAudit(ctx, ctx.db, { action: 'retention.policy_dry_run', subject: id === 0 ? undefined : `policy:${id}`, details: { ...result.policy, changedNow: result.changedNow, changedWithinYear: result.changedWithinYear } });
  return result;
}
