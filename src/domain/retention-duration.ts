import { usageError } from '../errors.js';

/**
 * Retention durations as policies write them: `30d`, `12w`, `18m`, `6y`. Months and years are
 * calendar units counted in UTC from the record's time (a record of 31 January plus `1m` is due on
 * the last day of February), so `6y` means six calendar years, as SEC 17a-4 counts them.
 */
export interface RetentionDuration {
  amount: number;
  unit: 'd' | 'w' | 'm' | 'y';
}

const DURATION = /^(\d{1,4})\s*([dwmy])$/i;
/** The longest duration accepted (a ceiling beyond a century is a typo). */
const MAX_DAYS = 200 * 366;

export function parseDuration(text: string, field = 'duration'): RetentionDuration {
  const m = DURATION.exec(text.trim());
  if (!m) throw usageError('retention.bad_duration', `${field} "${text}" is not a duration: write a number and d, w, m or y (e.g. 30d, 18m, 6y)`);
  const d: RetentionDuration = { amount: Number(m[1]), unit: (m[2] ?? 'd').toLowerCase() as RetentionDuration['unit'] };
  if (d.amount < 1) throw usageError('retention.bad_duration', `${field} "${text}" must be at least 1`);
  if (approximateDays(d) > MAX_DAYS) throw usageError('retention.bad_duration', `${field} "${text}" is longer than 200 years`);
  return d;
}

export const formatDuration = (d: RetentionDuration): string => `${d.amount}${d.unit}`;

function approximateDays(d: RetentionDuration): number {
  switch (d.unit) {
    case 'd': return d.amount;
    case 'w': return d.amount * 7;
    case 'm': return d.amount * 31;
    case 'y': return d.amount * 366;
  }
}

/**
 * Calendar offsets already computed, per (UTC day, months): a sweep or forecast asks for the same few
 * durations of records from the same days millions of times. Bounded; pure (same answer either way).
 */
const monthOffsets = new Map<number, number>();
const DAY_MS = 86_400_000;

/** The instant `d` after `timeMs` (UTC calendar arithmetic; the day is clamped to the month's end). */
export function addDuration(timeMs: number, d: RetentionDuration): number {
  if (d.unit === 'd') return timeMs + d.amount * DAY_MS;
  if (d.unit === 'w') return timeMs + d.amount * 7 * DAY_MS;
  const months = d.unit === 'm' ? d.amount : d.amount * 12;
  const day = Math.floor(timeMs / DAY_MS);
  if (months > 0 && months < 4096) {
    const k = day * 4096 + months;
    let offset = monthOffsets.get(k);
    if (offset === undefined) {
      offset = addMonths(day * DAY_MS, months) - day * DAY_MS;
      if (monthOffsets.size > 1_000_000) monthOffsets.clear();
      monthOffsets.set(k, offset);
    }
    return timeMs + offset;
  }
  return addMonths(timeMs, months);
}

function addMonths(timeMs: number, months: number): number {
  const t = new Date(timeMs);
  const y = t.getUTCFullYear();
  const mo = t.getUTCMonth() + months;
  const targetYear = y + Math.floor(mo / 12);
  const targetMonth = ((mo % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(targetYear, targetMonth + 1, 0)).getUTCDate();
  const day = Math.min(t.getUTCDate(), lastDay);
  const out = new Date(timeMs);
  out.setUTCFullYear(targetYear, targetMonth, day);
  return out.getTime();
}

/** The instant `d` before `timeMs`: the latest record time that is already `d` old at `timeMs` (conservative for months). */
export function subtractDuration(timeMs: number, d: RetentionDuration): number {
  if (d.unit === 'd' || d.unit === 'w') return timeMs - (d.unit === 'd' ? d.amount : d.amount * 7) * 86_400_000;
  // Calendar months have no exact inverse; step back and correct so that addDuration(result) <= timeMs.
  const months = d.unit === 'm' ? d.amount : d.amount * 12;
  let guess = addDuration(timeMs, { amount: -months, unit: 'm' } as RetentionDuration);
  while (addDuration(guess, d) > timeMs) guess -= 86_400_000;
  return guess;
}

/**
 * Whether `a` is at least as long as `b` for EVERY start time (used to allow only extensions of a
 * locked policy). Months and days are compared conservatively: 1m counts as 31 days when it must
 * be exceeded and as 28 days when it must exceed.
 */
export function isAtLeast(a: RetentionDuration, b: RetentionDuration): boolean {
  const months = (d: RetentionDuration): number => (d.unit === 'y' ? d.amount * 12 : d.amount);
  const days = (d: RetentionDuration): number => (d.unit === 'w' ? d.amount * 7 : d.amount);
  const aMonthly = a.unit === 'm' || a.unit === 'y';
  const bMonthly = b.unit === 'm' || b.unit === 'y';
  if (aMonthly && bMonthly) return months(a) >= months(b);
  if (!aMonthly && !bMonthly) return days(a) >= days(b);
  if (aMonthly) return months(a) * 28 >= days(b); // a in months, b in days
  return days(a) >= months(b) * 31; // a in days, b in months
}
