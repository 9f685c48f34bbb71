import type { Context } from '../context.js';
import { blobRowsExisting } from '../repositories/disposition.js';

/**
 * Deletes the attachment objects that no database row names: those an import, sync or WeChat import
 * wrote before it was killed and never committed. Left alone, they would stay encrypted on disk
 * outside every retention policy and privacy request. The caller holds the writer lock (no other
 * writer is between writing an object and committing its row).
 */
export async function purgeOrphanBlobs(ctx: Context): Promise<number> {
  let batch: string[] = [];
  let deleted = 0;
  const flush = async (): Promise<void> => {
    const known = await blobRowsExisting(ctx.db, batch);
    for (const id of batch) {
      if (known.has(id)) continue;
      await ctx.blobs.delete(id);
      deleted++;
    }
    batch = [];
  };
  for await (const id of ctx.blobs.ids()) {
    batch.push(id);
    if (batch.length >= 1000) await flush();
  }
  if (batch.length > 0) await flush();
  return deleted;
}
