import type { SearchAtom, SearchQuery, TextTerm } from '../../src/domain/search-query.js';
import { foldText } from '../../src/domain/tokenizer.js';
import type { FtsDocument } from '../../src/search/fts-document.js';

/**
 * A reference evaluator of search queries over plain message objects, written independently of the
 * index (no tokens, no FTS): it scans the folded text directly. It shares only `foldText` with the
 * product, because folding *is* the definition of what matches (case, width, traditional script).
 *
 * Semantics:
 * - a term that is one CJK run matches when the folded text contains it as a substring;
 * - a term that is one word (letters/digits of other scripts) matches a whole word of the text, or
 *   with a prefix (`pay*`) a word that starts with it;
 * - a term of several runs matches consecutive runs of the text (separators between runs are
 *   ignored): the first run of the term may be the end of a CJK run of the text, the last the
 *   start of one, runs in between (and every word, except a prefix last word) must be equal;
 * - filters compare folded, trimmed, whitespace-collapsed values; time is after ≤ t < before.
 */

/** A message as the index sees it (the same fields as an FtsDocument), with its key and time. */
export interface PlainMessage extends FtsDocument {
  id: number;
  timeMs: number;
}

interface Run {
  cjk: boolean;
  text: string;
}

const CJK_SCRIPTS = '[\\p{scx=Han}\\p{scx=Hira}\\p{scx=Kana}\\p{scx=Hang}]';
const LETTER = '[\\p{L}\\p{N}\\p{Co}]';
// Written with the `v` flag's set operations (not the tokenizer's per-character classification).
const RUNS = new RegExp(`(?<cjk>[${LETTER}&&${CJK_SCRIPTS}]+)|[${LETTER}--${CJK_SCRIPTS}]+`, 'gv');

export function runsOf(folded: string): Run[] {
  return Array.from(folded.matchAll(RUNS), (m) => ({ cjk: m.groups?.['cjk'] !== undefined, text: m[0] }));
}

const keyCache = new Map<string, string>();
function filterKey(v: string): string {
  let k = keyCache.get(v);
  if (k === undefined) keyCache.set(v, (k = foldText(v).trim().replace(/\s+/gu, ' ')));
  return k;
}

const termRuns = new Map<string, Run[]>();
function runsOfTerm(folded: string): Run[] {
  let r = termRuns.get(folded);
  if (r === undefined) termRuns.set(folded, (r = runsOf(folded)));
  return r;
}

/** A message prepared once for many queries. */
export interface PreparedMessage {
  message: PlainMessage;
  folded: string;
  runs: Run[];
  from: Set<string>;
  to: Set<string>;
  conversation: string;
  source: string;
}

export function prepareMessage(message: PlainMessage): PreparedMessage {
  const folded = foldText(message.text ?? '');
  return {
    message,
    folded,
    runs: runsOf(folded),
    from: new Set([message.fromId, ...(message.fromName ? [message.fromName] : [])].map(filterKey)),
    to: new Set(message.to.flatMap((p) => [p.id, ...(p.name ? [p.name] : [])]).map(filterKey)),
    conversation: filterKey(message.conversationId),
    source: filterKey(message.source),
  };
}

function matchesText(m: PreparedMessage, term: TextTerm): boolean {
  const q = runsOfTerm(term.folded);
  if (q.length === 0) throw new Error(`term without runs: ${term.raw}`);
  if (q.length === 1) {
    const only = q[0]!;
    if (only.cjk) return m.folded.includes(only.text);
    return m.runs.some((r) => !r.cjk && (term.prefix ? r.text.startsWith(only.text) : r.text === only.text));
  }
  outer: for (let i = 0; i + q.length <= m.runs.length; i++) {
    for (let k = 0; k < q.length; k++) {
      const r = m.runs[i + k]!;
      const s = q[k]!;
      if (r.cjk !== s.cjk) continue outer;
      const first = k === 0;
      const last = k === q.length - 1;
      const ok = s.cjk
        ? first ? r.text.endsWith(s.text) : last ? r.text.startsWith(s.text) : r.text === s.text
        : last && term.prefix ? r.text.startsWith(s.text) : r.text === s.text;
      if (!ok) continue outer;
    }
    return true;
  }
  return false;
}

function matchesAtom(m: PreparedMessage, atom: SearchAtom): boolean {
  switch (atom.kind) {
    case 'text':
      return matchesText(m, atom);
    case 'from':
      return m.from.has(filterKey(atom.value));
    case 'to':
      return m.to.has(filterKey(atom.value));
    case 'in':
      return m.conversation === filterKey(atom.value);
    case 'source':
      return m.source === filterKey(atom.value);
    case 'type':
      return m.message.type === atom.value;
    case 'has':
      return m.message.hasAttachment;
    case 'is':
      return m.message.recalled;
  }
}

export function matchesPrepared(m: PreparedMessage, query: SearchQuery): boolean {
  const t = m.message.timeMs;
  if (query.afterMs !== undefined && t < query.afterMs) return false;
  if (query.beforeMs !== undefined && t >= query.beforeMs) return false;
  return query.clauses.every((c) => (c.kind === 'not' ? !matchesAtom(m, c.atom) : c.atoms.some((a) => matchesAtom(m, a))));
}

export const matchesQuery = (message: PlainMessage, query: SearchQuery): boolean => matchesPrepared(prepareMessage(message), query);
