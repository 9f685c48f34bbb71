import { usageError } from '../errors.js';
import { FILTER_KEYS, halfWidth, parseSearchQuery, type SearchAtom, type SearchQuery } from './search-query.js';

/**
 * The scope of a retention policy or a legal hold, written in the search query language
 * (`source:wecom:ww1 type:voice`, `in:ROOM`, `from:PERSON`, `after:2026-01-01`, OR, `-`) plus three
 * filters that only retention knows: `kind:direct|group` (the conversation's kind),
 * `party:internal|external` (whether an external party takes part) and `dept:NAME` (a department
 * of the sender or a recipient, from the directory). An empty scope means every record.
 *
 * Matching is pure and works on `RecordFacts`, the metadata of one record, so that a disposition
 * sweep decides without the search index. Text terms (`合同`) are allowed in hold scopes only: the
 * service resolves them through the index into `textMatches`; a policy must be decidable from
 * metadata alone.
 */

/** What retention knows about one record (no content). */
export interface RecordFacts {
  /** messages.id (the time-ordered key). */
  key: number;
  source: string;
  id: string;
  timeMs: number;
  conversation: { id: string; kind: 'direct' | 'group'; title?: string | undefined };
  from: { id: string; name?: string | undefined };
  to: readonly { id: string; name?: string | undefined }[];
  /** Everyone who took part: sender, recipients and the conversation's known members (person ids). */
  participants: readonly string[];
  type: string;
  hasAttachment: boolean;
  recalled: boolean;
  /** Whether an external party (external contact, another corp, a personal WeChat user) takes part. */
  external: boolean;
  /** Departments of the sender and recipients (directory). */
  departments: readonly string[];
  /** An open privacy (erasure) request covers this record: nothing may change it until decided. */
  frozen?: boolean | undefined;
}

export type ExtraFilter =
  | { kind: 'conversation-kind'; value: 'direct' | 'group'; negated: boolean }
  | { kind: 'party'; value: 'internal' | 'external'; negated: boolean }
  | { kind: 'dept'; value: string; negated: boolean };

export interface RetentionScope {
  /** The scope as written (normalized whitespace). */
  text: string;
  /** The search-language part, or undefined when the scope has none. */
  query: SearchQuery | undefined;
  extra: ExtraFilter[];
  /** The scope has text terms (needs the index: holds only). */
  hasText: boolean;
}

const EXTRA = /(^|\s)(-?)(kind|party|dept)[:：]("[^"]*"|\u201c[^\u201d]*\u201d|\S+)/giu;

const SCOPE_KEYS: ReadonlySet<string> = new Set([...FILTER_KEYS, 'kind', 'party', 'dept']);

/**
 * Words of a scope that look like a filter but name none (`form:wanglei`, `typo:x`; full-width keys
 * read as ASCII): the search language takes them for text. A policy scope refuses them (naming the
 * first), a hold's scope is searched with them and warns.
 */
export function unknownFilterWords(text: string): string[] {
  const words = text.match(/(?:^|\s)-?[A-Za-z\uFF21-\uFF3A\uFF41-\uFF5A]+[:：]\S*/gu) ?? [];
  return words.map((w) => w.trim()).filter((w) => !SCOPE_KEYS.has(halfWidth(w.replace(/^-/u, '')).split(':')[0]!.toLowerCase()));
}

export function parseRetentionScope(input: string, options: { allowText: boolean; timeZone?: string; field?: string }): RetentionScope {
  const field = options.field ?? 'scope';
  const text = input.trim().replace(/\s+/gu, ' ');
  // kind:, party: and dept: are each a condition of their own (ANDed), taken out before the search
  // language reads the rest: next to OR they would leave it dangling and be misread.
  const key = '(?:[kK][iI][nN][dD]|[pP][aA][rR][tT][yY]|[dD][eE][pP][tT])[:：]';
  const nextToOr = new RegExp(`(?:^|\\s)OR\\s+-?${key}|(?:^|\\s)-?${key}(?:"[^"]*"|\u201c[^\u201d]*\u201d|\\S+)\\s+OR(?:\\s|$)`, 'u').exec(text);
  if (nextToOr) throw usageError('retention.bad_scope', `${field}: kind:, party: and dept: cannot be combined with OR (each is a condition of its own, ANDed with the rest); write two policies or holds instead`);
  const extra: ExtraFilter[] = [];
  const rest = text.replace(EXTRA, (_m, lead: string, neg: string, key: string, rawValue: string) => {
    const value = rawValue.replace(/^["\u201c]|["\u201d]$/gu, '').trim();
    const negated = neg === '-';
    switch (key.toLowerCase()) {
      case 'kind':
        if (value !== 'direct' && value !== 'group') throw usageError('retention.bad_scope', `${field}: kind: takes "direct" or "group", not "${value}"`);
        extra.push({ kind: 'conversation-kind', value, negated });
        break;
      case 'party':
        if (value !== 'internal' && value !== 'external') throw usageError('retention.bad_scope', `${field}: party: takes "internal" or "external", not "${value}"`);
        extra.push({ kind: 'party', value, negated });
        break;
      default:
        if (value === '') throw usageError('retention.bad_scope', `${field}: dept: needs a department name`);
        extra.push({ kind: 'dept', value, negated });
    }
    return lead;
  }).trim();
  let query: SearchQuery | undefined;
  if (rest !== '') {
    try {
      query = parseSearchQuery(rest, options.timeZone === undefined ? {} : { timeZone: options.timeZone });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      throw usageError('retention.bad_scope', `${field}: ${message}`);
    }
  }
  const hasText = query?.clauses.some((c) => (c.kind === 'any' ? c.atoms : [c.atom]).some((a) => a.kind === 'text')) ?? false;
  if (hasText && !options.allowText) {
    // `typo:voice` reads as text to the search language: name the unknown filter rather than "words".
    const unknown = unknownFilterWords(rest)[0]?.replace(/^-/u, '').split(/[:：]/u)[0];
    const hint = unknown ? `"${unknown}:" is not a filter; ` : '';
    throw usageError('retention.bad_scope', `${field}: ${hint}a policy scope takes filters only (source:, type:, in:, from:, to:, has:, is:, after:, before:, kind:, party:, dept:), not words to search for`);
  }
  return { text, query, extra, hasText };
}

const same = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();
const personIs = (p: { id: string; name?: string | undefined }, value: string): boolean => same(p.id, value) || (p.name !== undefined && same(p.name, value));

function atomMatches(atom: SearchAtom, r: RecordFacts, textMatches: ReadonlySet<number> | undefined): boolean {
  switch (atom.kind) {
    case 'text': return textMatches?.has(r.key) ?? false; // only reached through scopeMatches' hasText branch
    case 'from': return personIs(r.from, atom.value);
    case 'to': return r.to.some((p) => personIs(p, atom.value));
    case 'in': return same(r.conversation.id, atom.value);
    case 'source': return r.source === atom.value;
    case 'type': return r.type === atom.value;
    case 'has': return r.hasAttachment;
    case 'is': return r.recalled;
  }
}

function extraMatches(f: ExtraFilter, r: RecordFacts): boolean {
  let hit: boolean;
  switch (f.kind) {
    case 'conversation-kind': hit = r.conversation.kind === f.value; break;
    case 'party': hit = f.value === 'external' ? r.external : !r.external; break;
    case 'dept': hit = r.departments.some((d) => same(d, f.value)); break;
  }
  return f.negated ? !hit : hit;
}

/**
 * Whether a record is in a scope. A scope with text terms is decided by `textMatches`: the keys of
 * the records that its whole search-language part matches, as the search index answered it.
 */
export function scopeMatches(scope: RetentionScope, r: RecordFacts, textMatches?: ReadonlySet<number>): boolean {
  for (const f of scope.extra) if (!extraMatches(f, r)) return false;
  const q = scope.query;
  if (q === undefined) return true;
  if (scope.hasText) return textMatches?.has(r.key) ?? false;
  if (q.afterMs !== undefined && r.timeMs < q.afterMs) return false;
  if (q.beforeMs !== undefined && r.timeMs >= q.beforeMs) return false;
  for (const c of q.clauses) {
    if (c.kind === 'any') {
      if (!c.atoms.some((a) => atomMatches(a, r, textMatches))) return false;
    } else if (atomMatches(c.atom, r, textMatches)) {
      return false;
    }
  }
  return true;
}
