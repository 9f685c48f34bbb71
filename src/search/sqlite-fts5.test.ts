import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrateToLatest, openSqlite, wrapKysely, type SqliteHandle } from '../db/connection.js';
import type { Database } from '../db/schema.js';
import { firstKeyOf } from '../domain/message-key.js';
import { parseSearchQuery } from '../domain/search-query.js';
import { foldText, tokenize } from '../domain/tokenizer.js';
import { ftsRow, type FtsDocument } from './fts-document.js';
import { compileSearchQuery, indexMessages, prepareIndexWriter, searchMessageIds, unindexMessages } from './sqlite-fts5.js';

let dir: string;
let db: Kysely<Database>;
let sqlite: SqliteHandle;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wekeep-fts-'));
  sqlite = openSqlite(join(dir, 'test.db'), randomBytes(32), 'chacha20', { create: true });
  db = wrapKysely(sqlite);
  await migrateToLatest(db);
});

afterAll(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const clear = async (): Promise<void> => {
  await sql`DELETE FROM message_fts`.execute(db);
};

const docOf = (text: string | undefined, extra: Partial<FtsDocument> = {}): FtsDocument => ({
  text, source: 's', conversationId: 'c', fromId: 'u', to: [], type: 'text', hasAttachment: false, recalled: false, ...extra,
});

/** Ids matching a query, as a sorted list. */
async function ids(q: string): Promise<number[]> {
  const r = await searchMessageIds(db, parseSearchQuery(q), { limit: 100_000, offset: 0 });
  expect(r.ids).toHaveLength(r.total);
  return [...r.ids].sort((a, b) => a - b);
}

const matchOf = (q: string): string => compileSearchQuery(parseSearchQuery(q)).match;

describe('compileSearchQuery', () => {
  it('turns CJK terms into bigram phrases, and one character into a lookup in the uni column', () => {
    expect(matchOf('合同')).toBe('body : ("合同")');
    expect(matchOf('合同书')).toBe('body : ("合同" + "同书")');
    expect(matchOf('中华人民共和国')).toBe('body : ("中华" + "华人" + "人民" + "民共" + "共和" + "和国")');
    expect(matchOf('信')).toBe('uni : "信"');
    expect(matchOf('信*')).toBe('uni : "信"');
    expect(matchOf('發票')).toBe('body : ("发票")');
  });

  it('turns mixed terms into phrases, keeping a CJK run’s final character only inside the term', () => {
    expect(matchOf('微信pay')).toBe('body : ("微信" + "信" + "pay")');
    expect(matchOf('pay合同')).toBe('body : ("pay" + "合同")');
    expect(matchOf('pay合')).toBe('body : ("pay" + "合" *)');
    expect(matchOf('信pay')).toBe('body : ("信" + "pay")');
    expect(matchOf('138-1234-5678')).toBe('body : ("138" + "1234" + "5678")');
    expect(matchOf('"合同 发票"')).toBe('body : ("合同" + "同" + "发票")');
  });

  it('matches Latin words whole, or as a prefix with *', () => {
    expect(matchOf('Pay')).toBe('body : ("pay")');
    expect(matchOf('pay*')).toBe('body : ("pay" *)');
    expect(matchOf('ＰＤＦ１２３')).toBe('body : ("pdf123")');
  });

  it('quotes everything, so operators and syntax in the input stay text', () => {
    expect(matchOf('"a NEAR(b c) AND d" OR x^y:z*')).toBe('(body : ("a" + "near" + "b" + "c" + "and" + "d") OR body : ("x" + "y" + "z" *))');
  });

  it('compiles filters to meta tokens, OR groups, AND and NOT', () => {
    const m = matchOf('合同 OR 协议 from:zhangsan -type:image -"草稿"');
    expect(m).toMatch(/^\(\(\(body : \("合同"\) OR body : \("协议"\)\)\) AND \(meta : "f[0-9a-f]{16}"\)\) NOT \(meta : "yimage" OR body : \("草稿"\)\)$/);
    expect(matchOf('-合同')).toBe('(meta : "allrows") NOT (body : ("合同"))');
    expect(matchOf('has:attachment is:recalled')).toBe('(meta : "hasatt") AND (meta : "isrecalled")');
  });

  it('turns time bounds into a rowid range', () => {
    const c = compileSearchQuery(parseSearchQuery('after:2026-03-01T00:00Z before:2026-04-01T00:00Z'));
    expect(c).toEqual({ match: 'meta : "allrows"', minRowid: firstKeyOf(Date.parse('2026-03-01T00:00Z')), maxRowid: firstKeyOf(Date.parse('2026-04-01T00:00Z')) });
    expect(Number.isSafeInteger(compileSearchQuery(parseSearchQuery('before:9999-12-31')).maxRowid)).toBe(true);
  });
});

describe('FTS5 unicode61 and the tokenizer', () => {
  it('keeps every token the tokenizer can produce intact, for every code point', async () => {
    await clear();
    // Each code point c is written as tokenize('q' + c + 'q'); unicode61 must return exactly those tokens.
    const expected = new Map<number, string[]>();
    const BLOCK = 4096;
    const rows: { id: number; body: string }[] = [];
    for (let base = 0; base < 0x110000; base += BLOCK) {
      const tokens: string[] = [];
      for (let cp = base; cp < base + BLOCK; cp++) {
        if (cp >= 0xd800 && cp <= 0xdfff) continue;
        const t = tokenize(`q${String.fromCodePoint(cp)}q`);
        // q c q → "q" "q" (c separates) needs no check: unicode61 splits at the space in any case.
        if (t.length !== 2 || t[0] !== 'q' || t[1] !== 'q') tokens.push(...t);
      }
      const id = base / BLOCK + 1;
      expected.set(id, tokens);
      rows.push({ id, body: tokens.join(' ') });
    }
    for (let i = 0; i < rows.length; i += 50) {
      const values = rows.slice(i, i + 50).map((r) => sql`(${r.id}, ${r.body}, '')`);
      await sql`INSERT INTO message_fts (rowid, body, meta) VALUES ${sql.join(values)}`.execute(db);
    }
    await sql`CREATE VIRTUAL TABLE temp.fts_instances USING fts5vocab(main, message_fts, instance)`.execute(db);
    const seen = new Map<number, string[]>();
    const result = await sql<{ term: string; doc: number }>`SELECT term, doc FROM temp.fts_instances WHERE col = 'body' ORDER BY doc, "offset"`.execute(db);
    for (const r of result.rows) {
      let list = seen.get(r.doc);
      if (list === undefined) seen.set(r.doc, (list = []));
      list.push(r.term);
    }
    await sql`DROP TABLE temp.fts_instances`.execute(db);
    let compared = 0;
    for (const [id, tokens] of expected) {
      const got = seen.get(id) ?? [];
      if (got.length !== tokens.length || got.some((t, i) => t !== tokens[i])) {
        const at = got.findIndex((t, i) => t !== tokens[i]);
        expect.fail(`block ${id}: unicode61 gave ${JSON.stringify(got.slice(at, at + 3))}, the tokenizer ${JSON.stringify(tokens.slice(at, at + 3))}`);
      }
      compared += tokens.length;
    }
    expect(compared).toBeGreaterThan(290_000);
  }, 120_000);
});

describe('searching at the edges of CJK runs', () => {
  // Every text over a small alphabet up to 4 characters, every CJK query up to 3 characters:
  // a CJK query must match exactly the texts whose folded form contains it.
  const alphabet = ['合', '同', '书', '書', 'x', ' ', '，'];
  const texts: string[] = [];
  const grow = (prefix: string): void => {
    if (prefix.length > 0) texts.push(prefix);
    if (prefix.length === 4) return;
    for (const c of alphabet) grow(prefix + c);
  };
  grow('');

  beforeEach(async () => {
    await clear();
    await indexMessages(db, texts.map((t, i) => ({ id: i + 1, doc: docOf(t) })));
  });

  it('finds every occurrence of 1-, 2- and 3-character terms, and nothing else', async () => {
    const cjk = ['合', '同', '书'];
    const queries = [...cjk, ...cjk.flatMap((a) => cjk.map((b) => a + b)), ...cjk.flatMap((a) => cjk.flatMap((b) => cjk.map((c) => a + b + c)))];
    for (const q of queries) {
      const expected = texts.flatMap((t, i) => (foldText(t).includes(q) ? [i + 1] : []));
      expect(await ids(q), q).toEqual(expected);
    }
    expect(await ids('書')).toEqual(await ids('书'));
  }, 60_000);

  it('matches mixed terms as phrases of runs', async () => {
    await clear();
    const corpus = ['签合同x', '合同xy', 'x合同书', '合同 x', 'x 同书', 'xx合同', '同x', 'x同', '合同x书'];
    await indexMessages(db, corpus.map((t, i) => ({ id: i + 1, doc: docOf(t) })));
    const named = async (q: string): Promise<string[]> => (await ids(q)).map((id) => corpus[id - 1] ?? '');
    expect(await named('合同x')).toEqual(['签合同x', '合同 x', '合同x书']);
    // A Latin word is matched whole: `xx合同` has the word xx, not x.
    expect(await named('x合同')).toEqual(['x合同书']);
    expect(await named('x合')).toEqual(['x合同书']);
    expect(await named('xx合')).toEqual(['xx合同']);
    expect(await named('x同')).toEqual(['x 同书', 'x同']);
    expect(await named('同x')).toEqual(['签合同x', '合同 x', '同x', '合同x书']);
    expect(await named('x同书')).toEqual(['x 同书']);
  });
});

describe('indexMessages / unindexMessages / searchMessageIds', () => {
  beforeEach(clear);

  it('returns the exact total and pages newest first', async () => {
    await indexMessages(db, Array.from({ length: 1000 }, (_, i) => ({ id: (i + 1) * 2048, doc: docOf(i % 3 === 0 ? '合同已签' : 'hello') })));
    const q = parseSearchQuery('合同');
    const first = await searchMessageIds(db, q, { limit: 10, offset: 0 });
    expect(first.total).toBe(334);
    expect(first.ids).toEqual(Array.from({ length: 10 }, (_, k) => (1000 - k * 3) * 2048));
    const last = await searchMessageIds(db, q, { limit: 10, offset: 330 });
    expect(last.ids).toEqual([10, 7, 4, 1].map((k) => k * 2048));
    expect(await searchMessageIds(db, q, { limit: 10, offset: 400 })).toEqual({ total: 334, ids: [] });
    expect(await searchMessageIds(db, q, { limit: 0, offset: 0 })).toEqual({ total: 334, ids: [] });
  });

  it('replaces an entry indexed twice instead of merging it', async () => {
    await indexMessages(db, [{ id: 5, doc: docOf('旧文本') }]);
    await indexMessages(db, [{ id: 5, doc: docOf('新文本', { recalled: true }) }]);
    expect(await ids('旧')).toEqual([]);
    expect(await ids('新文本 is:recalled')).toEqual([5]);
    expect(await ids('-合同')).toEqual([5]);
  });

  it('indexes precomputed rows the same way through the prepared writer (the import path)', async () => {
    const write = prepareIndexWriter(db, sqlite);
    write([{ id: 7, ...ftsRow(docOf('發票已开', { fromId: 'lisi' })) }]);
    write([]);
    expect(await ids('发票 from:lisi')).toEqual([7]);
  });

  it('removes entries', async () => {
    await indexMessages(db, [1, 2, 3].map((id) => ({ id, doc: docOf('合同') })));
    await unindexMessages(db, [2, 99]);
    await unindexMessages(db, []);
    expect(await ids('合同')).toEqual([1, 3]);
  });

  it('applies every filter and time bounds inside the index', async () => {
    const t = (iso: string): number => firstKeyOf(Date.parse(iso));
    await indexMessages(db, [
      { id: t('2026-03-01T10:00:00+08:00'), doc: docOf('合同', { fromId: 'zhangsan', fromName: 'Zhang San', to: [{ id: 'lisi', name: '李四' }], conversationId: 'g1' }) },
      { id: t('2026-03-02T10:00:00+08:00'), doc: docOf('合同', { type: 'file', hasAttachment: true, source: 'pc', conversationId: 'G1' }) },
      { id: t('2026-03-03T10:00:00+08:00'), doc: docOf(undefined, { type: 'image', recalled: true, fromId: 'lisi' }) },
    ]);
    const [a, b, c] = [t('2026-03-01T10:00:00+08:00'), t('2026-03-02T10:00:00+08:00'), t('2026-03-03T10:00:00+08:00')];
    expect(await ids('from:zhangsan')).toEqual([a]);
    expect(await ids('from:"zhang san"')).toEqual([a]);
    expect(await ids('to:李四')).toEqual([a]);
    expect(await ids('to:lisi OR from:lisi')).toEqual([a, c]);
    expect(await ids('in:g1')).toEqual([a, b]);
    expect(await ids('source:pc')).toEqual([b]);
    expect(await ids('type:file')).toEqual([b]);
    expect(await ids('has:attachment')).toEqual([b]);
    expect(await ids('is:recalled')).toEqual([c]);
    expect(await ids('-is:recalled')).toEqual([a, b]);
    expect(await ids('after:2026-03-02')).toEqual([b, c]);
    expect(await ids('before:2026-03-02')).toEqual([a]);
    expect(await ids('合同 after:2026-03-01T10:00:00.001+08:00')).toEqual([b]);
    expect(await ids('after:2026-03-02 before:2026-03-03')).toEqual([b]);
  });
});
