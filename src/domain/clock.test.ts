import { describe, expect, it } from 'vitest';
import { parseInstant } from './clock.js';

describe('parseInstant', () => {
  it('reads epoch milliseconds and ISO 8601 times with and without an offset', () => {
    expect(parseInstant('1772323200000')).toBe(1_772_323_200_000);
    expect(parseInstant('2026-03-01')).toBe(Date.UTC(2026, 2, 1));
    expect(parseInstant('2026-03-01T09:30:00Z')).toBe(Date.UTC(2026, 2, 1, 9, 30));
    expect(parseInstant('2026-03-01T09:30+08:00')).toBe(Date.UTC(2026, 2, 1, 1, 30));
    expect(parseInstant('2026-03-01T09:30:00.250Z')).toBe(Date.UTC(2026, 2, 1, 9, 30, 0, 250));
    expect(parseInstant('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
  });

  it('refuses impossible dates and times instead of rolling them over', () => {
    for (const bad of ['2026-02-30T00:00:00Z', '2025-02-29', '2026-13-01', '2026-04-31', '2026-03-01T24:00:00Z', '2026-03-01T09:60Z', '2026-03-01T09:30+25:00', '2026-3-1', 'tomorrow', '', '123']) {
      expect(parseInstant(bad), bad).toBeUndefined();
    }
  });
});
