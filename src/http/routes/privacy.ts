import { z } from 'zod';
import {
  executePrivacyRequest, liftRestriction, listPrivacyRequests, MAX_DEADLINE_DAYS, openPrivacyRequest, previewSubject, PRIVACY_KINDS, rejectPrivacyRequest, showPrivacyRequest,
} from '../../services/privacy-requests.js';
import { decimal, route } from '../route.js';

/**
 * Privacy requests of data subjects (access, erasure, restriction). An access request's export is
 * a directory of files (records, attachments, manifest): it is written on the server by the CLI
 * (`wekeep privacy execute ID --out DIR`), so the API refuses to execute one (409
 * `privacy.export_needs_cli`); erasure and restriction requests execute here.
 */

const status = z.enum(['open', 'in-progress', 'completed', 'rejected']);
const kind = z.enum(PRIVACY_KINDS);
const law = z.array(z.string());
const ground = z.object({
  type: z.enum(['legal-hold', 'retention-floor', 'other-restriction']),
  holdId: z.number().optional(), matterId: z.number().optional(), matter: z.string().optional(),
  policyId: z.number().optional(), policy: z.string().optional(), basis: z.string().optional(), requestId: z.number().optional(),
  records: z.number(), until: z.string().nullable(), law,
});
const response = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('access'), records: z.number(), restricted: z.number(), attachments: z.number(), withheldAttachments: z.number(), withheldRestricted: z.number(), files: z.number(), manifestSha256: z.string() }),
  z.object({
    kind: z.literal('erasure'), erased: z.number(), restricted: z.number(), grounds: z.array(ground), restrictedUntil: z.string().nullable(), personDataErased: z.boolean(),
    notice: z.object({ en: z.string(), zh: z.string() }),
  }),
  z.object({ kind: z.literal('restriction'), restricted: z.number(), alreadyRestricted: z.number() }),
]);
const summary = z.object({
  id: z.number(), kind, status, subjects: z.array(z.string()), requester: z.string(), openedAt: z.string(), openedBy: z.string(), deadline: z.string(),
  overdue: z.boolean(), daysLeft: z.number().nullable(), decidedAt: z.string().nullable(), late: z.boolean(), liftedAt: z.string().nullable(),
});
const person = z.object({
  id: z.string(), name: z.string().nullable(), kind: z.string().nullable(), departments: z.array(z.string()), position: z.string().nullable(), company: z.string().nullable(),
  matchedBy: z.array(z.string()),
});
const subjects = z.array(z.string().min(1).max(200)).min(1).max(50);
const request = summary.extend({
  startedAt: z.string().nullable(), startedBy: z.string().nullable(), decidedBy: z.string().nullable(), rejectReason: z.string().nullable(),
  liftedBy: z.string().nullable(), liftReason: z.string().nullable(),
  persons: z.array(person),
  records: z.object({ total: z.number(), sent: z.number(), received: z.number(), restricted: z.number() }),
  freezes: z.boolean(),
  outcomes: z.object({ exported: z.number(), erased: z.number(), restricted: z.number(), lifted: z.number() }),
  awaitingExecution: z.number(),
  response: response.nullable(),
});
const idParam = z.object({ id: decimal(1) });

export const privacyRoutes = [
  route({
    method: 'GET', url: '/privacy/requests', summary: 'Privacy requests, newest first, with deadlines and overdue flags', tags: ['privacy'], access: 'privacy.manage',
    query: z.object({ status: status.optional(), overdue: z.enum(['0', '1']).optional() }),
    response: z.object({ requests: z.array(summary), overdue: z.number() }),
    handler: async ({ query, req }) => {
      const requests = await listPrivacyRequests(req.ctx, { status: query.status, overdue: query.overdue === '1' });
      return { requests, overdue: requests.filter((r) => r.overdue).length };
    },
  }),
  route({
    method: 'POST', url: '/privacy/subjects/preview', summary: 'Who these identifiers match and how many records the subject sent or received, without opening a request (audited)', tags: ['privacy'], access: 'privacy.manage',
    body: z.object({ subjects }),
    response: z.object({ persons: z.array(person), records: z.number() }),
    handler: async ({ body, req }) => previewSubject(req.ctx, body.subjects),
  }),
  route({
    method: 'POST', url: '/privacy/requests', summary: 'Open a privacy request (access, erasure, restriction) for a data subject named by any of their ids', tags: ['privacy'], access: 'privacy.manage',
    body: z.object({
      kind,
      subjects,
      requester: z.string().min(1).max(1000),
      deadlineDays: z.number().int().min(1).max(MAX_DEADLINE_DAYS).optional(),
    }),
    response: z.object({ request }),
    handler: async ({ body, req }) => ({ request: await openPrivacyRequest(req.ctx, body) }),
  }),
  route({
    method: 'GET', url: '/privacy/requests/:id', summary: 'A privacy request: status, deadline, matched persons, record counts, the response', tags: ['privacy'], access: 'privacy.manage',
    params: idParam,
    response: z.object({ request }),
    handler: async ({ params, req }) => ({ request: await showPrivacyRequest(req.ctx, params.id) }),
  }),
  route({
    method: 'POST', url: '/privacy/requests/:id/execute', summary: 'Execute an erasure or restriction request (access exports are written by the CLI)', tags: ['privacy'], access: 'privacy.manage',
    params: idParam,
    response: z.object({ request, response }),
    handler: async ({ params, req }) => {
      // No output directory: an access request is refused with 409 privacy.export_needs_cli, before anything changes.
      const r = await executePrivacyRequest(req.ctx, params.id);
      return { request: r.request, response: r.response };
    },
  }),
  route({
    method: 'POST', url: '/privacy/requests/:id/reject', summary: 'Reject an open or in-progress privacy request with the reason given to the requester', tags: ['privacy'], access: 'privacy.manage',
    params: idParam,
    body: z.object({ reason: z.string().min(1).max(4000) }),
    response: z.object({ request }),
    handler: async ({ params, body, req }) => ({ request: await rejectPrivacyRequest(req.ctx, params.id, body.reason) }),
  }),
  route({
    method: 'POST', url: '/privacy/requests/:id/lift', summary: 'Lift the restriction of an executed restriction request', tags: ['privacy'], access: 'privacy.manage',
    params: idParam,
    body: z.object({ reason: z.string().min(1).max(4000) }),
    response: z.object({ request, lifted: z.number(), stillRestricted: z.number() }),
    handler: async ({ params, body, req }) => {
      const r = await liftRestriction(req.ctx, params.id, body.reason);
      const { lifted, stillRestricted, ...view } = r;
      return { request: view, lifted, stillRestricted };
    },
  }),
];
