import { describe, expect, it } from 'vitest';
import { messages } from './messages';
import {
  actorName,
  conflictRows,
  durationLabel,
  emptyPolicyForm,
  floorAboveCeiling,
  formFromPolicy,
  formFromPreset,
  formProblems,
  hasChanges,
  holdHasCriteria,
  hoursSince,
  isAtLeast,
  keepReasonKey,
  lockedProblem,
  parseDuration,
  retentionCaps,
  mayActOn,
  reviewStep,
  sortHolds,
  splitList,
  timeOfMessageKey,
  toPolicyChanges,
  toPolicyInput,
} from './retention-policy';
import type { LegalHold, RetentionForecast, RetentionPolicy, RetentionPreset } from './types';

const policy = (over: Partial<RetentionPolicy> = {}): RetentionPolicy => ({
  id: 1,
  name: 'voice-90d',
  scope: 'type:voice',
  min: null,
  max: '90d',
  action: 'delete',
  purpose: 'p',
  basis: 'b',
  locked: false,
  enabled: true,
  preset: null,
  createdAt: 0,
  createdBy: 'user:a',
  updatedAt: 0,
  updatedBy: 'user:a',
  version: 1,
  ...over,
});

describe('permissions', () => {
  it('compliance manages, the auditor only views, others see nothing', () => {
    expect(retentionCaps('compliance')).toEqual({ view: true, manage: true, holds: true, review: true });
    expect(retentionCaps('auditor')).toEqual({ view: true, manage: false, holds: false, review: false });
    for (const r of ['admin', 'employee', 'reviewer', undefined] as const) expect(retentionCaps(r).view).toBe(false);
  });
});

describe('durations', () => {
  it('parses 30d, 12w, 18m, 6y and nothing else', () => {
    expect(parseDuration('30d')).toEqual({ amount: 30, unit: 'd' });
    expect(parseDuration(' 6Y ')).toEqual({ amount: 6, unit: 'y' });
    expect(parseDuration('18 m')).toEqual({ amount: 18, unit: 'm' });
    for (const bad of ['', '0d', '6', 'y', '1.5y', '6x', '-3d', '12345d']) expect(parseDuration(bad)).toBeNull();
  });

  it('labels durations with a dictionary key in both languages', () => {
    expect(durationLabel('6y')).toEqual({ key: 'retention.unit_y', n: 6 });
    expect(durationLabel('1m')).toEqual({ key: 'retention.unit_m1', n: 1 });
    expect(durationLabel(null)).toBeNull();
    expect(durationLabel('bogus')).toBeNull();
    for (const u of ['d', 'w', 'm', 'y']) {
      for (const n of ['', '1']) {
        const k = `retention.unit_${u}${n}` as keyof (typeof messages)['en'];
        expect(messages.en[k]).toContain('{n}');
        expect(messages['zh-CN'][k]).toContain('{n}');
      }
    }
  });

  it('compares durations as the server does for locked policies (conservatively across months and days)', () => {
    const d = (s: string) => parseDuration(s)!;
    expect(isAtLeast(d('7y'), d('6y'))).toBe(true);
    expect(isAtLeast(d('72m'), d('6y'))).toBe(true);
    expect(isAtLeast(d('71m'), d('6y'))).toBe(false);
    expect(isAtLeast(d('2w'), d('14d'))).toBe(true);
    expect(isAtLeast(d('1m'), d('28d'))).toBe(true);
    expect(isAtLeast(d('1m'), d('29d'))).toBe(false);
    expect(isAtLeast(d('31d'), d('1m'))).toBe(true);
    expect(isAtLeast(d('30d'), d('1m'))).toBe(false);
  });
});

describe('the policy form', () => {
  it('sends a new policy with the preset it started from, and no empty durations', () => {
    const preset: RetentionPreset = { name: 'sec-17a-4', title: { en: 'SEC', zh: 'SEC' }, scope: '', min: '6y', action: 'review', locked: true, purpose: 'keep', basis: '17a-4', note: '' };
    const form = formFromPreset(preset, 'broker-6y');
    expect(toPolicyInput(form)).toEqual({ name: 'broker-6y', scope: '', min: '6y', action: 'review', purpose: 'keep', basis: '17a-4', locked: true, preset: 'sec-17a-4' });
    expect(formFromPreset(preset).name).toBe('sec-17a-4');
    expect(toPolicyInput({ ...emptyPolicyForm(), name: ' x ', max: ' 30d ', purpose: 'p', basis: 'b' })).toEqual({ name: 'x', scope: '', max: '30d', action: 'review', purpose: 'p', basis: 'b', locked: false });
  });

  it('lists what is missing before anything is sent', () => {
    expect(formProblems(emptyPolicyForm(), 'new')).toEqual(['retention.problem_name', 'retention.problem_needsDuration', 'retention.problem_purpose', 'retention.problem_basis']);
    expect(formProblems({ ...emptyPolicyForm(), name: 'n', min: '6 years', purpose: 'p', basis: 'b' }, 'new')).toEqual(['retention.problem_duration']);
    expect(formProblems({ ...emptyPolicyForm(), max: '1y', purpose: 'p', basis: 'b' }, 'change')).toEqual([]);
  });

  it('warns of a floor longer than the ceiling', () => {
    expect(floorAboveCeiling({ min: '6y', max: '1y' })).toBe(true);
    expect(floorAboveCeiling({ min: '1y', max: '6y' })).toBe(false);
    expect(floorAboveCeiling({ min: '', max: '1y' })).toBe(false);
  });

  it('sends only what changed; an emptied duration is removed (null); locking only as true', () => {
    const p = policy({ min: '30d' });
    const form = formFromPolicy(p);
    expect(hasChanges(toPolicyChanges(p, form))).toBe(false);
    expect(toPolicyChanges(p, { ...form, max: '' , min: '60d' })).toEqual({ min: '60d', max: null });
    expect(toPolicyChanges(p, { ...form, enabled: false })).toEqual({ enabled: false });
    expect(toPolicyChanges(p, { ...form, locked: true, scope: ' type:voice ' })).toEqual({ locked: true });
    expect(toPolicyChanges(policy({ locked: true }), { ...formFromPolicy(policy({ locked: true })), locked: false })).toEqual({});
  });

  it('allows a locked policy to be extended only', () => {
    const p = policy({ locked: true, min: '6y', max: '10y', action: 'review' });
    const f = formFromPolicy(p);
    expect(lockedProblem(policy(), { ...formFromPolicy(policy()), max: '1d' })).toBeUndefined();
    expect(lockedProblem(p, f)).toBeUndefined();
    expect(lockedProblem(p, { ...f, min: '7y', max: '12y' })).toBeUndefined();
    expect(lockedProblem(p, { ...f, min: '5y' })).toBe('retention.locked_min');
    expect(lockedProblem(p, { ...f, min: '' })).toBe('retention.locked_min');
    expect(lockedProblem(p, { ...f, max: '9y' })).toBe('retention.locked_max');
    expect(lockedProblem(p, { ...f, scope: 'type:text' })).toBe('retention.locked_scope');
    expect(lockedProblem(p, { ...f, action: 'delete' })).toBe('retention.locked_action');
    expect(lockedProblem(p, { ...f, enabled: false })).toBe('retention.locked_disable');
    expect(lockedProblem(p, { ...f, locked: false })).toBe('retention.locked_unlock');
    const floorOnly = policy({ locked: true, min: '6y', max: null });
    expect(lockedProblem(floorOnly, { ...formFromPolicy(floorOnly), max: '8y' })).toBe('retention.locked_newMax');
  });
});

describe('forecast, holds, reviews', () => {
  it('names the policies of each conflict, most records first', () => {
    const forecast: RetentionForecast = {
      at: 0,
      records: 10,
      policies: [],
      held: { records: 0, bytes: 0 },
      conflicts: { records: 5, byPolicies: [{ floorPolicyId: 2, ceilingPolicyId: 1, records: 1 }, { floorPolicyId: 9, ceilingPolicyId: 1, records: 4 }] },
      frozen: 0,
      durationMs: 1,
    };
    expect(conflictRows(forecast, [policy(), policy({ id: 2, name: 'sec' })])).toEqual([
      { floor: '#9', ceiling: 'voice-90d', records: 4 },
      { floor: 'sec', ceiling: 'voice-90d', records: 1 },
    ]);
  });

  it('has a label for every keep reason', () => {
    for (const r of ['hold', 'privacy-request', 'no-policy', 'no-maximum', 'not-due']) {
      const k = keepReasonKey(r);
      expect(k).toBeDefined();
      expect(messages.en[k!]).toBeTruthy();
      expect(messages['zh-CN'][k!]).toBeTruthy();
    }
    expect(keepReasonKey('something-new')).toBeUndefined();
    expect(keepReasonKey(null)).toBeUndefined();
  });

  it('splits lists typed with commas or newlines (also Chinese punctuation), without duplicates', () => {
    expect(splitList(' a, b\nc，d；a \n\n')).toEqual(['a', 'b', 'c', 'd']);
    expect(splitList('')).toEqual([]);
  });

  it('requires at least one hold criterion', () => {
    const none = { scope: ' ', custodians: ', ', conversations: '', after: '', before: '' };
    expect(holdHasCriteria(none)).toBe(false);
    expect(holdHasCriteria({ ...none, custodians: 'zhang' })).toBe(true);
    expect(holdHasCriteria({ ...none, after: '2026-01-01' })).toBe(true);
  });

  it('lists active holds first, then released ones', () => {
    const h = (id: number, status: 'active' | 'released', placedAt: number, releasedAt: number | null = null): LegalHold => ({
      id, matterId: 1, matter: 'm', scope: null, custodians: [], conversations: [], afterMs: null, beforeMs: null, reason: 'r', placedAt, placedBy: 'user:a', status, releasedAt, releasedBy: null, releaseReason: null,
    });
    expect(sortHolds([h(1, 'released', 1, 5), h(2, 'active', 2), h(3, 'active', 3), h(4, 'released', 1, 9)]).map((x) => x.id)).toEqual([3, 2, 4, 1]);
  });

  it('lets the proposer not decide their own proposal (four eyes)', () => {
    expect(reviewStep({ status: 'pending', proposedBy: null }, 'a')).toBe('propose');
    expect(reviewStep({ status: 'proposed', proposedBy: 'user:a' }, 'a')).toBe('own-proposal');
    expect(reviewStep({ status: 'proposed', proposedBy: 'user:a' }, 'b')).toBe('decide');
    expect(reviewStep({ status: 'approved', proposedBy: 'user:a' }, 'b')).toBe('closed');
    expect(reviewStep({ status: 'void', proposedBy: null }, 'b')).toBe('closed');
    // Selectable for a bulk step: only items at a step this user may take.
    expect([mayActOn({ status: 'pending', proposedBy: null }, 'a'), mayActOn({ status: 'proposed', proposedBy: 'user:a' }, 'a'), mayActOn({ status: 'proposed', proposedBy: 'user:a' }, 'b'), mayActOn({ status: 'void', proposedBy: null }, 'b')]).toEqual([true, false, true, false]);
    expect(actorName('user:alice')).toBe('alice');
    expect(actorName('system')).toBe('system');
    expect(actorName(null)).toBe('—');
  });

  it('reads the time of a message key and the hours since a run', () => {
    const t = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
    expect(timeOfMessageKey(t * 2048 + 2047)).toBe(t);
    expect(hoursSince(new Date(t).toISOString(), t + 27 * 3_600_000 + 5)).toBe(27);
    expect(hoursSince(new Date(t).toISOString(), t - 10)).toBe(0);
  });
});
