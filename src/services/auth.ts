import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import * as OTPAuth from 'otpauth';
import QRCode from 'qrcode';
import type { Kysely } from 'kysely';
import { actingAs, type Context } from '../context.js';
import { newRecoveryCode, newToken, openSecret, recoveryCodeHash, sealSecret, tokenHash, unknownNameTag } from '../crypto/account-secrets.js';
import type { Database } from '../db/schema.js';
import type { SessionState } from '../db/tables/accounts.js';
import { can, isRole, mfaRequired, type Permission, type Principal, type Role } from '../domain/authorization.js';
import { passwordProblem } from '../domain/password-policy.js';
import { AppError, forbidden, notFound, tooManyAttempts, unauthorized, usageError } from '../errors.js';
import * as accounts from '../repositories/accounts.js';
import { countPasskeys } from '../repositories/passkeys.js';
import * as sessions from '../repositories/sessions.js';
import { appendAudit } from './audit.js';
import { normalizeUsername, viewOf, type UserView } from './users.js';

/**
 * Sign-in, second factors, one-time setup and server-side sessions.
 *
 * A session starts anonymous (it carries the CSRF token that the sign-in form needs) and moves
 * through `mfa_required` / `enroll_mfa` to `signed_in`. Every change of state issues a NEW session
 * token (no session fixation) and a new CSRF token. Sessions end after 30 minutes idle or 12 hours
 * in total (configurable). Failed sign-ins are throttled per account name and per address with
 * growing delays; 10 failures lock an account until an admin unlocks it. Wrong username, wrong
 * password, disabled and locked accounts all answer the same `auth.invalid_credentials`.
 */

export interface SessionPolicy {
  idleMs: number;
  absoluteMs: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000 };

/** Failures before delays start, the longest delay, and failures that lock an account. */
export const THROTTLE_FREE_FAILURES = 3;
/**
 * Failures before delays start for one address. Higher than per account: many people may sign in
 * from one office address (NAT), and a few colleagues' typos must not delay everyone's sign-in; a
 * password sprayed across accounts from one address is still slowed down after these.
 */
export const THROTTLE_FREE_FAILURES_PER_ADDRESS = 20;
export const THROTTLE_MAX_DELAY_MS = 15 * 60_000;
export const LOCKOUT_FAILURES = 10;
/** Failures older than this are forgotten by the throttle. */
const THROTTLE_MEMORY_MS = 60 * 60_000;
const RECOVERY_CODES = 10;
const TOTP_PERIOD_S = 30;

export interface SessionOrigin {
  address: string;
  userAgent: string | null;
}

export interface LoadedSession {
  id: string;
  publicId: string;
  state: SessionState;
  csrfToken: string;
  user: accounts.UserRow | undefined;
  /** Set only when state is `signed_in`. */
  principal: Principal | undefined;
  expiresAt: number;
  /** When this session was last moved: the sign-in (or the last second-factor step) for a signed-in one. */
  authenticatedAt: number;
}

/** What a state change returns: the new cookie token and the session. */
export interface SessionChange<T = object> {
  token: string;
  session: LoadedSession;
  result: T;
}

const invalidCredentials = (): AppError => unauthorized('auth.invalid_credentials', 'wrong username, password or code');

let dummyHash: Promise<string> | undefined;
/** A hash to verify against when the username is unknown, so both cases take the same time. */
const timingDummy = (): Promise<string> => (dummyHash ??= argon2Hash('wekeep-timing-dummy-password'));

export const hashPassword = (password: string): Promise<string> => argon2Hash(password);

function principalOf(user: accounts.UserRow): Principal {
  if (!isRole(user.role)) throw new AppError('auth.bad_role', 'account has an unknown role');
  return { userId: user.id, username: user.username, role: user.role, personId: user.person_ext_id };
}

function loaded(row: sessions.SessionRow, user: accounts.UserRow | undefined): LoadedSession {
  return {
    id: row.id,
    publicId: row.public_id,
    state: row.state,
    csrfToken: row.csrf_token,
    user,
    // An account waiting for a compliance user's approval (services/users.ts) has no principal: it reaches nothing.
    principal: row.state === 'signed_in' && user && user.access_requested_by === null ? principalOf(user) : undefined,
    expiresAt: row.expires_at,
    authenticatedAt: row.created_at,
  };
}

/** How recent a sign-in must be to change one's second factors or recovery codes. */
export const RECENT_SIGN_IN_MS = 15 * 60 * 1000;

/**
 * Changing how an account proves itself (a new authenticator, passkeys, recovery codes) needs a
 * recent sign-in, not just a session: a session taken over (an unlocked computer, a stolen cookie)
 * must not be able to plant its own second factor or replace the owner's recovery codes. The first
 * enrollment right after the password (state `enroll_mfa`) is recent by definition.
 */
export function assertRecentSignIn(ctx: Context, session: LoadedSession): void {
  if (session.state !== 'signed_in') return;
  if (ctx.clock.now() - session.authenticatedAt > RECENT_SIGN_IN_MS) {
    throw forbidden('auth.recent_sign_in_required', 'to change your second factors or recovery codes, sign out and sign in again (at most 15 minutes ago)');
  }
}

/** The session of a cookie token, or undefined when unknown, expired, or its user can no longer sign in. */
export async function loadSession(ctx: Context, token: string, policy: SessionPolicy = DEFAULT_SESSION_POLICY): Promise<LoadedSession | undefined> {
  const id = tokenHash(token);
  const row = await sessions.findSession(ctx.db, id);
  if (!row) return undefined;
  const now = ctx.clock.now();
  if (row.expires_at <= now || row.last_seen_at <= now - policy.idleMs) {
    await sessions.deleteSession(ctx.db, id);
    if (row.user_id !== null && row.state === 'signed_in') {
      await appendAudit(ctx, ctx.db, { action: 'auth.session.expired', actor: 'system', subject: `user-id:${row.user_id}`, details: { session: row.public_id } });
    }
    return undefined;
  }
  let user: accounts.UserRow | undefined;
  if (row.user_id !== null) {
    user = await accounts.findUserById(ctx.db, row.user_id);
    if (!user || user.status === 'disabled' || user.locked_at !== null) {
      await sessions.deleteSession(ctx.db, id);
      return undefined;
    }
  }
  // Idle time counts from the last request (written at most every 10 s).
  if (now - row.last_seen_at > 10_000) await sessions.updateSession(ctx.db, id, { last_seen_at: now });
  return loaded({ ...row, last_seen_at: now }, user);
}

async function insertSession(db: Kysely<Database>, now: number, origin: SessionOrigin, fields: { state: SessionState; userId: number | null; createdAt?: number; expiresAt: number; pendingTotp?: Buffer | null }): Promise<{ token: string; row: sessions.SessionRow }> {
  const token = newToken();
  const row: sessions.SessionRow = {
    id: tokenHash(token),
    public_id: newToken().slice(0, 16),
    user_id: fields.userId,
    state: fields.state,
    csrf_token: newToken(),
    created_at: fields.createdAt ?? now,
    last_seen_at: now,
    expires_at: fields.expiresAt,
    address: origin.address,
    user_agent: origin.userAgent?.slice(0, 300) ?? null,
    pending_totp_secret: fields.pendingTotp ?? null,
    webauthn_challenge: null,
  };
  await sessions.insertSession(db, row);
  return { token, row };
}

/** A fresh anonymous session (it holds the CSRF token of the sign-in and setup forms). */
export async function startAnonymousSession(ctx: Context, origin: SessionOrigin, policy: SessionPolicy = DEFAULT_SESSION_POLICY): Promise<{ token: string; session: LoadedSession }> {
  const now = ctx.clock.now();
  if (Math.random() < 0.01) await sessions.purgeExpiredSessions(ctx.db, now, policy.idleMs);
  const { token, row } = await insertSession(ctx.db, now, origin, { state: 'anonymous', userId: null, expiresAt: now + policy.absoluteMs });
  return { token, session: loaded(row, undefined) };
}

/** Replaces a session by a new one (new token, new CSRF token) in another state. */
export async function moveSession(
  trx: Kysely<Database>,
  now: number,
  old: LoadedSession,
  origin: SessionOrigin,
  to: { state: SessionState; user: accounts.UserRow | undefined; policy: SessionPolicy; pendingTotp?: Buffer | null },
): Promise<{ token: string; session: LoadedSession }> {
  await sessions.deleteSession(trx, old.id);
  const signingIn = to.state === 'signed_in' && old.state !== 'signed_in';
  const { token, row } = await insertSession(trx, now, origin, {
    state: to.state,
    userId: to.user?.id ?? null,
    // The absolute lifetime of a signed-in session counts from the sign-in.
    expiresAt: signingIn ? now + to.policy.absoluteMs : old.expiresAt,
    pendingTotp: to.pendingTotp ?? null,
  });
  return { token, session: loaded(row, to.user) };
}

// ---------------------------------------------------------------------------------------------
// Throttling

export async function assertNotThrottled(ctx: Context, keys: readonly string[]): Promise<void> {
  const now = ctx.clock.now();
  const blocked = (await accounts.readThrottles(ctx.db, keys)).filter((t) => t.blocked_until > now && t.last_failure_at > now - THROTTLE_MEMORY_MS);
  if (blocked.length > 0) throw tooManyAttempts(Math.ceil((Math.max(...blocked.map((b) => b.blocked_until)) - now) / 1000));
}

async function recordFailures(trx: Kysely<Database>, keys: readonly string[], now: number): Promise<void> {
  const known = new Map((await accounts.readThrottles(trx, keys)).map((t) => [t.key, t]));
  for (const key of keys) {
    const prior = known.get(key);
    const failures = (prior && prior.last_failure_at > now - THROTTLE_MEMORY_MS ? prior.failures : 0) + 1;
    const free = key.startsWith('addr:') ? THROTTLE_FREE_FAILURES_PER_ADDRESS : THROTTLE_FREE_FAILURES;
    const delay = failures < free ? 0 : Math.min(1000 * 2 ** (failures - free), THROTTLE_MAX_DELAY_MS);
    await accounts.writeThrottle(trx, { key, failures, last_failure_at: now, blocked_until: now + delay });
  }
}

export const throttleKeys = (username: string, address: string): string[] => [`user:${username}`, `addr:${address}`];

/** Records a failed factor or password for a known user: throttle, lockout counter, audit. */
export async function failAttempt(ctx: Context, user: accounts.UserRow | undefined, attempted: string, origin: SessionOrigin, action: string, reason: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await recordFailures(trx, throttleKeys(attempted, origin.address), now);
    const details: Record<string, unknown> = { reason };
    if (user) {
      const failures = user.failed_logins + 1;
      const lock = failures >= LOCKOUT_FAILURES && user.locked_at === null;
      await accounts.updateUser(trx, user.id, { failed_logins: failures, ...(lock ? { locked_at: now } : {}) });
      if (lock) details.locked = true;
    }
    // A name that is no account's is audited by a keyed tag only (it may be a mistyped password).
    const known = user !== undefined || (await accounts.findUserByName(trx, attempted)) !== undefined;
    if (!known) details.nameTag = unknownNameTag(ctx.keys, attempted);
    await appendAudit(ctx, trx, { action, actor: user ? `user:${user.username}` : 'anonymous', subject: known ? `user:${attempted}` : 'user:(unknown)', details });
  });
}

// ---------------------------------------------------------------------------------------------
// Sign-in

export type SignInStatus = 'mfa_required' | 'enroll_mfa' | 'signed_in';
/** The second factors a sign-in can continue with. */
export const MFA_METHODS = ['totp', 'passkey', 'recovery'] as const;
export type MfaMethod = (typeof MFA_METHODS)[number];

export interface SignInResult {
  status: SignInStatus;
  methods?: MfaMethod[];
}

export const needsMfa = (user: accounts.UserRow): boolean => mfaRequired(principalOf(user).role, user.require_mfa === 1);

/** The second factors a user can sign in with now. */
async function factorsOf(db: Kysely<Database>, user: accounts.UserRow): Promise<MfaMethod[]> {
  const methods: MfaMethod[] = [];
  if (user.totp_secret !== null) methods.push('totp');
  if ((await countPasskeys(db, user.id)) > 0) methods.push('passkey');
  if (methods.length > 0 && (await accounts.countRecoveryCodesLeft(db, user.id)) > 0) methods.push('recovery');
  return methods;
}

export async function signIn(
  ctx: Context,
  session: LoadedSession,
  input: { username: string; password: string },
  origin: SessionOrigin,
  policy: SessionPolicy = DEFAULT_SESSION_POLICY,
): Promise<SessionChange<SignInResult>> {
  let username: string;
  try {
    username = normalizeUsername(input.username);
  } catch {
    username = input.username.trim().toLowerCase().slice(0, 64);
  }
  await assertNotThrottled(ctx, throttleKeys(username, origin.address));
  const user = await accounts.findUserByName(ctx.db, username);
  const passwordOk = user?.password_hash ? await argon2Verify(user.password_hash, input.password).catch(() => false) : (await argon2Verify(await timingDummy(), input.password).catch(() => false), false);
  const usable = user !== undefined && user.status === 'active' && user.locked_at === null;
  if (!usable || !passwordOk) {
    const reason = !user ? 'unknown_user' : user.status !== 'active' ? `status_${user.status}` : user.locked_at !== null ? 'locked' : 'wrong_password';
    await failAttempt(ctx, usable ? user : undefined, username, origin, 'auth.login.failed', reason);
    throw invalidCredentials();
  }
  if (user.access_requested_by !== null) {
    // The right password, so saying why reveals nothing to a stranger.
    await auditApprovalPending(ctx, ctx.db, user, 'password');
    throw approvalPending();
  }
  const methods = await factorsOf(ctx.db, user);
  const status: SignInStatus = methods.length > 0 ? 'mfa_required' : needsMfa(user) ? 'enroll_mfa' : 'signed_in';
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const moved = await moveSession(trx, now, session, origin, { state: status, user, policy });
    if (status === 'signed_in') await completeSignIn(ctx, trx, user, now, 'password');
    else await appendAudit(ctx, trx, { action: 'auth.password.accepted', actor: `user:${user.username}`, subject: `user:${user.username}`, details: { next: status } });
    return { ...moved, result: status === 'mfa_required' ? { status, methods } : { status } };
  });
}

export async function completeSignIn(ctx: Context, trx: Kysely<Database>, user: accounts.UserRow, now: number, method: string): Promise<void> {
  // Setup or enrollment finished on an account that waits for approval: saved, but no sign-in.
  if (user.access_requested_by !== null) return auditApprovalPending(ctx, trx, user, method);
  await accounts.updateUser(trx, user.id, { last_login_at: now, failed_logins: 0 });
  await accounts.clearThrottle(trx, `user:${user.username}`);
  await appendAudit(ctx, trx, { action: 'auth.login.succeeded', actor: `user:${user.username}`, subject: `user:${user.username}`, details: { method } });
}

function totpOf(username: string, secret: string): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ issuer: 'WeKeep', label: username, algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD_S, secret: OTPAuth.Secret.fromBase32(secret) });
}

/** The time step a code is valid for (±1 step of clock drift), or undefined. */
function totpStep(username: string, secret: string, code: string, now: number): number | undefined {
  const token = code.replace(/\s/gu, '');
  if (!/^\d{6}$/u.test(token)) return undefined;
  const delta = totpOf(username, secret).validate({ token, timestamp: now, window: 1 });
  return delta === null ? undefined : Math.floor(now / 1000 / TOTP_PERIOD_S) + delta;
}

const totpAad = (userId: number): string => `totp:${userId}`;

export function requireState(session: LoadedSession, ...states: SessionState[]): accounts.UserRow {
  if (!states.includes(session.state) || !session.user) throw unauthorized('auth.wrong_state', `this step needs a session in state ${states.join(' or ')}`);
  return session.user;
}

/** Second step with a TOTP code. A code is accepted once: a replay within its window is refused. */
export async function verifyTotp(ctx: Context, session: LoadedSession, code: string, origin: SessionOrigin, policy: SessionPolicy = DEFAULT_SESSION_POLICY): Promise<SessionChange> {
  const user = requireState(session, 'mfa_required');
  await assertNotThrottled(ctx, throttleKeys(user.username, origin.address));
  const now = ctx.clock.now();
  const secret = user.totp_secret ? openSecret(ctx.keys, user.totp_secret, totpAad(user.id)) : undefined;
  const step = secret === undefined ? undefined : totpStep(user.username, secret, code, now);
  if (step === undefined || (user.totp_last_step !== null && step <= user.totp_last_step)) {
    await failAttempt(ctx, user, user.username, origin, 'auth.mfa.failed', step === undefined ? 'wrong_totp' : 'replayed_totp');
    throw invalidCredentials();
  }
  return ctx.db.transaction().execute(async (trx) => {
    // Conditional on the step still being new: two concurrent requests with one code cannot both pass.
    const r = await trx.updateTable('users').set({ totp_last_step: step }).where('id', '=', user.id).where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)])).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw invalidCredentials();
    const moved = await moveSession(trx, now, session, origin, { state: 'signed_in', user, policy });
    await completeSignIn(ctx, trx, user, now, 'totp');
    return { ...moved, result: {} };
  });
}

/** Second step with a single-use recovery code. */
export async function verifyRecoveryCode(ctx: Context, session: LoadedSession, code: string, origin: SessionOrigin, policy: SessionPolicy = DEFAULT_SESSION_POLICY): Promise<SessionChange<{ recoveryCodesLeft: number }>> {
  const user = requireState(session, 'mfa_required');
  await assertNotThrottled(ctx, throttleKeys(user.username, origin.address));
  const now = ctx.clock.now();
  const used = await ctx.db.transaction().execute(async (trx) => {
    if (!(await accounts.useRecoveryCode(trx, user.id, recoveryCodeHash(ctx.keys, user.id, code), now))) return undefined;
    const moved = await moveSession(trx, now, session, origin, { state: 'signed_in', user, policy });
    await completeSignIn(ctx, trx, user, now, 'recovery_code');
    return { ...moved, result: { recoveryCodesLeft: await accounts.countRecoveryCodesLeft(trx, user.id) } };
  });
  if (used) return used;
  await failAttempt(ctx, user, user.username, origin, 'auth.mfa.failed', 'wrong_recovery_code');
  throw invalidCredentials();
}

// ---------------------------------------------------------------------------------------------
// One-time setup and enrollment

async function userOfSetupToken(ctx: Context, token: string): Promise<accounts.UserRow> {
  const found = await accounts.findSetupToken(ctx.db, tokenHash(token), ctx.clock.now());
  const user = found && (await accounts.findUserById(ctx.db, found.userId));
  if (!user || user.status === 'disabled') throw notFound('setup.not_found', 'this setup link is unknown, used or expired; ask an administrator for a new one');
  return user;
}

export async function setupInfo(ctx: Context, token: string): Promise<{ username: string; role: Role; mfaRequired: boolean }> {
  const user = await userOfSetupToken(ctx, token);
  return { username: user.username, role: principalOf(user).role, mfaRequired: needsMfa(user) };
}

/** Sets the first password from a one-time link; the session continues to MFA enrollment when required. */
export async function completeSetup(ctx: Context, session: LoadedSession, token: string, password: string, origin: SessionOrigin, policy: SessionPolicy = DEFAULT_SESSION_POLICY): Promise<SessionChange<{ status: SignInStatus }>> {
  const user = await userOfSetupToken(ctx, token);
  const problem = passwordProblem(password, user.username);
  if (problem) throw usageError('password.too_weak', `password ${problem}`);
  const hashed = await hashPassword(password);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    if (!(await accounts.spendSetupToken(trx, tokenHash(token), now))) throw notFound('setup.not_found', 'this setup link was just used');
    await accounts.updateUser(trx, user.id, { password_hash: hashed, status: 'active', updated_at: now, failed_logins: 0, locked_at: null });
    const fresh = (await accounts.findUserById(trx, user.id))!;
    const status: SignInStatus = needsMfa(fresh) ? 'enroll_mfa' : 'signed_in';
    const moved = await moveSession(trx, now, session, origin, { state: status, user: fresh, policy });
    await appendAudit(ctx, trx, { action: 'user.setup_completed', actor: `user:${user.username}`, subject: `user:${user.username}`, details: { next: status } });
    if (status === 'signed_in') await completeSignIn(ctx, trx, fresh, now, 'setup');
    return { ...moved, result: { status } };
  });
}

export interface TotpEnrollment {
  secret: string;
  uri: string;
  qrSvg: string;
}

/** Starts TOTP enrollment: a new secret, kept (sealed) in the session until a code confirms it. */
export async function startTotpEnrollment(ctx: Context, session: LoadedSession): Promise<TotpEnrollment> {
  const user = requireState(session, 'enroll_mfa', 'signed_in');
  const secret = new OTPAuth.Secret({ size: 20 }).base32;
  await sessions.updateSession(ctx.db, session.id, { pending_totp_secret: sealSecret(ctx.keys, secret, `pending-totp:${session.id}`) });
  const uri = totpOf(user.username, secret).toString();
  return { secret, uri, qrSvg: await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }) };
}

/** Confirms enrollment with a code from the authenticator; returns 10 new recovery codes (shown once). */
export async function confirmTotpEnrollment(ctx: Context, session: LoadedSession, code: string, origin: SessionOrigin, policy: SessionPolicy = DEFAULT_SESSION_POLICY): Promise<SessionChange<{ recoveryCodes: string[] }>> {
  const user = requireState(session, 'enroll_mfa', 'signed_in');
  const row = await sessions.findSession(ctx.db, session.id);
  if (!row?.pending_totp_secret) throw usageError('mfa.no_enrollment', 'start the enrollment first (POST /auth/totp/enroll)');
  const secret = openSecret(ctx.keys, row.pending_totp_secret, `pending-totp:${session.id}`);
  const now = ctx.clock.now();
  const step = totpStep(user.username, secret, code, now);
  if (step === undefined) {
    await failAttempt(ctx, user, user.username, origin, 'auth.mfa.enroll_failed', 'wrong_totp');
    throw usageError('mfa.wrong_code', 'the code does not match; check the time on your phone and try the next code');
  }
  const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
  return ctx.db.transaction().execute(async (trx) => {
    await accounts.updateUser(trx, user.id, { totp_secret: sealSecret(ctx.keys, secret, totpAad(user.id)), totp_last_step: step, updated_at: now });
    await accounts.replaceRecoveryCodes(trx, user.id, codes.map((c) => recoveryCodeHash(ctx.keys, user.id, c)), now);
    await appendAudit(ctx, trx, { action: 'auth.mfa.enrolled', actor: `user:${user.username}`, subject: `user:${user.username}`, details: { factor: 'totp', recoveryCodes: RECOVERY_CODES } });
    const fresh = (await accounts.findUserById(trx, user.id))!;
    let moved: { token: string; session: LoadedSession };
    if (session.state === 'enroll_mfa') {
      moved = await moveSession(trx, now, session, origin, { state: 'signed_in', user: fresh, policy });
      await completeSignIn(ctx, trx, fresh, now, 'totp_enrollment');
    } else {
      await sessions.updateSession(trx, session.id, { pending_totp_secret: null });
      moved = { token: '', session: { ...session, user: fresh } };
    }
    return { ...moved, result: { recoveryCodes: codes } };
  });
}

export async function regenerateRecoveryCodes(ctx: Context, principal: Principal): Promise<string[]> {
  const user = await accounts.findUserById(ctx.db, principal.userId);
  if (!user || (await factorsOf(ctx.db, user)).length === 0) throw usageError('mfa.not_enrolled', 'recovery codes need an authenticator app or a passkey');
  const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await accounts.replaceRecoveryCodes(trx, user.id, codes.map((c) => recoveryCodeHash(ctx.keys, user.id, c)), now);
    await appendAudit(ctx, trx, { action: 'auth.recovery_codes.regenerated', subject: `user:${user.username}` });
  });
  return codes;
}

export async function removeTotp(ctx: Context, principal: Principal): Promise<void> {
  const user = (await accounts.findUserById(ctx.db, principal.userId))!;
  if (needsMfa(user) && (await countPasskeys(ctx.db, user.id)) === 0) throw forbidden('mfa.required', 'your role requires a second factor: add a passkey or enroll a new authenticator first');
  await ctx.db.transaction().execute(async (trx) => {
    await accounts.updateUser(trx, user.id, { totp_secret: null, totp_last_step: null, updated_at: ctx.clock.now() });
    if ((await countPasskeys(trx, user.id)) === 0) await accounts.replaceRecoveryCodes(trx, user.id, [], ctx.clock.now());
    await appendAudit(ctx, trx, { action: 'auth.mfa.removed', subject: `user:${user.username}`, details: { factor: 'totp' } });
  });
}

// ---------------------------------------------------------------------------------------------
// Sessions of a signed-in user

export async function signOut(ctx: Context, session: LoadedSession, origin: SessionOrigin, policy: SessionPolicy = DEFAULT_SESSION_POLICY): Promise<{ token: string; session: LoadedSession }> {
  return ctx.db.transaction().execute(async (trx) => {
    await sessions.deleteSession(trx, session.id);
    if (session.user) await appendAudit(ctx, trx, { action: 'auth.logout', actor: `user:${session.user.username}`, subject: `user:${session.user.username}`, details: { session: session.publicId } });
    const now = ctx.clock.now();
    const { token, row } = await insertSession(trx, now, origin, { state: 'anonymous', userId: null, expiresAt: now + policy.absoluteMs });
    return { token, session: loaded(row, undefined) };
  });
}

export async function signOutEverywhere(ctx: Context, session: LoadedSession, origin: SessionOrigin, policy: SessionPolicy = DEFAULT_SESSION_POLICY): Promise<{ token: string; session: LoadedSession }> {
  const user = requireState(session, 'signed_in');
  return ctx.db.transaction().execute(async (trx) => {
    const ended = await sessions.deleteSessionsOfUser(trx, user.id);
    await appendAudit(ctx, trx, { action: 'auth.logout_everywhere', subject: `user:${user.username}`, details: { sessionsEnded: ended } });
    const now = ctx.clock.now();
    const { token, row } = await insertSession(trx, now, origin, { state: 'anonymous', userId: null, expiresAt: now + policy.absoluteMs });
    return { token, session: loaded(row, undefined) };
  });
}

export interface SessionView {
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  address: string;
  userAgent: string | null;
}

export async function listMySessions(ctx: Context, session: LoadedSession): Promise<SessionView[]> {
  const user = requireState(session, 'signed_in');
  return (await sessions.sessionsOfUser(ctx.db, user.id)).map((s) => ({
    id: s.public_id,
    current: s.id === session.id,
    createdAt: new Date(s.created_at).toISOString(),
    lastSeenAt: new Date(s.last_seen_at).toISOString(),
    address: s.address,
    userAgent: s.user_agent,
  }));
}

export async function endMySession(ctx: Context, session: LoadedSession, publicId: string): Promise<void> {
  const user = requireState(session, 'signed_in');
  await ctx.db.transaction().execute(async (trx) => {
    if (!(await sessions.deleteSessionOfUserByPublicId(trx, user.id, publicId))) throw notFound('session.not_found', 'no such session');
    await appendAudit(ctx, trx, { action: 'auth.session.ended', subject: `user:${user.username}`, details: { session: publicId } });
  });
}

export async function changePassword(ctx: Context, session: LoadedSession, input: { currentPassword: string; newPassword: string }, origin: SessionOrigin): Promise<void> {
  const user = requireState(session, 'signed_in');
  await assertNotThrottled(ctx, throttleKeys(user.username, origin.address));
  if (!user.password_hash || !(await argon2Verify(user.password_hash, input.currentPassword).catch(() => false))) {
    await failAttempt(ctx, user, user.username, origin, 'auth.password.change_failed', 'wrong_password');
    throw unauthorized('auth.invalid_credentials', 'the current password is wrong');
  }
  const problem = passwordProblem(input.newPassword, user.username);
  if (problem) throw usageError('password.too_weak', `password ${problem}`);
  const hashed = await hashPassword(input.newPassword);
  await ctx.db.transaction().execute(async (trx) => {
    await accounts.updateUser(trx, user.id, { password_hash: hashed, updated_at: ctx.clock.now() });
    const ended = await sessions.deleteSessionsOfUser(trx, user.id, session.id);
    await appendAudit(ctx, trx, { action: 'auth.password.changed', subject: `user:${user.username}`, details: { otherSessionsEnded: ended } });
  });
}

async function auditApprovalPending(ctx: Context, db: Kysely<Database>, user: accounts.UserRow, method: string): Promise<void> {
  await appendAudit(ctx, db, { action: 'auth.login.refused', actor: `user:${user.username}`, subject: `user:${user.username}`, details: { reason: 'approval_pending', method } });
}

/** Refusal of an account that waits for a compliance user's approval (services/users.ts). */
export const approvalPending = (): Error =>
  forbidden('auth.approval_pending', 'this account can sign in once a compliance officer approves its access to archived content (an admin created, reset or re-roled it)');

/** What `GET /auth/session` reports. */
export async function describeSession(ctx: Context, session: LoadedSession): Promise<{ authenticated: boolean; status: SessionState; user: UserView | undefined }> {
  return {
    authenticated: session.principal !== undefined,
    // Signed in but waiting for a compliance user's approval: as good as signed out (sign-in says why).
    status: session.state === 'signed_in' && session.principal === undefined ? 'anonymous' : session.state,
    // Not before the second factor: a password alone does not reveal the account's role, person or factors.
    user: session.user && ((session.state === 'signed_in' && session.principal !== undefined) || session.state === 'enroll_mfa') ? await viewOf(ctx, session.user) : undefined,
  };
}

/**
 * One action as a named account, outside the console (the CLI's four-eyes review steps): the same
 * password and second-factor steps, throttling, lockout and audit events as the console's sign-in,
 * through a session that exists only for the action. `secondFactor` is asked for only when needed:
 * a 6-digit TOTP code or a recovery code. Runs `fn` as `user:<name>` when the role grants `permission`.
 */
export async function actAsSignedIn<T>(
  ctx: Context,
  input: { username: string; password: string; secondFactor: () => Promise<string> },
  origin: SessionOrigin,
  permission: Permission,
  fn: (userCtx: Context) => Promise<T>,
): Promise<T> {
  let session = (await startAnonymousSession(ctx, origin)).session;
  try {
    const first = await signIn(ctx, session, { username: input.username, password: input.password }, origin);
    session = first.session;
    if (first.result.status === 'enroll_mfa') throw forbidden('auth.mfa_enrollment_required', `${input.username} must first set up a second factor in the console`);
    if (first.result.status === 'mfa_required') {
      const code = (await input.secondFactor()).trim();
      session = (/^\d{6}$/u.test(code) ? await verifyTotp(ctx, session, code, origin) : await verifyRecoveryCode(ctx, session, code, origin)).session;
    }
    const principal = session.principal;
    if (principal === undefined || !can(principal, permission)) {
      throw forbidden('auth.forbidden', `${input.username} (${principal?.role ?? 'not signed in'}) may not do this (${permission})`);
    }
    return await fn(actingAs(ctx, `user:${principal.username}`, { address: origin.address }));
  } finally {
    await sessions.deleteSession(ctx.db, session.id);
  }
}
