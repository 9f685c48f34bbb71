import type { Context } from '../context.js';
import { newToken, tokenHash } from '../crypto/account-secrets.js';
import type { UserStatus } from '../db/tables/accounts.js';
import { can, isRole, mfaRequired, ROLES, type Role } from '../domain/authorization.js';
import { conflict, forbidden, notFound, usageError } from '../errors.js';
import * as accounts from '../repositories/accounts.js';
import { countPasskeys, deletePasskeysOfUser } from '../repositories/passkeys.js';
import { deleteSessionsOfUser } from '../repositories/sessions.js';
import { appendAudit } from './audit.js';

/**
 * Account administration (CLI `wekeep users …` and the admin's API): every change is audited in
 * the same transaction. A new or reset account gets a one-time setup token (valid 24 h); only its
 * SHA-256 is stored.
 */

export const SETUP_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;
const USERNAME = /^[a-z0-9][a-z0-9._-]{1,63}$/u;

export interface UserView {
  username: string;
  role: Role;
  person: string | null;
  status: UserStatus;
  locked: boolean;
  mfa: { totp: boolean; passkeys: number; required: boolean; recoveryCodesLeft: number };
  createdAt: string;
  lastLoginAt: string | null;
  /** Waiting for a compliance user's approval of its access to archived content (see requestsContentAccess), or null. */
  approval: { requestedBy: string; requestedAt: string } | null;
}

export interface SetupLink {
  user: UserView;
  /** The one-time token; the link is `<console>/#/setup/<token>`. */
  setupToken: string;
  expiresAt: string;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function normalizeUsername(name: string): string {
  const u = name.trim().toLowerCase();
  if (!USERNAME.test(u)) throw usageError('user.bad_username', 'username: 2–64 characters of a–z, 0–9, ".", "_" or "-", starting with a letter or digit');
  return u;
}

function parseRole(role: string): Role {
  if (!isRole(role)) throw usageError('user.bad_role', `role must be one of ${ROLES.join(', ')}; got "${role}"`);
  return role;
}

export async function viewOf(ctx: Pick<Context, 'db'>, row: accounts.UserRow): Promise<UserView> {
  const role = parseRole(row.role);
  return {
    username: row.username,
    role,
    person: row.person_ext_id,
    status: row.status,
    locked: row.locked_at !== null,
    mfa: { totp: row.totp_secret !== null, passkeys: await countPasskeys(ctx.db, row.id), required: mfaRequired(role, row.require_mfa === 1), recoveryCodesLeft: await accounts.countRecoveryCodesLeft(ctx.db, row.id) },
    createdAt: new Date(row.created_at).toISOString(),
    lastLoginAt: iso(row.last_login_at),
    approval: row.access_requested_by === null ? null : { requestedBy: row.access_requested_by, requestedAt: new Date(row.access_requested_at ?? 0).toISOString() },
  };
}

/**
 * Whether a change by this actor that gives `role` its access (a new account, a reset, a new role
 * or person) must wait for a compliance user's approval: when an admin makes it in the console or
 * API and the role reads archived content. An admin cannot read content (issue 3); without this, it
 * could create or take over an account that can. The CLI on the server is not asked: its operator
 * holds the keys.
 */
function requestsContentAccess(ctx: Context, role: Role): boolean {
  return ctx.actor.startsWith('user:') && can({ role }, 'content.read');
}

const approvalFields = (ctx: Context, role: Role, now: number): { access_requested_by: string | null; access_requested_at: number | null } =>
  (requestsContentAccess(ctx, role) ? { access_requested_by: ctx.actor, access_requested_at: now } : { access_requested_by: null, access_requested_at: null });

async function mustFind(ctx: Context, username: string): Promise<accounts.UserRow> {
  const row = await accounts.findUserByName(ctx.db, normalizeUsername(username));
  if (!row) throw notFound('user.not_found', `no user "${username}"`);
  return row;
}

export async function listUserViews(ctx: Context): Promise<UserView[]> {
  const out: UserView[] = [];
  for (const row of await accounts.listUsers(ctx.db)) out.push(await viewOf(ctx, row));
  return out;
}

export interface AddUserInput {
  username: string;
  role: string;
  person?: string | undefined;
  requireMfa?: boolean | undefined;
}

export async function addUser(ctx: Context, input: AddUserInput): Promise<SetupLink> {
  const username = normalizeUsername(input.username);
  const role = parseRole(input.role);
  const person = input.person?.trim() || null;
  if (role === 'employee' && person === null) throw usageError('user.person_required', 'an employee account must be linked to a person (--person ID)');
  const now = ctx.clock.now();
  const token = newToken();
  return ctx.db.transaction().execute(async (trx) => {
    if (await accounts.findUserByName(trx, username)) throw conflict('user.exists', `user "${username}" already exists`);
    const id = await accounts.insertUser(trx, {
      username, role, person_ext_id: person, status: 'pending_setup', password_hash: null, require_mfa: input.requireMfa ? 1 : 0,
      totp_secret: null, totp_last_step: null, failed_logins: 0, locked_at: null, created_at: now, updated_at: now, last_login_at: null,
      ...approvalFields(ctx, role, now),
    });
    await accounts.insertSetupToken(trx, { tokenHash: tokenHash(token), userId: id, createdAt: now, expiresAt: now + SETUP_TOKEN_TTL_MS });
    await appendAudit(ctx, trx, { action: 'user.created', subject: `user:${username}`, details: { role, person, requireMfa: input.requireMfa === true, approvalRequired: requestsContentAccess(ctx, role) } });
    const row = (await accounts.findUserById(trx, id))!;
    return { user: await viewOf({ db: trx }, row), setupToken: token, expiresAt: new Date(now + SETUP_TOKEN_TTL_MS).toISOString() };
  });
}

/** Disables an account and ends its sessions. */
export async function disableUser(ctx: Context, username: string): Promise<UserView> {
  return change(ctx, username, 'user.disabled', async (trx, row, now) => {
    await guardAccountChange(ctx, trx, row, { removesAdmin: true, what: 'disable' });
    await accounts.updateUser(trx, row.id, { status: 'disabled', updated_at: now });
    return { sessionsEnded: await deleteSessionsOfUser(trx, row.id) };
  });
}

export async function enableUser(ctx: Context, username: string): Promise<UserView> {
  return change(ctx, username, 'user.enabled', async (trx, row, now) => {
    await accounts.updateUser(trx, row.id, { status: row.password_hash === null ? 'pending_setup' : 'active', updated_at: now });
    return {};
  });
}

export async function unlockUser(ctx: Context, username: string): Promise<UserView> {
  return change(ctx, username, 'user.unlocked', async (trx, row, now) => {
    await accounts.updateUser(trx, row.id, { locked_at: null, failed_logins: 0, updated_at: now });
    await accounts.clearThrottle(trx, `user:${row.username}`);
    return {};
  });
}

export async function setUserRole(ctx: Context, username: string, roleText: string, person?: string): Promise<UserView> {
  const role = parseRole(roleText);
  return change(ctx, username, 'user.role_changed', async (trx, row, now) => {
    await guardAccountChange(ctx, trx, row, { removesAdmin: role !== 'admin', what: 'change the role of' });
    const personId = person?.trim() || row.person_ext_id;
    if (role === 'employee' && !personId) throw usageError('user.person_required', 'an employee account must be linked to a person (--person ID)');
    const approval = approvalFields(ctx, role, now);
    // A role that does not read content needs no approval; one that does keeps a pending approval pending.
    await accounts.updateUser(trx, row.id, { role, person_ext_id: personId, updated_at: now, ...(approval.access_requested_by !== null || !can({ role }, 'content.read') ? approval : {}) });
    // New duties start with a new sign-in.
    return { from: row.role, to: role, person: personId, sessionsEnded: await deleteSessionsOfUser(trx, row.id), approvalRequired: approval.access_requested_by !== null };
  });
}

/** Clears the password and second factors, ends sessions, and issues a new setup link. */
export async function resetUser(ctx: Context, username: string): Promise<SetupLink> {
  const token = newToken();
  const now = ctx.clock.now();
  const view = await change(ctx, username, 'user.reset', async (trx, row) => {
    await guardAccountChange(ctx, trx, row, { removesAdmin: false, what: 'reset' });
    const approval = isRole(row.role) ? approvalFields(ctx, row.role, now) : { access_requested_by: null, access_requested_at: null };
    await accounts.updateUser(trx, row.id, {
      password_hash: null, totp_secret: null, totp_last_step: null, status: row.status === 'disabled' ? 'disabled' : 'pending_setup', locked_at: null, failed_logins: 0, updated_at: now,
      // The admin holds the new setup link: whoever completes it waits for a compliance user's approval.
      ...(approval.access_requested_by !== null ? approval : {}),
    });
    await accounts.replaceRecoveryCodes(trx, row.id, [], now);
    await deletePasskeysOfUser(trx, row.id);
    await accounts.insertSetupToken(trx, { tokenHash: tokenHash(token), userId: row.id, createdAt: now, expiresAt: now + SETUP_TOKEN_TTL_MS });
    return { sessionsEnded: await deleteSessionsOfUser(trx, row.id) };
  });
  return { user: view, setupToken: token, expiresAt: new Date(now + SETUP_TOKEN_TTL_MS).toISOString() };
}

/** The accounts waiting for a compliance user's approval of their access to archived content. */
export async function listPendingApprovals(ctx: Context): Promise<UserView[]> {
  return (await listUserViews(ctx)).filter((u) => u.approval !== null);
}

/**
 * A compliance user (or the CLI operator) approves an account's access to archived content. Not
 * the one who asked for it, and not the account itself. A setup link not used yet is valid for
 * another day from the approval (an approval that came after a day would otherwise leave the account
 * waiting for another reset, and that reset for another approval).
 */
export async function approveUserAccess(ctx: Context, username: string): Promise<UserView> {
  return change(ctx, username, 'user.access_approved', async (trx, row, now) => {
    if (row.access_requested_by === null) throw conflict('user.not_pending', `"${row.username}" does not wait for an approval`);
    if (ctx.actor === `user:${row.username}`) throw forbidden('user.self_change', 'you cannot approve your own account: another compliance user must do it');
    if (ctx.actor === row.access_requested_by) throw forbidden('user.approval_same_person', `you asked for this account's access (${row.access_requested_by}): another compliance user must approve it`);
    await accounts.updateUser(trx, row.id, { access_requested_by: null, access_requested_at: null, updated_at: now });
    const extended = await accounts.extendSetupToken(trx, row.id, now + SETUP_TOKEN_TTL_MS);
    return {
      role: row.role, person: row.person_ext_id, requestedBy: row.access_requested_by, requestedAt: row.access_requested_at,
      ...(extended ? { setupLinkValidUntil: new Date(now + SETUP_TOKEN_TTL_MS).toISOString() } : {}),
    };
  });
}

/**
 * Separation of duties for account changes: nobody changes their own role, disables or resets their
 * own account (an admin could otherwise grant itself a content-reading role: another admin, or the
 * CLI on the server, must do it), and the last enabled admin cannot be demoted or disabled (nobody
 * could administer accounts from the console any more).
 */
async function guardAccountChange(ctx: Context, trx: Context['db'], target: accounts.UserRow, change: { removesAdmin: boolean; what: string }): Promise<void> {
  if (ctx.actor === `user:${target.username}`) {
    throw forbidden('user.self_change', `you cannot ${change.what} your own account: another admin must do it`);
  }
  if (change.removesAdmin && target.role === 'admin' && target.status !== 'disabled') {
    const otherAdmins = (await accounts.listUsers(trx)).filter((u) => u.role === 'admin' && u.status !== 'disabled' && u.id !== target.id);
    if (otherAdmins.length === 0) throw conflict('user.last_admin', `"${target.username}" is the last enabled admin: add or enable another admin first`);
  }
}

async function change(
  ctx: Context,
  username: string,
  action: string,
  apply: (trx: Context['db'], row: accounts.UserRow, now: number) => Promise<Record<string, unknown>>,
): Promise<UserView> {
  const target = await mustFind(ctx, username);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const details = await apply(trx, target, now);
    await appendAudit(ctx, trx, { action, subject: `user:${target.username}`, details });
    return viewOf({ db: trx }, (await accounts.findUserById(trx, target.id))!);
  });
}

/** The link printed for a setup token. */
export const setupLinkOf = (baseUrl: string, token: string): string => `${baseUrl.replace(/\/+$/u, '')}/#/setup/${token}`;
