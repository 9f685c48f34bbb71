import type { LegalHold, RetentionPolicy } from './retention.js';
import { addDuration, type RetentionDuration } from './retention-duration.js';

/**
 * Where retention decisions can change along the time axis (pure). A forecast, a dry run or a hold
 * count asks the same question of a million records, but `decideRetention` depends on a record's
 * time only through a few comparisons: `time + duration ≤ horizon` for each policy duration and
 * horizon, hold and scope date bounds, and which of two durations is longer. Between consecutive
 * "cuts" every such comparison has one answer, so records of the same shape (conversation,
 * sender, recipients, type, attachment, recalled) in the same interval share one decision, and
 * SQLite can count them without handing each record to JavaScript.
 *
 * The one exception: a duration in months against one in days of about the same length (`1m`
 * and `30d`) compare differently from month to month. `retentionCuts` then answers undefined and
 * the caller decides record by record.
 */

const DAY = 86_400_000;

const monthsOf = (d: RetentionDuration): number | undefined => (d.unit === 'm' ? d.amount : d.unit === 'y' ? d.amount * 12 : undefined);
const daysOf = (d: RetentionDuration): number => (d.unit === 'w' ? d.amount * 7 : d.amount);

/**
 * Bounds (in days) of how long `months` calendar months can be, from any start day: every month
 * has 28–31 days and the end-of-month clamp (31 January + 1m = 28 February) shortens a span by
 * at most 3 days. Deliberately generous: a wider bound only sends more cases to the exact
 * per-day scan or to the record-by-record path.
 */
const monthSpanDays = (months: number): { min: number; max: number } => ({ min: months * 28 - 4, max: months * 31 + 1 });

/**
 * The instants at which `addDuration(t, d) <= horizon` changes its answer as t grows, ascending.
 * True for every t before the first instant; the answer alternates at each. For days and weeks
 * that is one instant; for months and years the end-of-month clamp can make it false and true
 * again within a few days (31 January + 1m = 28 February 00:00 comes before 30 January + 1m =
 * 28 February 23:59), so the days around the threshold are examined one by one (within a UTC day
 * the offset is constant).
 */
export function thresholdFlips(d: RetentionDuration, horizon: number): number[] {
  const months = monthsOf(d);
  if (months === undefined) return [horizon - daysOf(d) * DAY + 1];
  const span = monthSpanDays(months);
  const firstDay = Math.floor((horizon - span.max * DAY) / DAY) - 1;
  const lastDay = Math.floor((horizon - span.min * DAY) / DAY) + 1;
  const flips: number[] = [];
  let value = true;
  for (let day = firstDay; day <= lastDay; day++) {
    const start = day * DAY;
    const offset = addDuration(start, d) - start;
    // Within this day the answer is true for t ≤ horizon − offset.
    const lastTrue = horizon - offset;
    const atStart = start <= lastTrue;
    if (day === firstDay && !atStart) throw new Error(`thresholdFlips: ${d.amount}${d.unit} before ${horizon} is already false before the window`);
    if (atStart !== value) {
      flips.push(start);
      value = atStart;
    }
    if (value && lastTrue < start + DAY - 1) {
      flips.push(lastTrue + 1);
      value = false;
    }
  }
  if (value) throw new Error(`thresholdFlips: ${d.amount}${d.unit} before ${horizon} is still true after the window`);
  return flips;
}

/**
 * Whether two durations may compare differently for different start times: only a months/years
 * duration against a days/weeks one of about the same length. Same-family durations always
 * compare the same way (more months end in a later month; days are fixed lengths).
 */
export function durationsAmbiguous(a: RetentionDuration, b: RetentionDuration): boolean {
  const am = monthsOf(a);
  const bm = monthsOf(b);
  if ((am === undefined) === (bm === undefined)) return false;
  const months = am ?? bm!;
  const days = daysOf(am === undefined ? a : b);
  const span = monthSpanDays(months);
  return days >= span.min && days <= span.max;
}

/**
 * The cut instants for deciding records over these rules at these horizons (each horizon an
 * instant a decision is compared to: `now`, `now + 7 days`, …), ascending and distinct, or
 * undefined when two of the durations are ambiguous (see durationsAmbiguous). Holds with text
 * terms are not covered here: the index answers them record by record.
 */
export function retentionCuts(
  policies: readonly RetentionPolicy[],
  holds: readonly LegalHold[],
  horizons: readonly number[],
): number[] | undefined {
  const durations: RetentionDuration[] = [];
  const seen = new Set<string>();
  const cuts = new Set<number>();
  const bounds = (afterMs: number | undefined, beforeMs: number | undefined): void => {
    if (afterMs !== undefined) cuts.add(afterMs);
    if (beforeMs !== undefined) cuts.add(beforeMs);
  };
  for (const p of policies) {
    if (!p.enabled) continue;
    bounds(p.scope.query?.afterMs, p.scope.query?.beforeMs);
    for (const d of [p.min, p.max]) {
      if (d === undefined) continue;
      const k = `${d.amount}${d.unit}`;
      if (seen.has(k)) continue;
      seen.add(k);
      durations.push(d);
    }
  }
  for (let i = 0; i < durations.length; i++) {
    for (let j = i + 1; j < durations.length; j++) if (durationsAmbiguous(durations[i]!, durations[j]!)) return undefined;
  }
  for (const h of holds) {
    if (!h.active) continue;
    bounds(h.afterMs, h.beforeMs);
    if (h.scope?.hasText !== true) bounds(h.scope?.query?.afterMs, h.scope?.query?.beforeMs);
  }
  for (const d of durations) for (const horizon of horizons) for (const t of thresholdFlips(d, horizon)) cuts.add(t);
  return [...cuts].sort((a, b) => a - b);
}
