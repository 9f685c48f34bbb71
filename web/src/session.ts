import { useQuery, type QueryClient, type UseQueryResult } from '@tanstack/react-query';
import { api } from './api';
import type { Role, SessionInfo, SessionUser } from './types';

export const SESSION_KEY = ['session'] as const;

export function useSession(): UseQueryResult<SessionInfo> {
  return useQuery({
    queryKey: SESSION_KEY,
    queryFn: ({ signal }) => api.get<SessionInfo>('/auth/session', { signal }),
    staleTime: 5 * 60_000,
    retry: 1,
  });
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

export type Area = 'search' | 'conversation' | 'dashboard' | 'audit' | 'users' | 'sources' | 'system' | 'account';

const ACCESS: Record<Area, readonly Role[]> = {
  search: ['compliance', 'employee'],
  conversation: ['compliance', 'employee'],
  dashboard: ['compliance', 'auditor', 'admin'],
  audit: ['auditor'],
  users: ['admin'],
  sources: ['admin', 'compliance'],
  /** Scanner health and quarantined attachments (permission system.health). */
  system: ['admin'],
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
