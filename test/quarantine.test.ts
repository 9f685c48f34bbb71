import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { importNdjson } from '../src/services/import.js';
import { listQuarantined, showQuarantined } from '../src/services/quarantine.js';
import { initStore } from '../src/services/store.js';
import { tempDir } from './support/cli.js';
import { textRecord, toNdjson } from './support/records.js';

const dir = tempDir('quarantine');
afterAll(() => dir.cleanup());

describe('quarantine', () => {
  it('keeps every distinct bad line of a file rewritten at the same path, and each only once', async () => {
    const { ctx } = await initStore(loadConfig({ data: join(dir.path, 'data') }, {}));
    try {
      const file = join(dir.path, 'daily.ndjson');
      writeFileSync(file, toNdjson(['garbage line one', textRecord({ id: 'ok-1' })]));
      expect((await importNdjson(ctx, { file })).quarantined).toBe(1);
      // The same file again: nothing new.
      expect((await importNdjson(ctx, { file })).quarantined).toBe(1);
      expect((await listQuarantined(ctx, { limit: 10, offset: 0 })).total).toBe(1);
      // Rewritten: another bad line at line 1 (an impossible date), and the first one's text at line 2.
      writeFileSync(file, toNdjson([textRecord({ id: 'bad-date', time: '2026-02-30T10:00:00+08:00' }), 'garbage line one']));
      await importNdjson(ctx, { file });
      const all = await listQuarantined(ctx, { limit: 10, offset: 0 });
      expect(all.total).toBe(3);
      const contents = await Promise.all(all.entries.map(async (e) => [e.line, (await showQuarantined(ctx, e.id)).content] as const));
      expect(contents).toEqual([
        [1, 'garbage line one'],
        [1, expect.stringContaining('"bad-date"')],
        [2, 'garbage line one'],
      ]);
      expect(all.entries[1]!.reason).toMatch(/time.*no such day/);
    } finally {
      await ctx.close();
    }
  });
});
