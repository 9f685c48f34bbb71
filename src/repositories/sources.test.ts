import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { initializeContext, type Context } from '../context.js';
import { runsOf } from '../domain/watermark.js';
import { prepareSeqRecorder, resolveSource, seqRuns } from './sources.js';

let root: string;
let ctx: Context;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'wekeep-sources-'));
  ctx = await initializeContext(loadConfig({ data: join(root, 'data') }, {}), randomBytes(32));
});

afterAll(async () => {
  await ctx.close();
  rmSync(root, { recursive: true, force: true });
});

describe('prepareSeqRecorder', () => {
  it('keeps the runs of every seq recorded so far and counts the seqs taken before, whatever the batches', async () => {
    const record = prepareSeqRecorder(ctx.sqlite);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 25 }), { maxLength: 8 }), async (batches) => {
        const sourceId = await resolveSource(ctx.db, `prop-${n++}`, 0);
        const seen = new Set<number>();
        for (const batch of batches) {
          const expectedReused = batch.length - new Set(batch).size + [...new Set(batch)].filter((s) => seen.has(s)).length;
          expect(record(sourceId, batch)).toBe(expectedReused);
          for (const s of batch) seen.add(s);
          expect(await seqRuns(ctx.db, sourceId)).toEqual(runsOf([...seen]));
        }
      }),
      { numRuns: 200 },
    );
  });

});
