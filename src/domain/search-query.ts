import { usageError, type AppError } from '../errors.js';
import { daysInMonth } from './clock.js';
import { RECORD_TYPES, isRecordType, type RecordType } from './record.js';
import { foldText, segmentFolded } from './tokenizer.js';

/**
 * The search query language (pure parser; search/ drivers compile the AST).
 *
 *   合同 发票               both terms (implicit AND)
 *   合同 OR 协议 发票        OR binds tighter than AND: (合同 OR 协议) AND 发票
 *   "报价 单" -草稿          a quoted phrase; `-` excludes (also NOT 草稿)
 *   pay pay*               a Latin word matches whole words; `*` makes the last word a prefix
 *   from:zhangsan from:"Zhang San" to:… in:<conversation> source:… type:image
 *   has:attachment is:recalled after:2026-03-01 before:2026-04-01T09:00+08:00
 *
 * A Chinese (CJK) term matches every message whose folded text contains it as a substring; a term
 * mixing scripts or containing punctuation (`138-1234-5678`, `微信pay`) is the phrase of its runs.
 * Bare upper-case `OR`, `AND` and `NOT` are operators; anything else, including unknown `word:`
 * prefixes, is text. Parentheses do not group: an unbalanced one at a word's edge is a usage error. A filter may also be written with the full-width colon (`from：张三`). Malformed input is a usage error (`search.bad_query`) naming the position.
 */

export interface TextTerm {
  kind: 'text';
  /** The term as typed, quotes and a trailing `*` removed. */
  raw: string;
  /** foldText(raw): what is matched. Always has at least one searchable run (segmentFolded). */
  folded: string;
  /** The term's last run is a Latin/digit word to be matched as a prefix (`pay*`). */
  prefix: boolean;
  /** Written with quotes (a phrase), so `OR`/filters inside it are plain text. */
  quoted: boolean;
}

/** `from:`/`to:` match a person's id or name; `in:` a conversation id; `source:` a source name. Values as typed (quotes removed). */
export interface ValueFilter {
  kind: 'from' | 'to' | 'in' | 'source';
  value: string;
  /**
   * `from:`/`to:` only, filled in when the query runs (search/sqlite-fts5.ts resolvePersonNames): the
   * ids of the persons whose stored name is `value`, whose messages match too.
   */
  personIds?: readonly string[];
}
export interface TypeFilter {
  kind: 'type';
  value: RecordType;
}
export interface HasAttachmentFilter {
  kind: 'has';
  value: 'attachment';
}
export interface RecalledFilter {
  kind: 'is';
  value: 'recalled';
}

export type SearchAtom = TextTerm | ValueFilter | TypeFilter | HasAttachmentFilter | RecalledFilter;

/** A conjunct of the query: at least one of `atoms` matches (`a OR b`), or `atom` does not match (`-a`). */
export type SearchClause = { kind: 'any'; atoms: [SearchAtom, ...SearchAtom[]] } | { kind: 'not'; atom: SearchAtom };

export interface SearchQuery {
  /** All must hold. May be empty when the query is a time range only. */
  clauses: SearchClause[];
  /** Message time ≥ afterMs (UTC epoch ms), from `after:`. */
  afterMs: number | undefined;
  /** Message time < beforeMs (UTC epoch ms), from `before:`. */
  beforeMs: number | undefined;
}

export interface ParseSearchOptions {
  /** IANA zone for `after:`/`before:` dates without a time. Default Asia/Shanghai. */
  timeZone?: string;
}

export const DEFAULT_SEARCH_TIME_ZONE = 'Asia/Shanghai';
export const MAX_QUERY_LENGTH = 1000;

export const FILTER_KEYS = ['from', 'to', 'in', 'source', 'type', 'has', 'is', 'after', 'before'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];
const filterKeys: ReadonlySet<string> = new Set(FILTER_KEYS);

const isSpace = (ch: string): boolean => /\s/u.test(ch);
/** ASCII double quote, full-width double quote and Chinese curly quotes all open and close a quote. */
const isQuote = (ch: string): boolean => ch === '"' || ch === '\u201c' || ch === '\u201d' || ch === '\uff02';

const bad = (message: string, position?: number): AppError =>
  usageError('search.bad_query', position === undefined ? message : `${message} (at position ${position + 1})`, position === undefined ? undefined : { position: position + 1 });

interface Word {
  /** Unquoted content. */
  text: string;
  quoted: boolean;
  /** Number of trailing unquoted `*` characters. */
  trailingStars: number;
  end: number;
}

/** Reads a whitespace-delimited word starting at i; quoted sections may contain whitespace. */
function readWord(input: string, i: number): Word {
  let text = '';
  let quoted = false;
  let trailingStars = 0;
  const n = input.length;
  while (i < n) {
    const ch = input[i] ?? '';
    if (isSpace(ch)) break;
    if (isQuote(ch)) {
      let j = i + 1;
      while (j < n && !isQuote(input[j] ?? '')) j++;
      if (j >= n) throw bad(`the quote ${ch} is never closed`, i);
      text += input.slice(i + 1, j);
      quoted = true;
      trailingStars = 0;
      i = j + 1;
      continue;
    }
    const cp = input.codePointAt(i) ?? 0;
    const c = String.fromCodePoint(cp);
    text += c;
    trailingStars = c === '*' ? trailingStars + 1 : 0;
    i += c.length;
  }
  return { text, quoted, trailingStars, end: i };
}

type Lexeme =
  | { kind: 'op'; op: 'OR' | 'AND' | 'NOT'; start: number }
  | { kind: 'atom'; atom: SearchAtom; negated: boolean; start: number }
  | { kind: 'time'; bound: 'after' | 'before'; ms: number; negated: boolean; start: number; text: string };

/**
 * Full-width ASCII (U+FF01–U+FF5E, what a Chinese input method types: `－`, `ＯＲ`, `ｆｒｏｍ：`) as
 * ASCII, one code unit for one, so positions stay the same: operators and filter names typed that
 * way mean what their ASCII form means instead of being searched for as text.
 */
export const halfWidth = (s: string): string => s.replace(/[\uFF01-\uFF5E]/gu, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));

function lex(input: string, zone: () => ZoneClock): Lexeme[] {
  const out: Lexeme[] = [];
  const n = input.length;
  let i = 0;
  for (;;) {
    while (i < n && isSpace(input[i] ?? '')) i++;
    if (i >= n) return out;
    const start = i;
    let negated = false;
    if ((input[i] === '-' || input[i] === '－') && i + 1 < n && !isSpace(input[i + 1] ?? '')) {
      negated = true;
      i++;
    }
    const key = /^([A-Za-z]+):/.exec(halfWidth(input.slice(i, i + 12)));
    if (key && filterKeys.has((key[1] ?? '').toLowerCase())) {
      const name = (key[1] ?? '').toLowerCase() as FilterKey;
      const valueStart = i + key[0].length;
      const word = readWord(input, valueStart);
      i = word.end;
      const value = word.text.trim();
      if (value === '') throw bad(`${name}: needs a value`, start);
      if (name === 'after' || name === 'before') {
        out.push({ kind: 'time', bound: name, ms: parseTimeBound(value, zone, valueStart), negated, start, text: `${name}:${value}` });
      } else {
        refuseGrouping(word, start);
        // Filters match a whole id or name: `from:zhu*` would silently find nothing.
        if (word.trailingStars > 0 && (name === 'from' || name === 'to' || name === 'in' || name === 'source')) {
          throw bad(`${name}: matches a whole id or name; a prefix (*) is not supported there (quote the value if it really ends with *)`, start);
        }
        out.push({ kind: 'atom', atom: filterAtom(name, value, valueStart), negated, start });
      }
      continue;
    }
    const word = readWord(input, i);
    i = word.end;
    const op = word.quoted ? '' : halfWidth(word.text);
    if (!negated && (op === 'OR' || op === 'AND' || op === 'NOT')) {
      out.push({ kind: 'op', op, start });
      continue;
    }
    out.push({ kind: 'atom', atom: textAtom(word, start), negated, start });
  }
}

const OPEN = /[(（]/gu;
const CLOSE = /[)）]/gu;

/**
 * Parentheses do not group terms in this language. An unquoted word that opens one it does not close
 * (`(发票`) or closes one it did not open (`我们)`) would otherwise be read as text and silently
 * change what the user meant (`合同 OR (发票 我们)`), so it is a usage error. Balanced parentheses
 * inside a word (`合同(草稿)`) are punctuation, as anywhere in a text.
 */
function refuseGrouping(word: Word, start: number): void {
  if (word.quoted) return;
  const opens = word.text.match(OPEN)?.length ?? 0;
  const closes = word.text.match(CLOSE)?.length ?? 0;
  if ((/^[(（]/u.test(word.text) && closes < opens) || (/[)）]$/u.test(word.text) && opens < closes)) {
    throw bad('parentheses do not group terms here: write the query without them (OR binds tighter than AND, so 合同 OR 协议 发票 means (合同 OR 协议) AND 发票), or quote the text to search for a parenthesis', start);
  }
}

function textAtom(word: Word, start: number): TextTerm {
  refuseGrouping(word, start);
  const raw = word.trailingStars > 0 ? word.text.slice(0, word.text.length - word.trailingStars) : word.text;
  const folded = foldText(raw);
  const segments = segmentFolded(folded);
  const last = segments[segments.length - 1];
  if (last === undefined) {
    const shown = word.text.length > 40 ? `${word.text.slice(0, 40)}…` : word.text;
    throw bad(`"${shown}" has no letters, digits or Chinese characters to search for`, start);
  }
  return { kind: 'text', raw, folded, prefix: word.trailingStars > 0 && !last.cjk, quoted: word.quoted };
}

function filterAtom(name: Exclude<FilterKey, 'after' | 'before'>, value: string, at: number): SearchAtom {
  switch (name) {
    case 'type': {
      const t = value.toLowerCase();
      if (!isRecordType(t)) throw bad(`unknown message type "${value}"; type: takes one of ${RECORD_TYPES.join(', ')}`, at);
      return { kind: 'type', value: t };
    }
    case 'has':
      if (value.toLowerCase() !== 'attachment') throw bad(`has: takes "attachment", not "${value}"`, at);
      return { kind: 'has', value: 'attachment' };
    case 'is':
      if (value.toLowerCase() !== 'recalled') throw bad(`is: takes "recalled", not "${value}"`, at);
      return { kind: 'is', value: 'recalled' };
    default:
      return { kind: name, value };
  }
}

/** Parses a query. Throws usageError('search.bad_query') for malformed input. */
export function parseSearchQuery(input: string, options: ParseSearchOptions = {}): SearchQuery {
  if (input.length > MAX_QUERY_LENGTH) throw bad(`the search query is too long (${input.length} characters; at most ${MAX_QUERY_LENGTH})`);
  if (input.trim() === '') throw bad('the search query is empty');
  const timeZone = options.timeZone ?? DEFAULT_SEARCH_TIME_ZONE;
  let clock: ZoneClock | undefined;
  const lexemes = lex(input, () => (clock ??= zoneClock(timeZone)));

  const clauses: SearchClause[] = [];
  let afterMs: number | undefined;
  let beforeMs: number | undefined;
  let afterText = '';
  let beforeText = '';
  /** The OR group being built, and whether the previous lexeme was `OR`. */
  let group: SearchAtom[] | undefined;
  let pendingOr: Lexeme | undefined;
  let pendingNot: Lexeme | undefined;
  let previous: Lexeme | undefined;

  const closeGroup = (): void => {
    const [first, ...rest] = group ?? [];
    if (first !== undefined) clauses.push({ kind: 'any', atoms: [first, ...rest] });
    group = undefined;
  };

  for (const lx of lexemes) {
    if (lx.kind === 'op') {
      if (pendingNot !== undefined) throw bad('NOT needs a term after it', pendingNot.start);
      if (pendingOr !== undefined) throw bad('OR needs a term after it', pendingOr.start);
      if (lx.op === 'NOT') {
        pendingNot = lx;
      } else {
        if (previous === undefined || previous.kind === 'op') throw bad(`${lx.op} needs a term before it`, lx.start);
        if (lx.op === 'AND') {
          closeGroup();
        } else {
          if (previous.kind === 'time') throw bad(`${previous.text} cannot be combined with OR`, previous.start);
          if (group === undefined) throw bad('an excluded term cannot be an alternative of OR', previous.start);
          pendingOr = lx;
        }
      }
      previous = lx;
      continue;
    }
    const negated = lx.negated || pendingNot !== undefined;
    if (lx.negated && pendingNot !== undefined) throw bad('NOT followed by "-" is a double negation', lx.start);
    pendingNot = undefined;
    if (lx.kind === 'time') {
      if (pendingOr !== undefined) throw bad(`${lx.text} cannot be combined with OR`, lx.start);
      if (negated) throw bad(`${lx.text} cannot be excluded; use ${lx.bound === 'after' ? 'before:' : 'after:'} instead`, lx.start);
      closeGroup();
      if (lx.bound === 'after' && (afterMs === undefined || lx.ms > afterMs)) [afterMs, afterText] = [lx.ms, lx.text];
      if (lx.bound === 'before' && (beforeMs === undefined || lx.ms < beforeMs)) [beforeMs, beforeText] = [lx.ms, lx.text];
    } else if (pendingOr !== undefined) {
      if (negated) throw bad('an excluded term cannot be an alternative of OR', lx.start);
      group?.push(lx.atom);
      pendingOr = undefined;
    } else {
      closeGroup();
      if (negated) clauses.push({ kind: 'not', atom: lx.atom });
      else group = [lx.atom];
    }
    previous = lx;
  }
  if (previous?.kind === 'op') throw bad(`${previous.op} needs a term after it`, previous.start);
  closeGroup();

  if (afterMs !== undefined && beforeMs !== undefined && afterMs >= beforeMs) {
    throw bad(`${afterText} is not earlier than ${beforeText}: no time can match`);
  }
  if (clauses.length === 0 && afterMs === undefined && beforeMs === undefined) throw bad('the search query has no terms');
  return { clauses, afterMs, beforeMs };
}

// ---- time bounds ------------------------------------------------------------------------------

/** Local wall-clock time (as UTC epoch ms of the same fields) of an instant in a zone. */
interface ZoneClock {
  zone: string;
  localMs(t: number): number;
}

function zoneClock(zone: string): ZoneClock {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
  } catch {
    throw usageError('search.bad_time_zone', `unknown time zone "${zone}"`);
  }
  return {
    zone,
    localMs(t: number): number {
      const f: Record<string, number> = {};
      for (const p of format.formatToParts(t)) if (p.type !== 'literal') f[p.type] = Number(p.value);
      const ms = ((t % 1000) + 1000) % 1000;
      return utcMs(f['year'] ?? 0, f['month'] ?? 1, f['day'] ?? 1, f['hour'] ?? 0, f['minute'] ?? 0, f['second'] ?? 0) + ms;
    },
  };
}

/** Date.UTC without its two-digit-year quirk. */
function utcMs(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
  const t = new Date(Date.UTC(2000, mo - 1, d, h, mi, s));
  t.setUTCFullYear(y, mo - 1, d);
  return t.getTime();
}

/** The first instant of a local calendar day in a zone (DST-correct, also when midnight is skipped). */
export function startOfLocalDay(year: number, month: number, day: number, timeZone: string): number {
  return startOfDay(year, month, day, zoneClock(timeZone));
}

function startOfDay(year: number, month: number, day: number, clock: ZoneClock): number {
  return instantOfWall(utcMs(year, month, day), clock);
}

/** The first instant whose local wall-clock time in the zone is `wall` (as UTC ms), or, in a DST gap, the transition. */
function instantOfWall(wall: number, clock: ZoneClock): number {
  const candidates: number[] = [];
  const t1 = wall - (clock.localMs(wall) - wall);
  const t2 = wall - (clock.localMs(t1) - t1);
  for (const t of [t1, t2]) if (clock.localMs(t) === wall) candidates.push(t);
  if (candidates.length > 0) return Math.min(...candidates);
  // The local time does not exist (a DST gap, e.g. at 00:00): the transition, the first instant
  // whose local time is at or after it.
  let lo = wall - 36 * 3_600_000;
  let hi = wall + 36 * 3_600_000;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (clock.localMs(mid) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;


function checkDate(y: number, mo: number, d: number, text: string, at: number): void {
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) throw bad(`"${text}" is not a valid date`, at);
}

function parseTimeBound(text: string, zone: () => ZoneClock, at: number): number {
  const date = DATE.exec(text);
  if (date) {
    const [y, mo, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
    checkDate(y, mo, d, text, at);
    return startOfDay(y, mo, d, zone());
  }
  const dt = DATE_TIME.exec(text);
  if (!dt) throw bad(`"${text}" is not a date: use YYYY-MM-DD or an ISO 8601 time (2026-03-01T09:30, or with an offset: 2026-03-01T09:30+08:00)`, at);
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((k) => Number(dt[k] ?? 0)) as [number, number, number, number, number, number];
  checkDate(y, mo, d, text, at);
  if (h > 23 || mi > 59 || s > 59) throw bad(`"${text}" is not a valid time`, at);
  // Fractions beyond milliseconds round up: times are whole milliseconds, and both bounds compare
  // `time ≥ after` / `time < before`, which for integers is the same as comparing with the ceiling.
  const fraction = dt[7] ?? '';
  const ms = fraction === '' ? 0 : Math.ceil(Number(`0.${fraction}`) * 1000 - 1e-9);
  // No offset: a wall-clock time in the search's time zone (Asia/Shanghai unless configured).
  if (dt[8] === undefined && dt[9] === undefined) return instantOfWall(utcMs(y, mo, d, h, mi, s) + ms, zone());
  let offsetMin = 0;
  if (dt[8] === undefined) {
    const oh = Number(dt[10]);
    const om = Number(dt[11] ?? 0);
    if (oh > 23 || om > 59) throw bad(`"${text}" has an invalid offset`, at);
    offsetMin = (dt[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return utcMs(y, mo, d, h, mi, s) + ms - offsetMin * 60_000;
}
