import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDuration, isAtLeast, parseDuration, subtractDuration, type RetentionDuration } from './retention-duration.js';
import { parseRetentionScope, unknownFilterWords, scopeMatches, type RecordFacts } from './retention-scope.js';
import { decideRetention, holdMatches, lockedChangeProblem, type LegalHold, type RetentionPolicy } from './retention.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2020, 0, 31, 12);

const facts = (over: Partial<RecordFacts> = {}): RecordFacts => ({
  key: 1, source: 'wecom:ww1', id: 'm1', timeMs: T0,
  conversation: { id: 'room-sales', kind: 'group' }, from: { id: 'zhangsan', name: '张三' }, to: [{ id: 'wmEXT0001', name: '客户' }],
  participants: ['zhangsan', 'wmEXT0001', 'lisi'], type: 'voice', hasAttachment: true, recalled: false, external: true, departments: ['销售部'],
  ...over,
});

const scope = (text: string): RetentionPolicy['scope'] => parseRetentionScope(text, { allowText: false, timeZone: 'UTC' });
let nextId = 1;
const policy = (over: Partial<RetentionPolicy> & { scopeText?: string } = {}): RetentionPolicy => ({
  id: nextId++, name: 'p', scope: scope(over.scopeText ?? ''), min: undefined, max: undefined, action: 'delete', enabled: true, locked: false, ...over,
});
const hold = (over: Partial<LegalHold> = {}): LegalHold => ({
  id: nextId++, matterId: 1, active: true, custodians: [], conversations: [], afterMs: undefined, beforeMs: undefined, scope: undefined, ...over,
});

describe('durations', () => {
  it('parses the written forms and refuses others, naming the field', () => {
    expect(parseDuration('30d')).toEqual({ amount: 30, unit: 'd' });
    expect(parseDuration('18M')).toEqual({ amount: 18, unit: 'm' });
    expect(parseDuration(' 6y ')).toEqual({ amount: 6, unit: 'y' });
    expect(() => parseDuration('6 years', '--min')).toThrow(/--min "6 years" is not a duration/);
    expect(() => parseDuration('0d')).toThrow(/at least 1/);
    expect(() => parseDuration('999y')).toThrow(/200 years/);
  });

  it('counts months and years on the calendar, clamping to the end of the month', () => {
    expect(new Date(addDuration(T0, { amount: 1, unit: 'm' })).toISOString()).toBe('2020-02-29T12:00:00.000Z');
    expect(new Date(addDuration(Date.UTC(2020, 1, 29), { amount: 1, unit: 'y' })).toISOString()).toBe('2021-02-28T00:00:00.000Z');
    expect(addDuration(T0, { amount: 2, unit: 'w' })).toBe(T0 + 14 * DAY);
  });

  it('subtracts so that adding back never passes the instant', () => {
    const dur = fc.record({ amount: fc.integer({ min: 1, max: 120 }), unit: fc.constantFrom<RetentionDuration['unit']>('d', 'w', 'm', 'y') });
    fc.assert(fc.property(fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2090, 0, 1) }), dur, (t, d) => {
      const back = subtractDuration(t, d);
      expect(addDuration(back, d)).toBeLessThanOrEqual(t);
      expect(addDuration(back + DAY, d)).toBeGreaterThan(t - 3 * DAY);
    }));
  });

  it('isAtLeast holds for every start time when it says so', () => {
    const dur = fc.record({ amount: fc.integer({ min: 1, max: 100 }), unit: fc.constantFrom<RetentionDuration['unit']>('d', 'w', 'm', 'y') });
    fc.assert(fc.property(dur, dur, fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2090, 0, 1) }), (a, b, t) => {
      if (isAtLeast(a, b)) expect(addDuration(t, a)).toBeGreaterThanOrEqual(addDuration(t, b));
    }));
  });
});

describe('scopes', () => {
  it('matches the search filters and the retention-only ones', () => {
    const r = facts();
    expect(scopeMatches(scope(''), r)).toBe(true);
    expect(scopeMatches(scope('type:voice source:wecom:ww1'), r)).toBe(true);
    expect(scopeMatches(scope('type:video OR type:voice'), r)).toBe(true);
    expect(scopeMatches(scope('type:text'), r)).toBe(false);
    expect(scopeMatches(scope('from:张三 in:room-sales'), r)).toBe(true);
    expect(scopeMatches(scope('to:wmEXT0001'), r)).toBe(true);
    expect(scopeMatches(scope('-from:zhangsan'), r)).toBe(false);
    expect(scopeMatches(scope('kind:group party:external dept:销售部'), r)).toBe(true);
    expect(scopeMatches(scope('kind:direct'), r)).toBe(false);
    expect(scopeMatches(scope('-party:external'), r)).toBe(false);
    expect(scopeMatches(scope('party:internal'), facts({ external: false })), 'internal').toBe(true);
    expect(scopeMatches(scope('after:2020-02-01'), r)).toBe(false);
    expect(scopeMatches(scope('before:2020-02-01 has:attachment'), r)).toBe(true);
  });

  it('refuses words in a policy scope and bad filter values, naming the field', () => {
    expect(() => parseRetentionScope('合同 type:text', { allowText: false, field: 'scope' })).toThrow(/scope: a policy scope takes filters only/);
    expect(() => parseRetentionScope('typo:voice', { allowText: false, field: 'scope' })).toThrow(/scope: "typo:" is not a filter; a policy scope takes filters only/);
    // The same words a hold's scope warns about; full-width keys read as ASCII.
    expect(unknownFilterWords('form:wanglei 合同 ｔｙｐｅ：voice -typo:x kind:direct')).toEqual(['form:wanglei', '-typo:x']);
    expect(() => parseRetentionScope('kind:room', { allowText: false })).toThrow(/kind: takes "direct" or "group"/);
    expect(() => parseRetentionScope('type:nonsense', { allowText: false })).toThrow(/unknown message type/);
    expect(parseRetentionScope('合同', { allowText: true }).hasText).toBe(true);
  });

  it('decides a scope with words by the index answer', () => {
    const s = parseRetentionScope('合同 kind:group', { allowText: true });
    expect(scopeMatches(s, facts(), new Set([1]))).toBe(true);
    expect(scopeMatches(s, facts(), new Set([2]))).toBe(false);
    expect(scopeMatches(s, facts({ conversation: { id: 'x', kind: 'direct' } }), new Set([1]))).toBe(false);
  });
});

describe('decideRetention', () => {
  const now = T0 + 400 * DAY;

  it('keeps a record under no policy', () => {
    expect(decideRetention(facts(), [], [], now)).toMatchObject({ fate: 'keep', keepReason: 'no-policy' });
  });

  it('disposes past the maximum, with the policy action', () => {
    const p = policy({ max: { amount: 90, unit: 'd' }, action: 'delete' });
    expect(decideRetention(facts(), [p], [], now)).toMatchObject({ fate: 'delete', ceiling: { policyId: p.id }, disposeAt: T0 + 90 * DAY });
    expect(decideRetention(facts(), [p], [], T0 + 89 * DAY)).toMatchObject({ fate: 'keep', keepReason: 'not-due' });
  });

  it('lets the shortest maximum apply, review winning a tie', () => {
    const long = policy({ max: { amount: 1, unit: 'y' } });
    const short = policy({ max: { amount: 90, unit: 'd' }, action: 'delete' });
    const tie = policy({ max: { amount: 90, unit: 'd' }, action: 'review' });
    expect(decideRetention(facts(), [long, short], [], now).ceiling?.policyId).toBe(short.id);
    expect(decideRetention(facts(), [long, short, tie], [], now)).toMatchObject({ fate: 'review', ceiling: { policyId: tie.id } });
  });

  it('lets the longest minimum win over any deletion and reports the conflict', () => {
    const floor = policy({ min: { amount: 6, unit: 'y' } });
    const ceiling = policy({ max: { amount: 90, unit: 'd' } });
    const d = decideRetention(facts(), [floor, ceiling], [], now);
    expect(d).toMatchObject({ fate: 'keep', keepReason: 'not-due', conflict: true, floor: { policyId: floor.id } });
    expect(d.disposeAt).toBe(addDuration(T0, { amount: 6, unit: 'y' }));
    expect(decideRetention(facts(), [floor, ceiling], [], addDuration(T0, { amount: 6, unit: 'y' }))).toMatchObject({ fate: 'delete', conflict: true });
  });

  it('lets a hold beat everything, and ignores released holds and disabled policies', () => {
    const p = policy({ max: { amount: 1, unit: 'd' } });
    expect(decideRetention(facts(), [p], [hold({ custodians: ['lisi'] })], now)).toMatchObject({ fate: 'keep', keepReason: 'hold' });
    expect(decideRetention(facts(), [p], [hold({ custodians: ['lisi'], active: false })], now).fate).toBe('delete');
    expect(decideRetention(facts(), [{ ...p, enabled: false }], [], now).keepReason).toBe('no-policy');
    expect(decideRetention(facts({ frozen: true }), [p], [], now)).toMatchObject({ fate: 'keep', keepReason: 'privacy-request' });
  });

  // ---- properties ------------------------------------------------------------------------------

  const durArb = fc.record({ amount: fc.integer({ min: 1, max: 30 }), unit: fc.constantFrom<RetentionDuration['unit']>('d', 'w', 'm', 'y') });
  const scopeArb = fc.constantFrom('', 'type:voice', 'type:text', 'kind:group', 'kind:direct', 'party:external', 'from:zhangsan', 'in:room-sales', 'type:voice OR type:video', '-type:voice');
  const policyArb = fc.record({
    scopeText: scopeArb, min: fc.option(durArb, { nil: undefined }), max: fc.option(durArb, { nil: undefined }),
    action: fc.constantFrom<'delete' | 'review'>('delete', 'review'), enabled: fc.boolean(),
  }).map((p) => policy(p));
  const factsArb = fc.record({
    timeMs: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2030, 0, 1) }),
    type: fc.constantFrom('voice', 'text', 'video', 'image'),
    kind: fc.constantFrom<'direct' | 'group'>('direct', 'group'),
    external: fc.boolean(),
    from: fc.constantFrom('zhangsan', 'lisi', 'wangwu'),
  }).map((f) => facts({ timeMs: f.timeMs, type: f.type, conversation: { id: f.kind === 'group' ? 'room-sales' : 'dm-1', kind: f.kind }, external: f.external, from: { id: f.from }, participants: [f.from, 'wmEXT0001'] }));
  const holdArb = fc.record({
    custodians: fc.subarray(['zhangsan', 'lisi', 'nobody']), active: fc.boolean(),
    afterMs: fc.option(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2030, 0, 1) }), { nil: undefined }),
  }).map((h) => hold(h));
  const nowArb = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2060, 0, 1) });

  it('never disposes a record that an active hold covers', () => {
    fc.assert(fc.property(factsArb, fc.array(policyArb, { maxLength: 5 }), fc.array(holdArb, { maxLength: 3 }), nowArb, (r, ps, hs, t) => {
      const d = decideRetention(r, ps, hs, t);
      if (hs.some((h) => holdMatches(h, r))) expect(d.fate).toBe('keep');
    }));
  });

  it('never disposes before the longest floor nor before the shortest ceiling', () => {
    fc.assert(fc.property(factsArb, fc.array(policyArb, { maxLength: 5 }), nowArb, (r, ps, t) => {
      const d = decideRetention(r, ps, [], t);
      if (d.fate === 'keep') return;
      const covering = ps.filter((p) => p.enabled && scopeMatches(p.scope, r));
      for (const p of covering) if (p.min) expect(t).toBeGreaterThanOrEqual(addDuration(r.timeMs, p.min));
      const ceilings = covering.filter((p) => p.max).map((p) => addDuration(r.timeMs, p.max!));
      expect(ceilings.length).toBeGreaterThan(0);
      expect(t).toBeGreaterThanOrEqual(Math.min(...ceilings));
    }));
  });

  it('disposes exactly when some ceiling has passed, every floor has passed and nothing holds it', () => {
    fc.assert(fc.property(factsArb, fc.array(policyArb, { maxLength: 5 }), nowArb, (r, ps, t) => {
      const covering = ps.filter((p) => p.enabled && scopeMatches(p.scope, r));
      const ceilings = covering.filter((p) => p.max).map((p) => addDuration(r.timeMs, p.max!));
      const floors = covering.filter((p) => p.min).map((p) => addDuration(r.timeMs, p.min!));
      const due = ceilings.length > 0 && t >= Math.min(...ceilings) && floors.every((f) => t >= f);
      expect(decideRetention(r, ps, [], t).fate !== 'keep').toBe(due);
    }));
  });

  it('does not depend on the order of policies or holds', () => {
    fc.assert(fc.property(factsArb, fc.array(policyArb, { maxLength: 5 }), fc.array(holdArb, { maxLength: 3 }), nowArb, (r, ps, hs, t) => {
      const a = decideRetention(r, ps, hs, t);
      const b = decideRetention(r, [...ps].reverse(), [...hs].reverse(), t);
      expect({ ...b, holdIds: [...b.holdIds].sort(), policyIds: [...b.policyIds].sort() }).toEqual({ ...a, holdIds: [...a.holdIds].sort(), policyIds: [...a.policyIds].sort() });
    }));
  });
});

describe('hold matching', () => {
  it('requires every named criterion, each a set of alternatives', () => {
    const r = facts();
    expect(holdMatches(hold({ custodians: ['lisi', 'nobody'] }), r)).toBe(true);
    expect(holdMatches(hold({ custodians: ['nobody'] }), r)).toBe(false);
    expect(holdMatches(hold({ conversations: ['room-sales'], afterMs: T0 }), r)).toBe(true);
    expect(holdMatches(hold({ conversations: ['room-sales'], afterMs: T0 + 1 }), r)).toBe(false);
    expect(holdMatches(hold({ beforeMs: T0 }), r)).toBe(false);
    expect(holdMatches(hold({ scope: parseRetentionScope('type:voice', { allowText: true }) }), r)).toBe(true);
  });

  it('matches by time range exactly as [after, before)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 }), (a, b, t) => {
      const h = hold({ afterMs: T0 + a, beforeMs: T0 + b });
      expect(holdMatches(h, facts({ timeMs: T0 + t }))).toBe(t >= a && t < b);
    }));
  });
});

describe('locked policies', () => {
  const base = { min: { amount: 6, unit: 'y' } as RetentionDuration, max: undefined, action: 'review' as const, enabled: true, scopeText: '' };
  it('may be extended, never shortened, disabled, unlocked or re-scoped', () => {
    expect(lockedChangeProblem(base, { ...base, locked: true, min: { amount: 7, unit: 'y' } })).toBeUndefined();
    expect(lockedChangeProblem(base, { ...base, locked: true, min: { amount: 72, unit: 'm' } })).toBeUndefined();
    expect(lockedChangeProblem(base, { ...base, locked: true, min: { amount: 5, unit: 'y' } })).toMatch(/only be extended/);
    expect(lockedChangeProblem(base, { ...base, locked: true, min: { amount: 2000, unit: 'd' } })).toMatch(/only be extended/);
    expect(lockedChangeProblem(base, { ...base, locked: true, min: undefined })).toMatch(/only be extended/);
    expect(lockedChangeProblem(base, { ...base, locked: true, enabled: false })).toMatch(/disabled/);
    expect(lockedChangeProblem(base, { ...base, locked: false })).toMatch(/unlocked/);
    expect(lockedChangeProblem(base, { ...base, locked: true, scopeText: 'type:text' })).toMatch(/scope/);
    expect(lockedChangeProblem(base, { ...base, locked: true, max: { amount: 10, unit: 'y' } })).toMatch(/cannot get one/);
  });
});
