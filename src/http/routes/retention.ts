import { z } from 'zod';
import { RETENTION_PRESETS } from '../../domain/retention-presets.js';
import { addMatter, closeMatter, listHolds, listMatters, placeHold, releaseHold, showHold, showMatter } from '../../services/holds.js';
import { addPolicy, listPolicies, showPolicy, updatePolicy } from '../../services/policies.js';
import { dryRunPolicy, forecastRetention } from '../../services/retention-forecast.js';
import { decimal, route } from '../route.js';

/** Retention policies (with forecast and dry run), matters and legal holds. No message content. */

const action = z.enum(['delete', 'review']);
const policy = z.object({
  id: z.number(), name: z.string(), scope: z.string(), min: z.string().nullable(), max: z.string().nullable(), action, purpose: z.string(), basis: z.string(),
  locked: z.boolean(), enabled: z.boolean(), preset: z.string().nullable(), createdAt: z.number(), createdBy: z.string(), updatedAt: z.number(), updatedBy: z.string(), version: z.number(), timeZone: z.string().nullable(),
});
const policyInput = z.object({
  name: z.string().min(1).max(100),
  scope: z.string().max(1000).optional(),
  min: z.string().max(20).optional(),
  max: z.string().max(20).optional(),
  action: action.optional(),
  purpose: z.string().max(2000).optional(),
  basis: z.string().max(2000).optional(),
  locked: z.boolean().optional(),
  preset: z.string().max(100).optional(),
});
const policyChanges = z.object({
  scope: z.string().max(1000).optional(),
  min: z.string().max(20).nullable().optional(),
  max: z.string().max(20).nullable().optional(),
  action: action.optional(),
  purpose: z.string().max(2000).optional(),
  basis: z.string().max(2000).optional(),
  locked: z.literal(true).optional(),
  enabled: z.boolean().optional(),
});
const count = z.object({ records: z.number(), bytes: z.number() });
const forecast = z.object({
  at: z.number(), records: z.number(),
  policies: z.array(z.object({ policyId: z.number(), name: z.string(), action, dueNow: count, within: z.record(z.string(), count) })),
  held: count,
  conflicts: z.object({ records: z.number(), byPolicies: z.array(z.object({ floorPolicyId: z.number(), ceilingPolicyId: z.number(), records: z.number() })) }),
  frozen: z.number(), durationMs: z.number(),
});
const fate = z.object({ fate: z.enum(['keep', 'delete', 'review']), disposeAt: z.number().nullable(), keepReason: z.string().nullable() });
const dryRun = z.object({
  policy: z.object({ name: z.string(), scope: z.string(), min: z.string().nullable(), max: z.string().nullable(), action: z.string(), locked: z.boolean(), enabled: z.boolean() }),
  changedNow: z.number(), changedWithinYear: z.number(), newlyDue: count, noLongerDue: count, newConflicts: z.number(),
  examples: z.array(z.object({ source: z.string(), id: z.string(), timeMs: z.number(), type: z.string(), before: fate, after: fate })),
  durationMs: z.number(),
});
const matter = z.object({
  id: z.number(), name: z.string(), description: z.string().nullable(), status: z.enum(['open', 'closed']), createdAt: z.number(), createdBy: z.string(),
  closedAt: z.number().nullable(), closedBy: z.string().nullable(), closeReason: z.string().nullable(), activeHolds: z.number(), releasedHolds: z.number(),
});
const hold = z.object({
  id: z.number(), matterId: z.number(), matter: z.string(), scope: z.string().nullable(), custodians: z.array(z.string()), conversations: z.array(z.string()),
  afterMs: z.number().nullable(), beforeMs: z.number().nullable(), reason: z.string(), placedAt: z.number(), placedBy: z.string(),
  status: z.enum(['active', 'released']), releasedAt: z.number().nullable(), releasedBy: z.string().nullable(), releaseReason: z.string().nullable(), timeZone: z.string().nullable(),
});
const idParam = z.object({ id: decimal(1) });
const refParam = z.object({ ref: z.string().min(1).max(100) });
const reasonBody = z.object({ reason: z.string().min(1).max(4000) });
const nowQuery = z.object({ now: decimal(0).optional() });

export const retentionRoutes = [
  route({
    method: 'GET', url: '/retention/policies', summary: 'Retention policies', tags: ['retention'], access: 'retention.view',
    response: z.object({ policies: z.array(policy) }),
    handler: async ({ req }) => ({ policies: await listPolicies(req.ctx) }),
  }),
  route({
    method: 'POST', url: '/retention/policies', summary: 'Add a retention policy (audited)', tags: ['retention'], access: 'retention.manage',
    body: policyInput, response: policy,
    handler: async ({ req, body }) => addPolicy(req.ctx, body),
  }),
  route({
    method: 'GET', url: '/retention/policies/:ref', summary: 'One retention policy (by id or name)', tags: ['retention'], access: 'retention.view',
    params: refParam, response: policy,
    handler: async ({ req, params }) => showPolicy(req.ctx, params.ref),
  }),
  route({
    method: 'PUT', url: '/retention/policies/:ref', summary: 'Change a policy (a locked one can only be extended; disable with enabled=false)', tags: ['retention'], access: 'retention.manage',
    params: refParam, body: policyChanges, response: policy,
    handler: async ({ req, params, body }) => updatePolicy(req.ctx, params.ref, body),
  }),
  route({
    method: 'POST', url: '/retention/dry-run', summary: 'Which records would change fate if a policy were saved (new: `input`; change: `ref` + `changes`). Saves nothing.', tags: ['retention'], access: 'retention.manage',
    body: z.union([z.object({ input: policyInput }), z.object({ ref: z.string().min(1).max(100), changes: policyChanges })]),
    query: nowQuery, response: dryRun,
    handler: async ({ req, body, query }) => dryRunPolicy(req.ctx, body, { now: query.now }),
  }),
  route({
    method: 'GET', url: '/retention/presets', summary: 'Policy presets (SEC 17a-4/FINRA, MiFID II, PIPL, GDPR, voice and video)', tags: ['retention'], access: 'retention.view',
    response: z.object({ presets: z.array(z.object({
      name: z.string(), title: z.object({ en: z.string(), zh: z.string() }), scope: z.string(), min: z.string().optional(), max: z.string().optional(),
      action, locked: z.boolean(), purpose: z.string(), basis: z.string(), note: z.string(), needsMax: z.boolean().optional(),
    })) }),
    handler: () => Promise.resolve({ presets: [...RETENTION_PRESETS] }),
  }),
  route({
    method: 'GET', url: '/retention/forecast', summary: 'Records and bytes each policy will dispose in the next 7/30/365 days; conflicts; held', tags: ['retention'], access: 'retention.view',
    query: nowQuery, response: forecast,
    handler: async ({ req, query }) => forecastRetention(req.ctx, { now: query.now }),
  }),
  route({
    method: 'GET', url: '/matters', summary: 'Matters (cases)', tags: ['holds'], access: 'holds.manage',
    response: z.object({ matters: z.array(matter) }),
    handler: async ({ req }) => ({ matters: await listMatters(req.ctx) }),
  }),
  route({
    method: 'POST', url: '/matters', summary: 'Open a matter (audited)', tags: ['holds'], access: 'holds.manage',
    body: z.object({ name: z.string().min(1).max(100), description: z.string().max(4000).optional() }), response: matter,
    handler: async ({ req, body }) => addMatter(req.ctx, body),
  }),
  route({
    method: 'GET', url: '/matters/:ref', summary: 'A matter with its holds', tags: ['holds'], access: 'holds.manage',
    params: refParam, response: matter.extend({ holds: z.array(hold) }),
    handler: async ({ req, params }) => showMatter(req.ctx, params.ref),
  }),
  route({
    method: 'POST', url: '/matters/:ref/close', summary: 'Close a matter; releases its holds (audited)', tags: ['holds'], access: 'holds.manage',
    params: refParam, body: reasonBody, response: matter,
    handler: async ({ req, params, body }) => closeMatter(req.ctx, params.ref, body.reason),
  }),
  route({
    method: 'GET', url: '/holds', summary: 'Legal holds', tags: ['holds'], access: 'holds.manage',
    query: z.object({ matter: z.string().max(100).optional(), status: z.enum(['active', 'released']).optional() }),
    response: z.object({ holds: z.array(hold) }),
    handler: async ({ req, query }) => ({ holds: await listHolds(req.ctx, query) }),
  }),
  route({
    method: 'POST', url: '/holds', summary: 'Place a legal hold (audited); returns how many records it covers now', tags: ['holds'], access: 'holds.manage',
    body: z.object({
      matter: z.string().min(1).max(100), scope: z.string().max(1000).optional(), custodians: z.array(z.string().max(1024)).max(1000).optional(),
      conversations: z.array(z.string().max(1024)).max(1000).optional(), after: z.union([z.string().max(40), z.number().int()]).optional(),
      before: z.union([z.string().max(40), z.number().int()]).optional(), reason: z.string().min(1).max(4000),
    }),
    response: hold.extend({ coveredAtPlacement: z.number() }),
    handler: async ({ req, body }) => placeHold(req.ctx, body),
  }),
  route({
    method: 'GET', url: '/holds/:id', summary: 'A legal hold and how many records it covers', tags: ['holds'], access: 'holds.manage',
    params: idParam, response: hold.extend({ covered: z.number().optional() }),
    handler: async ({ req, params }) => showHold(req.ctx, params.id, { count: true }),
  }),
  route({
    method: 'POST', url: '/holds/:id/release', summary: 'Release a hold (it is kept, with who and why; audited)', tags: ['holds'], access: 'holds.manage',
    params: idParam, body: reasonBody, response: hold,
    handler: async ({ req, params, body }) => releaseHold(req.ctx, params.id, body.reason),
  }),
];
