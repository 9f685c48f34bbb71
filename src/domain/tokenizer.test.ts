import { describe, expect, it } from 'vitest';
import { TOKENIZER_VERSION, charClass, foldText, segmentFolded, tokenize, tokenizeFolded } from './tokenizer.js';

describe('foldText', () => {
  it('applies NFKC, lower case and traditional → simplified', () => {
    expect(foldText('ＰＤＦ１２３')).toBe('pdf123');
    expect(foldText('發票')).toBe('发票');
    expect(foldText('Hello WORLD')).toBe('hello world');
    expect(foldText('請查收ＰＤＦ，謝謝')).toBe('请查收pdf,谢谢');
    expect(foldText('①②　ｶﾀｶﾅ')).toBe('12 カタカナ');
  });

  it('deletes combining marks and folds final sigma like unicode61', () => {
    expect(foldText('e\u0301')).toBe('é'); // NFKC composes
    expect(foldText('q\u0301')).toBe('q'); // no precomposed form: the mark is deleted
    expect(foldText('İstanbul')).toBe('istanbul'); // lower-casing İ yields i + U+0307
    expect(foldText('ΟΔΟΣ')).toBe(foldText('οδοσ'));
    expect(foldText('葛\u{E0100}')).toBe('葛'); // ideographic variation selector
  });

  it('deletes invisible characters, so they cannot split a word or a Chinese term', () => {
    expect(foldText('回\u200b扣')).toBe('回扣'); // zero-width space
    expect(foldText('pay\u200dment\u2060s')).toBe('payments'); // zero-width joiner, word joiner
    expect(foldText('co\u00adoperate')).toBe('cooperate'); // soft hyphen
    expect(foldText('\ufeff合同\u200c')).toBe('合同'); // BOM, zero-width non-joiner
    expect(tokenize('回\u200b扣 pay\u200bment')).toEqual(['回扣', '扣', 'payment']);
  });

  it('returns the very same string when nothing changes', () => {
    const s = 'abc 123 请把合同发给我';
    expect(foldText(s)).toBe(s);
  });

  it('is idempotent on random text', () => {
    const pool = ['a', 'Z', 'é', 'e\u0301', 'ς', 'Σ', 'İ', '發', '发', '裡', 'ｶ', 'ﾞ', '가', '\u1100\u1161', '𠀋', '😀', '\u200d', '１', ' ', '，', 'ß', 'ﬁ', '㍻', 'Å', '\u0345'];
    let seed = 7;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let k = 0; k < 3000; k++) {
      let s = '';
      const len = next() % 12;
      for (let i = 0; i < len; i++) s += pool[next() % pool.length];
      const f = foldText(s);
      expect(foldText(f), JSON.stringify(s)).toBe(f);
    }
  });
});

describe('tokenize', () => {
  it('splits CJK runs into overlapping bigrams plus the final character', () => {
    expect(tokenize('合同书')).toEqual(['合同', '同书', '书']);
    expect(tokenize('信')).toEqual(['信']);
    expect(tokenize('请把微信里的合同发给我')).toEqual(['请把', '把微', '微信', '信里', '里的', '的合', '合同', '同发', '发给', '给我', '我']);
  });

  it('keeps Latin letters and digits together as words, lower-cased and width-folded', () => {
    expect(tokenize('Please send the PDF, thanks!')).toEqual(['please', 'send', 'the', 'pdf', 'thanks']);
    expect(tokenize('ＰＤＦ１２３')).toEqual(['pdf123']);
    expect(tokenize('abc123 x9')).toEqual(['abc123', 'x9']);
  });

  it('separates on punctuation, emoji, spaces and script changes', () => {
    expect(tokenize('微信pay')).toEqual(['微信', '信', 'pay']);
    expect(tokenize('138-1234-5678')).toEqual(['138', '1234', '5678']);
    expect(tokenize('好的👌收到')).toEqual(['好的', '的', '收到', '到']);
    expect(tokenize('合同，发票。')).toEqual(['合同', '同', '发票', '票']);
    expect(tokenize('  ')).toEqual([]);
    expect(tokenize('!!! 😀 …')).toEqual([]);
  });

  it('folds traditional script before splitting', () => {
    expect(tokenize('發票已經寄出')).toEqual(tokenize('发票已经寄出'));
  });

  it('treats Kana (with ー), Hangul and supplementary-plane Han as CJK', () => {
    expect(tokenize('データ')).toEqual(['デー', 'ータ', 'タ']);
    expect(tokenize('한국어')).toEqual(['한국', '국어', '어']);
    expect(tokenize('𠀋𠀌a')).toEqual(['𠀋𠀌', '𠀌', 'a']);
    expect(tokenize('々〆')).toEqual(['々〆', '〆']);
  });

  it('keeps words of other scripts, deleting their combining marks', () => {
    expect(tokenize('Привет мир')).toEqual(['привет', 'мир']);
    expect(tokenize('नमस्ते')).toEqual(['नमसत']);
    expect(tokenize('café')).toEqual(['café']);
  });

  it('equals tokenizeFolded(foldText(s)) and only emits token characters', () => {
    const samples = ['發票ＰＤＦ１２３ 合同', 'İs ΟΔΟΣ ㍻ ﬁne', 'x\u0301y 微信pay*', '𠀋 𪚥 〇一'];
    for (const s of samples) {
      const tokens = tokenize(s);
      expect(tokenizeFolded(foldText(s))).toEqual(tokens);
      for (const t of tokens) expect(t).toMatch(/^[\p{L}\p{N}\p{Co}]+$/u);
    }
  });

  it('classifies characters', () => {
    expect(charClass(0x61)).toBe('word');
    expect(charClass(0x5408)).toBe('cjk');
    expect(charClass(0x20)).toBe('separator');
    expect(charClass(0x301)).toBe('drop');
    expect(charClass(0x19b0)).toBe('drop'); // a letter today, a mark in unicode61's Unicode 6.1 data
    expect(charClass(0x1f600)).toBe('separator');
  });

  it('exports a version', () => {
    expect(TOKENIZER_VERSION).toBeGreaterThanOrEqual(1);
  });

  it('is fast enough for import (budget ≈ 5 µs for a 30-character message)', () => {
    const samples = ['张总您好，关于上季度的采购合同我们已经审核完毕', '请把微信里的合同发给我，明天下午3点开会', 'Please send the invoice PDF by Friday', '發票已經寄出，請查收ＰＤＦ１２３'];
    let n = 0;
    for (let i = 0; i < 20_000; i++) n += tokenize(samples[i % samples.length] ?? '').length;
    const started = performance.now();
    for (let i = 0; i < 100_000; i++) n += tokenize(samples[i % samples.length] ?? '').length;
    const micros = ((performance.now() - started) * 1000) / 100_000;
    expect(n).toBeGreaterThan(0);
    // Measured ≈ 1 µs; the bound is loose because CI machines are shared and noisy.
    expect(micros).toBeLessThan(15);
  });
});

describe('segmentFolded', () => {
  it('returns CJK runs and words in order', () => {
    expect(segmentFolded(foldText('微信Pay 138-1234，合同'))).toEqual([
      { cjk: true, text: '微信' },
      { cjk: false, text: 'pay' },
      { cjk: false, text: '138' },
      { cjk: false, text: '1234' },
      { cjk: true, text: '合同' },
    ]);
  });
});
