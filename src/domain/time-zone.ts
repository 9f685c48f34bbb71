// Building an Intl.DateTimeFormat costs ~60 µs, formatting with one ~2 µs: one formatter per zone.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    if (formatters.size > 100) formatters.clear();
    formatters.set(timeZone, f);
  }
  return f;
}

/** Offset of a time zone from UTC at an instant, in milliseconds (e.g. +8 h for Asia/Shanghai). */
export function zoneOffsetMs(timeZone: string, atMs: number): number {
  const parts = formatterOf(timeZone).formatToParts(new Date(atMs));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(atMs / 1000) * 1000;
}

/** `YYYY-MM-DD HH:mm:ss` of an instant in a time zone, for human output. */
export function formatInZone(ms: number, timeZone: string): string {
  const d = new Date(ms + zoneOffsetMs(timeZone, ms));
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
// Memos of pure results: a zone's offset per hour, and the text of a day number.
const hourOffsets = new Map<string, number>();
const dayTexts = new Map<number, string>();

/**
 * The local day (`YYYY-MM-DD`) of an instant in a time zone: the day the usage rollups count a
 * record under (import, disposition, late attachments, restore must all agree). The zone's offset
 * is computed once per hour of time, the day's text once per day.
 */
export function localDay(timeZone: string, atMs: number): string {
  const hourKey = `${timeZone}\u0000${Math.floor(atMs / HOUR_MS)}`;
  let offset = hourOffsets.get(hourKey);
  if (offset === undefined) {
    offset = zoneOffsetMs(timeZone, atMs);
    if (hourOffsets.size > 100_000) hourOffsets.clear();
    hourOffsets.set(hourKey, offset);
  }
  const dayNumber = Math.floor((atMs + offset) / DAY_MS);
  let day = dayTexts.get(dayNumber);
  if (day === undefined) {
    day = new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
    if (dayTexts.size > 100_000) dayTexts.clear();
    dayTexts.set(dayNumber, day);
  }
  return day;
}
