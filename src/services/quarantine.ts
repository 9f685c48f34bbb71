import type { Context } from '../context.js';
import { notFound } from '../errors.js';
import { listQuarantine, quarantineEntry, type QuarantineEntry } from '../repositories/imports.js';
import { appendAudit } from './audit.js';

export async function listQuarantined(ctx: Context, filter: { importId?: number | undefined; limit: number; offset: number }): Promise<{ total: number; entries: QuarantineEntry[] }> {
  return listQuarantine(ctx.db, filter);
}

/** One quarantined line with its content (archived input, so the read is audited). */
export async function showQuarantined(ctx: Context, id: number): Promise<QuarantineEntry & { content: string | null }> {
  return ctx.db.transaction().execute(async (trx) => {
    const entry = await quarantineEntry(trx, id);
    if (!entry) throw notFound('quarantine.not_found', `no quarantine entry ${id}`);
    await appendAudit(ctx, trx, { action: 'quarantine.viewed', subject: `quarantine:${id}` });
    return entry;
  });
}
