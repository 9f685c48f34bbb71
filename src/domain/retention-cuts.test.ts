import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { durationsAmbiguous, retentionCuts, thresholdFlips } from './retention-cuts.js';
import { addDuration, type RetentionDuration } from './retention-duration.js';
import { parseRetentionScope } from './retention-scope.js';
import { decideRetention, type LegalHold, type RetentionPolicy } from './retention.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** The predicate as thresholdFlips describes it: true before the first flip, alternating at each. */
const fromFlips = (flips: readonly number[], t: number): boolean => flips.filter((f) => f <= t).length % 2 === 0;

const duration = fc.oneof(
  fc.record({ amount: fc.integer({ min: 1, max: 400 }), unit: fc.constant<'d'>('d') }),
  fc.record({ amount: fc.integer({ min: 1, max: 60 }), unit: fc.constant<'w'>('w') }),
  fc.record({ amount: fc.integer({ min: 1, max: 40 }), unit: fc.constant<'m'>('m') }),
  fc.record({ amount: fc.integer({ min: 1, max: 12 }), unit: fc.constant<'y'>('y') }),
);
/** Horizons that like month ends and leap days: the clamp's edge cases. */
const horizon = fc.oneof(
  fc.integer({ min: Date.UTC(2021, 0, 1), max: Date.UTC(2032, 0, 1) }),
  fc.tuple(fc.integer({ min: 2021, max: 2031 }), fc.integer({ min: 0, max: 11 }), fc.integer({ min: -2, max: 1 }), fc.integer({ min: 0, max: 24 * 60 - 1 }))
    .map(([y, m, d, minute]) => Date.UTC(y, m + 1, d, 0, minute)),
);

describe('thresholdFlips', () => {
  it('gives exactly the instants where "time + duration ≤ horizon" changes, month-end clamps included', () => {
    fc.assert(fc.property(duration, horizon, (d, h) => {
      const flips = thresholdFlips(d, h);
      expect([...flips].sort((a, b) => a - b)).toEqual(flips);
      // Every instant near each flip, and every hour over the days around the threshold.
      const probes = flips.flatMap((f) => [f - 1, f, f + 1]);
      const around = flips.length > 0 ? flips[0]! : h;
      for (let t = around - 5 * DAY; t <= around + 5 * DAY; t += HOUR) probes.push(t, t + 59 * 60_000 + 59_999);
      for (const t of probes) expect(fromFlips(flips, t)).toBe(addDuration(t, d) <= h);
    }), { numRuns: 300 });
  });

  it('finds the non-monotone case: 31 January + 1 month comes before 30 January + 1 month', () => {
    const h = Date.UTC(2026, 1, 28, 12);
    const flips = thresholdFlips({ amount: 1, unit: 'm' }, h);
    expect(flips.length).toBeGreaterThan(1);
    expect(fromFlips(flips, Date.UTC(2026, 0, 30, 13))).toBe(false);
    expect(fromFlips(flips, Date.UTC(2026, 0, 31, 0))).toBe(true);
  });
});

describe('durationsAmbiguous', () => {
  it('is false only for pairs that compare the same way from every start day', () => {
    fc.assert(fc.property(duration, duration, fc.integer({ min: 0, max: 30 }), (a, b, offset) => {
      if (durationsAmbiguous(a, b)) return;
      const start = Date.UTC(2020, 0, 1 + offset);
      const sign = (t: number): number => Math.sign(addDuration(t, a) - addDuration(t, b));
      const first = sign(start);
      for (let day = 0; day < 4 * 366; day += 1) expect(sign(start + day * DAY)).toBe(first);
    }), { numRuns: 150 });
  });

  it('is true for a month against thirty days', () => {
    expect(durationsAmbiguous({ amount: 1, unit: 'm' }, { amount: 30, unit: 'd' })).toBe(true);
    expect(durationsAmbiguous({ amount: 6, unit: 'y' }, { amount: 90, unit: 'd' })).toBe(false);
  });
});

describe('retentionCuts', () => {
  const scope = (text: string): RetentionPolicy['scope'] => parseRetentionScope(text, { allowText: false, timeZone: 'UTC' });
  let id = 1;
  const policy = (min: RetentionDuration | undefined, max: RetentionDuration | undefined, scopeText = ''): RetentionPolicy => ({
    id: id++, name: `p${id}`, scope: scope(scopeText), min, max, action: id % 2 === 0 ? 'delete' : 'review', enabled: true, locked: false,
  });
  const facts = (timeMs: number) => ({
    key: timeMs, source: 's', id: 'm', timeMs, conversation: { id: 'c', kind: 'direct' as const }, from: { id: 'a' }, to: [], participants: ['a'],
    type: 'text', hasAttachment: false, recalled: false, external: false, departments: [],
  });

  it('leaves no decision change between two cuts (policies, floors, scope dates and hold dates)', () => {
    const maybe = fc.option(duration, { nil: undefined });
    fc.assert(fc.property(fc.array(fc.tuple(maybe, maybe, fc.boolean()), { minLength: 1, maxLength: 4 }), horizon, fc.integer({ min: 0, max: 400 }), (specs, now, holdDay) => {
      const policies = specs.map(([min, max, dated]) => policy(min, max, dated ? 'after:2024-03-01' : ''));
      const holdFrom = now - holdDay * DAY;
      const holds: LegalHold[] = [{ id: 99, matterId: 1, active: true, custodians: [], conversations: [], afterMs: holdFrom, beforeMs: holdFrom + 40 * DAY, scope: undefined }];
      const horizons = [now, now + 7 * DAY, now + 365 * DAY];
      const cuts = retentionCuts(policies, holds, horizons);
      if (cuts === undefined) return; // ambiguous: the caller decides record by record
      const view = (t: number): string => {
        const d = decideRetention(facts(t), policies, holds, now);
        return JSON.stringify([d.fate, d.keepReason, d.conflict, d.floor?.policyId, d.ceiling?.policyId, ...horizons.map((h) => d.disposeAt !== undefined && d.disposeAt <= h)]);
      };
      // Sample each interval between cuts that lies in the last 12 years: its start, its end and inside.
      const lo = now - 12 * 366 * DAY;
      const edges = [lo, ...cuts.filter((c) => c > lo && c < now + 400 * DAY), now + 400 * DAY];
      for (let i = 0; i + 1 < edges.length; i++) {
        const [a, b] = [edges[i]!, edges[i + 1]! - 1];
        if (b < a) continue;
        const expected = view(a);
        for (const t of [b, Math.floor((a + b) / 2), a + Math.floor((b - a) / 3)]) expect(view(t)).toBe(expected);
      }
    }), { numRuns: 200 });
  });
});
