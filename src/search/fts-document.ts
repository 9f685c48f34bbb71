import { createHash } from 'node:crypto';
import { foldText, segmentFolded, tokenizeFolded } from '../domain/tokenizer.js';

/**
 * What the full-text index stores for one message, and how it becomes an FTS row.
 *
 * `body` is the space-joined tokens of the text (domain/tokenizer.ts). `uni` holds each distinct CJK
 * character of the text once, so a 1-character query is one term lookup. `meta` holds one token per
 * filter value, each a single unicode61 token that cannot collide with another kind:
 *
 *   f<16 hex>   sender: the id and the name (from:)           hex = first 64 bits of
 *   t<16 hex>   each recipient: id and name (to:)                   SHA-256(filterValueKey(value))
 *   c<16 hex>   conversation id (in:)
 *   s<16 hex>   source (source:)
 *   y<type>     message type (type:), e.g. `ytext`; `y` + hex when the type is not [a-z0-9]+
 *   hasatt      has at least one attachment (has:attachment)
 *   isrecalled  was recalled (is:recalled)
 *   privrestricted  in the privacy-RESTRICTED state (issue 5, services/privacy-requests.ts): search
 *               leaves these out with `NOT privrestricted` (never a filter users can write)
 *   allrows     in every row: the base set for negation-only and time-only queries
 *
 * Filter values compare as filterValueKey(): folded (case, width, traditional script) with
 * whitespace trimmed and collapsed, so `from:"zhang san"` finds the name `Zhang  San`.
 */
export interface FtsDocument {
  text?: string;
  source: string;
  conversationId: string;
  fromId: string;
  fromName?: string;
  to: { id: string; name?: string }[];
  type: string;
  hasAttachment: boolean;
  recalled: boolean;
  /** Privacy-restricted (messages.restricted_at): excluded from search results and counts. */
  restricted?: boolean;
}

export interface FtsRow {
  body: string;
  uni: string;
  meta: string;
}

/** The distinct CJK characters of folded text, space-joined (the `uni` column). */
export function cjkCharacters(folded: string): string {
  const seen = new Set<string>();
  for (const seg of segmentFolded(folded)) if (seg.cjk) for (const ch of seg.text) seen.add(ch);
  return [...seen].join(' ');
}

export type MetaNamespace = 'f' | 't' | 'c' | 's';

export const META_ALL_ROWS = 'allrows';
export const META_HAS_ATTACHMENT = 'hasatt';
export const META_RECALLED = 'isrecalled';
export const META_RESTRICTED = 'privrestricted';

/** The canonical form filter values are compared in. */
export const filterValueKey = (value: string): string => foldText(value).trim().replace(/\s+/gu, ' ');

const HASH_CACHE_LIMIT = 50_000;
const hashCache = new Map<string, string>();

/** 16 hex digits identifying a filter value (cached: ids and names repeat on almost every message). */
function valueHash(value: string): string {
  let h = hashCache.get(value);
  if (h === undefined) {
    h = createHash('sha256').update(filterValueKey(value), 'utf8').digest('hex').slice(0, 16);
    if (hashCache.size >= HASH_CACHE_LIMIT) hashCache.clear();
    hashCache.set(value, h);
  }
  return h;
}

/** The meta token of a filter value (`from:`/`to:`/`in:`/`source:`). */
export const metaValueToken = (ns: MetaNamespace, value: string): string => ns + valueHash(value);

/** The meta token of a message type (`type:`). */
export const metaTypeToken = (type: string): string => (/^[a-z0-9]+$/.test(type) ? `y${type}` : `y${valueHash(type)}`);

/** The FTS row of a document: body tokens and meta tokens, space-separated. */
export function ftsRow(doc: FtsDocument): FtsRow {
  const folded = doc.text ? foldText(doc.text) : '';
  const body = folded ? tokenizeFolded(folded).join(' ') : '';
  const uni = folded ? cjkCharacters(folded) : '';
  const meta: string[] = [META_ALL_ROWS, metaTypeToken(doc.type), metaValueToken('c', doc.conversationId), metaValueToken('s', doc.source), metaValueToken('f', doc.fromId)];
  if (doc.fromName) meta.push(metaValueToken('f', doc.fromName));
  for (const t of doc.to) {
    meta.push(metaValueToken('t', t.id));
    if (t.name) meta.push(metaValueToken('t', t.name));
  }
  if (doc.hasAttachment) meta.push(META_HAS_ATTACHMENT);
  if (doc.recalled) meta.push(META_RECALLED);
  if (doc.restricted === true) meta.push(META_RESTRICTED);
  return { body, uni, meta: meta.join(' ') };
}
