import { getChineseFoldTable } from './chinese-folding.js';

/**
 * The search tokenizer: the same code folds and splits message text for the index and query text
 * for the search, so both sides always agree.
 *
 * Folding (`foldText`): NFKC (full-width → ASCII, compatibility ideographs → unified), lower case,
 * final sigma ς → σ (SQLite's unicode61 folds it so), combining marks and invisible characters
 * (Unicode's Default_Ignorable_Code_Point: zero-width space and joiners, soft hyphen, word joiner, BOM,
 * …) deleted — so `回<U+200B>扣` is found by `回扣`: an invisible character cannot hide a word from
 * search — traditional → simplified Chinese (domain/chinese-folding.ts).
 *
 * Tokens (`tokenize`): a run of CJK characters (Han, Hiragana, Katakana, Hangul, by Unicode script
 * extensions) becomes overlapping bigrams plus its last character (`abc` → `ab bc c`, `a` → `a`);
 * a run of other letters/digits (Unicode L, N and private-use Co) is one word; everything else
 * (spaces, punctuation, symbols, emoji) separates. Every token consists of characters that FTS5's
 * `unicode61` tokenizer also treats as token characters, so a space-joined token list goes through
 * unicode61 unchanged, one FTS token per token (verified for every code point in
 * search/sqlite-fts5.test.ts).
 *
 * Change TOKENIZER_VERSION whenever the output changes for any input: the index must be rebuilt.
 */
export const TOKENIZER_VERSION = 2; // 2: invisible (default-ignorable) characters are deleted

/** Character classes (0 = not computed yet). */
const SEPARATOR = 1;
const WORD = 2;
const CJK = 3;
/** Deleted by folding: combining marks, invisible characters, and letters that unicode61 (Unicode 6.1 data) does not treat as token characters. */
const DROP = 4;

export type CharClass = 'separator' | 'word' | 'cjk' | 'drop';
const CLASS_NAMES: readonly CharClass[] = ['separator', 'separator', 'word', 'cjk', 'drop'];

const TOKEN_CHAR = /^[\p{L}\p{N}\p{Co}]$/u;
const CJK_CHAR = /^[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Hangul}]$/u;
const MARK = /^\p{M}$/u;
const INVISIBLE = /^\p{Default_Ignorable_Code_Point}$/u;

/**
 * Letters in today's Unicode that were combining marks in Unicode 6.1, which SQLite's unicode61
 * tables follow: it splits tokens there. New Tai Lue vowel signs U+19B0–19C0, U+19C8–19C9; Vedic
 * signs U+1CF2–1CF3. Treated like marks (deleted).
 */
const isUnicode61Mark = (cp: number): boolean => (cp >= 0x19b0 && cp <= 0x19c0) || cp === 0x19c8 || cp === 0x19c9 || cp === 0x1cf2 || cp === 0x1cf3;

const classCache = new Uint8Array(0x110000);

function computeClass(cp: number): number {
  if (cp >= 0xd800 && cp <= 0xdfff) return SEPARATOR;
  const ch = String.fromCodePoint(cp);
  if (MARK.test(ch) || isUnicode61Mark(cp) || INVISIBLE.test(ch)) return DROP;
  if (!TOKEN_CHAR.test(ch)) return SEPARATOR;
  return CJK_CHAR.test(ch) ? CJK : WORD;
}

function classOf(cp: number): number {
  let k = classCache[cp] ?? SEPARATOR;
  if (k === 0) {
    k = computeClass(cp);
    classCache[cp] = k;
  }
  return k;
}

/** The tokenizer's class of one code point (as it appears in folded text). */
export const charClass = (cp: number): CharClass => CLASS_NAMES[classOf(cp)] ?? 'separator';

// ASCII is classified up front: [0-9a-z] are word characters (upper case is folded away before).
for (let c = 0; c < 0x80; c++) classCache[c] = (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) ? WORD : SEPARATOR;

interface FoldUnits {
  /** BMP code unit → folded code unit (identity when unchanged). */
  bmp: Uint16Array;
  astral: ReadonlyMap<number, number>;
}
let foldUnits: FoldUnits | undefined;

function getFoldUnits(): FoldUnits {
  if (foldUnits === undefined) {
    const chinese = getChineseFoldTable();
    const bmp = chinese.bmp.slice();
    bmp[0x3c2] = 0x3c3; // ς → σ
    foldUnits = { bmp, astral: chinese.astral };
  }
  return foldUnits;
}

/**
 * Folds text for matching: NFKC, lower case, ς → σ, combining marks and invisible characters
 * deleted, traditional → simplified. `ＰＤＦ１２３` → `pdf123`, `發票` → `发票`. Idempotent.
 */
export function foldText(s: string): string {
  const t = s.normalize('NFKC').toLowerCase();
  const { bmp, astral } = getFoldUnits();
  const n = t.length;
  let i = 0;
  // Fast path: nothing to change (ASCII and most simplified Chinese) → no new string.
  for (; i < n; i++) {
    const c = t.charCodeAt(i);
    if (c < 0x80) continue;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const lo = t.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        const cp = ((c - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
        if (astral.has(cp) || classOf(cp) === DROP) break;
        i++;
      }
      continue;
    }
    if (bmp[c] !== c || classOf(c) === DROP) break;
  }
  if (i === n) return t;
  let out = t.slice(0, i);
  for (; i < n; i++) {
    const c = t.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const lo = t.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        const cp = ((c - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
        i++;
        if (classOf(cp) === DROP) continue;
        const to = astral.get(cp);
        out += to === undefined ? String.fromCharCode(c, lo) : String.fromCodePoint(to);
        continue;
      }
    }
    if (c >= 0x80 && classOf(c) === DROP) continue;
    out += String.fromCharCode(bmp[c] ?? c);
  }
  return out;
}

/** Code point at i of s, and its width in code units (1 or 2), packed as cp * 4 + width. */
function codePointAndWidth(s: string, i: number, n: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
    const lo = s.charCodeAt(i + 1);
    if (lo >= 0xdc00 && lo <= 0xdfff) return (((c - 0xd800) << 10) + (lo - 0xdc00) + 0x10000) * 4 + 2;
  }
  return c * 4 + 1;
}

/** Tokens of text that is already folded (see foldText). Appends to `out` and returns it. */
export function tokenizeFolded(f: string, out: string[] = []): string[] {
  const n = f.length;
  let i = 0;
  while (i < n) {
    const c = f.charCodeAt(i);
    if (c < 0x80) {
      if (classCache[c] !== WORD) {
        i++;
        continue;
      }
    }
    const packed = c < 0x80 ? c * 4 + 1 : codePointAndWidth(f, i, n);
    const cp = packed >>> 2;
    const k = c < 0x80 ? WORD : classOf(cp);
    if (k === WORD) {
      let j = i + (packed & 3);
      while (j < n) {
        const d = f.charCodeAt(j);
        if (d < 0x80) {
          if (classCache[d] !== WORD) break;
          j++;
          continue;
        }
        const p = codePointAndWidth(f, j, n);
        if (classOf(p >>> 2) !== WORD) break;
        j += p & 3;
      }
      out.push(f.slice(i, j));
      i = j;
    } else if (k === CJK) {
      // Sliding window over the run: [a, b) is the current character, [b, e) the next one.
      let a = i;
      let b = i + (packed & 3);
      while (b < n) {
        const d = f.charCodeAt(b);
        if (d < 0x80) break;
        const p = codePointAndWidth(f, b, n);
        if (classOf(p >>> 2) !== CJK) break;
        const e = b + (p & 3);
        out.push(f.slice(a, e));
        a = b;
        b = e;
      }
      out.push(f.slice(a, b));
      i = b;
    } else {
      i += packed & 3;
    }
  }
  return out;
}

/** Index tokens of raw text: tokenizeFolded(foldText(s)). */
export const tokenize = (s: string): string[] => tokenizeFolded(foldText(s));

/** A maximal run of one kind in folded text: CJK characters, or a word. */
export interface TextSegment {
  cjk: boolean;
  text: string;
}

/** The runs of folded text, in order (separators dropped): the unit query terms are compiled from. */
export function segmentFolded(f: string): TextSegment[] {
  const out: TextSegment[] = [];
  const n = f.length;
  let i = 0;
  while (i < n) {
    const p = codePointAndWidth(f, i, n);
    const k = classOf(p >>> 2);
    if (k !== WORD && k !== CJK) {
      i += p & 3;
      continue;
    }
    let j = i + (p & 3);
    while (j < n) {
      const q = codePointAndWidth(f, j, n);
      if (classOf(q >>> 2) !== k) break;
      j += q & 3;
    }
    out.push({ cjk: k === CJK, text: f.slice(i, j) });
    i = j;
  }
  return out;
}
