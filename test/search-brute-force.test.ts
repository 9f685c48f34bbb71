import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openSqlite, wrapKysely } from '../src/db/connection.js';
import type { Database } from '../src/db/schema.js';
import { firstKeyOf } from '../src/domain/message-key.js';
import { RECORD_TYPES } from '../src/domain/record.js';
import { parseSearchQuery, type SearchQuery } from '../src/domain/search-query.js';
import { isAppError } from '../src/errors.js';
import { indexMessages, searchMessageIds } from '../src/search/sqlite-fts5.js';
import { matchesPrepared, prepareMessage, runsOf, type PlainMessage, type PreparedMessage } from './support/brute-force-search.js';
import { prng } from './support/prng.js';

/**
 * The FTS index against a brute-force scan: a seeded random corpus of business chat (simplified
 * and traditional Chinese, English, full-width Latin, digits, mixed, punctuation) and hundreds of
 * generated queries; totals and ids must be identical. Then random garbage queries: each is a
 * usage error or runs (and still agrees with the scan).
 */

const rand = prng(20260301);
const int = (n: number): number => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
const chance = (p: number): boolean => rand() < p;

const SIMPLIFIED = [
  '合同', '发票', '报价', '微信', '付款', '会议', '客户', '项目', '采购', '审核', '公司', '经理', '合作', '中华人民共和国', '信息', '同事',
  '书面', '合同书', '文件', '数据', '明天', '下午', '开会', '请', '把', '的', '我', '你', '他', '已经', '发给', '收到', '谢谢', '好的',
  '银行', '账户', '转账', '报销', '人民币', '签字', '盖章', '里', '为什么', '这个', '我们', '上海', '北京', '深圳', '仓库', '发货', '信',
];
const TRADITIONAL = [
  '發票', '報價', '會議', '客戶', '項目', '採購', '審核', '經理', '資訊', '銀行', '賬戶', '轉賬', '報銷', '簽字', '蓋章', '裡', '為什麼',
  '這個', '我們', '發貨', '倉庫', '書面', '合同書', '謝謝', '開會', '數據', '檔案',
];
const ENGLISH = ['pay', 'payment', 'payroll', 'invoice', 'contract', 'meeting', 'the', 'please', 'send', 'PDF', 'Q3', 'report', 'approve', 'Pay', 'INVOICE', 'ok', 'paypal', 'zhang'];
const FULL_WIDTH = ['ＰＤＦ', 'Ｑ３', 'ｐａｙ', '１２３', 'ＯＫ'];
const NUMBERS = ['138-1234-5678', '2026', '100万', '3点', '5000元', '123', '13812345678', 'v2.1'];
const MIXED = ['微信pay', '发票PDF', 'Q3报价', 'pay合同', '合同v2'];
const OTHER = ['データ', '한국', 'Привет', 'café'];
const PUNCT = ['，', '。', '！', '？', '、', '：', '“', '”', '（', '）', '…', '~', '-', '/', '@', '#', '👌', '😀', ' ', ' ', ' ', '\n'];

function sentence(): string {
  let s = '';
  const words = 1 + int(12);
  for (let i = 0; i < words; i++) {
    const r = rand();
    s += r < 0.5 ? pick(SIMPLIFIED) : r < 0.62 ? pick(TRADITIONAL) : r < 0.77 ? pick(ENGLISH) : r < 0.82 ? pick(FULL_WIDTH) : r < 0.9 ? pick(NUMBERS) : r < 0.95 ? pick(MIXED) : pick(OTHER);
    // Often no separator, so CJK words run together and runs end in every possible way.
    if (chance(0.45)) s += pick(PUNCT);
    else if (chance(0.2)) s += ' ';
  }
  return s;
}

const PEOPLE = [
  { id: 'zhangsan', name: '张三' }, { id: 'ZhangSan2', name: 'Zhang San' }, { id: 'lisi', name: '李四' }, { id: 'wangwu', name: '王五' },
  { id: 'zhaoliu', name: '趙六' }, { id: 'sunqi' }, { id: 'wx_a1b2c3', name: 'Alice Chen' }, { id: 'wx_d4e5f6', name: 'Bob' },
  { id: 'wmXyZ123', name: '客服小王' }, { id: 'ext_001', name: '采购部 陈经理' }, { id: 'boss', name: '老板' }, { id: 'hr', name: 'HR' },
];
const CONVERSATIONS = ['single_zhangsan_lisi', 'wrOgQhDgAAcwMTB7', 'wrOgQhDgAAxyz', 'group-sales', 'group-finance', 'direct-boss', '采购群', 'c7'];
const SOURCES = ['wecom-main', 'wechat-pc', 'android-1'];
const TYPES = ['text', 'text', 'text', 'text', 'image', 'file', 'voice', 'link', 'call', 'recall', 'miniprogram', 'redpacket'];
const T0 = Date.parse('2025-01-01T00:00:00+08:00');
const T1 = Date.parse('2027-01-01T00:00:00+08:00');

function makeCorpus(n: number): PlainMessage[] {
  const used = new Set<number>();
  const out: PlainMessage[] = [];
  while (out.length < n) {
    // Some messages share a day boundary or a millisecond, to test bounds and slots.
    const timeMs = chance(0.05) ? Date.parse('2026-03-01T00:00:00+08:00') + int(3) - 1 : T0 + int(T1 - T0);
    const id = firstKeyOf(timeMs) + int(2048);
    if (used.has(id)) continue;
    used.add(id);
    const from = pick(PEOPLE);
    const type = pick(TYPES);
    const to = Array.from({ length: int(3) }, () => pick(PEOPLE)).map((p) => (p.name !== undefined && chance(0.7) ? { id: p.id, name: p.name } : { id: p.id }));
    const text = type === 'image' || type === 'voice' ? (chance(0.2) ? '[图片]' : undefined) : sentence();
    out.push({
      id, timeMs, source: pick(SOURCES), conversationId: pick(CONVERSATIONS), fromId: from.id,
      ...(from.name !== undefined && chance(0.8) ? { fromName: from.name } : {}),
      to, type, hasAttachment: type === 'file' || type === 'image' || chance(0.05), recalled: chance(0.05),
      ...(text === undefined ? {} : { text }),
    });
  }
  return out;
}

// ---- query generation ------------------------------------------------------------------------

const CJK_RUN = /[\p{scx=Han}\p{scx=Hira}\p{scx=Kana}\p{scx=Hang}]+/gu;

/** A CJK substring of a random message's original text (so traditional forms are kept), of length n. */
function cjkSubstring(corpus: PlainMessage[], n: number): string | undefined {
  for (let attempt = 0; attempt < 50; attempt++) {
    const runs = (pick(corpus).text ?? '').match(CJK_RUN)?.map((r) => Array.from(r)).filter((r) => r.length >= n) ?? [];
    if (runs.length === 0) continue;
    const run = pick(runs);
    const at = int(run.length - n + 1);
    return run.slice(at, at + n).join('');
  }
  return undefined;
}

/** Consecutive runs of a message joined as typed: a phrase, or a mixed term without separators. */
function runsTerm(corpus: PlainMessage[], quoted: boolean): string | undefined {
  for (let attempt = 0; attempt < 50; attempt++) {
    const runs = runsOf((pick(corpus).text ?? '').normalize('NFKC').toLowerCase());
    if (runs.length < 2) continue;
    const count = 2 + int(Math.min(3, runs.length - 1));
    const at = int(runs.length - count + 1);
    const parts = runs.slice(at, at + count).map((r) => r.text);
    // Trim CJK runs at the ends of the term (the term may start/end inside a run).
    const first = Array.from(parts[0]!);
    if (runs[at]!.cjk && first.length > 1) parts[0] = first.slice(int(first.length)).join('');
    const lastIndex = parts.length - 1;
    const last = Array.from(parts[lastIndex]!);
    if (runs[at + lastIndex]!.cjk && last.length > 1) parts[lastIndex] = last.slice(0, 1 + int(last.length)).join('');
    if (quoted) return `"${parts.join(pick([' ', '，', ' - ']))}"`;
    // Unquoted: words need a separator between them, CJK↔word boundaries do not.
    let term = parts[0]!;
    for (let k = 1; k < parts.length; k++) {
      const bothWords = !runs[at + k - 1]!.cjk && !runs[at + k]!.cjk;
      term += (bothWords || chance(0.3) ? pick(['-', '.', '/', '_']) : '') + parts[k]!;
    }
    return term;
  }
  return undefined;
}

function personValue(): string {
  const p = pick(PEOPLE);
  const v = p.name !== undefined && chance(0.5) ? p.name : p.id;
  const shown = chance(0.3) ? v.toUpperCase() : v;
  return /[\s"]/.test(shown) || chance(0.2) ? `"${shown}"` : shown;
}

function dateValue(): string {
  const t = T0 + int(T1 - T0);
  if (chance(0.5)) return new Date(t + 8 * 3_600_000).toISOString().slice(0, 10);
  const iso = new Date(t).toISOString();
  return chance(0.5) ? iso : `${iso.slice(0, 19)}+08:00`;
}

function filter(): string {
  switch (int(9)) {
    case 0: return `from:${personValue()}`;
    case 1: return `to:${personValue()}`;
    case 2: return `in:${pick(CONVERSATIONS)}`;
    case 3: return `source:${pick(SOURCES)}`;
    case 4: return `type:${pick(TYPES)}`;
    case 5: return 'has:attachment';
    case 6: return 'is:recalled';
    case 7: return `after:${dateValue()}`;
    default: return `before:${dateValue()}`;
  }
}

function term(corpus: PlainMessage[]): string {
  const r = int(12);
  const fallback = pick(SIMPLIFIED);
  switch (r) {
    case 0: return cjkSubstring(corpus, 1) ?? fallback;
    case 1: case 2: return cjkSubstring(corpus, 2) ?? fallback;
    case 3: return cjkSubstring(corpus, 3) ?? fallback;
    case 4: return cjkSubstring(corpus, 4 + int(4)) ?? fallback;
    case 5: return pick([...TRADITIONAL, ...SIMPLIFIED]);
    case 6: return pick([...ENGLISH, ...FULL_WIDTH]);
    case 7: return `${pick(['pay', 'inv', 'con', 'p', 'Q', 'ＰＡ', 'zh', '138', '20'])}*`;
    case 8: return runsTerm(corpus, true) ?? fallback;
    case 9: return runsTerm(corpus, false) ?? fallback;
    case 10: return pick([...NUMBERS, ...MIXED, ...OTHER]);
    default: return filter();
  }
}

function generatedQueries(corpus: PlainMessage[], n: number): string[] {
  const out: string[] = [];
  while (out.length < n) {
    const parts: string[] = [];
    const shape = int(8);
    if (shape <= 2) parts.push(term(corpus));
    else if (shape === 3) parts.push(term(corpus), term(corpus));
    else if (shape === 4) parts.push(`${term(corpus)} OR ${term(corpus)}`, ...(chance(0.5) ? [term(corpus)] : []));
    else if (shape === 5) parts.push(term(corpus), `-${term(corpus)}`);
    else if (shape === 6) parts.push(`-${chance(0.5) ? filter() : term(corpus)}`, ...(chance(0.5) ? [`-${term(corpus)}`] : []));
    else parts.push(filter(), ...(chance(0.5) ? [filter()] : []), ...(chance(0.5) ? [term(corpus)] : []));
    out.push(parts.join(' '));
  }
  return out;
}

function fuzzQuery(): string {
  const atoms = ['"', '"', '(', ')', '*', '^', ':', 'NEAR', 'NEAR(', 'AND', 'OR', 'NOT', '-', '+', '{', '}', ',', "'", '\\', ';', '--', '/*', '合', '同',
    '發', 'a', 'pay', 'from:', 'type:', 'after:', 'in:', ' ', ' ', '　', '😀', '\u0301', '\u200d', 'ｆｒｏｍ:', 'body:', 'meta:', 'rowid', '\u0000', 'é', '“', '”', 'x:y'];
  let s = '';
  const n = 1 + int(10);
  for (let i = 0; i < n; i++) s += chance(0.08) ? String.fromCodePoint(1 + int(0x2ffff)) : pick(atoms);
  return s;
}

// ---- the test ----------------------------------------------------------------------------------

let dir: string;
let db: Kysely<Database>;
let corpus: PlainMessage[];
let prepared: PreparedMessage[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wekeep-bruteforce-'));
  db = wrapKysely(openSqlite(join(dir, 'search.db'), randomBytes(32), 'chacha20', { create: true }));
  await migrateToLatest(db);
  corpus = makeCorpus(4000);
  prepared = corpus.map(prepareMessage);
  await db.transaction().execute((trx) => indexMessages(trx, corpus.map(({ id, timeMs: _t, ...doc }) => ({ id, doc }))));
});

afterAll(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a parsed query both ways and compares totals, the full id list and one page. */
async function check(q: string, query: SearchQuery): Promise<number> {
  const expected = prepared.filter((m) => matchesPrepared(m, query)).map((m) => m.message.id).sort((a, b) => b - a);
  const all = await searchMessageIds(db, query, { limit: 1_000_000, offset: 0 });
  expect(all.total, q).toBe(expected.length);
  expect(all.ids, q).toEqual(expected);
  const offset = int(Math.max(1, expected.length));
  const page = await searchMessageIds(db, query, { limit: 50, offset });
  expect(page, `${q} @${offset}`).toEqual({ total: expected.length, ids: expected.slice(offset, offset + 50) });
  return expected.length;
}

describe('search against a brute-force scan', () => {
  it('agrees exactly on hand-picked queries', async () => {
    const queries = [
      '合同', '合', '同', '信', '合同书', '中华人民共和国', '人民共和', '發票', '发票', '為什麼', '裡', 'pay', 'pay*', 'PAY', 'ｐａｙ', 'payment',
      'pdf', 'ＰＤＦ', 'q3', '138-1234-5678', '微信pay', 'pay合同', '"合同 发票"', '合同 OR 發票', '合同 -发票', '-合同', '-from:zhangsan',
      'from:zhangsan', 'from:张三', 'from:"zhang san"', 'to:lisi', 'in:group-sales', 'source:wechat-pc', 'type:image', 'has:attachment',
      'is:recalled', 'after:2026-03-01', 'before:2026-03-01', 'after:2026-03-01 before:2026-03-02', '合同 from:zhangsan after:2026-01-01',
      'データ', '한국', 'привет', 'cafe', 'café', 'v2.1', '100万', '3点',
    ];
    let hits = 0;
    for (const q of queries) hits += await check(q, parseSearchQuery(q));
    expect(hits).toBeGreaterThan(1000);
  }, 120_000);

  it('agrees exactly on hundreds of generated queries', async () => {
    const queries = generatedQueries(corpus, 800);
    let ran = 0;
    let withHits = 0;
    const rejected: string[] = [];
    for (const q of queries) {
      let query: SearchQuery;
      try {
        query = parseSearchQuery(q, { timeZone: chance(0.8) ? 'Asia/Shanghai' : 'UTC' });
      } catch (e) {
        if (isAppError(e) && e.code === 'search.bad_query') {
          rejected.push(q);
          continue;
        }
        throw e;
      }
      ran++;
      if ((await check(q, query)) > 0) withHits++;
    }
    // Only impossible time ranges (after ≥ before) and similar are rejected.
    expect(rejected.length, rejected.slice(0, 5).join(' | ')).toBeLessThan(queries.length * 0.05);
    expect(ran).toBeGreaterThan(700);
    expect(withHits).toBeGreaterThan(ran * 0.6);
  }, 300_000);

  it('finds every CJK substring of every length in the corpus', async () => {
    for (const n of [1, 2, 3, 4, 5, 6, 7]) {
      for (let i = 0; i < 25; i++) {
        const q = cjkSubstring(corpus, n);
        if (q === undefined) continue;
        expect(await check(q, parseSearchQuery(q)), q).toBeGreaterThan(0);
      }
    }
  }, 120_000);

  it('every random query is a usage error or runs, and still agrees', async () => {
    let errors = 0;
    let ran = 0;
    for (let i = 0; i < 1500; i++) {
      const q = fuzzQuery();
      let query: SearchQuery;
      try {
        query = parseSearchQuery(q);
      } catch (e) {
        if (!isAppError(e) || e.code !== 'search.bad_query') throw new Error(`${JSON.stringify(q)}: ${String(e)}`, { cause: e });
        errors++;
        continue;
      }
      ran++;
      await check(q, query);
    }
    expect(ran).toBeGreaterThan(200);
    expect(errors).toBeGreaterThan(100);
  }, 300_000);

  it('covers every record type in type: filters', async () => {
    for (const t of RECORD_TYPES) await check(`type:${t}`, parseSearchQuery(`type:${t}`));
  });
});
