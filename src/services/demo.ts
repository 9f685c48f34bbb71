import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from '../context.js';
import { todayInShanghai, writeDemo } from '../demo/generate.js';
import { importNdjson, type ImportProgress, type ImportSummary } from './import.js';

/**
 * Fills a store with the demo corpus (`wekeep init --demo`): generated into a temporary file and
 * imported like any other NDJSON file. The history ends yesterday, so no message lies in the future.
 */
export async function importDemoCorpus(ctx: Context, options: { messages: number; onProgress?: ((p: ImportProgress) => void) | undefined }): Promise<ImportSummary> {
  const dir = mkdtempSync(join(tmpdir(), 'wekeep-demo-'));
  try {
    const file = join(dir, 'demo.ndjson');
    const out = createWriteStream(file);
    await writeDemo({ messages: options.messages, seed: 'wekeep-demo', media: 'normal', days: 180, end: todayInShanghai(ctx.clock.now() - 86_400_000) }, out);
    out.end();
    await once(out, 'finish');
    return await importNdjson(ctx, { file, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
