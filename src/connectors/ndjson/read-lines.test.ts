import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES, readLines } from './read-lines.js';

const dir = mkdtempSync(join(tmpdir(), 'wekeep-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const linesOf = async (name: string, content: Buffer | string, maxLineBytes?: number) => {
  const file = join(dir, name);
  writeFileSync(file, content);
  const out = [];
  for await (const l of readLines(file, maxLineBytes === undefined ? {} : { maxLineBytes })) out.push({ line: l.line, text: l.text, problem: l.problem });
  return out;
};

describe('readLines', () => {
  it('quarantines an over-long line with the limit and what to do, and reads on', async () => {
    expect(MAX_LINE_BYTES).toBe(64 * 1024 * 1024);
    const lines = await linesOf('long.ndjson', `short\n${'x'.repeat(300)}\nafter\n`, 100);
    expect(lines).toEqual([
      { line: 1, text: 'short', problem: undefined },
      { line: 2, text: null, problem: expect.stringMatching(/longer than 100 bytes .*attachments\[\]\.path/) },
      { line: 3, text: 'after', problem: undefined },
    ]);
  });

  it('says a gzip file is compressed, and suggests converting another encoding', async () => {
    const gz = await linesOf('a.ndjson.gz', gzipSync(Buffer.from('{"a":1}\n'.repeat(50))));
    expect(gz[0]!.problem).toMatch(/gzip-compressed: gunzip it first/);
    expect(gz.filter((l) => l.text === null).every((l) => /gunzip/.test(l.problem ?? ''))).toBe(true);
    const gbk = await linesOf('gbk.ndjson', Buffer.from([0xba, 0xcf, 0xcd, 0xac, 0x0a]));
    expect(gbk[0]!.problem).toMatch(/GBK\/GB18030 export: convert it first/);
  });
});
