import { addDuration, formatDuration, isAtLeast, type RetentionDuration } from './retention-duration.js';
import { scopeMatches, type RecordFacts, type RetentionScope } from './retention-scope.js';

/**
 * Retention decisions (pure). One function decides the fate of one record:
 *
 *   1. a record matching an active legal hold is kept, whatever the policies say;
 *   2. a record covered by an open privacy (erasure) request is kept unchanged until it is decided;
 *   3. a record under no policy is kept;
 *   4. the longest minimum (floor) wins over any deletion: nothing is disposed before it;
 *   5. among maxima (ceilings) the shortest applies, with its action (`delete` or `review`);
 *   6. a floor later than the ceiling on the same record is a CONFLICT: it is reported, and resolved
 *      in favour of keeping — the record is kept until its floor has passed, then the ceiling applies.
 */

export type RetentionAction = 'delete' | 'review';

export interface RetentionPolicy {
  id: number;
  name: string;
  scope: RetentionScope;
  min: RetentionDuration | undefined;
  max: RetentionDuration | undefined;
  action: RetentionAction;
  enabled: boolean;
  locked: boolean;
}

export interface LegalHold {
  id: number;
  matterId: number;
  /** Released holds protect nothing (and are kept forever, for the record). */
  active: boolean;
  /** Person ids: a record any of them took part in. Empty: any person. */
  custodians: readonly string[];
  /** Conversation ids. Empty: any conversation. */
  conversations: readonly string[];
  /** Record time ≥ afterMs and < beforeMs. */
  afterMs: number | undefined;
  beforeMs: number | undefined;
  /** A search-language query, or undefined. */
  scope: RetentionScope | undefined;
  /** Keys of the records the scope's text query matches (resolved by the search index), when it has text. */
  textMatches?: ReadonlySet<number> | undefined;
}

/** Whether a hold covers a record: every criterion it names holds (custodians and conversations are alternatives within themselves). */
export function holdMatches(hold: LegalHold, r: RecordFacts): boolean {
  if (!hold.active) return false;
  if (hold.afterMs !== undefined && r.timeMs < hold.afterMs) return false;
  if (hold.beforeMs !== undefined && r.timeMs >= hold.beforeMs) return false;
  if (hold.custodians.length > 0 && !hold.custodians.some((c) => r.participants.includes(c))) return false;
  if (hold.conversations.length > 0 && !hold.conversations.includes(r.conversation.id)) return false;
  if (hold.scope !== undefined && !scopeMatches(hold.scope, r, hold.textMatches)) return false;
  return true;
}

/** A hold must name at least one criterion; a hold on "everything" is written as a date range. */
export function holdHasCriteria(h: Pick<LegalHold, 'custodians' | 'conversations' | 'afterMs' | 'beforeMs' | 'scope'>): boolean {
  return h.custodians.length > 0 || h.conversations.length > 0 || h.afterMs !== undefined || h.beforeMs !== undefined || h.scope !== undefined;
}

export type RetentionFate = 'keep' | 'delete' | 'review';

export type KeepReason =
  /** An active legal hold covers the record. */
  | 'hold'
  /** An open privacy request freezes the record. */
  | 'privacy-request'
  /** No enabled policy covers the record. */
  | 'no-policy'
  /** Policies cover it but none sets a maximum. */
  | 'no-maximum'
  /** Its maximum (or its floor, in a conflict) has not been reached yet. */
  | 'not-due';

export interface RetentionDecision {
  fate: RetentionFate;
  /** Why it is kept (fate `keep`), or undefined. */
  keepReason: KeepReason | undefined;
  holdIds: number[];
  /** Every enabled policy whose scope covers the record. */
  policyIds: number[];
  /** The policy whose floor governs (the longest minimum), and when the floor ends. */
  floor: { policyId: number; until: number } | undefined;
  /** The policy whose ceiling governs (the shortest maximum), and when the record is due. */
  ceiling: { policyId: number; at: number; action: RetentionAction } | undefined;
  /** The instant from which the record may be disposed (undefined: never, under the present policies). */
  disposeAt: number | undefined;
  /** The floor ends after the ceiling: reported to the compliance officer; kept until the floor. */
  conflict: boolean;
}

export function decideRetention(record: RecordFacts, policies: readonly RetentionPolicy[], holds: readonly LegalHold[], now: number): RetentionDecision {
  const policyIds: number[] = [];
  let floor: RetentionDecision['floor'];
  let ceiling: RetentionDecision['ceiling'];
  for (const p of policies) {
    if (!p.enabled || !scopeMatches(p.scope, record)) continue;
    policyIds.push(p.id);
    if (p.min !== undefined) {
      const until = addDuration(record.timeMs, p.min);
      if (floor === undefined || until > floor.until || (until === floor.until && p.id < floor.policyId)) floor = { policyId: p.id, until };
    }
    if (p.max !== undefined) {
      const at = addDuration(record.timeMs, p.max);
      // The shortest maximum applies; on a tie, `review` (the more careful action) wins, then the lower id.
      const better = ceiling === undefined || at < ceiling.at
        || (at === ceiling.at && ((p.action === 'review' && ceiling.action === 'delete') || (p.action === ceiling.action && p.id < ceiling.policyId)));
      if (better) ceiling = { policyId: p.id, at, action: p.action };
    }
  }
  const conflict = floor !== undefined && ceiling !== undefined && floor.until > ceiling.at;
  const disposeAt = ceiling === undefined ? undefined : Math.max(ceiling.at, floor?.until ?? ceiling.at);
  const holdIds = holds.filter((h) => holdMatches(h, record)).map((h) => h.id);
  const base = { holdIds, policyIds, floor, ceiling, disposeAt, conflict };
  const keep = (keepReason: KeepReason): RetentionDecision => ({ fate: 'keep', keepReason, ...base });
  if (holdIds.length > 0) return keep('hold');
  if (record.frozen === true) return keep('privacy-request');
  if (policyIds.length === 0) return keep('no-policy');
  if (ceiling === undefined || disposeAt === undefined) return keep('no-maximum');
  if (now < disposeAt) return keep('not-due');
  return { fate: ceiling.action, keepReason: undefined, ...base };
}

/**
 * Whether a change to a locked policy only extends it: the scope and action stay, the minimum does
 * not shrink or disappear, and the maximum does not shrink or appear. Returns the reason when not.
 */
/**
 * Under WORM mode every retention floor behaves as locked: a change that would let a record in an
 * enabled policy's scope be disposed earlier (disable, a shorter or removed minimum, another scope)
 * is refused. Maxima and actions stay editable: they never protect a record. Undefined when allowed.
 */
export function wormFloorProblem(before: Pick<RetentionPolicy, 'min' | 'enabled'> & { scopeText: string }, after: Pick<RetentionPolicy, 'min' | 'enabled'> & { scopeText: string }): string | undefined {
  if (!before.enabled || before.min === undefined) return undefined;
  if (!after.enabled) return 'under WORM mode a policy with a retention floor cannot be disabled';
  if (after.scopeText !== before.scopeText) return 'under WORM mode the scope of a policy with a retention floor cannot change';
  if (after.min === undefined || !isAtLeast(after.min, before.min)) return `under WORM mode a retention floor can only be extended (it is ${formatDuration(before.min)})`;
  return undefined;
}

export function lockedChangeProblem(before: Pick<RetentionPolicy, 'min' | 'max' | 'action' | 'enabled'> & { scopeText: string }, after: Pick<RetentionPolicy, 'min' | 'max' | 'action' | 'enabled' | 'locked'> & { scopeText: string }): string | undefined {
  if (!after.locked) return 'a locked policy cannot be unlocked';
  if (!after.enabled) return 'a locked policy cannot be disabled';
  if (after.scopeText !== before.scopeText) return 'the scope of a locked policy cannot change';
  if (after.action !== before.action) return 'the action of a locked policy cannot change';
  if (before.min !== undefined && (after.min === undefined || !isAtLeast(after.min, before.min))) {
    return `the minimum of a locked policy can only be extended (it is ${formatDuration(before.min)})`;
  }
  if (before.max === undefined && after.max !== undefined) return 'a locked policy without a maximum cannot get one';
  if (before.max !== undefined && after.max !== undefined && !isAtLeast(after.max, before.max)) {
    return `the maximum of a locked policy can only be extended (it is ${formatDuration(before.max)})`;
  }
  return undefined;
}
