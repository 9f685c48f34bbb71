import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createContext } from '../src/context.js';
import { writeMeta } from '../src/repositories/meta.js';
import { runCli, runCliJson, tempDir } from './support/cli.js';

const QUERIES = ['合同', '款', 'invoice', 'has:attachment', 'is:recalled', 'type:image', 'after:2000-01-01'];

describe('the search index follows the tokenizer version', () => {
  const tmp = tempDir('reindex');
  const data = join(tmp.path, 'data');
  const totals = (): number[] => QUERIES.map((q) => runCliJson<{ total: number }>(['--data', data, 'search', q]).total);
  let before: number[];

  beforeAll(() => {
    runCliJson(['--data', data, 'init', '--demo', '600']);
    before = totals();
  });
  afterAll(() => tmp.cleanup());

  it('refuses to search or import with an index built by another tokenizer, and says what to do', async () => {
    const ctx = await createContext(loadConfig({ data }));
    await writeMeta(ctx.db, 'tokenizer_version', '0');
    await ctx.close();
    const r = runCli(['--data', data, 'search', '合同']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/run `wekeep reindex`/);
  });

  it('rebuilds the index from the archive with the same results', () => {
    const r = runCliJson<{ messages: number }>(['--data', data, 'reindex']);
    expect(r.messages).toBe(600);
    expect(totals()).toEqual(before);
    expect(before[6]).toBe(600);
    expect(runCli(['--data', data, 'audit', 'verify']).status).toBe(0);
  });
});
