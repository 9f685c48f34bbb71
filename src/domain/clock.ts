/** The only source of "now" for services, so tests can fix time. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Days in a calendar month (month 1–12), leap years included. */
export const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * An instant given on a command line or in a request: epoch milliseconds (10 or more digits) or ISO
 * 8601 (`2026-03-01`, `2026-03-01T09:30:00Z`, `2026-03-01T09:30+08:00`; without an offset, as
 * `Date.parse` reads it). Unlike `Date.parse` alone, an impossible calendar date or time
 * (`2026-02-30`, `25:00`) is refused rather than rolled over. Returns undefined when not valid.
 */
export function parseInstant(text: string): number | undefined {
  if (/^\d{10,}$/.test(text)) {
    const ms = Number(text);
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  const m = ISO_INSTANT.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((k) => Number(m[k] ?? 0)) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  const offset = m[7];
  if (offset !== undefined && offset !== 'Z' && (Number(offset.slice(1, 3)) > 23 || Number(offset.slice(4, 6)) > 59)) return undefined;
  const ms = Date.parse(text);
  return Number.isSafeInteger(ms) ? ms : undefined;
}
