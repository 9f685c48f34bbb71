import { from as regionalToOpenCc, to as openCcToSimplified } from 'opencc-js/preset/t2cn';
import type { DictGroup } from 'opencc-js/core';

/**
 * Traditional → simplified folding, one character for one character, so a folded string has the
 * same length (UTF-16 code units) and the same character positions as the original.
 *
 * Built once, on first use, from OpenCC's single-character tables shipped with `opencc-js`:
 * - TSCharacters (OpenCC traditional → simplified; for a character with several candidates the
 *   first, most common one),
 * - TWVariantsRev and HKVariantsRev (Taiwan / Hong Kong variant → OpenCC form), followed by
 *   TSCharacters (裡→裏→里, 衞→衛→卫, 著→着, 衹→只), except 么→幺 (么 is the simplified form of 麼).
 *
 * The resulting map is idempotent (fold(fold(x)) = fold(x)). Phrase tables are not used: folding
 * is per character (OpenCC's phrase rules like 乾隆 keep 乾 are context-dependent). Folding merges
 * a few characters that are distinct in simplified text (乾→干); both the index and the query are
 * folded the same way, so this only widens matches, it never loses one. Mappings that change the
 * UTF-16 length (BMP → supplementary plane, about 220 rare characters) are left out.
 */

export interface ChineseFoldTable {
  /** code unit → folded code unit, identity for everything not folded. */
  readonly bmp: Uint16Array;
  /** Supplementary-plane code point → folded code point (only entries that change). */
  readonly astral: ReadonlyMap<number, number>;
  /** Number of characters that fold to something else. */
  readonly size: number;
}

let table: ChineseFoldTable | undefined;

const NONE = -1;
/** 么 is the simplified form of 麼 (什么); Taiwan's variant table maps it to 幺, which would merge 什么 with 幺. */
const KEEP_VARIANT = 0x4e48;

/** A mutable code point → code point map: a flat array for the BMP, a Map for the other planes. */
interface CodeMap {
  bmp: Int32Array;
  astral: Map<number, number>;
}

const newCodeMap = (): CodeMap => ({ bmp: new Int32Array(0x10000).fill(NONE), astral: new Map() });
const getCode = (m: CodeMap, cp: number): number => (cp < 0x10000 ? (m.bmp[cp] ?? NONE) : (m.astral.get(cp) ?? NONE));
function setCode(m: CodeMap, cp: number, to: number): void {
  if (cp < 0x10000) m.bmp[cp] = to;
  else m.astral.set(cp, to);
}

/** The code point of a one-character string, or NONE. */
function singleCodePoint(s: string): number {
  if (s.length === 1) return s.charCodeAt(0);
  if (s.length === 2) {
    const cp = s.codePointAt(0) ?? NONE;
    return cp > 0xffff ? cp : NONE;
  }
  return NONE;
}

/**
 * Adds the single-character entries of OpenCC dictionaries (first entry wins). Written as plain
 * loops: this runs once, cold, and must stay in the low milliseconds.
 */
function addSingleCharEntries(target: CodeMap, groups: readonly DictGroup[] | undefined): void {
  const add = (source: string, replacement: string): void => {
    const a = singleCodePoint(source);
    if (a === NONE) return;
    const sp = replacement.indexOf(' ');
    const b = singleCodePoint(sp < 0 ? replacement : replacement.slice(0, sp));
    if (b !== NONE && getCode(target, a) === NONE) setCode(target, a, b);
  };
  for (const group of groups ?? []) {
    for (const dict of group) {
      if (typeof dict !== 'string') {
        for (const pair of dict) add(pair[0], pair[1]);
        continue;
      }
      let start = 0;
      while (start < dict.length) {
        let end = dict.indexOf('|', start);
        if (end < 0) end = dict.length;
        const sp = dict.indexOf(' ', start);
        // Phrase entries (longer sources) are skipped without slicing.
        if (sp > start && sp < end && sp - start <= 2) add(dict.slice(start, sp), dict.slice(sp + 1, end));
        start = end + 1;
      }
    }
  }
}

function buildTable(): ChineseFoldTable {
  const ts = newCodeMap();
  addSingleCharEntries(ts, openCcToSimplified['cn']);
  const variants = newCodeMap();
  addSingleCharEntries(variants, regionalToOpenCc['tw']);
  addSingleCharEntries(variants, regionalToOpenCc['hk']);

  // One step: traditional → simplified, else regional variant → OpenCC form → simplified.
  const step = (cp: number): number => {
    const s = getCode(ts, cp);
    if (s !== NONE) return s;
    if (cp === KEEP_VARIANT) return NONE;
    const standard = getCode(variants, cp);
    if (standard === NONE) return NONE;
    const simplified = getCode(ts, standard);
    return simplified === NONE ? standard : simplified;
  };
  const bmp = new Uint16Array(0x10000);
  for (let i = 0; i < bmp.length; i++) bmp[i] = i;
  const astral = new Map<number, number>();
  let size = 0;
  const consider = (cp: number): void => {
    // Resolve chains (薴→苧→苎) to a fixpoint; give up on cycles; skip UTF-16 length changes.
    let to = cp;
    for (let hops = 0; ; hops++) {
      const next = step(to);
      if (next === NONE || next === to || (next > 0xffff) !== (cp > 0xffff)) break;
      if (hops === 8) return;
      to = next;
    }
    if (to === cp) return;
    size++;
    if (cp < 0x10000) bmp[cp] = to;
    else astral.set(cp, to);
  };
  for (let cp = 0; cp < 0x10000; cp++) if (ts.bmp[cp] !== NONE || variants.bmp[cp] !== NONE) consider(cp);
  for (const cp of ts.astral.keys()) consider(cp);
  for (const cp of variants.astral.keys()) if (!ts.astral.has(cp)) consider(cp);
  return { bmp, astral, size };
}

/** The folding table, built on first use (a few milliseconds) and cached for the process. */
export function getChineseFoldTable(): ChineseFoldTable {
  table ??= buildTable();
  return table;
}

/** Folds traditional Chinese characters to simplified, character for character (length preserved). */
export function foldChinese(s: string): string {
  const { bmp, astral } = getChineseFoldTable();
  const n = s.length;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x3400) continue;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      if (astral.has(s.codePointAt(i) ?? 0)) break;
      i++;
      continue;
    }
    if (bmp[c] !== c) break;
  }
  if (i === n) return s;
  let out = s.slice(0, i);
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const cp = s.codePointAt(i) ?? 0;
      const to = astral.get(cp);
      out += to === undefined ? s.slice(i, i + 2) : String.fromCodePoint(to);
      i++;
    } else {
      out += String.fromCharCode(bmp[c] ?? c);
    }
  }
  return out;
}
