import { queryOptions } from '@tanstack/react-query';
import { api, withQuery, type RequestOptions } from './api';
import type { PrivacyStatus } from './types';

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
    queryFn: ({ signal }) => api.get<'GET /search'>(withQuery('/search', { q, limit: SEARCH_PAGE_SIZE, offset: (page - 1) * SEARCH_PAGE_SIZE }), { signal, ...extra }),
  });

export const conversationsQuery = (page: number, extra: Extra = {}) =>
  queryOptions({
    queryKey: ['conversations', page] as const,
    queryFn: ({ signal }) => api.get<'GET /conversations'>(withQuery('/conversations', { limit: CONVERSATIONS_PAGE_SIZE, offset: (page - 1) * CONVERSATIONS_PAGE_SIZE }), { signal, ...extra }),
  });

export const statsQuery = (extra: Extra = {}) =>
  queryOptions({
    queryKey: ['stats'] as const,
    queryFn: ({ signal }) => api.get<'GET /stats'>(withQuery('/stats', { topPersons: 20 }), { signal, ...extra }),
    staleTime: 60_000,
  });

/** `?page=` / `?cpage=`: a positive integer, 1 when missing or invalid. */
export const pageParam = (params: URLSearchParams, name: string): number => Math.max(1, Number.parseInt(params.get(name) ?? '1', 10) || 1);

// Retention, legal holds and disposition. Every key starts with 'retention' or 'holds', so that a
// change invalidates what it affects: a policy change the forecast, a hold the forecast's held counts.

export const RETENTION_KEY = ['retention'] as const;
export const HOLDS_KEY = ['holds'] as const;

export const retentionPoliciesQuery = () =>
  queryOptions({
    queryKey: ['retention', 'policies'] as const,
    queryFn: ({ signal }) => api.get<'GET /retention/policies'>('/retention/policies', { signal }),
  });

/** The live forecast: one pass over the archive's metadata on the server (under 2 s for 1M records). */
export const retentionForecastQuery = () =>
  queryOptions({
    queryKey: ['retention', 'forecast'] as const,
    queryFn: ({ signal }) => api.get<'GET /retention/forecast'>('/retention/forecast', { signal }),
    staleTime: 30_000,
  });

export const retentionPresetsQuery = () =>
  queryOptions({
    queryKey: ['retention', 'presets'] as const,
    queryFn: ({ signal }) => api.get<'GET /retention/presets'>('/retention/presets', { signal }),
    staleTime: Infinity,
  });

export const retentionStatusQuery = () =>
  queryOptions({
    queryKey: ['retention', 'status'] as const,
    queryFn: ({ signal }) => api.get<'GET /retention/status'>('/retention/status', { signal }),
    refetchInterval: 60_000,
  });

export const retentionRunsQuery = (limit = 20) =>
  queryOptions({
    queryKey: ['retention', 'runs', limit] as const,
    queryFn: ({ signal }) => api.get<'GET /retention/runs'>(withQuery('/retention/runs', { limit }), { signal }),
  });

export const certificatesQuery = (limit = 20) =>
  queryOptions({
    queryKey: ['retention', 'certificates', limit] as const,
    queryFn: ({ signal }) => api.get<'GET /retention/certificates'>(withQuery('/retention/certificates', { limit }), { signal }),
  });

export const certificateVerifyQuery = (runId: number) =>
  queryOptions({
    queryKey: ['retention', 'certificate-verify', runId] as const,
    queryFn: ({ signal }) => api.get<'GET /retention/certificates/:id/verify'>(`/retention/certificates/${runId}/verify`, { signal }),
  });

export const REVIEWS_PAGE_SIZE = 50;

/** `status`: comma-separated review statuses ('' = the server's default, the open items). */
export const reviewsQuery = (status: string, page: number) =>
  queryOptions({
    queryKey: ['retention', 'reviews', status, page] as const,
    queryFn: ({ signal }) => api.get<'GET /retention/reviews'>(withQuery('/retention/reviews', { status, limit: REVIEWS_PAGE_SIZE, offset: (page - 1) * REVIEWS_PAGE_SIZE }), { signal }),
  });

export const mattersQuery = () =>
  queryOptions({
    queryKey: ['holds', 'matters'] as const,
    queryFn: ({ signal }) => api.get<'GET /matters'>('/matters', { signal }),
  });

export const matterQuery = (ref: string) =>
  queryOptions({
    queryKey: ['holds', 'matter', ref] as const,
    queryFn: ({ signal }) => api.get<'GET /matters/:ref'>(`/matters/${encodeURIComponent(ref)}`, { signal }),
  });

export const holdsQuery = (filter: { matter?: string; status?: 'active' | 'released' } = {}) =>
  queryOptions({
    queryKey: ['holds', 'list', filter.matter ?? '', filter.status ?? ''] as const,
    queryFn: ({ signal }) => api.get<'GET /holds'>(withQuery('/holds', filter), { signal }),
  });

/** A hold with the number of records it covers now (a pass over the archive's metadata). */
export const holdQuery = (id: number) =>
  queryOptions({
    queryKey: ['holds', 'hold', id] as const,
    queryFn: ({ signal }) => api.get<'GET /holds/:id'>(`/holds/${id}`, { signal }),
  });

// Privacy requests. Every key starts with 'privacy'; a change (open, execute, reject, lift) also
// invalidates the rest of the cache: an erasure removes records, a restriction hides them from
// search, an open erasure freezes records the forecast counts.

export const PRIVACY_KEY = ['privacy'] as const;

export const privacyRequestsQuery = (filter: { status?: PrivacyStatus | undefined; overdue?: boolean | undefined } = {}) =>
  queryOptions({
    queryKey: ['privacy', 'list', filter.status ?? '', filter.overdue === true] as const,
    queryFn: ({ signal }) => api.get<'GET /privacy/requests'>(withQuery('/privacy/requests', { status: filter.status, overdue: filter.overdue === true ? 1 : undefined }), { signal }),
  });

/** One request with its persons, record counts now, outcomes and response. */
export const privacyRequestQuery = (id: number) =>
  queryOptions({
    queryKey: ['privacy', 'request', id] as const,
    queryFn: ({ signal }) => api.get<'GET /privacy/requests/:id'>(`/privacy/requests/${id}`, { signal }),
  });
