import type { Context } from '../context.js';
import { parseSearchQuery } from '../domain/search-query.js';
import { searchMessageIds } from '../search/sqlite-fts5.js';
import { appendAudit } from './audit.js';
import type { ContentScope } from '../domain/authorization.js';
import { resolveScope } from './content-access.js';
import { loadMessageViews, toHitView, type HitView, type MessageView } from './message-views.js';
import { assertIndexCurrent } from './reindex.js';

export const MAX_SEARCH_LIMIT = 100_000;

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
  const query = parseSearchQuery(input.query, { timeZone: ctx.config.timeZone });
  await assertIndexCurrent(ctx);
  return ctx.db.transaction().execute(async (trx) => {
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
