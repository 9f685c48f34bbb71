import type { Context } from '../context.js';
import { parseSearchQuery } from '../domain/search-query.js';
import { searchMessageIds } from '../search/sqlite-fts5.js';
import { appendAudit } from './audit.js';
import { loadMessageViews, toHitView, type HitView } from './message-views.js';
import { assertIndexCurrent } from './reindex.js';

export const MAX_SEARCH_LIMIT = 100_000;

export interface SearchResult {
  total: number;
  hits: HitView[];
}

/**
 * Runs a query (exact total + one page, newest first). The search and its audit event (with the
 * query text) are one transaction: no search result without its audit record.
 */
export async function searchMessages(ctx: Context, input: { query: string; limit: number; offset: number }): Promise<SearchResult> {
  const query = parseSearchQuery(input.query, { timeZone: ctx.config.timeZone });
  await assertIndexCurrent(ctx);
  return ctx.db.transaction().execute(async (trx) => {
    const page = await searchMessageIds(trx, query, { limit: input.limit, offset: input.offset });
    const { views } = await loadMessageViews(trx, page.ids);
    await appendAudit(ctx, trx, {
      action: 'search.executed',
      details: { query: input.query, limit: input.limit, offset: input.offset, total: page.total, returned: views.length },
    });
    return { total: page.total, hits: views.map(toHitView) };
  });
}
