import { z } from 'zod';
import { currentHead, headJsonSchema, inclusionProof, listAuditEvents, verifyAuditLog } from '../../services/audit.js';
import { appendAudit } from '../../services/audit.js';
import { decimal, route } from '../route.js';

/** The audit log for auditors: events, the signed tree head, verification and inclusion proofs. */

const eventSchema = z.object({ seq: z.number(), time: z.string(), actor: z.string(), action: z.string(), subject: z.string().nullable(), details: z.unknown(), leafHash: z.string() });

export const auditRoutes = [
  route({
    method: 'GET', url: '/audit/events', summary: 'Audit events, newest first (page backwards with beforeSeq)', tags: ['audit'], access: 'audit.read',
    query: z.object({
      limit: decimal(1, 1000).default(50),
      beforeSeq: decimal(0).optional(),
      action: z.string().max(200).optional(),
      actor: z.string().max(200).optional(),
    }),
    response: z.object({ size: z.number(), events: z.array(eventSchema) }),
    handler: async ({ query, req }) => {
      const head = await currentHead(req.ctx);
      const events = await listAuditEvents(req.ctx, { limit: query.limit, beforeSeq: query.beforeSeq, action: query.action || undefined, actor: query.actor || undefined });
      return { size: head.size, events: events.map((e) => ({ seq: e.seq, time: e.time, actor: e.actor, action: e.action, subject: e.subject, details: e.details, leafHash: e.leafHash })) };
    },
  }),
  route({
    method: 'GET', url: '/audit/head', summary: 'The current signed tree head (keep a copy outside the system)', tags: ['audit'], access: 'audit.read',
    response: headJsonSchema,
    handler: ({ req }) => currentHead(req.ctx),
  }),
  route({
    method: 'POST', url: '/audit/verify', summary: 'Recompute the whole log and check every signed tree head', tags: ['audit'], access: 'audit.read',
    response: z.object({
      ok: z.boolean(), size: z.number(), eventsChecked: z.number(), headsChecked: z.number(), rootHash: z.string(), problemCount: z.number(),
      problems: z.array(z.object({ kind: z.string(), seq: z.number().optional(), size: z.number().optional(), message: z.string() })),
    }),
    handler: async ({ req }) => {
      const r = await verifyAuditLog(req.ctx);
      await appendAudit(req.ctx, req.ctx.db, { action: 'audit.verified', details: { ok: r.ok, size: r.size, problems: r.problemCount } });
      return { ok: r.ok, size: r.size, eventsChecked: r.eventsChecked, headsChecked: r.headsChecked, rootHash: r.rootHash, problemCount: r.problemCount, problems: r.problems };
    },
  }),
  route({
    method: 'GET', url: '/audit/proof/:seq', summary: 'Inclusion proof of one event in the current tree', tags: ['audit'], access: 'audit.read',
    params: z.object({ seq: decimal(0) }),
    response: z.object({ index: z.number(), size: z.number(), leafHash: z.string(), proof: z.array(z.string()), rootHash: z.string(), head: headJsonSchema.nullable() }),
    handler: async ({ params, req }) => {
      const p = await inclusionProof(req.ctx, params.seq);
      return { index: p.index, size: p.size, leafHash: p.leafHash, proof: p.proof, rootHash: p.rootHash, head: p.head };
    },
  }),
];
