import { z } from 'zod';
import { ROLES } from '../../domain/authorization.js';
import type { UserView } from '../../services/users.js';

export const userSchema = z.object({
  username: z.string(),
  role: z.enum(ROLES),
  person: z.string().nullable(),
  status: z.enum(['pending_setup', 'active', 'disabled']),
  locked: z.boolean(),
  mfa: z.object({ totp: z.boolean(), passkeys: z.number(), required: z.boolean(), recoveryCodesLeft: z.number() }),
  createdAt: z.string(),
  lastLoginAt: z.string().nullable(),
  /** Waiting for a compliance user's approval of its access to archived content (an admin created, reset or re-roled it). */
  approval: z.object({ requestedBy: z.string(), requestedAt: z.string() }).nullable(),
});

export const presentUser = (u: UserView): z.input<typeof userSchema> => ({
  username: u.username,
  role: u.role,
  person: u.person,
  status: u.status,
  locked: u.locked,
  mfa: { totp: u.mfa.totp, passkeys: u.mfa.passkeys, required: u.mfa.required, recoveryCodesLeft: u.mfa.recoveryCodesLeft },
  createdAt: u.createdAt,
  lastLoginAt: u.lastLoginAt,
  approval: u.approval && { requestedBy: u.approval.requestedBy, requestedAt: u.approval.requestedAt },
});
