import type { Context } from '../context.js';
import { decideRetention } from '../domain/retention.js';
import { AppError, conflict, notFound, usageError } from '../errors.js';
import { findReview, listReviewRows, updateReview, type ReviewRow, type ReviewStatus } from '../repositories/disposition.js';
import { appendAudit } from './audit.js';
import { afterDisposal } from './disposition.js';
import { certifiedDisposal } from './disposition-certificates.js';
import { wormState } from './disposition-worm.js';
import { createFactsReader } from '../repositories/retention-facts.js';
import { MAX_BULK_REVIEWS } from './limits.js';
import { loadRetentionRules, resolveHoldText } from './retention-rules.js';

/**
 * The four-eyes disposition review queue. A sweep queues the records whose governing policy says
 * `review` at its maximum (one open item per record). One compliance user proposes (`dispose` or
 * `retain`, with a note); ANOTHER user approves or rejects the proposal (the same actor cannot:
 * `review.same_person`). An approved `dispose` disposes of the record through disposeRecords
 * (reason `review`) after deciding it again at that moment: a record that is held, frozen by a
 * privacy request, no longer due, or (WORM) within its floor is not disposed — the item becomes
 * `void` with the reason. An approved `retain` keeps the record, and later sweeps do not queue it
 * again for the same policy version. A rejected proposal closes the item; the next sweep queues the
 * record again. Every step is an audit event (ids and codes, never content or notes' text).
 */

export interface ReviewView {
  id: number;
  messageKey: number;
  policyId: number;
  policyVersion: number | null;
  runId: number | null;
  status: ReviewStatus;
  queuedAt: string;
  proposal: 'dispose' | 'retain' | null;
  proposedBy: string | null;
  proposedAt: string | null;
  proposalNote: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
  voidReason: string | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(Number(ms)).toISOString());

const viewOf = (r: ReviewRow): ReviewView => ({
  id: r.id, messageKey: Number(r.message_key), policyId: r.policy_id, policyVersion: r.policy_version, runId: r.run_id, status: r.status, queuedAt: iso(r.queued_at)!,
  proposal: r.proposal === 'dispose' || r.proposal === 'retain' ? r.proposal : null, proposedBy: r.proposed_by, proposedAt: iso(r.proposed_at), proposalNote: r.proposal_note,
  decidedBy: r.decided_by, decidedAt: iso(r.decided_at), decisionNote: r.decision_note, voidReason: r.void_reason,
});

export { MAX_BULK_REVIEWS, REVIEW_STATUSES } from './limits.js';

export async function listReviews(ctx: Context, filter: { status?: ReviewStatus[] | undefined; policyId?: number | undefined; limit?: number | undefined; offset?: number | undefined } = {}): Promise<{ total: number; items: ReviewView[] }> {
  const { total, rows } = await listReviewRows(ctx.db, { status: filter.status ?? ['pending', 'proposed'], policyId: filter.policyId, limit: filter.limit ?? 100, offset: filter.offset ?? 0 });
  return { total, items: rows.map(viewOf) };
}

const MAX_NOTE = 2000;
function checkNote(note: string | undefined): string | null {
  if (note === undefined || note.trim() === '') return null;
  if (note.length > MAX_NOTE) throw usageError('review.note_too_long', `the note is longer than ${MAX_NOTE} characters`);
  return note.trim();
}

/** Step one: a compliance user proposes to dispose of or retain the record. */
export async function proposeReview(ctx: Context, id: number, input: { proposal: 'dispose' | 'retain'; note?: string | undefined }): Promise<ReviewView> {
  if (input.proposal !== 'dispose' && input.proposal !== 'retain') throw usageError('review.bad_proposal', 'the proposal is "dispose" or "retain"');
  const note = checkNote(input.note);
  return ctx.db.transaction().execute(async (trx) => {
    const item = await findReview(trx, id);
    if (!item) throw notFound('review.not_found', `no review item ${id}`);
    if (item.status !== 'pending') throw conflict('review.not_pending', `review item ${id} is ${item.status}; only a pending item takes a proposal`);
    const now = ctx.clock.now();
    await updateReview(trx, id, { status: 'proposed', proposal: input.proposal, proposed_by: ctx.actor, proposed_at: now, proposal_note: note });
    await appendAudit(ctx, trx, { action: 'review.proposed', subject: `review:${id}`, details: { reviewId: id, messageKey: Number(item.message_key), policyId: item.policy_id, proposal: input.proposal, note: note !== null } });
    return viewOf((await findReview(trx, id))!);
  });
}

/** Step two: ANOTHER user approves or rejects the proposal. */
export async function decideReview(ctx: Context, id: number, input: { approve: boolean; note?: string | undefined }): Promise<ReviewView & { disposed: boolean }> {
  const note = checkNote(input.note);
  const result = await ctx.db.transaction().execute(async (trx) => {
    const item = await findReview(trx, id);
    if (!item) throw notFound('review.not_found', `no review item ${id}`);
    if (item.status !== 'proposed') throw conflict('review.not_proposed', `review item ${id} is ${item.status}; only a proposed item can be decided`);
    if (item.proposed_by === ctx.actor) {
      throw new AppError('review.same_person', 'four eyes: the user who proposed cannot also decide; another compliance user must', { exitCode: 1, status: 409 });
    }
    const now = ctx.clock.now();
    const base = { decided_by: ctx.actor, decided_at: now, decision_note: note };
    const key = Number(item.message_key);
    const audit = { reviewId: id, messageKey: key, policyId: item.policy_id, proposal: item.proposal, approve: input.approve, note: note !== null };
    if (!input.approve) {
      await updateReview(trx, id, { ...base, status: 'rejected' });
      await appendAudit(ctx, trx, { action: 'review.rejected', subject: `review:${id}`, details: audit });
      return { disposed: false };
    }
    if (item.proposal === 'retain') {
      await updateReview(trx, id, { ...base, status: 'approved' });
      await appendAudit(ctx, trx, { action: 'review.approved', subject: `review:${id}`, details: { ...audit, outcome: 'retained' } });
      return { disposed: false };
    }
    // Approved disposal: decide again now, with the rules as they are in this transaction.
    const [row] = await createFactsReader(ctx).read(key - 1, 1, key + 1);
    let voidReason: string | undefined;
    if (!row) voidReason = 'gone';
    else {
      const rules = await loadRetentionRules(trx, ctx.config.timeZone);
      const holds = await resolveHoldText(trx, rules.holds, key, key);
      const d = decideRetention(row, rules.policies, holds, now);
      const worm = await wormState(trx);
      if (d.holdIds.length > 0) voidReason = 'hold';
      else if (d.keepReason === 'privacy-request') voidReason = 'privacy-request';
      else if (worm.enabled && d.floor !== undefined && d.floor.until > now) voidReason = 'floor';
      else if (d.fate === 'keep') voidReason = d.keepReason ?? 'not-due';
      if (voidReason === undefined) {
        await updateReview(trx, id, { ...base, status: 'approved' });
        // A run of its own with a signed certificate, like the sweep's disposals.
        const res = await certifiedDisposal(ctx, trx, 'review', [row], { reason: 'review', rules: { ...rules, holds }, policyIdOf: () => item.policy_id });
        await appendAudit(ctx, trx, { action: 'review.approved', subject: `review:${id}`, details: { ...audit, outcome: 'disposed', runId: res.runId } });
        return { disposed: res.count > 0 };
      }
    }
    await updateReview(trx, id, { ...base, status: 'void', void_reason: voidReason });
    await appendAudit(ctx, trx, { action: 'review.void', subject: `review:${id}`, details: { ...audit, reason: voidReason } });
    return { disposed: false };
  });
  if (result.disposed) await afterDisposal(ctx);
  return { ...viewOf((await findReview(ctx.db, id))!), disposed: result.disposed };
}

/** The outcome of one item of a bulk step: done, or refused with the error's code and message. */
export type BulkReviewResult<T> = { id: number; ok: true; review: T } | { id: number; ok: false; code: string; message: string };


/**
 * One step on several items, each on its own (its own transaction and audit event, as if done one
 * by one): an item that cannot take the step (not pending, proposed by the same user, gone) is
 * reported with its code, and the others go on.
 */
async function eachReview<T>(ids: readonly number[], act: (id: number) => Promise<T>): Promise<{ done: number; failed: number; results: BulkReviewResult<T>[] }> {
  if (ids.length > MAX_BULK_REVIEWS) throw usageError('review.too_many', `at most ${MAX_BULK_REVIEWS} review items at a time`);
  const results: BulkReviewResult<T>[] = [];
  for (const id of [...new Set(ids)]) {
    try {
      results.push({ id, ok: true, review: await act(id) });
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      results.push({ id, ok: false, code: e.code, message: e.message });
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  return { done: results.length - failed, failed, results };
}

/** Step one on several items (see eachReview). */
export async function proposeReviews(ctx: Context, ids: readonly number[], input: { proposal: 'dispose' | 'retain'; note?: string | undefined }): Promise<{ done: number; failed: number; results: BulkReviewResult<ReviewView>[] }> {
  checkNote(input.note);
  return eachReview(ids, (id) => proposeReview(ctx, id, input));
}

/** Step two on several items (see eachReview). */
export async function decideReviews(ctx: Context, ids: readonly number[], input: { approve: boolean; note?: string | undefined }): Promise<{ done: number; failed: number; results: BulkReviewResult<ReviewView & { disposed: boolean }>[] }> {
  checkNote(input.note);
  return eachReview(ids, (id) => decideReview(ctx, id, input));
}
