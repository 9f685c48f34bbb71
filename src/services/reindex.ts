import type { Context } from '../context.js';
import { TOKENIZER_VERSION } from '../domain/tokenizer.js';
import { AppError } from '../errors.js';
import { countArchivedMessages, messageKeysAfter, messagesByKeys } from '../repositories/messages.js';
import { readMeta, TOKENIZER_VERSION_KEY, writeMeta } from '../repositories/meta.js';
import { clearIndex, indexMessages } from '../search/sqlite-fts5.js';
import { appendAudit } from './audit.js';
import { storedFtsDocuments } from './index-documents.js';

/** The index must have been built by this tokenizer; otherwise searches could silently miss hits. */
export async function assertIndexCurrent(ctx: Context): Promise<void> {
  const stored = await readMeta(ctx.db, TOKENIZER_VERSION_KEY);
  if (stored !== String(TOKENIZER_VERSION)) {
    throw new AppError('search.index_outdated', `the search index was built by tokenizer version ${stored ?? 'unknown'}, this WeKeep uses ${TOKENIZER_VERSION}: run \`wekeep reindex\``);
  }
}

/**
 * Rebuilds the full-text index from the archived messages in one transaction (all or nothing:
 * an interrupted rebuild leaves the old index), then records the tokenizer version. Audited.
 */
export async function rebuildIndex(ctx: Context, onProgress?: (done: number, total: number) => void): Promise<{ messages: number; tokenizerVersion: number }> {
  return ctx.db.transaction().execute(async (trx) => {
    await clearIndex(trx);
    const total = await countArchivedMessages(trx);
    let done = 0;
    for (let after = -1; ; ) {
      const keys = await messageKeysAfter(trx, after, 5000);
      if (keys.length === 0) break;
      await indexMessages(trx, await storedFtsDocuments(trx, await messagesByKeys(trx, keys)));
      done += keys.length;
      after = keys[keys.length - 1]!;
      onProgress?.(done, total);
    }
    await writeMeta(trx, TOKENIZER_VERSION_KEY, String(TOKENIZER_VERSION));
    await appendAudit(ctx, trx, { action: 'index.rebuilt', details: { messages: done, tokenizerVersion: TOKENIZER_VERSION } });
    return { messages: done, tokenizerVersion: TOKENIZER_VERSION };
  });
}
