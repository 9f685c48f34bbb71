import { queryOptions, useQuery, type QueryClient, type UseQueryResult } from '@tanstack/react-query';
import { api } from './api';
import { ROLES, type Role, type SessionInfo, type SessionUser } from './types';

export const SESSION_KEY = ['session'] as const;

/** The session query (shared by the app and the start-up prefetch in boot.ts). */
export const sessionQuery = queryOptions({
  queryKey: SESSION_KEY,
  queryFn: ({ signal }) => api.get<'GET /auth/session'>('/auth/session', { signal }),
  staleTime: 5 * 60_000,
  retry: 1,
});

export function useSession(): UseQueryResult<SessionInfo> {
  return useQuery(sessionQuery);
}

export function useUser(): SessionUser | undefined {
  const { data } = useSession();
  return data?.status === 'signed_in' ? data.user : undefined;
}

/** After a successful sign-in step: the session is signed in as `user`; cached data of anyone else is dropped. */
export function setSignedIn(qc: QueryClient, user: SessionUser, csrfToken: string): void {
  qc.removeQueries({ predicate: (q) => q.queryKey[0] !== SESSION_KEY[0] });
  qc.setQueryData<SessionInfo>(SESSION_KEY, { authenticated: true, status: 'signed_in', csrfToken, user });
}

/** After sign-out: the server's answer is the new (anonymous) session; nothing cached survives. */
export function setSignedOut(qc: QueryClient, info: SessionInfo): void {
  qc.removeQueries({ predicate: (q) => q.queryKey[0] !== SESSION_KEY[0] });
  qc.setQueryData<SessionInfo>(SESSION_KEY, info);
}

/** Drops every cached answer and asks the server for the (now anonymous) session. */
export async function resetSession(qc: QueryClient): Promise<void> {
  qc.removeQueries({ predicate: (q) => q.queryKey[0] !== SESSION_KEY[0] });
  await qc.invalidateQueries({ queryKey: SESSION_KEY });
}

// What each role may use (docs/api.md, roles table).

export type Area = 'search' | 'conversation' | 'dashboard' | 'audit' | 'users' | 'sources' | 'system' | 'retention' | 'holds' | 'disposition' | 'privacy' | 'account';

const ACCESS: Record<Area, readonly Role[]> = {
  search: ['compliance', 'employee'],
  conversation: ['compliance', 'employee'],
  dashboard: ['compliance', 'auditor', 'admin'],
  audit: ['auditor'],
  users: ['admin'],
  sources: ['admin', 'compliance'],
  /** Scanner health and quarantined attachments (permission system.health). */
  system: ['admin'],
  /** Retention policies and their forecast (retention.view; changes: retention.manage, compliance only). */
  retention: ['compliance', 'auditor'],
  /** Matters and legal holds (holds.manage). */
  holds: ['compliance'],
  /** Disposition runs, status, certificates (retention.view); the review queue (disposition.review, compliance only). */
  disposition: ['compliance', 'auditor'],
  /** Privacy requests of data subjects: access, erasure, restriction (privacy.manage). */
  privacy: ['compliance'],
  account: ['admin', 'compliance', 'reviewer', 'auditor', 'employee'],
};

export const mayUse = (role: Role | undefined, area: Area): boolean => role !== undefined && ACCESS[area].includes(role);

/** The first page after sign-in. */
export function homeOf(role: Role): Area {
  switch (role) {
    case 'compliance':
    case 'employee':
      return 'search';
    case 'auditor':
      return 'audit';
    case 'admin':
      return 'users';
    default:
      return 'account';
  }
}

/** The area a hash's first segment opens: undefined for the role's start page (`#/`), null for no page of an area. */
export function areaOf(first: string | undefined): Area | undefined | null {
  if (first === undefined) return undefined;
  if (first === 'c' || first === 'm') return 'conversation';
  return first !== 'conversation' && Object.hasOwn(ACCESS, first) ? (first as Area) : null;
}

// The role of the last signed-in session in this browser: a hint (the cookie is HttpOnly) that lets
// the start-up code fetch the current page's chunk and data while the session is still being asked
// for. The server decides: a wrong hint costs one request answered 401 and nothing else.
const ROLE_HINT_KEY = 'wekeep.role';

export function roleHint(): Role | undefined {
  try {
    const r = window.localStorage.getItem(ROLE_HINT_KEY);
    return (ROLES as readonly (string | null)[]).includes(r) ? (r as Role) : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps the hint in step with the session: the role while signed in, nothing otherwise. */
export function rememberSession(info: SessionInfo | undefined): void {
  if (info === undefined) return;
  try {
    if (info.status === 'signed_in' && info.user) window.localStorage.setItem(ROLE_HINT_KEY, info.user.role);
    else window.localStorage.removeItem(ROLE_HINT_KEY);
  } catch {
    // Storage may be disabled: no hint, the start-up code then waits for the session.
  }
}
