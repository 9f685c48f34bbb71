import { z } from 'zod';
import { can } from '../../domain/authorization.js';
import { listQuarantined } from '../../services/quarantine.js';
import { connectorStatuses } from '../../services/connectors/connector-status.js';
import { weComSourceName } from '../../services/connectors/wecom-source.js';
import { AppError } from '../../errors.js';
import { scanReport } from '../../services/scanning.js';
import { reportSources } from '../../services/sources.js';
import { collectStats } from '../../services/stats.js';
import { decimal, principalOf, route } from '../route.js';

/** Usage statistics and the sources overview (no message content). */

const group = z.object({ key: z.string(), count: z.number(), textBytes: z.number(), attachments: z.number(), attachmentBytes: z.number() });

const statsSchema = z.object({
  generatedAt: z.string(),
  timeZone: z.string(),
  totals: z.object({ messages: z.number(), textBytes: z.number(), recalled: z.number(), persons: z.number(), conversations: z.number(), sources: z.number() }),
  attachments: z.object({
    references: z.number(), logicalBytes: z.number(), uniqueBlobs: z.number(), uniqueBytes: z.number(), storedBytes: z.number(), dedupSavedBytes: z.number(), compressionSavedBytes: z.number(),
  }),
  storage: z.object({ dataDirBytes: z.number(), databaseBytes: z.number(), blobBytes: z.number() }),
  byType: z.array(group),
  bySource: z.array(group),
  byPerson: z.array(group.extend({ name: z.string().nullable() })).optional(),
  byDay: z.array(group),
  byDayType: z.array(group.extend({ day: z.string(), type: z.string() })),
  byConversation: z.array(group.extend({ conversationKey: z.number(), source: z.string(), title: z.string().nullable(), label: z.string(), kind: z.string() })).optional(),
});

export const insightRoutes = [
  route({
    method: 'GET', url: '/stats', summary: 'Data usage: totals, by type, source, day (and person, for roles that may see it)', tags: ['statistics'], access: 'stats.view',
    query: z.object({ topPersons: decimal(0, 1000).default(20) }),
    response: statsSchema,
    handler: async ({ query, req }) => {
      const maySeePersons = can(principalOf(req), 'stats.view_persons');
      const stats = await collectStats(req.ctx, { topPersons: maySeePersons ? query.topPersons : 0, topConversations: maySeePersons ? query.topPersons : 0 });
      const { byPerson, byConversation, ...rest } = stats;
      return maySeePersons ? { ...rest, byPerson, byConversation } : rest;
    },
  }),
  route({
    method: 'GET', url: '/sources', summary: 'Sources with counts, seq watermark and gaps; quarantined records', tags: ['sources'], access: 'sources.view',
    response: z.object({
      sources: z.array(z.object({
        name: z.string(), records: z.number(), firstSeq: z.number().nullable(), lastSeq: z.number().nullable(), lastTime: z.string().nullable(),
        gapCount: z.number(), missing: z.number(), gaps: z.array(z.object({ from: z.number(), to: z.number(), missing: z.number() })),
        unrecoverable: z.array(z.object({ from: z.number(), to: z.number(), reason: z.enum(['expired']), detectedAt: z.string() })),
      })),
      quarantined: z.number(),
      connectors: z.array(z.object({
        name: z.string(), kind: z.string(), cursor: z.number(), lastSyncAt: z.string().nullable(), lastSyncStatus: z.string().nullable(), lastError: z.string().nullable(), lastSuccessAt: z.string().nullable(),
        lagMs: z.number().nullable(), lagLevel: z.enum(['ok', 'warning', 'critical', 'never_synced']), media: z.record(z.string(), z.number()), missingMedia: z.record(z.string(), z.number()),
        consent: z.array(z.object({ party: z.string(), action: z.string(), time: z.string() })),
      })),
    }),
    handler: async ({ req }) => ({ sources: await reportSources(req.ctx), quarantined: (await listQuarantined(req.ctx, { limit: 1, offset: 0 })).total, connectors: await connectorStatuses(req.ctx) }),
  }),
  route({
    method: 'POST', url: '/sources/:name/sync', summary: 'Sync a connector source now (runs in the background jobs of `wekeep serve`)', tags: ['sources'], access: 'sources.manage',
    params: z.object({ name: z.string().min(1).max(80) }),
    response: z.object({ requested: z.literal(true) }),
    handler: async ({ params, req }) => {
      if (!req.triggerSync?.(weComSourceName(params.name))) throw new AppError('source.not_syncable', 'no connector source with that name runs in this server', { status: 404 });
      return { requested: true as const };
    },
  }),
  route({
    method: 'GET', url: '/system/scan', summary: 'Malware scanner health, attachments by scan status, infected attachments (ids and signatures, no content)', tags: ['system'], access: 'system.health',
    response: z.object({
      scanner: z.object({ configured: z.boolean(), reachable: z.boolean(), engine: z.string().optional() }),
      counts: z.object({ not_scanned: z.number(), clean: z.number(), pending: z.number(), infected: z.number() }),
      infected: z.array(z.object({ blob: z.string(), signature: z.string().nullable(), engine: z.string().nullable(), scannedAt: z.string().nullable(), size: z.number(), messageKeys: z.array(z.number()) })),
    }),
    handler: async ({ req }) => scanReport(req.ctx),
  }),
];
