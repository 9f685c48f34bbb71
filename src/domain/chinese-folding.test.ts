import { Converter } from 'opencc-js';
import { describe, expect, it } from 'vitest';
import { foldChinese, getChineseFoldTable } from './chinese-folding.js';

const foldedChars = (): string[] => {
  const t = getChineseFoldTable();
  const out: string[] = [];
  for (let c = 0; c < 0x10000; c++) if (t.bmp[c] !== c) out.push(String.fromCharCode(c));
  for (const cp of t.astral.keys()) out.push(String.fromCodePoint(cp));
  return out;
};

describe('foldChinese', () => {
  it('builds its table lazily, once, quickly (first test in this file)', () => {
    const started = performance.now();
    const table = getChineseFoldTable();
    expect(performance.now() - started).toBeLessThan(300);
    expect(getChineseFoldTable()).toBe(table);
  });

  it('folds traditional characters to simplified', () => {
    expect(foldChinese('發票已經寄出，請查收')).toBe('发票已经寄出，请查收');
    expect(foldChinese('什麼時候開會？電腦軟體')).toBe('什么时候开会？电脑软体');
    expect(foldChinese('後來 頭髮 臺灣')).toBe('后来 头发 台湾');
  });

  it('folds Taiwan and Hong Kong variants through their standard form', () => {
    expect(foldChinese('裡面')).toBe('里面'); // 裡 → 裏 → 里
    expect(foldChinese('為什麼')).toBe('为什么'); // 為 → 爲 → 为
    expect(foldChinese('看著')).toBe('看着');
    expect(foldChinese('衞生')).toBe('卫生');
  });

  it('leaves simplified text, Latin text and 么 unchanged (and returns the same string)', () => {
    const s = '请把微信里的合同发给我 ABC abc 123 什么';
    expect(foldChinese(s)).toBe(s);
    expect(foldChinese('')).toBe('');
  });

  it('preserves length and positions', () => {
    const s = '甲發乙𠀋丙裡😀';
    const f = foldChinese(s);
    expect(f.length).toBe(s.length);
    expect(f).toBe('甲发乙𠀋丙里😀');
  });

  it('is idempotent and length-preserving for every folded character', () => {
    const chars = foldedChars();
    expect(chars.length).toBeGreaterThan(3000);
    for (const ch of chars) {
      const f = foldChinese(ch);
      expect(f.length, ch).toBe(ch.length);
      expect(foldChinese(f), ch).toBe(f);
    }
  });

  it('agrees with OpenCC (tw→cn or hk→cn) on every character it folds, except resolved chains', () => {
    const tw = Converter({ from: 'tw', to: 'cn' });
    const hk = Converter({ from: 'hk', to: 'cn' });
    const differ = foldedChars().filter((ch) => {
      const f = foldChinese(ch);
      return f !== tw(ch) && f !== hk(ch);
    });
    // 薴 → 苧 → 苎: OpenCC converts one step, the fold table resolves the chain (idempotence).
    expect(differ).toEqual(['薴']);
  });
});
