import { describe, expect, it } from 'vitest';
import { safeFileName } from './show.js';

describe('safeFileName', () => {
  it('keeps short names, numbered, without separators or control characters', () => {
    expect(safeFileName('合同.pdf', 0)).toBe('1-合同.pdf');
    expect(safeFileName('../a/b\u0000.txt', 1)).toBe('2-.._a_b_.txt');
    expect(safeFileName('..', 2)).toBe('3-_');
  });

  it('shortens a long name to at most 180 bytes of UTF-8, whole characters, keeping the extension', () => {
    for (const name of [`${'长'.repeat(200)}.pdf`, `${'😀'.repeat(100)}.jpeg`, 'a'.repeat(300), `${'长'.repeat(100)}.${'x'.repeat(40)}`]) {
      const safe = safeFileName(name, 9);
      expect(Buffer.byteLength(safe), name.slice(0, 10)).toBeLessThanOrEqual(180);
      expect(safe.startsWith('10-')).toBe(true);
      expect(safe).not.toMatch(/[\uD800-\uDFFF]/u); // with the u flag, only a lone (split) surrogate matches
      expect(safe).toContain('…');
    }
    expect(safeFileName(`${'长'.repeat(200)}.pdf`, 0).endsWith('….pdf')).toBe(true);
  });
});
