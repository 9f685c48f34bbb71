import type { Context } from '../context.js';
import { notFound, usageError } from '../errors.js';
import { deleteQuarantined, listQuarantine, quarantineEntry, quarantineIds, type QuarantineEntry } from '../repositories/imports.js';
import { appendAudit } from './audit.js';

export async function listQuarantined(ctx: Context, filter: { importId?: number | undefined; limit: number; offset: number }): Promise<{ total: number; entries: QuarantineEntry[] }> {
  return listQuarantine(ctx.db, filter);
}

/**
 * Deletes quarantined lines for good (their content included): by entry ids, or every line of an
 * import. A line that names a record is deleted with it when that record is disposed of; this is for
 * the rest (an unreadable or invalid line holding personal data, once its source file was fixed and
 * re-imported, or for an erasure request). Audited `quarantine.purged` with the ids and the reason.
 */
export async function purgeQuarantined(ctx: Context, input: { ids?: readonly number[] | undefined; importId?: number | undefined; reason: string }): Promise<{ purged: number; ids: number[] }> {
  if (input.reason.trim() === '') throw usageError('quarantine.reason_required', 'give a reason (--reason): it is kept in the audit log');
  if ((input.ids === undefined || input.ids.length === 0) === (input.importId === undefined)) throw usageError('quarantine.bad_selection', 'give either entry ids or --import ID');
  return ctx.db.transaction().execute(async (trx) => {
    const ids = await quarantineIds(trx, input.importId !== undefined ? { importId: input.importId } : { ids: input.ids! });
    const missing = (input.ids ?? []).filter((id) => !ids.includes(id));
    if (missing.length > 0) throw notFound('quarantine.not_found', `no quarantine entry ${missing.join(', ')}`);
    await deleteQuarantined(trx, ids);
    await appendAudit(ctx, trx, { action: 'quarantine.purged', subject: input.importId !== undefined ? `import:${input.importId}` : undefined, details: { count: ids.length, ids: ids.slice(0, 1000), reason: input.reason.trim() } });
    return { purged: ids.length, ids };
  });
}

/** One quarantined line with its content (archived input, so the read is audited). */
export async function showQuarantined(ctx: Context, id: number): Promise<QuarantineEntry & { content: string | null; contentEncoding: 'base64' | null }> {
  return ctx.db.transaction().execute(async (trx) => {
    const entry = await quarantineEntry(trx, id);
    if (!entry) throw notFound('quarantine.not_found', `no quarantine entry ${id}`);
    await appendAudit(ctx, trx, { action: 'quarantine.viewed', subject: `quarantine:${id}` });
    return entry;
  });
}
