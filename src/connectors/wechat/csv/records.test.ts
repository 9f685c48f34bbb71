import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_RECORD_LINES, readCsvRecords, type CsvRecord } from './records.js';

const dir = mkdtempSync(join(tmpdir(), 'wekeep-csv-records-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function read(text: string | Buffer): Promise<CsvRecord[]> {
  const file = join(dir, `f${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(file, text);
  const out: CsvRecord[] = [];
  for await (const r of readCsvRecords(file)) out.push(r);
  return out;
}

const summary = (rs: CsvRecord[]): (string | number)[][] => rs.map((r) => (r.kind === 'record' ? [r.line, ...r.fields] : [r.line, `BAD: ${r.problem}`]));

describe('readCsvRecords', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF and a BOM, with the line each record starts on', async () => {
    const rs = await read('\ufeffa,b,c\r\n1,"x, y",3\r\n2,"say ""hi""\nnext line",4\r\n\r\n3,,5\r\n');
    expect(summary(rs)).toEqual([
      [1, 'a', 'b', 'c'],
      [2, '1', 'x, y', '3'],
      [3, '2', 'say "hi"\nnext line', '4'],
      [6, '3', '', '5'],
    ]);
  });

  it('costs a bad line only that line: the records after it are read', async () => {
    const rs = await read('h1,h2\n1,"bad"quote\n2,ok\n3,"never closed\n4,ok\n5,"x\n');
    expect(summary(rs)).toEqual([
      [1, 'h1', 'h2'],
      [2, 'BAD: a quoted field is closed but not followed by a comma or the end of the line'],
      [3, '2', 'ok'],
      // the quote opened on line 4 pairs with the one on line 6 and the joined record is malformed:
      // line 4 is given up, lines 5 and 6 are read again
      [4, 'BAD: a quoted field is closed but not followed by a comma or the end of the line'],
      [5, '4', 'ok'],
      [6, 'BAD: a quoted field is never closed'],
    ]);
  });

  it('gives up a quote that stays open for too many lines, then reads on', async () => {
    const lines = ['h', '"open', ...Array.from({ length: MAX_RECORD_LINES + 5 }, (_, i) => `row${i}`)];
    const rs = await read(`${lines.join('\n')}\n`);
    expect(rs[1]).toMatchObject({ kind: 'bad', line: 2, problem: `a quoted field is not closed within ${MAX_RECORD_LINES} lines` });
    expect(rs.filter((r) => r.kind === 'record')).toHaveLength(1 + MAX_RECORD_LINES + 5);
  });

  it('reports a line that is not UTF-8 and never quotes content in problems', async () => {
    const rs = await read(Buffer.concat([Buffer.from('h\n'), Buffer.from([0xff, 0xfe, 0x41, 0x0a]), Buffer.from('ok\n')]));
    expect(summary(rs)).toEqual([[1, 'h'], [2, 'BAD: line is not valid UTF-8 (the file must be UTF-8; a GBK/GB18030 export: convert it first, e.g. iconv -f GB18030 -t UTF-8)'], [3, 'ok']]);
    const secret = await read('h\n1,"机密"q\n');
    expect(secret[1]!.kind === 'bad' && secret[1]!.problem).not.toContain('机密');
  });
});
