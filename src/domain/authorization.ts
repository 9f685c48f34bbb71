/**
 * Who may do what: the one place where access is decided (separation of duties). Routes ask
 * `can(principal, permission)` before calling a service; services that read archived content
 * narrow every query by `contentScope(principal)`, so a missing check in a route still cannot
 * leak content.
 */

export const ROLES = ['admin', 'compliance', 'reviewer', 'auditor', 'employee'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

/** The signed-in user as the rest of the system sees them. */
export interface Principal {
  userId: number;
  username: string;
  role: Role;
  /** The archive person this account is (employees), or null. */
  personId: string | null;
}

export const PERMISSIONS = [
  /** Create, disable, reset and re-role accounts; lift lockouts. */
  'users.manage',
  /** Approve the access to archived content that an admin gave an account (four eyes: the admin cannot read content). */
  'users.approve',
  /** The sources overview: counts, watermarks, gaps, quarantine counts (no content). */
  'sources.view',
  /** Operate connector sources (sync now). Adding sources and secrets stays on the server's shell. */
  'sources.manage',
  /** Search and read archived messages and attachments (within the content scope). */
  'content.read',
  /** Usage statistics: totals by type, source and day. */
  'stats.view',
  /** Statistics per person (who sends how much). */
  'stats.view_persons',
  /** The audit log, tree heads, proofs and verification. */
  'audit.read',
  /** System health: the malware scanner, quarantined (infected) attachments by id and signature, connectors. */
  'system.health',
  /** Retention policies, forecasts, disposition runs and certificates: read. */
  'retention.view',
  /** Create and change retention policies; run a disposition. */
  'retention.manage',
  /** Matters and legal holds: place, release, close. */
  'holds.manage',
  /** The four-eyes disposition review queue: propose and approve (never both on one item). */
  'disposition.review',
  /** Privacy requests (access, erasure, restriction) of data subjects. */
  'privacy.manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const GRANTS: Readonly<Record<Role, readonly Permission[]>> = {
  admin: ['users.manage', 'sources.view', 'sources.manage', 'stats.view', 'system.health'],
  compliance: ['content.read', 'users.approve', 'sources.view', 'stats.view', 'stats.view_persons', 'retention.view', 'retention.manage', 'holds.manage', 'disposition.review', 'privacy.manage'],
  // Reads only the items assigned to their review queue; the queue arrives with a later issue.
  reviewer: [],
  auditor: ['audit.read', 'stats.view', 'stats.view_persons', 'retention.view'],
  employee: ['content.read'],
};

export function can(principal: Pick<Principal, 'role'>, permission: Permission): boolean {
  return GRANTS[principal.role].includes(permission);
}

/** Which archived content a principal may read. */
export type ContentScope = { kind: 'all' } | { kind: 'person'; personId: string } | { kind: 'none' };

export function contentScope(principal: Pick<Principal, 'role' | 'personId'>): ContentScope {
  if (!can(principal, 'content.read')) return { kind: 'none' };
  if (principal.role === 'compliance') return { kind: 'all' };
  if (principal.role === 'employee' && principal.personId !== null) return { kind: 'person', personId: principal.personId };
  return { kind: 'none' };
}

/** Whether a second factor is mandatory: always, except for employees unless the admin asked for it. */
export function mfaRequired(role: Role, requiredByAdmin: boolean): boolean {
  return role !== 'employee' || requiredByAdmin;
}

/** Whether a conversation (given whether the scope's person took part) may be read. */
export function mayReadConversation(scope: ContentScope, personTookPart: boolean): boolean {
  if (scope.kind === 'all') return true;
  if (scope.kind === 'person') return personTookPart;
  return false;
}
