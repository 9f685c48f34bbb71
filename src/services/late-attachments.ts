import type { Kysely } from 'kysely';
import type { Context } from '../context.js';
import type { Database } from '../db/schema.js';
import { localDay } from '../domain/time-zone.js';
import { addBlobReference, findBlobs, recordScan } from '../repositories/blobs.js';
import { appendAttachment, existingByExtIds, messageOwnerRowIds, messagesByKeys } from '../repositories/messages.js';
import { frozenMessageKeys } from '../repositories/privacy.js';
import { addUsage, emptyUsageBatch } from '../repositories/usage.js';
import { indexMessages, unindexMessages } from '../search/sqlite-fts5.js';
import { appendAudit } from './audit.js';
import { wormState } from './disposition-worm.js';
import { storedFtsDocuments } from './index-documents.js';

/**
 * A file that arrives after its message was archived (WeCom media whose download failed during the
 * sync, fetched by a later one) is attached to the archived message, in one transaction: the blob
 * (stored content-addressed and scanned like every attachment; fail-closed), the attachment row
 * with the next ordinal, the message's attachment count, its `wecom.missingAttachments` list
 * without the name, the index row (`has:attachment`), the usage rollups, and the audit event
 * `attachment.attached_late` (message, ordinal, SHA-256, size, scan status).
 *
 * The message's `record_hash` stays the hash of the record as first archived; the audit event is
 * the evidence of what was added and when. Nothing is attached to a message that is gone (disposed
 * of), frozen by an open erasure request (tried again later), or in WORM mode (an archived record
 * is never changed there: the file is not attached and the outcome says so).
 */

export type LateAttachOutcome = 'attached' | 'gone' | 'frozen' | 'worm';

export async function attachLate(
  ctx: Context,
  input: { sourceId: number; messageExtId: string; name: string; mime: string | null; data: Buffer },
): Promise<LateAttachOutcome> {
  const found = (await existingByExtIds(ctx.db, input.sourceId, [input.messageExtId])).get(input.messageExtId);
  if (!found) return 'gone';
  if ((await wormState(ctx.db)).enabled) return 'worm';
  if ((await frozenMessageKeys(ctx.db, [found.id])).size > 0) return 'frozen';

  const stored = await ctx.blobs.put(input.data, { mime: input.mime ?? undefined });
  const known = (await findBlobs(ctx.db, [stored.id])).length > 0;
  // A new blob is scanned before it can be served (fail-closed: no answer = pending); a known one was scanned when it arrived.
  let scan: { status: 'clean' | 'infected' | 'pending'; signature: string | null; engine: string | null } | undefined;
  if (!known && ctx.scanner) {
    const v = await ctx.scanner.scan(input.data);
    scan = v.status === 'clean' ? { status: 'clean', signature: null, engine: v.engine } : v.status === 'infected' ? { status: 'infected', signature: v.signature, engine: v.engine } : { status: 'pending', signature: null, engine: null };
  }

  return ctx.db.transaction().execute(async (trx) => {
    const [m] = await messagesByKeys(trx, [found.id]);
    if (!m) return 'gone';
    const now = ctx.clock.now();
    const ordinal = m.attachmentCount;
    await addBlobReference(trx, stored, now);
    if (scan) await recordScan(trx, stored.id, scan, now);
    await appendAttachment(trx, m.key, { ordinal, blobId: stored.id, name: input.name, mime: input.mime, fields: fieldsWithout(m.fields, input.name) });
    await reindex(trx, m.key);
    await addLateUsage(ctx, trx, m, stored.size);
    await appendAudit(ctx, trx, {
      action: 'attachment.attached_late',
      subject: `${m.source}/${m.extId}`,
      details: { key: m.key, ordinal, sha256: stored.sha256, size: stored.size, scan: scan?.status ?? (known ? 'known' : 'not_scanned') },
    });
    return 'attached';
  });
}

/** The message's fields with `name` taken out of `wecom.missingAttachments` (dropped when empty). */
function fieldsWithout(fields: Record<string, unknown> | null, name: string): string | null {
  if (fields === null) return null;
  const wecom = fields.wecom as { missingAttachments?: string[] } | undefined;
  if (!wecom?.missingAttachments) return JSON.stringify(fields);
  const i = wecom.missingAttachments.indexOf(name);
  const rest = i < 0 ? wecom.missingAttachments : [...wecom.missingAttachments.slice(0, i), ...wecom.missingAttachments.slice(i + 1)];
  const { missingAttachments: _dropped, ...others } = wecom;
  return JSON.stringify({ ...fields, wecom: rest.length > 0 ? { ...others, missingAttachments: rest } : others });
}

async function reindex(trx: Kysely<Database>, key: number): Promise<void> {
  await unindexMessages(trx, [key]);
  await indexMessages(trx, await storedFtsDocuments(trx, await messagesByKeys(trx, [key])));
}

async function addLateUsage(ctx: Context, trx: Kysely<Database>, m: { timeMs: number; type: string; conversationRowId: number; key: number }, bytes: number): Promise<void> {
  const row = await messageOwnerRowIds(trx, m.key);
  const day = localDay(ctx.config.timeZone, m.timeMs);
  const delta = { messages: 0, textBytes: 0, attachments: 1, attachmentBytes: bytes };
  const batch = emptyUsageBatch();
  batch.daily.set(`${day}\u0000${row.source_id}\u0000${m.type}`, { ...delta, day, sourceId: row.source_id, type: m.type });
  batch.persons.set(row.from_person_id, { ...delta });
  batch.conversations.set(m.conversationRowId, { ...delta });
  await addUsage(trx, batch);
}
