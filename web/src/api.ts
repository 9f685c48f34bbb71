/**
 * The API client: same-origin fetch with the session cookie, the CSRF token of the current session
 * on every state-changing request (read from GET /auth/session, refreshed from every response that
 * carries `csrfToken`), typed errors. 401 outside /auth/* tells the app to show sign-in.
 */
import type { ApiRequests, ApiResponses } from './types';

export const API_BASE = '/api/v1';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  /** Seconds to wait (429 Retry-After). */
  readonly retryAfter: number | undefined;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, options: { requestId?: string; retryAfter?: number; details?: unknown } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.requestId = options.requestId;
    this.retryAfter = options.retryAfter;
    this.details = options.details;
  }
}

export const isApiError = (e: unknown): e is ApiError => e instanceof ApiError;

let csrfToken: string | null = null;
let tokenRequest: Promise<string> | null = null;
const unauthorizedListeners = new Set<() => void>();

/** Called when a request outside /auth/ gets 401 (session expired or signed out elsewhere). */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const n = Number(value);
  if (Number.isFinite(n)) return Math.max(0, Math.ceil(n));
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, Math.ceil((t - Date.now()) / 1000));
}

async function ensureToken(): Promise<string> {
  if (csrfToken !== null) return csrfToken;
  tokenRequest ??= request<{ csrfToken: string }>('GET', '/auth/session')
    .then((r) => r.csrfToken)
    .finally(() => {
      tokenRequest = null;
    });
  return tokenRequest;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Do not fire the global 401 handler (sign-in forms handle 401 themselves). */
  quiet401?: boolean;
}

async function request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}, retried = false): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (MUTATING.has(method)) headers['X-CSRF-Token'] = await ensureToken();
  let res: Response;
  try {
    res = await fetch(API_BASE + path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: options.signal,
      cache: 'no-store',
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e));
  }
  const text = await res.text();
  let json: unknown = undefined;
  if (text !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (json !== null && typeof json === 'object' && 'csrfToken' in json && typeof json.csrfToken === 'string') csrfToken = json.csrfToken;
  if (res.ok) return json as T;

  const err = json !== null && typeof json === 'object' && 'error' in json && json.error !== null && typeof json.error === 'object' ? (json.error as { code?: unknown; message?: unknown; requestId?: unknown; details?: unknown }) : {};
  const code = typeof err.code === 'string' ? err.code : `http.${res.status}`;
  const message = typeof err.message === 'string' ? err.message : res.statusText;
  const apiError = new ApiError(res.status, code, message, {
    requestId: typeof err.requestId === 'string' ? err.requestId : undefined,
    retryAfter: res.status === 429 ? (parseRetryAfter(res.headers.get('Retry-After')) ?? 1) : undefined,
    details: err.details,
  });
  // A stale CSRF token (the session changed in another tab): fetch the current one and retry once.
  if (res.status === 403 && /csrf/i.test(code) && MUTATING.has(method) && !retried) {
    csrfToken = null;
    return request<T>(method, path, body, options, true);
  }
  if (res.status === 401 && !options.quiet401 && !path.startsWith('/auth/')) {
    for (const l of unauthorizedListeners) l();
  }
  throw apiError;
}

type Route = keyof ApiResponses;
/** The body the console sends to a route: ApiRequests' entry (checked against the server's schema), else anything. */
type BodyOf<K extends Route> = K extends keyof ApiRequests ? ApiRequests[K] : Record<string, unknown>;
/** `/holds/:id/release` → `/holds/${string}/release`: the paths a route's pattern matches. */
type Filled<U extends string> = U extends `${infer A}:${string}/${infer B}` ? `${A}${string}/${Filled<B>}` : U extends `${infer A}:${string}` ? `${A}${string}` : U;
/** A path of route K, with or without a query string: `api.get<'GET /search'>('/serch')` does not compile. */
type PathOf<K extends Route> = K extends `${string} ${infer U}` ? Filled<U> | `${Filled<U>}?${string}` : never;

/**
 * The API, by route as the server declares it (`api.get<'GET /search'>(path)`): the answer has the
 * route's `ApiResponses` type and a body its `ApiRequests` type, both checked against the server's
 * schemas by `npm run typecheck` (test/http/web-api-types.check.ts).
 */
export const api = {
  get: <K extends Route>(path: PathOf<K>, options?: RequestOptions): Promise<ApiResponses[K]> => request<ApiResponses[K]>('GET', path, undefined, options),
  post: <K extends Route>(path: PathOf<K>, body: BodyOf<K> = {} as BodyOf<K>, options?: RequestOptions): Promise<ApiResponses[K]> => request<ApiResponses[K]>('POST', path, body, options),
  put: <K extends Route>(path: PathOf<K>, body: BodyOf<K>, options?: RequestOptions): Promise<ApiResponses[K]> => request<ApiResponses[K]>('PUT', path, body, options),
  del: <K extends Route>(path: PathOf<K>, options?: RequestOptions): Promise<ApiResponses[K]> => request<ApiResponses[K]>('DELETE', path, undefined, options),
};

/** Builds `path?a=1&b=2`, leaving out undefined, null and empty values. */
export function withQuery<P extends string>(path: P, params: Record<string, string | number | boolean | undefined | null>): P | `${P}?${string}` {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s === '' ? path : `${path}?${s}`;
}

export const enc = encodeURIComponent;

/** URL of an attachment; `inline` for images, audio and video shown in the page. */
export const attachmentUrl = (messageKey: string, ordinal: number, inline: boolean): string =>
  `${API_BASE}/messages/${enc(messageKey)}/attachments/${ordinal}${inline ? '?inline=1' : ''}`;

/** A voice note (AMR, SILK) decoded to WAV by the server, for the browser's player. */
export const voiceWavUrl = (messageKey: string, ordinal: number): string => `${API_BASE}/messages/${enc(messageKey)}/attachments/${ordinal}?as=wav`;
