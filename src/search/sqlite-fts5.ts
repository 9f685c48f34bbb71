import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { SqliteHandle } from '../db/connection.js';
import type { Database } from '../db/schema.js';
import { firstKeyOf } from '../domain/message-key.js';
import { MAX_TIME_MS, MIN_TIME_MS } from '../domain/record.js';
import type { SearchAtom, SearchClause, SearchQuery, TextTerm } from '../domain/search-query.js';
import { segmentFolded } from '../domain/tokenizer.js';
import { META_ALL_ROWS, META_HAS_ATTACHMENT, META_RECALLED, META_RESTRICTED, filterValueKey, ftsRow, metaTypeToken, metaValueToken, type FtsDocument, type FtsRow } from './fts-document.js';

/**
 * The SQLite FTS5 search driver (table `message_fts(body, meta)`, migration 0004).
 *
 * Queries run entirely inside the index: `MATCH` for text and filters, a rowid range for time
 * (message ids are time-ordered, domain/message-key.ts), `ORDER BY rowid DESC` for newest first,
 * and an exact `count(*)`. The messages table is never joined.
 *
 * Every token goes into the MATCH expression as a double-quoted FTS5 string, so no user input can
 * be read as FTS5 syntax; the expression itself is bound as a parameter.
 *
 * How a text term becomes a phrase of index tokens (CJK runs are indexed as overlapping bigrams
 * plus the run's last character, domain/tokenizer.ts):
 * - a term that is one CJK run: ≥ 2 characters → the phrase of its bigrams (`合同书` → "合同" "同书"),
 *   wherever it sits in an indexed run; 1 character `信` → the prefix `"信" *`, which matches the
 *   bigrams that start with it and the run-final unigram, i.e. every occurrence;
 * - a term of several runs (`微信pay`, `138-1234-5678`) → the phrase of all runs' tokens, where a CJK
 *   run that is followed by another run in the term keeps its final unigram (the indexed run must
 *   end there too, so its unigram follows its bigrams), and a CJK run that ends the term drops it
 *   (the indexed run may continue: `pay合同` must find `pay合同书`); a 1-character final run is a prefix;
 * - a Latin/digit word is one token, matched whole; `pay*` is the prefix `"pay" *`.
 */

export interface CompiledSearchQuery {
  /** The FTS5 MATCH expression. */
  match: string;
  /** rowid ≥ minRowid, when set. */
  minRowid: number | undefined;
  /** rowid < maxRowid (exclusive), when set. */
  maxRowid: number | undefined;
}

const quote = (token: string): string => `"${token.replaceAll('"', '""')}"`;
const meta = (token: string): string => `meta : ${quote(token)}`;

/** The FTS5 phrase (tokens joined by +, optional prefix on the last) of a text term, in `body`. */
export function textTermTokens(term: Pick<TextTerm, 'folded' | 'prefix'>): { tokens: string[]; prefix: boolean } {
  const segments = segmentFolded(term.folded);
  const tokens: string[] = [];
  let prefix = false;
  segments.forEach((seg, k) => {
    const last = k === segments.length - 1;
    if (!seg.cjk) {
      tokens.push(seg.text);
      if (last) prefix = term.prefix;
      return;
    }
    const chars = Array.from(seg.text);
    if (chars.length === 1) {
      tokens.push(seg.text);
      if (last) prefix = true;
      return;
    }
    for (let i = 0; i + 1 < chars.length; i++) tokens.push(`${chars[i] ?? ''}${chars[i + 1] ?? ''}`);
    if (!last) tokens.push(chars[chars.length - 1] ?? '');
  });
  return { tokens, prefix };
}

/** The character, when a term is exactly one CJK character (answered by the `uni` column). */
function singleCjkCharacter(folded: string): string | undefined {
  const segments = segmentFolded(folded);
  if (segments.length !== 1 || !segments[0]!.cjk) return undefined;
  const chars = Array.from(segments[0]!.text);
  return chars.length === 1 ? chars[0] : undefined;
}

function atomExpression(atom: SearchAtom): string {
  switch (atom.kind) {
    case 'text': {
      const single = singleCjkCharacter(atom.folded);
      if (single !== undefined) return `uni : ${quote(single)}`;
      const { tokens, prefix } = textTermTokens(atom);
      if (tokens.length === 0) throw new Error('text term without tokens (the parser rejects these)');
      return `body : (${tokens.map(quote).join(' + ')}${prefix ? ' *' : ''})`;
    }
    case 'from':
    case 'to': {
      const ns = atom.kind === 'from' ? 'f' : 't';
      const tokens = [...new Set([atom.value, ...(atom.personIds ?? [])].map((v) => metaValueToken(ns, v)))];
      return tokens.length === 1 ? meta(tokens[0]!) : `(${tokens.map(meta).join(' OR ')})`;
    }
    case 'in':
      return meta(metaValueToken('c', atom.value));
    case 'source':
      return meta(metaValueToken('s', atom.value));
    case 'type':
      return meta(metaTypeToken(atom.value));
    case 'has':
      return meta(META_HAS_ATTACHMENT);
    case 'is':
      return meta(META_RECALLED);
  }
}

function clauseExpression(clause: Extract<SearchClause, { kind: 'any' }>): string {
  return clause.atoms.length === 1 ? atomExpression(clause.atoms[0]) : `(${clause.atoms.map(atomExpression).join(' OR ')})`;
}

const clampTime = (ms: number): number => Math.min(Math.max(ms, MIN_TIME_MS - 1), MAX_TIME_MS + 1);

/** The FTS5 expression and rowid range of a query (pure; exported for tests). */
export function compileSearchQuery(query: SearchQuery): CompiledSearchQuery {
  const positive: string[] = [];
  const negative: string[] = [];
  for (const clause of query.clauses) {
    if (clause.kind === 'any') positive.push(clauseExpression(clause));
    else negative.push(atomExpression(clause.atom));
  }
  let match = positive.length === 0 ? meta(META_ALL_ROWS) : positive.length === 1 ? (positive[0] ?? '') : positive.map((p) => `(${p})`).join(' AND ');
  if (negative.length > 0) match = `(${match}) NOT (${negative.join(' OR ')})`;
  return {
    match,
    minRowid: query.afterMs === undefined ? undefined : firstKeyOf(clampTime(query.afterMs)),
    maxRowid: query.beforeMs === undefined ? undefined : firstKeyOf(clampTime(query.beforeMs)),
  };
}

/** Rows per INSERT statement (3 bound values each, well under SQLite's 32,766 limit). */
const INSERT_BATCH = 400;
const DELETE_BATCH = 900;

/**
 * Adds (or replaces) the index entries of messages. Always `INSERT OR REPLACE`: on a contentless
 * FTS5 table a plain INSERT of an existing rowid silently merges both rows' tokens.
 */
export async function indexMessages(db: Kysely<Database>, rows: readonly { id: number; doc: FtsDocument }[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_BATCH) {
    await insertRows(db, rows.slice(i, i + INSERT_BATCH).map(({ id, doc }) => ({ id, ...ftsRow(doc) })));
  }
}

async function insertRows(db: Kysely<Database>, rows: readonly ({ id: number } & FtsRow)[]): Promise<void> {
  if (rows.length === 0) return;
  const values = rows.map((r) => sql`(${r.id}, ${r.body}, ${r.meta}, ${r.uni})`);
  await sql`INSERT OR REPLACE INTO message_fts (rowid, body, meta, uni) VALUES ${sql.join(values)}`.execute(db);
}

/** Removes messages from the index (ids that are not indexed are ignored). */
export async function unindexMessages(db: Kysely<Database>, ids: readonly number[]): Promise<void> {
  for (let i = 0; i < ids.length; i += DELETE_BATCH) {
    const chunk = ids.slice(i, i + DELETE_BATCH);
    await sql`DELETE FROM message_fts WHERE rowid IN (${sql.join(chunk)})`.execute(db);
  }
}

function whereOf(c: CompiledSearchQuery): RawBuilder<unknown> {
  const parts = [sql`message_fts MATCH ${c.match}`];
  if (c.minRowid !== undefined) parts.push(sql`rowid >= ${c.minRowid}`);
  if (c.maxRowid !== undefined) parts.push(sql`rowid < ${c.maxRowid}`);
  return sql.join(parts, sql` AND `);
}

/**
 * The query with each `from:`/`to:` value also standing for the persons whose stored name it is
 * (persons.name_key, migration 0022). The index holds a message's sender and recipient ids, and the
 * names its line carried; a line that named nobody (or named someone otherwise) is found through the
 * person's id. Run before compiling, by every search and every hold resolved through the index.
 */
export async function resolvePersonNames(db: Kysely<Database>, query: SearchQuery): Promise<SearchQuery> {
  const atoms = query.clauses.flatMap((c) => (c.kind === 'any' ? c.atoms : [c.atom]));
  const keys = [...new Set(atoms.flatMap((a) => (a.kind === 'from' || a.kind === 'to' ? [filterValueKey(a.value)] : [])))];
  if (keys.length === 0) return query;
  const rows = await db.selectFrom('persons').select(['name_key', 'ext_id']).where('name_key', 'in', keys).execute();
  const byKey = new Map<string, string[]>();
  for (const r of rows) byKey.set(r.name_key!, [...(byKey.get(r.name_key!) ?? []), r.ext_id]);
  const resolve = (a: SearchAtom): SearchAtom => ((a.kind === 'from' || a.kind === 'to') && byKey.has(filterValueKey(a.value)) ? { ...a, personIds: byKey.get(filterValueKey(a.value))! } : a);
  return {
    ...query,
    clauses: query.clauses.map((c): SearchClause => (c.kind === 'any' ? { kind: 'any', atoms: c.atoms.map(resolve) as [SearchAtom, ...SearchAtom[]] } : { kind: 'not', atom: resolve(c.atom) })),
  };
}

/** The keys in [minKey, maxKey] that a query matches (legal holds with words, resolved per batch). */
export async function matchingKeysInRange(db: Kysely<Database>, query: SearchQuery, minKey: number, maxKey: number): Promise<Set<number>> {
  const c = compileSearchQuery(await resolvePersonNames(db, query));
  const lo = Math.max(minKey, c.minRowid ?? minKey);
  const hi = Math.min(maxKey, c.maxRowid === undefined ? maxKey : c.maxRowid - 1);
  const rows = await sql<{ id: number }>`SELECT rowid AS id FROM message_fts WHERE message_fts MATCH ${c.match} AND rowid BETWEEN ${lo} AND ${hi}`.execute(db);
  return new Set(rows.rows.map((r) => Number(r.id)));
}

/** A restriction of a search to some conversations (an employee's scope). */
export interface ConversationRestriction {
  /** conversations.id values: the exact restriction. */
  rowIds: readonly number[];
  /** Their source-local ids: narrows the index match first (`in:` tokens are not source-qualified). */
  extIds: readonly string[];
}

/**
 * The exact number of matching messages and one page of their ids, newest first. With a
 * restriction, the index match is narrowed by the conversations' `in:` tokens and then checked
 * exactly against messages.conversation_id.
 */
export async function searchMessageIds(
  db: Kysely<Database>,
  query: SearchQuery,
  page: { limit: number; offset: number },
  restriction?: ConversationRestriction,
): Promise<{ total: number; ids: number[] }> {
  if (restriction && restriction.rowIds.length === 0) return { total: 0, ids: [] };
  const base = compileSearchQuery(await resolvePersonNames(db, query));
  const limit = Math.max(0, Math.floor(page.limit));
  const offset = Math.max(0, Math.floor(page.offset));
  // Privacy requests (issue 5, services/privacy-requests.ts): RESTRICTED messages are never hits
  // nor counted. Their index rows carry the `privrestricted` meta token (kept in step with
  // messages.restricted_at in the same transaction), so the exclusion is an FTS5 NOT inside the
  // index — and only added when any message is restricted (one probe of the partial index
  // messages_restricted), so the common case keeps its expression unchanged.
  const compiled = (await hasRestrictedMessages(db)) ? { ...base, match: `(${base.match}) NOT ${meta(META_RESTRICTED)}` } : base;
  if (restriction) {
    const tokens = [...new Set(restriction.extIds)].map((id) => meta(metaValueToken('c', id)));
    const where = whereOf({ ...compiled, match: `(${compiled.match}) AND (${tokens.join(' OR ')})` });
    const inScope = sql`(SELECT conversation_id FROM messages WHERE id = message_fts.rowid) IN (${sql.join([...restriction.rowIds])})`;
    const count = await sql<{ n: number }>`SELECT count(*) AS n FROM message_fts WHERE ${where} AND ${inScope}`.execute(db);
    const total = Number(count.rows[0]?.n ?? 0);
    if (total === 0 || limit === 0 || offset >= total) return { total, ids: [] };
    const rows = await sql<{ id: number }>`SELECT rowid AS id FROM message_fts WHERE ${where} AND ${inScope} ORDER BY rowid DESC LIMIT ${limit} OFFSET ${offset}`.execute(db);
    return { total, ids: rows.rows.map((r) => Number(r.id)) };
  }
  const where = whereOf(compiled);
  const count = await sql<{ n: number }>`SELECT count(*) AS n FROM message_fts WHERE ${where}`.execute(db);
  const total = Number(count.rows[0]?.n ?? 0);
  if (total === 0 || limit === 0 || offset >= total) return { total, ids: [] };
  const rows = await sql<{ id: number }>`SELECT rowid AS id FROM message_fts WHERE ${where} ORDER BY rowid DESC LIMIT ${limit} OFFSET ${offset}`.execute(db);
  return { total, ids: rows.rows.map((r) => Number(r.id)) };
}

/** Whether any message is in the privacy-restricted state (migration 0013; a single index probe). */
async function hasRestrictedMessages(db: Kysely<Database>): Promise<boolean> {
  const r = await sql<{ one: number }>`SELECT 1 AS one FROM messages WHERE restricted_at IS NOT NULL LIMIT 1`.execute(db);
  return r.rows.length > 0;
}

/**
 * A prepared writer of the index rows of NEW messages (the import): one statement, run per row
 * inside the caller's transaction. A plain INSERT, not INSERT OR REPLACE: the import only indexes
 * keys it has just allocated, which no index row can hold (index rows are deleted with their
 * message, in the same transaction), and it spares FTS5 a lookup of every rowid before its insert.
 * Re-indexing an existing message goes through `indexMessages`.
 */
export function prepareIndexWriter(db: Kysely<Database>, sqlite: SqliteHandle): (rows: readonly ({ id: number } & FtsRow)[]) => void {
  const statement = sqlite.prepare(sql`INSERT INTO message_fts (rowid, body, meta, uni) VALUES (${0}, ${''}, ${''}, ${''})`.compile(db).sql);
  return (rows) => {
    for (const r of rows) statement.run(r.id, r.body, r.meta, r.uni);
  };
}

/** Removes every row of the index (before a rebuild). */
export async function clearIndex(db: Kysely<Database>): Promise<void> {
  await sql`INSERT INTO message_fts (message_fts) VALUES ('delete-all')`.execute(db);
}
