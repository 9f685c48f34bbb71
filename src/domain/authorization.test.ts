import { describe, expect, it } from 'vitest';
import { can, contentScope, mayReadConversation, mfaRequired, PERMISSIONS, ROLES, type Permission, type Role } from './authorization.js';

describe('authorization', () => {
  it('grants each role exactly its duties', () => {
    const expected: Record<Role, Permission[]> = {
      admin: ['users.manage', 'sources.view', 'sources.manage', 'stats.view', 'system.health'],
      compliance: ['content.read', 'users.approve', 'sources.view', 'stats.view', 'stats.view_persons', 'retention.view', 'retention.manage', 'holds.manage', 'disposition.review', 'privacy.manage'],
      reviewer: [],
      auditor: ['audit.read', 'stats.view', 'stats.view_persons', 'retention.view'],
      employee: ['content.read'],
    };
    for (const role of ROLES) expect(PERMISSIONS.filter((p) => can({ role }, p)).sort()).toEqual([...expected[role]].sort());
  });

  it('never lets admin or auditor read content', () => {
    for (const role of ['admin', 'auditor', 'reviewer'] as const) expect(contentScope({ role, personId: 'p1' })).toEqual({ kind: 'none' });
  });

  it('scopes an employee to their person, and an unlinked employee to nothing', () => {
    expect(contentScope({ role: 'employee', personId: 'zhangsan' })).toEqual({ kind: 'person', personId: 'zhangsan' });
    expect(contentScope({ role: 'employee', personId: null })).toEqual({ kind: 'none' });
    expect(contentScope({ role: 'compliance', personId: null })).toEqual({ kind: 'all' });
  });

  it('reads a conversation only when the scope allows it', () => {
    expect(mayReadConversation({ kind: 'all' }, false)).toBe(true);
    expect(mayReadConversation({ kind: 'person', personId: 'a' }, true)).toBe(true);
    expect(mayReadConversation({ kind: 'person', personId: 'a' }, false)).toBe(false);
    expect(mayReadConversation({ kind: 'none' }, true)).toBe(false);
  });

  it('requires MFA for every role but employee, unless the admin asks', () => {
    for (const role of ROLES) expect(mfaRequired(role, false)).toBe(role !== 'employee');
    expect(mfaRequired('employee', true)).toBe(true);
  });
});
