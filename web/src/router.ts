import { useSyncExternalStore } from 'react';

/**
 * Hand-written hash routing: `#/search?q=合同&page=2`, `#/c/<conversationKey>?around=<key>`,
 * `#/setup/<token>`. The hash is the permalink; nothing is kept outside it.
 */

export interface Route {
  /** Decoded path segments: `#/c/42` → ['c', '42']. */
  segments: string[];
  params: URLSearchParams;
  /** The raw hash without '#'. */
  raw: string;
}

export function parseHash(hash: string): Route {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const query = q === -1 ? '' : raw.slice(q + 1);
  const segments = path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { segments, params: new URLSearchParams(query), raw };
}

/** Builds a hash: href(['c', key], { around }) → `#/c/<key>?around=…`. */
export function href(segments: readonly string[], params: Record<string, string | number | undefined | null> = {}): string {
  const path = segments.map((s) => encodeURIComponent(s)).join('/');
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const qs = q.toString();
  return `#/${path}${qs === '' ? '' : `?${qs}`}`;
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const target = to.startsWith('#') ? to : `#${to}`;
  if (window.location.hash === target) return;
  if (options.replace) {
    window.history.replaceState(null, '', target);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    window.location.hash = target;
  }
}

const subscribe = (cb: () => void): (() => void) => {
  window.addEventListener('hashchange', cb);
  return () => window.removeEventListener('hashchange', cb);
};
const snapshot = (): string => window.location.hash;

let cachedHash: string | null = null;
let cachedRoute: Route = parseHash('');

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, snapshot);
  if (hash !== cachedHash) {
    cachedHash = hash;
    cachedRoute = parseHash(hash);
  }
  return cachedRoute;
}
