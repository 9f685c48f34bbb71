/**
 * Messages are keyed by a time-ordered integer: `time_ms * 2048 + slot`. The same key is the FTS
 * rowid, so "newest first" and time-range filters are rowid order and rowid ranges inside the
 * full-text index, with no join. Keys stay below 2^53 until 2109. Up to 2048 messages may share one
 * millisecond; the slot is chosen from a hash of (source, id) and probed linearly within that millisecond.
 */
export const SLOTS_PER_MS = 2048;

export const firstKeyOf = (timeMs: number): number => timeMs * SLOTS_PER_MS;
export const lastKeyOf = (timeMs: number): number => timeMs * SLOTS_PER_MS + (SLOTS_PER_MS - 1);
export const timeOfKey = (key: number): number => Math.floor(key / SLOTS_PER_MS);

/** FNV-1a of "source\0id", folded to a slot: a stable first choice for the record's key. */
export function preferredSlot(source: string, id: string): number {
  let h = 0x811c9dc5;
  const s = `${source}\u0000${id}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % SLOTS_PER_MS;
}
