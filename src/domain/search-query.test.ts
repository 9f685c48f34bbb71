import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors.js';
import { RECORD_TYPES } from './record.js';
import { parseSearchQuery, startOfLocalDay, type SearchAtom, type SearchQuery, type TextTerm } from './search-query.js';

const parse = (q: string, timeZone?: string): SearchQuery => parseSearchQuery(q, timeZone === undefined ? {} : { timeZone });

const text = (raw: string, folded: string, extra: Partial<TextTerm> = {}): TextTerm => ({ kind: 'text', raw, folded, prefix: false, quoted: false, ...extra });
const any = (...atoms: [SearchAtom, ...SearchAtom[]]) => ({ kind: 'any' as const, atoms });

/** The usage error's message, or a failure when the query parses. */
function errorOf(q: string, timeZone?: string): string {
  try {
    parse(q, timeZone);
  } catch (e) {
    if (isAppError(e) && (e.code === 'search.bad_query' || e.code === 'search.bad_time_zone')) {
      expect(e.exitCode).toBe(2);
      return e.message;
    }
    throw e;
  }
  throw new Error(`expected a usage error for ${JSON.stringify(q)}`);
}

describe('parseSearchQuery: terms', () => {
  it('parses terms as an implicit AND, folding them', () => {
    expect(parse('合同 發票 PDF')).toEqual({
      clauses: [any(text('合同', '合同')), any(text('發票', '发票')), any(text('PDF', 'pdf'))],
      afterMs: undefined,
      beforeMs: undefined,
    });
  });

  it('marks a trailing * on a Latin word as a prefix', () => {
    expect(parse('pay*').clauses).toEqual([any(text('pay', 'pay', { prefix: true }))]);
    expect(parse('微信pay*').clauses).toEqual([any(text('微信pay', '微信pay', { prefix: true }))]);
    // On a CJK term the * changes nothing: CJK terms are substrings anyway.
    expect(parse('合同*').clauses).toEqual([any(text('合同', '合同'))]);
    expect(parse('"pay"*').clauses).toEqual([any(text('pay', 'pay', { prefix: true, quoted: true }))]);
  });

  it('keeps mixed and punctuated terms whole (they become phrases)', () => {
    expect(parse('138-1234-5678 微信pay').clauses).toEqual([any(text('138-1234-5678', '138-1234-5678')), any(text('微信pay', '微信pay'))]);
  });

  it('parses quoted phrases, also with Chinese quotes', () => {
    expect(parse('"报价 单" “合同 OR from:x”').clauses).toEqual([
      any(text('报价 单', '报价 单', { quoted: true })),
      any(text('合同 OR from:x', '合同 or from:x', { quoted: true })),
    ]);
  });

  it('treats unknown word: prefixes as text', () => {
    expect(parse('http://example.com foo:bar').clauses).toEqual([any(text('http://example.com', 'http://example.com')), any(text('foo:bar', 'foo:bar'))]);
  });
});

describe('parseSearchQuery: operators', () => {
  it('binds OR tighter than the implicit AND', () => {
    expect(parse('合同 OR 协议 发票').clauses).toEqual([any(text('合同', '合同'), text('协议', '协议')), any(text('发票', '发票'))]);
    expect(parse('a OR b OR c').clauses).toEqual([any(text('a', 'a'), text('b', 'b'), text('c', 'c'))]);
  });

  it('accepts explicit AND and NOT', () => {
    expect(parse('a AND b OR c NOT d').clauses).toEqual([any(text('a', 'a')), any(text('b', 'b'), text('c', 'c')), { kind: 'not', atom: text('d', 'd') }]);
  });

  it('parses exclusions of terms, phrases and filters', () => {
    expect(parse('合同 -草稿 -"a phrase" -from:zhangsan').clauses).toEqual([
      any(text('合同', '合同')),
      { kind: 'not', atom: text('草稿', '草稿') },
      { kind: 'not', atom: text('a phrase', 'a phrase', { quoted: true }) },
      { kind: 'not', atom: { kind: 'from', value: 'zhangsan' } },
    ]);
  });

  it('allows negation-only and filter-only queries', () => {
    expect(parse('-合同').clauses).toEqual([{ kind: 'not', atom: text('合同', '合同') }]);
    expect(parse('from:a type:image').clauses).toEqual([any({ kind: 'from', value: 'a' }), any({ kind: 'type', value: 'image' })]);
  });

  it('reads operators and filter names typed in full width (a Chinese input method) as their ASCII forms', () => {
    expect(parse('合同 －发票').clauses).toEqual(parse('合同 -发票').clauses);
    expect(parse('发票 ＯＲ 会议').clauses).toEqual(parse('发票 OR 会议').clauses);
    expect(parse('合同 ＮＯＴ 发票 ＡＮＤ 会议').clauses).toEqual(parse('合同 NOT 发票 AND 会议').clauses);
    expect(parse('ｆｒｏｍ：zhangsan －ｔｙｐｅ:image').clauses).toEqual(parse('from:zhangsan -type:image').clauses);
    // Quoted, they are text.
    expect(parse('"ＯＲ"').clauses).toEqual([any(text('ＯＲ', 'or', { quoted: true }))]);
  });

  it('lets lower-case or/and/not and quoted "OR" be words', () => {
    expect(parse('a or b').clauses).toHaveLength(3);
    expect(parse('"OR"').clauses).toEqual([any(text('OR', 'or', { quoted: true }))]);
  });
});

describe('parseSearchQuery: filters', () => {
  it('parses every filter', () => {
    expect(parse('from:zhangsan to:"Li Si" in:wr123 source:wecom-1 type:IMAGE has:attachment is:recalled').clauses).toEqual([
      any({ kind: 'from', value: 'zhangsan' }),
      any({ kind: 'to', value: 'Li Si' }),
      any({ kind: 'in', value: 'wr123' }),
      any({ kind: 'source', value: 'wecom-1' }),
      any({ kind: 'type', value: 'image' }),
      any({ kind: 'has', value: 'attachment' }),
      any({ kind: 'is', value: 'recalled' }),
    ]);
  });

  it('accepts filters in OR groups, upper-case keys and the full-width colon', () => {
    expect(parse('FROM:a OR to:a').clauses).toEqual([any({ kind: 'from', value: 'a' }, { kind: 'to', value: 'a' })]);
    expect(parse('from：张三').clauses).toEqual([any({ kind: 'from', value: '张三' })]);
  });

  it('rejects unknown types, listing the known ones', () => {
    const message = errorOf('type:foo');
    expect(message).toContain('"foo"');
    for (const t of RECORD_TYPES) expect(message).toContain(t);
  });

  it('rejects bad has:/is: values and empty values', () => {
    expect(errorOf('has:photo')).toContain('attachment');
    expect(errorOf('is:deleted')).toContain('recalled');
    expect(errorOf('合同 from:')).toMatch(/from: needs a value.*position 4/);
    expect(errorOf('from:""')).toContain('from: needs a value');
    expect(errorOf('in:"  "')).toContain('in: needs a value');
  });
});

describe('parseSearchQuery: time', () => {
  it('reads dates as the start of the day in the time zone (default Asia/Shanghai)', () => {
    expect(parse('after:2026-03-01')).toMatchObject({ afterMs: Date.parse('2026-02-28T16:00:00Z'), beforeMs: undefined, clauses: [] });
    expect(parse('before:2026-03-01', 'UTC').beforeMs).toBe(Date.parse('2026-03-01T00:00:00Z'));
    expect(parse('after:2026-03-01 before:2026-03-02', 'America/New_York')).toMatchObject({
      afterMs: Date.parse('2026-03-01T05:00:00Z'),
      beforeMs: Date.parse('2026-03-02T05:00:00Z'),
    });
  });

  it('reads ISO 8601 times with an offset', () => {
    expect(parse('after:2026-03-01T09:30+08:00').afterMs).toBe(Date.parse('2026-03-01T01:30:00Z'));
    expect(parse('before:2026-03-01T09:30:15.250Z').beforeMs).toBe(Date.parse('2026-03-01T09:30:15.250Z'));
    expect(parse('before:"2026-03-01 09:30:00-0500"').beforeMs).toBe(Date.parse('2026-03-01T14:30:00Z'));
    expect(parse('after:2026-03-01T00:00:00.0001Z').afterMs).toBe(Date.parse('2026-03-01T00:00:00.001Z'));
  });

  it('reads a time without an offset in the time zone (default Asia/Shanghai)', () => {
    expect(parse('after:2026-01-01T09:00:00').afterMs).toBe(Date.parse('2026-01-01T01:00:00Z'));
    expect(parse('before:2026-01-01T09:00').beforeMs).toBe(Date.parse('2026-01-01T01:00:00Z'));
    expect(parse('after:2026-07-01T09:00:00.5', 'America/New_York').afterMs).toBe(Date.parse('2026-07-01T13:00:00.500Z'));
    expect(() => parse('after:2026-02-30T09:00')).toThrow(/not a valid date/);
  });

  it('keeps the tightest bounds', () => {
    const q = parse('after:2026-01-01 after:2026-02-01 before:2026-05-01 before:2026-04-01', 'UTC');
    expect([q.afterMs, q.beforeMs]).toEqual([Date.parse('2026-02-01T00:00:00Z'), Date.parse('2026-04-01T00:00:00Z')]);
  });

  it('is DST-correct', () => {
    // New York springs forward at 02:00 on 2024-03-10: midnight is still EST (-05:00).
    expect(startOfLocalDay(2024, 3, 10, 'America/New_York')).toBe(Date.parse('2024-03-10T05:00:00Z'));
    expect(startOfLocalDay(2024, 3, 11, 'America/New_York')).toBe(Date.parse('2024-03-11T04:00:00Z'));
    // São Paulo sprang forward at midnight on 2018-11-04: the day began at 01:00 (-02:00).
    expect(startOfLocalDay(2018, 11, 4, 'America/Sao_Paulo')).toBe(Date.parse('2018-11-04T03:00:00Z'));
    // and fell back at midnight on 2019-02-17, from 00:00 to 23:00 of the 16th: the 17th began at 00:00 -03:00.
    expect(startOfLocalDay(2019, 2, 17, 'America/Sao_Paulo')).toBe(Date.parse('2019-02-17T03:00:00Z'));
    // London falls back at 02:00 on 2024-10-27: 01:00–02:00 happens twice, midnight once.
    expect(startOfLocalDay(2024, 10, 27, 'Europe/London')).toBe(Date.parse('2024-10-26T23:00:00Z'));
    expect(startOfLocalDay(2024, 10, 28, 'Europe/London')).toBe(Date.parse('2024-10-28T00:00:00Z'));
    // Havana falls back from 01:00 to 00:00 (midnight happens twice: the first counts) and springs
    // forward from 00:00 to 01:00 (midnight never happens: the day starts at the jump).
    expect(startOfLocalDay(2023, 11, 5, 'America/Havana')).toBe(Date.parse('2023-11-05T04:00:00Z'));
    expect(startOfLocalDay(2024, 3, 10, 'America/Havana')).toBe(Date.parse('2024-03-10T05:00:00Z'));
    expect(startOfLocalDay(2026, 7, 1, 'Asia/Shanghai')).toBe(Date.parse('2026-06-30T16:00:00Z'));
  });

  it('rejects bad dates, impossible ranges and unknown zones', () => {
    expect(errorOf('after:2026-02-30')).toContain('not a valid date');
    expect(errorOf('after:yesterday')).toContain('YYYY-MM-DD');
    expect(errorOf('before:2026-03-01T25:00Z')).toContain('not a valid time');
    expect(errorOf('after:2026-03-02 before:2026-03-01')).toContain('is not earlier than');
    expect(errorOf('after:2026-03-01 before:2026-03-01')).toContain('is not earlier than');
    expect(errorOf('after:2026-03-01', 'Mars/Olympus')).toContain('time zone');
    expect(errorOf('-after:2026-03-01')).toContain('cannot be excluded');
    expect(errorOf('a OR after:2026-03-01')).toContain('cannot be combined with OR');
    expect(errorOf('after:2026-03-01 OR a')).toContain('cannot be combined with OR');
  });
});

describe('parseSearchQuery: malformed input', () => {
  it('names the problem and its position', () => {
    expect(errorOf('')).toContain('empty');
    expect(errorOf('   ')).toContain('empty');
    expect(errorOf('合同 "报价')).toMatch(/quote " is never closed.*position 4/);
    expect(errorOf('from:"Zhang')).toContain('never closed');
    expect(errorOf('OR 合同')).toMatch(/OR needs a term before it.*position 1/);
    expect(errorOf('合同 OR')).toMatch(/OR needs a term after it.*position 4/);
    expect(errorOf('a OR OR b')).toContain('OR needs a term after it');
    expect(errorOf('a AND')).toContain('AND needs a term after it');
    expect(errorOf('NOT')).toContain('NOT needs a term after it');
    expect(errorOf('NOT -a')).toContain('double negation');
    expect(errorOf('-a OR b')).toContain('excluded term');
    expect(errorOf('a OR -b')).toContain('excluded term');
    expect(errorOf('合同 !!!')).toMatch(/"!!!" has no letters.*position 4/);
    expect(errorOf('😀')).toContain('has no letters');
    expect(errorOf('x'.repeat(1001))).toContain('too long');
  });
});

describe('parseSearchQuery: parentheses', () => {
  it('refuses parentheses used for grouping instead of ignoring them; balanced ones inside a word or quoted are text', () => {
    for (const q of ['合同 OR (发票 我们)', '(合同 OR 发票) 我们', '(合同', '我们)', '( 合同 )', '（发票 我们）', '-(草稿', '(from:lisi 合同)']) {
      expect(() => parse(q), q).toThrow(/parentheses do not group/);
    }
    expect(parse('合同(草稿)').clauses).toHaveLength(1);
    expect(parse('(草稿)').clauses).toHaveLength(1);
    expect(parse('"(发票" 我们').clauses).toHaveLength(2);
  });
});

describe('parseSearchQuery: filters and *', () => {
  it('refuses a prefix in from:/to:/in:/source: (it would silently match nothing); a quoted * is part of the value', () => {
    for (const q of ['from:zhu*', 'to:li*', 'in:*', '-source:wecom*']) expect(() => parse(q), q).toThrow(/a prefix \(\*\) is not supported/);
    expect(parse('from:"a*"').clauses[0]).toEqual({ kind: 'any', atoms: [{ kind: 'from', value: 'a*' }] });
  });
});
