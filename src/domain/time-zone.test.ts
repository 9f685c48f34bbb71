import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localDay, zoneOffsetMs } from './time-zone.js';

// The local day is what the usage rollups are keyed by: import, disposition, late attachments and
// restore must compute the same one, memoized or not.

describe('localDay', () => {
  it('turns at local midnight, in a zone without and with daylight saving', () => {
    expect(localDay('Asia/Shanghai', Date.parse('2026-01-01T15:59:59.999Z'))).toBe('2026-01-01');
    expect(localDay('Asia/Shanghai', Date.parse('2026-01-01T16:00:00.000Z'))).toBe('2026-01-02');
    // New York: UTC-4 in summer, UTC-5 in winter (the change on 2026-11-01).
    expect(localDay('America/New_York', Date.parse('2026-07-01T03:59:59Z'))).toBe('2026-06-30');
    expect(localDay('America/New_York', Date.parse('2026-07-01T04:00:00Z'))).toBe('2026-07-01');
    expect(localDay('America/New_York', Date.parse('2026-11-02T04:59:59Z'))).toBe('2026-11-01');
    expect(localDay('America/New_York', Date.parse('2026-11-02T05:00:00Z'))).toBe('2026-11-02');
  });

  it('equals the day of the instant shifted by the zone offset, for any instant (memos included)', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.parse('2000-01-01'), max: Date.parse('2100-01-01') }), fc.constantFrom('Asia/Shanghai', 'America/New_York', 'Europe/London', 'UTC'), (ms, zone) => {
        expect(localDay(zone, ms)).toBe(new Date(ms + zoneOffsetMs(zone, ms)).toISOString().slice(0, 10));
      }),
      { numRuns: 500 },
    );
  });
});
