import { z } from 'zod';
import { parseInstant } from '../../domain/clock.js';
import { usageError } from '../../errors.js';
import { listCertificates, verifyCertificate } from '../../services/disposition-certificates.js';
import { decideReview, decideReviews, listReviews, MAX_BULK_REVIEWS, proposeReview, proposeReviews, REVIEW_STATUSES } from '../../services/disposition-reviews.js';
import { listDispositionRuns, retentionStatus, runDisposition } from '../../services/disposition-run.js';
import { decimal, keyParam, route } from '../route.js';

/**
 * Disposition over the API: runs (dry or real), status with the overdue alert, certificates and
 * their verification, and the four-eyes review queue. The actor is the signed-in user
 * (`user:<name>`): the same user cannot both propose and decide a review item.
 */

const policyCounts = z.object({ disposed: z.number(), queued: z.number(), keptByHold: z.number(), keptByPrivacy: z.number(), conflicts: z.number(), errors: z.number() });
const countsSchema = z.object({
  examined: z.number(), disposed: z.number(), queued: z.number(), alreadyQueued: z.number(), retainedByReview: z.number(), keptByHold: z.number(), keptByPrivacy: z.number(),
  conflicts: z.number(), errors: z.number(), bytesFreed: z.number(), blobsDeleted: z.number(), batches: z.number(), durationMs: z.number(),
  perPolicy: z.record(z.string(), policyCounts), stoppedEarly: z.boolean(),
});
const runSchema = z.object({
  id: z.number(), status: z.enum(['running', 'completed', 'failed', 'interrupted']), dryRun: z.boolean(), trigger: z.string(), actor: z.string(), startedAt: z.string(),
  finishedAt: z.string().nullable(), now: z.string(), cursor: z.number().nullable(), resumes: z.number(), error: z.string().nullable(), counts: countsSchema.nullable(),
});
const reviewSchema = z.object({
  id: z.number(), messageKey: z.number(), policyId: z.number(), policyVersion: z.number().nullable(), runId: z.number().nullable(), status: z.enum(['pending', 'proposed', 'approved', 'rejected', 'void']),
  queuedAt: z.string(), proposal: z.enum(['dispose', 'retain']).nullable(), proposedBy: z.string().nullable(), proposedAt: z.string().nullable(), proposalNote: z.string().nullable(),
  decidedBy: z.string().nullable(), decidedAt: z.string().nullable(), decisionNote: z.string().nullable(), voidReason: z.string().nullable(),
});
/** The items of a bulk review step. */
const bulkIds = z.array(z.number().int().positive()).min(1).max(MAX_BULK_REVIEWS);
const bulkResponse = <T extends z.ZodTypeAny>(review: T) => z.object({
  done: z.number(), failed: z.number(),
  results: z.array(z.union([z.object({ id: z.number(), ok: z.literal(true), review }), z.object({ id: z.number(), ok: z.literal(false), code: z.string(), message: z.string() })])),
});
const certificatePolicy = z.object({ id: z.number(), name: z.string(), version: z.number(), min: z.string().nullable(), max: z.string().nullable(), action: z.string(), locked: z.boolean() });
const certificateSchema = z.object({
  runId: z.number(), auditSeq: z.number(), time: z.string(), actor: z.string(),
  details: z.object({
    runId: z.number(), status: z.string(), trigger: z.string(), start: z.string(), end: z.string(), now: z.string(), resumes: z.number(), counts: countsSchema,
    policies: z.array(certificatePolicy), merkleRoot: z.string(), tombstones: z.number(), worm: z.boolean(), leafForm: z.string(),
  }),
});
const idParam = z.object({ id: keyParam });

/** Longest a run started from the API may take before it stops (the next run or the daily job continues it). */
const API_RUN_MAX_SECONDS = 600;

export const retentionRunRoutes = [
  route({
    method: 'GET', url: '/retention/runs', summary: 'Disposition runs, newest first, with their counts per policy', tags: ['retention'], access: 'retention.view',
    query: z.object({ limit: decimal(1, 500).default(50) }),
    response: z.object({ runs: z.array(runSchema) }),
    handler: async ({ query, req }) => ({ runs: await listDispositionRuns(req.ctx, { limit: query.limit }) }),
  }),
  route({
    method: 'POST', url: '/retention/runs', summary: 'Run a disposition now (dryRun: decide and count only); bounded in time, resumable', tags: ['retention'], access: 'retention.manage',
    body: z.object({
      dryRun: z.boolean().default(true),
      now: z.string().datetime({ offset: true }).optional(),
      maxSeconds: z.number().int().min(1).max(API_RUN_MAX_SECONDS).default(30),
    }),
    response: runSchema.extend({ resumed: z.boolean(), certificate: z.object({ merkleRoot: z.string(), tombstones: z.number(), auditSeq: z.number() }).nullable() }),
    handler: async ({ body, req }) => {
      const now = body.now === undefined ? undefined : parseInstant(body.now);
      if (body.now !== undefined && now === undefined) throw usageError('retention.bad_now', 'now must be a valid ISO 8601 time');
      return runDisposition(req.ctx, { dryRun: body.dryRun, now, trigger: 'api', maxDurationMs: body.maxSeconds * 1000 });
    },
  }),
  route({
    method: 'GET', url: '/retention/status', summary: 'Last runs, next due run, WORM mode, open reviews and the overdue alert', tags: ['retention'], access: 'retention.view',
    response: z.object({
      generatedAt: z.string(), worm: z.object({ enabled: z.boolean(), enabledAt: z.string().nullable(), enabledBy: z.string().nullable() }), enabledPolicies: z.number(),
      policiesWithMaximum: z.number(), lastRuns: z.array(runSchema), lastCompleted: runSchema.nullable(), running: runSchema.nullable(), nextRunDueAt: z.string().nullable(),
      pausedAfterRestore: z.object({ backupId: z.string(), snapshotAt: z.string(), restoredAt: z.string() }).nullable(),
      overdue: z.boolean(), alert: z.string().nullable(), pendingReviews: z.number(),
    }),
    handler: async ({ req }) => retentionStatus(req.ctx),
  }),
  route({
    method: 'GET', url: '/retention/certificates', summary: 'Disposition certificates in the audit log, newest first', tags: ['retention'], access: 'retention.view',
    query: z.object({ limit: decimal(1, 1000).default(100) }),
    response: z.object({ certificates: z.array(certificateSchema) }),
    handler: async ({ query, req }) => ({ certificates: await listCertificates(req.ctx, { limit: query.limit }) }),
  }),
  route({
    method: 'GET', url: '/retention/certificates/:id/verify', summary: "Verify a run's certificate against its tombstones and the signed audit log", tags: ['retention'], access: 'retention.view',
    params: idParam,
    response: z.object({
      runId: z.number(), ok: z.boolean(), auditSeq: z.number().nullable(), merkleRoot: z.object({ certified: z.string().nullable(), recomputed: z.string() }),
      tombstones: z.object({ certified: z.number().nullable(), recomputed: z.number() }), treeSize: z.number().nullable(), worm: z.boolean().nullable(), problems: z.array(z.string()),
    }),
    handler: async ({ params, req }) => verifyCertificate(req.ctx, params.id),
  }),
  route({
    method: 'GET', url: '/retention/reviews', summary: 'The disposition review queue (default: open items)', tags: ['retention'], access: 'disposition.review',
    query: z.object({
      status: z.string().max(100).optional(),
      limit: decimal(1, 1000).default(100),
      offset: decimal(0).default(0),
    }),
    response: z.object({ total: z.number(), items: z.array(reviewSchema) }),
    handler: async ({ query, req }) => {
      const status = query.status?.split(',').map((s) => s.trim()).filter((s) => s !== '');
      const bad = status?.find((s) => !(REVIEW_STATUSES as readonly string[]).includes(s));
      if (bad !== undefined) throw usageError('review.bad_status', `status "${bad}" is not one of ${REVIEW_STATUSES.join(', ')}`);
      return listReviews(req.ctx, { status: status as typeof REVIEW_STATUSES[number][] | undefined, limit: query.limit, offset: query.offset });
    },
  }),
  route({
    method: 'POST', url: '/retention/reviews/:id/propose', summary: 'Propose to dispose of or retain a queued record (step one of two)', tags: ['retention'], access: 'disposition.review',
    params: idParam,
    body: z.object({ proposal: z.enum(['dispose', 'retain']), note: z.string().max(2000).optional() }),
    response: reviewSchema,
    handler: async ({ params, body, req }) => proposeReview(req.ctx, params.id, { proposal: body.proposal, note: body.note }),
  }),
  route({
    method: 'POST', url: '/retention/reviews/propose', summary: 'Step one on several items, each on its own: those that cannot take it are reported with their error code', tags: ['retention'], access: 'disposition.review',
    body: z.object({ ids: bulkIds, proposal: z.enum(['dispose', 'retain']), note: z.string().max(2000).optional() }),
    response: bulkResponse(reviewSchema),
    handler: async ({ body, req }) => proposeReviews(req.ctx, body.ids, { proposal: body.proposal, note: body.note }),
  }),
  route({
    method: 'POST', url: '/retention/reviews/decide', summary: 'Step two on several items, each on its own (items you proposed are refused: review.same_person)', tags: ['retention'], access: 'disposition.review',
    body: z.object({ ids: bulkIds, approve: z.boolean(), note: z.string().max(2000).optional() }),
    response: bulkResponse(reviewSchema.extend({ disposed: z.boolean() })),
    handler: async ({ body, req }) => decideReviews(req.ctx, body.ids, { approve: body.approve, note: body.note }),
  }),
  route({
    method: 'POST', url: '/retention/reviews/:id/decide', summary: 'Approve or reject a proposal (step two; not by the user who proposed: 409 review.same_person)', tags: ['retention'], access: 'disposition.review',
    params: idParam,
    body: z.object({ approve: z.boolean(), note: z.string().max(2000).optional() }),
    response: reviewSchema.extend({ disposed: z.boolean() }),
    handler: async ({ params, body, req }) => decideReview(req.ctx, params.id, { approve: body.approve, note: body.note }),
  }),
];
