import { queryOptions } from '@tanstack/react-query';
import { api, withQuery, type RequestOptions } from './api';
import type { ConversationSummary, SearchResult, Stats } from './types';

/**
 * The queries a page's first screen needs, shared by the page and the start-up prefetch (boot.ts):
 * the same key and function, so the page finds the answer (or the request in flight) in the cache.
 * `quiet401`: the prefetch runs before the session is known; its 401 is not an event (the session
 * query decides what the user sees).
 */

export const SEARCH_PAGE_SIZE = 50;
export const CONVERSATIONS_PAGE_SIZE = 20;

type Extra = Pick<RequestOptions, 'quiet401'>;

export const searchQuery = (q: string, page: number, extra: Extra = {}) =>
  queryOptions({
    queryKey: ['search', q, page] as const,
    queryFn: ({ signal }) => api.get<SearchResult>(withQuery('/search', { q, limit: SEARCH_PAGE_SIZE, offset: (page - 1) * SEARCH_PAGE_SIZE }), { signal, ...extra }),
  });

export const conversationsQuery = (page: number, extra: Extra = {}) =>
  queryOptions({
    queryKey: ['conversations', page] as const,
    queryFn: ({ signal }) => api.get<{ total: number; conversations: ConversationSummary[] }>(withQuery('/conversations', { limit: CONVERSATIONS_PAGE_SIZE, offset: (page - 1) * CONVERSATIONS_PAGE_SIZE }), { signal, ...extra }),
  });

export const statsQuery = (extra: Extra = {}) =>
  queryOptions({
    queryKey: ['stats'] as const,
    queryFn: ({ signal }) => api.get<Stats>(withQuery('/stats', { topPersons: 20 }), { signal, ...extra }),
    staleTime: 60_000,
  });

/** `?page=` / `?cpage=`: a positive integer, 1 when missing or invalid. */
export const pageParam = (params: URLSearchParams, name: string): number => Math.max(1, Number.parseInt(params.get(name) ?? '1', 10) || 1);
