import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Context } from '../context.js';
import type { Database } from '../db/schema.js';
import { blobStats } from '../repositories/blobs.js';
import { conversationMemberLabels } from '../repositories/messages.js';
import { directoryCounts, type GroupRow } from '../repositories/stats.js';
import { topConversations, topPersons, usageBy, usageByDayAndType, usageTotals, type DayTypeRow } from '../repositories/usage.js';
import { appendAudit } from './audit.js';
import { conversationLabel } from './message-views.js';

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
  byPerson: (GroupRow & { name: string | null })[];
  byDay: GroupRow[];
  /** Per day and type (the dashboard's stacked series). */
  byDayType: DayTypeRow[];
  /** The busiest conversations. */
  /** `label`: the title, else the members' names, else the id (conversationLabel). */
  byConversation: (GroupRow & { conversationKey: number; source: string; title: string | null; label: string; kind: string })[];
}

/**
 * Data usage: counts and bytes by type, source, person, conversation and day, de-duplication and
 * storage. Read from the usage rollups the import keeps (fast on any archive size). Audited.
 * Days are local days in the store's time zone at archiving.
 */
export async function collectStats(ctx: Context, options: { topPersons: number; topConversations?: number }): Promise<Stats> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const usage = await usageTotals(trx);
    const directory = await directoryCounts(trx);
    const b = await blobStats(trx);
    const databaseBytes = ['wekeep.db', 'wekeep.db-wal'].reduce((sum, f) => sum + dirEntrySize(join(ctx.config.dataDir, f)), 0);
    const stats: Stats = {
      generatedAt: new Date(now).toISOString(),
      timeZone: ctx.config.timeZone,
      totals: { messages: usage.messages, textBytes: usage.textBytes, recalled: usage.recalled, persons: directory.persons, conversations: directory.conversations, sources: directory.sources },
      attachments: {
        references: b.references,
        logicalBytes: b.referencedBytes,
        uniqueBlobs: b.count,
        uniqueBytes: b.logicalBytes,
        storedBytes: b.storedBytes,
        dedupSavedBytes: b.referencedBytes - b.logicalBytes,
        compressionSavedBytes: Math.max(0, b.logicalBytes - b.storedBytes),
      },
      storage: { dataDirBytes: databaseBytes + b.storedBytes + topLevelFileBytes(ctx.config.dataDir), databaseBytes, blobBytes: b.storedBytes },
      byType: await usageBy(trx, 'type'),
      bySource: await usageBy(trx, 'source'),
      byPerson: options.topPersons > 0 ? await topPersons(trx, options.topPersons) : [],
      byDay: await usageBy(trx, 'day'),
      byDayType: await usageByDayAndType(trx, {}),
      byConversation: (options.topConversations ?? 0) > 0 ? await labelled(trx, await topConversations(trx, options.topConversations ?? 0)) : [],
    };
    await appendAudit(ctx, trx, { action: 'stats.viewed', details: { messages: usage.messages } });
    return stats;
  });
}

async function labelled<T extends { key: string; conversationKey: number; title: string | null }>(db: Kysely<Database>, rows: T[]): Promise<(T & { label: string })[]> {
  const members = await conversationMemberLabels(db, rows.filter((r) => !r.title).map((r) => r.conversationKey));
  return rows.map((r) => ({ ...r, label: conversationLabel({ id: r.key, title: r.title }, members.get(r.conversationKey)) }));
}

/** Small files directly in the data dir (keyring, master key, TLS), not the database or blobs. */
function topLevelFileBytes(dir: string): number {
  let total = 0;
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isFile() && !e.name.startsWith('wekeep.db')) total += statSync(join(dir, e.name)).size;
  } catch {
    return 0;
  }
  return total;
}

function dirEntrySize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
