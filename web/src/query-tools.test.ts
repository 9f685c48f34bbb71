import { describe, expect, it } from 'vitest';
import { getFilter, hasFlag, highlightSegments, highlightTerms, setFilter, setFlag, snippet, tokenize } from './query-tools';

describe('query tools', () => {
  it('tokenizes with quotes, negation and filters (also with the full-width colon)', () => {
    const t = tokenize('合同 "payment terms" -草稿 from:"Zhang San" type：file OR x');
    expect(t.map((x) => [x.key ?? null, x.value, x.negated])).toEqual([
      [null, '合同', false],
      [null, 'payment terms', false],
      [null, '草稿', true],
      ['from', 'Zhang San', false],
      ['type', 'file', false],
      [null, 'OR', false],
      [null, 'x', false],
    ]);
  });

  it('reads, replaces in place, appends and removes filters', () => {
    expect(getFilter('合同 from:lisi', 'from')).toBe('lisi');
    expect(setFilter('合同 from:lisi 发票', 'from', 'wangwu')).toBe('合同 from:wangwu 发票');
    expect(setFilter('合同', 'from', 'Zhang San')).toBe('合同 from:"Zhang San"');
    expect(getFilter(setFilter('合同', 'from', 'Zhang San'), 'from')).toBe('Zhang San');
    expect(setFilter('合同 from:lisi 发票 from:x', 'from', undefined)).toBe('合同 发票');
    expect(setFilter('-from:lisi', 'from', 'a')).toBe('-from:lisi from:a');
    expect(setFilter('', 'after', '2026-01-01')).toBe('after:2026-01-01');
  });

  it('toggles has:attachment and is:recalled', () => {
    const q = setFlag('合同', 'has', 'attachment', true);
    expect(q).toBe('合同 has:attachment');
    expect(hasFlag(q, 'has', 'attachment')).toBe(true);
    expect(setFlag(q, 'has', 'attachment', false)).toBe('合同');
    expect(hasFlag('-is:recalled', 'is', 'recalled')).toBe(false);
  });

  it('highlights text terms only: not filters, exclusions or operators', () => {
    expect(highlightTerms('合同 OR 协议 -草稿 NOT 作废 "payment terms" pay* from:lisi')).toEqual(['合同', '协议', 'payment terms', 'pay']);
    expect(highlightTerms('"OR"')).toEqual(['OR']);
  });

  it('marks every case-insensitive occurrence, longest term first', () => {
    expect(highlightSegments('PDF 合同, pdf 合同书', ['pdf', '合同书', '合同'])).toEqual([
      { text: 'PDF', match: true },
      { text: ' ', match: false },
      { text: '合同', match: true },
      { text: ', ', match: false },
      { text: 'pdf', match: true },
      { text: ' ', match: false },
      { text: '合同书', match: true },
    ]);
    expect(highlightSegments('a+b (c)', ['+b (c'])).toEqual([
      { text: 'a', match: false },
      { text: '+b (c', match: true },
      { text: ')', match: false },
    ]);
    expect(highlightSegments('text', [])).toEqual([{ text: 'text', match: false }]);
  });

  it('highlights with the terms of each call (the expression of the last terms is reused)', () => {
    const terms = ['合同'];
    expect(highlightSegments('合同 协议', terms).filter((s) => s.match)).toEqual([{ text: '合同', match: true }]);
    expect(highlightSegments('合同 协议', ['协议']).filter((s) => s.match)).toEqual([{ text: '协议', match: true }]);
    expect(highlightSegments('合同 协议', ['协议', '']).filter((s) => s.match)).toEqual([{ text: '协议', match: true }]);
    expect(highlightSegments('合同 协议', [''])).toEqual([{ text: '合同 协议', match: false }]);
    terms.push('协议');
    expect(highlightSegments('合同 协议', terms).filter((s) => s.match).map((s) => s.text)).toEqual(['合同', '协议']);
    expect(highlightSegments('', terms)).toEqual([{ text: '', match: false }]);
  });

  it('cuts long texts around the first match', () => {
    const long = `${'甲'.repeat(500)}合同${'乙'.repeat(500)}`;
    const s = snippet(long, ['合同'], 100);
    expect(s).toContain('合同');
    expect(s.startsWith('…')).toBe(true);
    expect(s.endsWith('…')).toBe(true);
    expect(snippet('short', ['x'])).toBe('short');
  });
});
