import type { MessageKey } from './messages';
import type { LagLevel, ScanStatus } from './types';

/**
 * The malware-scan and connector-lag rules the console shows. Only `clean` and `not_scanned`
 * attachments are served: a `pending` one answers 409 (waits for the scanner), an `infected` one
 * 403 (quarantined), so the console never requests them. An attachment without `scan` (an older
 * server) is served.
 */
export const isServable = (scan: ScanStatus | undefined): boolean => scan === undefined || scan === 'clean' || scan === 'not_scanned';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A lag as the largest two units: 3 d 4 h, 5 h 12 min, 7 min (rounded down; under a minute: 0 min). */
export function lagText(ms: number): { key: MessageKey; params: Record<string, number> } {
  const v = Math.max(0, ms);
  const d = Math.floor(v / DAY);
  const h = Math.floor((v % DAY) / HOUR);
  const m = Math.floor((v % HOUR) / MINUTE);
  if (d > 0) return { key: 'sources.lagDays', params: { d, h } };
  if (h > 0) return { key: 'sources.lagHours', params: { h, m } };
  return { key: 'sources.lagMinutes', params: { m } };
}

/** The dictionary key of a lag level's short label. */
export const lagLevelKey = (level: LagLevel): MessageKey => `sources.lag_${level}`;

const KNOWN_SYNC_STATUS = new Set(['completed', 'partial', 'failed']);

/** The dictionary key of a known sync status; undefined for others (shown as the server sends them). */
export const syncStatusKey = (status: string): MessageKey | undefined => (KNOWN_SYNC_STATUS.has(status) ? (`sources.sync_${status}` as MessageKey) : undefined);
