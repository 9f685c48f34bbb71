import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from '../context.js';
import { zoneOffsetMs } from '../domain/time-zone.js';
import { blobStats } from '../repositories/blobs.js';
import { groupedUsage, messageTotals, type GroupRow } from '../repositories/stats.js';
import { appendAudit } from './audit.js';

export interface Stats {
  generatedAt: string;
  timeZone: string;
  totals: { messages: number; textBytes: number; recalled: number; persons: number; conversations: number; sources: number };
  attachments: {
    references: number;
    logicalBytes: number;
    uniqueBlobs: number;
    uniqueBytes: number;
    storedBytes: number;
    /** Bytes not stored thanks to de-duplication (logical − unique). */
    dedupSavedBytes: number;
    /** Bytes saved by compression (unique − stored, before encryption overhead). */
    compressionSavedBytes: number;
  };
  storage: { dataDirBytes: number; databaseBytes: number; blobBytes: number };
  byType: GroupRow[];
  bySource: GroupRow[];
  byPerson: GroupRow[];
  byDay: GroupRow[];
}

function dirBytes(path: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(path, e.name);
    if (e.isDirectory()) total += dirBytes(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

/** Data usage: counts and bytes by type, source, person and day, de-duplication and storage. Audited. */
export async function collectStats(ctx: Context, options: { topPersons: number }): Promise<Stats> {
  const now = ctx.clock.now();
  const dayOffsetMs = zoneOffsetMs(ctx.config.timeZone, now);
  return ctx.db.transaction().execute(async (trx) => {
    const totals = await messageTotals(trx);
    const b = await blobStats(trx);
    const stats: Stats = {
      generatedAt: new Date(now).toISOString(),
      timeZone: ctx.config.timeZone,
      totals,
      attachments: {
        references: b.references,
        logicalBytes: b.referencedBytes,
        uniqueBlobs: b.count,
        uniqueBytes: b.logicalBytes,
        storedBytes: b.storedBytes,
        dedupSavedBytes: b.referencedBytes - b.logicalBytes,
        compressionSavedBytes: Math.max(0, b.logicalBytes - b.storedBytes),
      },
      storage: {
        dataDirBytes: dirBytes(ctx.config.dataDir),
        databaseBytes: ['wekeep.db', 'wekeep.db-wal'].reduce((s, f) => s + (dirEntrySize(join(ctx.config.dataDir, f))), 0),
        blobBytes: dirBytes(join(ctx.config.dataDir, 'blobs')),
      },
      byType: await groupedUsage(trx, 'type', { dayOffsetMs }),
      bySource: await groupedUsage(trx, 'source', { dayOffsetMs }),
      byPerson: await groupedUsage(trx, 'person', { dayOffsetMs, limit: options.topPersons }),
      byDay: await groupedUsage(trx, 'day', { dayOffsetMs }),
    };
    await appendAudit(ctx, trx, { action: 'stats.viewed', details: { messages: totals.messages } });
    return stats;
  });
}

function dirEntrySize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
