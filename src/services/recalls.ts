import type { Kysely } from 'kysely';
import type { Context } from '../context.js';
import type { Database } from '../db/schema.js';
import { markRecalled, messagesByKeys, removePendingRecall, waitingRecallsOfArchived } from '../repositories/messages.js';
import { prepareFrozenKeys } from '../repositories/privacy.js';
import { indexMessages, unindexMessages } from '../search/sqlite-fts5.js';
import { storedFtsDocuments } from './index-documents.js';

/**
 * Recalls that wait for their original. A recall normally waits only until its original arrives
 * (the import links them). It also waits when the original is archived but frozen by an open
 * erasure request (issue 5: nothing may change those records until the request is decided): the
 * import keeps it in pending_recalls, and deciding the request links it here.
 */

/** Marks the archived originals of waiting recalls recalled, except those still frozen; returns how many were linked. */
export async function linkWaitingRecalls(ctx: Context, trx: Kysely<Database>): Promise<number> {
  const waiting = await waitingRecallsOfArchived(trx);
  if (waiting.length === 0) return 0;
  const frozen = prepareFrozenKeys(ctx.sqlite)(waiting.map((w) => w.key));
  const linked: number[] = [];
  for (const w of waiting) {
    if (frozen.has(w.key)) continue;
    const [current] = await messagesByKeys(trx, [w.key]);
    if (current !== undefined && current.recalledAt === null) {
      await markRecalled(trx, w.key, w.recallTimeMs, w.recallExtId);
      linked.push(w.key);
    }
    await removePendingRecall(trx, w.sourceId, w.targetExtId);
  }
  if (linked.length > 0) {
    await unindexMessages(trx, linked);
    await indexMessages(trx, await storedFtsDocuments(trx, await messagesByKeys(trx, linked)));
  }
  return linked.length;
}
