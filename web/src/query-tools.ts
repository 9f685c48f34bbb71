/**
 * Client-side helpers for the search query language (the server's parser is the authority):
 * read and rewrite filters (`from:`, `type:`…) in a query string for the filter panel, and pick the
 * text terms to highlight in hits.
 */

export const RECORD_TYPES = [
  'text', 'image', 'voice', 'video', 'file', 'emoji', 'link', 'card', 'location', 'call', 'system', 'recall',
  'miniprogram', 'chatrecord', 'redpacket', 'transfer', 'meeting', 'calendar', 'doc', 'todo', 'vote',
  'markdown', 'news', 'mixed', 'other',
] as const;

export type FilterKey = 'from' | 'to' | 'in' | 'source' | 'type' | 'has' | 'is' | 'after' | 'before';
const FILTER_KEYS: ReadonlySet<string> = new Set(['from', 'to', 'in', 'source', 'type', 'has', 'is', 'after', 'before']);

const isQuote = (ch: string): boolean => ch === '"' || ch === '\u201c' || ch === '\u201d' || ch === '\uff02';

export interface Token {
  /** The token as written. */
  text: string;
  start: number;
  end: number;
  negated: boolean;
  /** Lower-cased filter name, when the token is `key:value` with a known key. */
  key: FilterKey | undefined;
  /** The value (filters) or the term (text), quotes removed. */
  value: string;
  quoted: boolean;
}

/** Splits a query into whitespace-separated tokens; quoted parts may hold whitespace. An unclosed quote runs to the end. */
export function tokenize(q: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = q.length;
  while (i < n) {
    while (i < n && /\s/u.test(q[i] ?? '')) i++;
    if (i >= n) break;
    const start = i;
    let inQuote = false;
    while (i < n) {
      const ch = q[i] ?? '';
      if (isQuote(ch)) inQuote = !inQuote;
      else if (!inQuote && /\s/u.test(ch)) break;
      i++;
    }
    const text = q.slice(start, i);
    let body = text;
    let negated = false;
    if (body.length > 1 && body.startsWith('-')) {
      negated = true;
      body = body.slice(1);
    }
    const m = /^([A-Za-z]+)[:：]([\s\S]*)$/.exec(body);
    const key = m && FILTER_KEYS.has((m[1] ?? '').toLowerCase()) ? ((m[1] ?? '').toLowerCase() as FilterKey) : undefined;
    const raw = key !== undefined && m ? (m[2] ?? '') : body;
    const quoted = [...raw].some(isQuote);
    const value = [...raw].filter((c) => !isQuote(c)).join('');
    out.push({ text, start, end: i, negated, key, value, quoted });
  }
  return out;
}

/** The value of the first (not negated) `key:` filter. */
export function getFilter(q: string, key: FilterKey): string | undefined {
  return tokenize(q).find((t) => t.key === key && !t.negated)?.value;
}

export function hasFlag(q: string, key: 'has' | 'is', value: string): boolean {
  return tokenize(q).some((t) => t.key === key && !t.negated && t.value.toLowerCase() === value);
}

const quoteIfNeeded = (v: string): string => (/[\s"“”＂]/u.test(v) || v === '' ? `"${v.replace(/["“”＂]/gu, '')}"` : v);

/**
 * Sets (or with `value` undefined/empty removes) the `key:` filter. The first occurrence is replaced
 * in place, further ones removed; a new filter is appended. `match` limits which tokens count (flags).
 */
export function setFilter(q: string, key: FilterKey, value: string | undefined, match?: (t: Token) => boolean): string {
  const tokens = tokenize(q);
  const hits = tokens.filter((t) => t.key === key && !t.negated && (match ? match(t) : true));
  const replacement = value === undefined || value === '' ? '' : `${key}:${quoteIfNeeded(value)}`;
  if (hits.length === 0) {
    if (replacement === '') return q;
    const base = q.trimEnd();
    return base === '' ? replacement : `${base} ${replacement}`;
  }
  let out = '';
  let last = 0;
  hits.forEach((t, idx) => {
    out += q.slice(last, t.start) + (idx === 0 ? replacement : '');
    last = t.end;
  });
  out += q.slice(last);
  return out.replace(/\s{2,}/gu, ' ').trim();
}

export function setFlag(q: string, key: 'has' | 'is', value: string, on: boolean): string {
  return setFilter(q, key, on ? value : undefined, (t) => t.value.toLowerCase() === value);
}

/** The text terms worth highlighting: not filters, not excluded, not operators; quotes and a trailing `*` removed. */
export function highlightTerms(q: string): string[] {
  const tokens = tokenize(q);
  const terms: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.key !== undefined || t.negated) continue;
    if (!t.quoted && (t.text === 'OR' || t.text === 'AND' || t.text === 'NOT')) continue;
    if (i > 0 && tokens[i - 1]?.text === 'NOT' && !tokens[i - 1]?.quoted) continue;
    const v = t.value.replace(/\*+$/u, '').trim();
    if (v !== '') terms.push(v);
  }
  return [...new Set(terms)];
}

export interface Segment {
  text: string;
  match: boolean;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// The expression of the last set of terms: a page of hits highlights 50 texts with the same terms.
let cachedTerms: readonly string[] | null = null;
let cachedRe: RegExp | null = null;

function termsRegExp(terms: readonly string[]): RegExp | null {
  if (cachedTerms !== null && cachedTerms.length === terms.length && cachedTerms.every((t, i) => t === terms[i])) return cachedRe;
  const usable = terms.filter((t) => t !== '').sort((a, b) => b.length - a.length);
  cachedTerms = [...terms];
  cachedRe = usable.length === 0 ? null : new RegExp(`(${usable.map(escapeRe).join('|')})`, 'giu');
  return cachedRe;
}

/** Splits `text` into plain and matched segments; every term is matched as a case-insensitive substring. */
export function highlightSegments(text: string, terms: readonly string[]): Segment[] {
  const re = text === '' ? null : termsRegExp(terms);
  if (re === null) return [{ text, match: false }];
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(re)) {
    const idx = m.index ?? 0;
    if (m[0] === '') continue;
    if (idx > last) out.push({ text: text.slice(last, idx), match: false });
    out.push({ text: m[0], match: true });
    last = idx + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last), match: false });
  return out;
}

/** A window of `text` around its first match, with ellipses, when the text is long. */
export function snippet(text: string, terms: readonly string[], max = 240): string {
  if (text.length <= max) return text;
  let first = -1;
  const lower = text.toLowerCase();
  for (const t of terms) {
    const i = lower.indexOf(t.toLowerCase());
    if (i !== -1 && (first === -1 || i < first)) first = i;
  }
  const start = first <= max / 3 ? 0 : first - Math.floor(max / 3);
  const end = Math.min(text.length, start + max);
  return `${start > 0 ? '…' : ''}${text.slice(start, end)}${end < text.length ? '…' : ''}`;
}
