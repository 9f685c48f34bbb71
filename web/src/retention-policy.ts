import type { MessageKey } from './messages';
import type { LegalHold, RetentionAction, RetentionForecast, RetentionPolicy, RetentionPolicyChanges, RetentionPolicyInput, RetentionPreset, ReviewItem, Role } from './types';

/**
 * The rules of the retention, legal hold and disposition pages, kept pure (unit-tested): what a
 * role may do, the policy form and what it sends, the "a locked policy can only be extended" check
 * (the server enforces it; the console says it before the dry run), and the four-eyes step of a
 * review item.
 */

// ---------------------------------------------------------------------------------------------
// Permissions (src/domain/authorization.ts)

export interface RetentionCaps {
  /** retention.view: policies, forecast, runs, status, certificates. */
  view: boolean;
  /** retention.manage: add and change policies (dry run first), run a disposition. */
  manage: boolean;
  /** holds.manage: matters and legal holds. */
  holds: boolean;
  /** disposition.review: the four-eyes review queue. */
  review: boolean;
}

export function retentionCaps(role: Role | undefined): RetentionCaps {
  switch (role) {
    case 'compliance':
      return { view: true, manage: true, holds: true, review: true };
    case 'auditor':
      return { view: true, manage: false, holds: false, review: false };
    default:
      return { view: false, manage: false, holds: false, review: false };
  }
}

// ---------------------------------------------------------------------------------------------
// Durations: `30d`, `12w`, `18m`, `6y` (src/domain/retention-duration.ts)

export type DurationUnit = 'd' | 'w' | 'm' | 'y';
export interface Duration {
  amount: number;
  unit: DurationUnit;
}

const DURATION = /^(\d{1,4})\s*([dwmy])$/i;

/** A duration, or null when the text is not one (empty included). */
export function parseDuration(text: string): Duration | null {
  const m = DURATION.exec(text.trim());
  if (!m) return null;
  const amount = Number(m[1]);
  if (amount < 1) return null;
  return { amount, unit: (m[2] ?? 'd').toLowerCase() as DurationUnit };
}

/** `6y` → { key: 'retention.unit_y', n: 6 } (the dictionary's "6 years"); null when not a duration. */
export function durationLabel(text: string | null | undefined): { key: MessageKey; n: number } | null {
  const d = text ? parseDuration(text) : null;
  if (!d) return null;
  return { key: `retention.unit_${d.unit}${d.amount === 1 ? '1' : ''}` as MessageKey, n: d.amount };
}

/**
 * Whether `a` is at least as long as `b` for every start time (the server's rule for extending a
 * locked policy): months against days conservatively (1m is 28 days when it must exceed, 31 when
 * it must be exceeded).
 */
export function isAtLeast(a: Duration, b: Duration): boolean {
  const months = (d: Duration): number => (d.unit === 'y' ? d.amount * 12 : d.amount);
  const days = (d: Duration): number => (d.unit === 'w' ? d.amount * 7 : d.amount);
  const aMonthly = a.unit === 'm' || a.unit === 'y';
  const bMonthly = b.unit === 'm' || b.unit === 'y';
  if (aMonthly && bMonthly) return months(a) >= months(b);
  if (!aMonthly && !bMonthly) return days(a) >= days(b);
  if (aMonthly) return months(a) * 28 >= days(b);
  return days(a) >= months(b) * 31;
}

// ---------------------------------------------------------------------------------------------
// The policy form

export interface PolicyForm {
  name: string;
  scope: string;
  min: string;
  max: string;
  action: RetentionAction;
  purpose: string;
  basis: string;
  locked: boolean;
  /** The preset it started from ('' = from scratch). */
  preset: string;
  /** Only for a change: enabled after saving. */
  enabled: boolean;
}

export const emptyPolicyForm = (): PolicyForm => ({ name: '', scope: '', min: '', max: '', action: 'review', purpose: '', basis: '', locked: false, preset: '', enabled: true });

export const formFromPreset = (p: RetentionPreset, name = ''): PolicyForm => ({
  name: name || p.name,
  scope: p.scope,
  min: p.min ?? '',
  max: p.max ?? '',
  action: p.action,
  purpose: p.purpose,
  basis: p.basis,
  locked: p.locked,
  preset: p.name,
  enabled: true,
});

export const formFromPolicy = (p: RetentionPolicy): PolicyForm => ({
  name: p.name,
  scope: p.scope,
  min: p.min ?? '',
  max: p.max ?? '',
  action: p.action,
  purpose: p.purpose,
  basis: p.basis,
  locked: p.locked,
  preset: p.preset ?? '',
  enabled: p.enabled,
});

/** What is wrong with the form before anything is sent (the server checks again). */
export function formProblems(form: PolicyForm, mode: 'new' | 'change'): MessageKey[] {
  const out: MessageKey[] = [];
  if (mode === 'new' && form.name.trim() === '') out.push('retention.problem_name');
  const min = form.min.trim() === '' ? undefined : parseDuration(form.min);
  const max = form.max.trim() === '' ? undefined : parseDuration(form.max);
  if (min === null || max === null) out.push('retention.problem_duration');
  if (min === undefined && max === undefined) out.push('retention.problem_needsDuration');
  if (form.purpose.trim() === '') out.push('retention.problem_purpose');
  if (form.basis.trim() === '') out.push('retention.problem_basis');
  return out;
}

/** A floor longer than the ceiling of the same policy: the records are kept until the floor (a conflict). */
export function floorAboveCeiling(form: Pick<PolicyForm, 'min' | 'max'>): boolean {
  const min = parseDuration(form.min);
  const max = parseDuration(form.max);
  return min !== null && max !== null && !isAtLeast(max, min);
}

const trimmed = (s: string): string | undefined => (s.trim() === '' ? undefined : s.trim());

/** The body of POST /retention/policies (and of the dry run of a new policy). */
export function toPolicyInput(form: PolicyForm): RetentionPolicyInput {
  const input: RetentionPolicyInput = { name: form.name.trim(), scope: form.scope.trim(), action: form.action, purpose: form.purpose.trim(), basis: form.basis.trim(), locked: form.locked };
  const min = trimmed(form.min);
  const max = trimmed(form.max);
  if (min !== undefined) input.min = min;
  if (max !== undefined) input.max = max;
  if (form.preset !== '') input.preset = form.preset;
  return input;
}

/** The body of PUT /retention/policies/:ref: only what changed (an emptied duration is removed: null). */
export function toPolicyChanges(before: RetentionPolicy, form: PolicyForm): RetentionPolicyChanges {
  const c: RetentionPolicyChanges = {};
  if (form.scope.trim() !== before.scope) c.scope = form.scope.trim();
  const min = trimmed(form.min) ?? null;
  const max = trimmed(form.max) ?? null;
  if (min !== before.min) c.min = min;
  if (max !== before.max) c.max = max;
  if (form.action !== before.action) c.action = form.action;
  if (form.purpose.trim() !== before.purpose) c.purpose = form.purpose.trim();
  if (form.basis.trim() !== before.basis) c.basis = form.basis.trim();
  if (form.locked && !before.locked) c.locked = true;
  if (form.enabled !== before.enabled) c.enabled = form.enabled;
  return c;
}

export const hasChanges = (c: RetentionPolicyChanges): boolean => Object.keys(c).length > 0;

/**
 * Why a change to a locked policy would be refused (the server's lockedChangeProblem), or
 * undefined: a locked policy can be extended, never shortened, unlocked, disabled or rescoped.
 */
export function lockedProblem(before: RetentionPolicy, form: PolicyForm): MessageKey | undefined {
  if (!before.locked) return undefined;
  if (!form.locked) return 'retention.locked_unlock';
  if (!form.enabled) return 'retention.locked_disable';
  if (form.scope.trim() !== before.scope) return 'retention.locked_scope';
  if (form.action !== before.action) return 'retention.locked_action';
  const beforeMin = before.min ? parseDuration(before.min) : null;
  const beforeMax = before.max ? parseDuration(before.max) : null;
  const min = parseDuration(form.min);
  const max = parseDuration(form.max);
  if (beforeMin && (min === null || !isAtLeast(min, beforeMin))) return 'retention.locked_min';
  if (!beforeMax && form.max.trim() !== '') return 'retention.locked_newMax';
  if (beforeMax && max !== null && !isAtLeast(max, beforeMax)) return 'retention.locked_max';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Forecast, dry run, holds

export const FORECAST_HORIZONS = ['7', '30', '365'] as const;

/** Conflicts by policy pair, with the policies' names (or `#id` for one not in the list). */
export function conflictRows(forecast: RetentionForecast, policies: readonly RetentionPolicy[]): { floor: string; ceiling: string; records: number }[] {
  const name = (id: number): string => policies.find((p) => p.id === id)?.name ?? `#${id}`;
  return forecast.conflicts.byPolicies.map((c) => ({ floor: name(c.floorPolicyId), ceiling: name(c.ceilingPolicyId), records: c.records })).sort((a, b) => b.records - a.records);
}

const KEEP_REASONS = new Set(['hold', 'privacy-request', 'no-policy', 'no-maximum', 'not-due']);

/** The dictionary key of a keep reason; undefined for one this console does not know (shown as sent). */
export const keepReasonKey = (reason: string | null): MessageKey | undefined => (reason !== null && KEEP_REASONS.has(reason) ? (`retention.keep_${reason}` as MessageKey) : undefined);

/** Person ids or conversation ids typed one per line or separated by commas. */
export const splitList = (text: string): string[] => [...new Set(text.split(/[\n,，;；]+/u).map((s) => s.trim()).filter((s) => s !== ''))];

/** A hold must name at least one criterion (the server says the same). */
export const holdHasCriteria = (h: { scope: string; custodians: string; conversations: string; after: string; before: string }): boolean =>
  h.scope.trim() !== '' || splitList(h.custodians).length > 0 || splitList(h.conversations).length > 0 || h.after !== '' || h.before !== '';

/** Active holds first (newest first), then released ones (most recently released first). */
export function sortHolds(holds: readonly LegalHold[]): LegalHold[] {
  return [...holds].sort((a, b) => {
    if (a.status !== b.status) return a.status === 'active' ? -1 : 1;
    if (a.status === 'active') return b.placedAt - a.placedAt;
    return (b.releasedAt ?? 0) - (a.releasedAt ?? 0);
  });
}

// ---------------------------------------------------------------------------------------------
// Four-eyes review

export type ReviewStep =
  /** Nobody proposed yet: this user may propose. */
  | 'propose'
  /** Someone else proposed: this user may approve or reject. */
  | 'decide'
  /** This user proposed: another compliance user must decide. */
  | 'own-proposal'
  /** Decided or void. */
  | 'closed';

/** The server's actor of a signed-in user. */
export const actorOf = (username: string): string => `user:${username}`;

/** Strips `user:` from an actor for display. */
export const actorName = (actor: string | null): string => (actor === null ? '—' : actor.startsWith('user:') ? actor.slice(5) : actor);

export function reviewStep(item: Pick<ReviewItem, 'status' | 'proposedBy'>, username: string | undefined): ReviewStep {
  if (item.status === 'pending') return 'propose';
  if (item.status !== 'proposed') return 'closed';
  return username !== undefined && item.proposedBy === actorOf(username) ? 'own-proposal' : 'decide';
}

/** Whether the user can take a review item's next step (propose, or decide another user's proposal): selectable for a bulk step. */
export const mayActOn = (item: Pick<ReviewItem, 'status' | 'proposedBy'>, username: string | undefined): boolean => {
  const step = reviewStep(item, username);
  return step === 'propose' || step === 'decide';
};

/** The time of a message key (`time_ms * 2048 + slot`, src/domain/message-key.ts). */
export const timeOfMessageKey = (key: number): number => Math.floor(key / 2048);

/** Hours since `iso` (rounded down), for the overdue alert. */
export const hoursSince = (iso: string, now: number): number => Math.max(0, Math.floor((now - Date.parse(iso)) / 3_600_000));
