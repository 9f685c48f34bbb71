import type { ReactNode } from 'react';

const PALETTE = 10;
const CJK = /[\u3400-\u9fff\uf900-\ufaff]/u;

/** A stable colour index for a person id (FNV-1a). */
export function colourOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % PALETTE;
}

/** Initials: the last two characters of a Chinese name (张小明 → 小明), else the first letters of two words. */
export function initialsOf(name: string): string {
  const n = name.trim();
  if (n === '') return '?';
  const chars = [...n];
  if (CJK.test(n)) return chars.length <= 2 ? n : chars.slice(-2).join('');
  const words = n.split(/[\s._-]+/u).filter((w) => w !== '');
  const letters = words.slice(0, 2).map((w) => [...w][0] ?? '');
  return letters.join('').toUpperCase() || (chars[0] ?? '?');
}

export function Avatar({ id, name }: { id: string; name: string | null }): ReactNode {
  return (
    <span className={`avatar avatar-c${colourOf(id)}`} aria-hidden="true" title={name ?? id}>
      {initialsOf(name ?? id)}
    </span>
  );
}
