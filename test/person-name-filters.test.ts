import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliJson, tempDir } from './support/cli.js';
import { textRecord, toNdjson } from './support/records.js';

// `from:NAME` / `to:NAME` match every message of the persons whose stored name is NAME, whether or
// not the message's own line carried that name: a line may omit it (WeCom lines carry ids only), or
// the name may be learned later. A legal hold whose scope mixes such a filter with words is resolved
// through the search index, so a miss there was a record disposed of under a hold.

const YEAR_MS = 365 * 86_400_000;

describe('from:/to: by a person\'s stored name', () => {
  const tmp = tempDir('person-names');
  const data = join(tmp.path, 'data');
  const json = <T>(args: string[]) => runCliJson<T>(['--data', data, ...args]);
  const total = (q: string): number => json<{ total: number }>(['search', q]).total;
  const old = Date.now() - 3 * YEAR_MS;

  beforeAll(() => {
    expect(runCli(['--data', data, 'init']).status).toBe(0);
    const first = join(tmp.path, 'first.ndjson');
    writeFileSync(first, toNdjson([
      textRecord({ source: 'pn', id: 'n1', time: old, to: [{ id: 'lixm', name: '李雪梅' }], text: '合同 第一稿' }),
      textRecord({ source: 'pn', id: 'n2', time: old + 1000, to: [{ id: 'lixm' }], text: '合同 第二稿' }), // no name on the line
      textRecord({ source: 'pn', id: 'n3', time: old + 2000, from: { id: 'lixm' }, to: [{ id: 'zhangsan' }], text: '合同 回复' }),
      textRecord({ source: 'pn', id: 'n4', time: old + 3000, from: { id: 'wanglei' }, text: '发票' }), // named only later
      textRecord({ source: 'pn', id: 'n5', time: old + 4000, to: [{ id: 'other', name: '别人' }], text: '合同 无关' }),
    ]));
    json(['import', first]);
    const later = join(tmp.path, 'later.ndjson');
    writeFileSync(later, toNdjson([textRecord({ source: 'pn', id: 'n6', time: old + 5000, from: { id: 'wanglei', name: '王磊' }, text: '发票 已寄' })]));
    json(['import', later]);
  });
  afterAll(() => tmp.cleanup());

  it('finds the messages whose lines omitted the name, and the same after a reindex', () => {
    const expected = { 'to:李雪梅 合同': 2, 'to:李雪梅': 2, 'from:李雪梅': 1, 'from:李雪梅 OR to:李雪梅': 3, 'from:王磊': 2, 'from:王磊 发票': 2, '合同 -to:李雪梅': 2, 'to:lixm': 2, 'to:李雪梅 -合同': 0 };
    for (const [q, n] of Object.entries(expected)) expect(total(q), q).toBe(n);
    expect(runCli(['--data', data, 'reindex']).status).toBe(0);
    for (const [q, n] of Object.entries(expected)) expect(total(q), `${q} after reindex`).toBe(n);
  });

  it('keeps every record of a hold whose scope mixes a recipient name and a word', () => {
    json(['matters', 'add', 'name-hold']);
    const hold = json<{ coveredAtPlacement: number }>(['holds', 'add', '--matter', 'name-hold', '--scope', 'to:李雪梅 合同', '--reason', 'dispute']);
    expect(hold.coveredAtPlacement).toBe(2);
    json(['policies', 'add', '--name', 'all-1y', '--scope', 'source:pn', '--max', '1y', '--action', 'delete', '--purpose', 'test', '--basis', 'test']);
    const run = json<{ counts: { disposed: number; keptByHold: number } }>(['retention', 'run']);
    expect(run.counts).toMatchObject({ disposed: 4, keptByHold: 2 });
    expect(json<{ hits: { id: string }[] }>(['search', 'source:pn']).hits.map((h) => h.id).sort()).toEqual(['n1', 'n2']);
  });
});
