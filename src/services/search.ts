import type { Kysely } from 'kysely';
import type { Context } from '../context.js';
import type { Database } from '../db/schema.js';
import { personIdsByNames } from '../repositories/directory.js';
import { parseSearchQuery, type SearchAtom, type SearchClause, type SearchQuery } from '../domain/search-query.js';
import { searchMessageIds } from '../search/sqlite-fts5.js';
import { appendAudit } from './audit.js';
import type { ContentScope } from '../domain/authorization.js';
import { resolveScope } from './content-access.js';
import { loadMessageViews, toHitView, type HitView, type MessageView } from './message-views.js';
import { assertIndexCurrent } from './reindex.js';

export { MAX_SEARCH_LIMIT } from './limits.js';

export interface SearchResult {
  total: number;
  hits: HitView[];
  /** The same hits as full views (the API's presenters pick from these). */
  messages: MessageView[];
}

/**
 * Runs a query (exact total + one page, newest first) within a content scope (default: everything,
 * for the CLI operator who holds the keys). The search and its audit event (with the query text)
 * are one transaction: no search result without its audit record.
 */
export async function searchMessages(ctx: Context, input: { query: string; limit: number; offset: number }, scope: ContentScope = { kind: 'all' }): Promise<SearchResult> {
  const parsed = parseSearchQuery(input.query, { timeZone: ctx.config.timeZone });
  await assertIndexCurrent(ctx);
  return ctx.db.transaction().execute(async (trx) => {
    const query = await withDirectoryNames(trx, parsed);
    const resolved = await resolveScope(trx, scope);
    const page = resolved.kind === 'all'
      ? await searchMessageIds(trx, query, { limit: input.limit, offset: input.offset })
      : await searchMessageIds(trx, query, { limit: input.limit, offset: input.offset }, resolved.kind === 'none' ? { rowIds: [], extIds: [] } : resolved);
    const { views } = await loadMessageViews(trx, page.ids);
    await appendAudit(ctx, trx, {
      action: 'search.executed',
      details: { query: input.query, limit: input.limit, offset: input.offset, total: page.total, returned: views.length, ...(scope.kind === 'all' ? {} : { scope: scope.kind }) },
    });
    return { total: page.total, hits: views.map(toHitView), messages: views };
  });
}

/**
 * `from:`/`to:` match a person's id or the name their messages carried when archived. A name learnt
 * later (directory sync) is resolved here to the person's id, so `from:杜博` also finds messages
 * archived before the name was known.
 */
async function withDirectoryNames(db: Kysely<Database>, query: SearchQuery): Promise<SearchQuery> {
  const names = new Set<string>();
  const visit = (a: SearchAtom): void => {
    if (a.kind === 'from' || a.kind === 'to') names.add(a.value.trim());
  };
  for (const c of query.clauses) (c.kind === 'any' ? c.atoms : [c.atom]).forEach(visit);
  if (names.size === 0) return query;
  const ids = await personIdsByNames(db, [...names]);
  if (ids.size === 0) return query;
  const expand = (a: SearchAtom): SearchAtom[] =>
    (a.kind === 'from' || a.kind === 'to') ? [a, ...(ids.get(a.value.trim()) ?? []).map((id) => ({ kind: a.kind, value: id }) as SearchAtom)] : [a];
  const clauses: SearchClause[] = query.clauses.flatMap((c): SearchClause[] => {
    if (c.kind === 'any') {
      const atoms = c.atoms.flatMap(expand);
      return [{ kind: 'any', atoms: [atoms[0]!, ...atoms.slice(1)] }];
    }
    // NOT (a OR b) = NOT a AND NOT b: one negative clause per alternative.
    return expand(c.atom).map((atom) => ({ kind: 'not', atom }));
  });
  return { ...query, clauses };
}
