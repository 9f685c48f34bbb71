import type { QueryClient } from '@tanstack/react-query';
import { preloadArea, SetupPage, SignInPage } from './lazy-pages';
import { conversationsQuery, pageParam, searchQuery, statsQuery } from './queries';
import { parseHash } from './router';
import { areaOf, homeOf, mayUse, rememberSession, roleHint, SESSION_KEY, sessionQuery } from './session';
import type { SessionInfo } from './types';

const ignore = (): undefined => undefined;

/**
 * Runs once at start-up, before React DOM is evaluated: everything the first screen needs is asked
 * for at the same time instead of one after the other (session → page chunk → page data):
 *
 * - the session;
 * - the current page's chunk;
 * - the page's data, when this browser's last session was signed in with a role that may see it
 *   (`roleHint`; the session cookie is HttpOnly). A stale hint costs one 401, which changes nothing:
 *   the session query decides whether the page or sign-in is shown, and signing in drops every
 *   cached answer.
 *
 * Not the charts library (the dashboard): its evaluation would hold up the dashboard's numbers; each
 * chart asks for it once the numbers are on screen (chart-card.tsx).
 */
export function boot(qc: QueryClient): void {
  // The role hint follows the session, whatever changes it (sign-in, sign-out, expiry).
  qc.getQueryCache().subscribe((event) => {
    if (event.type === 'updated' && event.query.queryKey[0] === SESSION_KEY[0]) rememberSession(event.query.state.data as SessionInfo | undefined);
  });
  void qc.prefetchQuery(sessionQuery);

  const route = parseHash(window.location.hash);
  const first = route.segments[0];
  if (first === 'setup') {
    SetupPage.preload().catch(ignore);
    return;
  }
  const role = roleHint();
  if (role === undefined) {
    SignInPage.preload().catch(ignore);
    return;
  }
  const area = areaOf(first) ?? (first === undefined ? homeOf(role) : null);
  if (area === null || !mayUse(role, area)) return;
  preloadArea(area).catch(ignore);

  const quiet = { quiet401: true };
  // With no page in the hash, the start page opens without parameters.
  const params = first === undefined ? new URLSearchParams() : route.params;
  if (area === 'search') {
    const q = params.get('q') ?? '';
    if (q.trim() !== '') void qc.prefetchQuery(searchQuery(q, pageParam(params, 'page'), quiet));
    else void qc.prefetchQuery(conversationsQuery(pageParam(params, 'cpage'), quiet));
  } else if (area === 'dashboard') {
    void qc.prefetchQuery(statsQuery(quiet));
  }
}
