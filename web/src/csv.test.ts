import { describe, expect, it } from 'vitest';
import { toCsv } from './csv';

describe('csv', () => {
  it('quotes separators, quotes and line breaks, and defuses formulas', () => {
    expect(toCsv(['日期', 'n'], [['2026-01-01', 3], ['a,"b"\nc', null], ['=1+1', -5]])).toBe('日期,n\r\n2026-01-01,3\r\n"a,""b""\nc",\r\n\'=1+1,-5\r\n');
  });
});
