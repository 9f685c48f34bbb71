import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON, type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Context } from '../context.js';
import { newRecoveryCode, recoveryCodeHash } from '../crypto/account-secrets.js';
import { notFound, unauthorized, usageError } from '../errors.js';
import * as accounts from '../repositories/accounts.js';
import * as passkeys from '../repositories/passkeys.js';
import * as sessions from '../repositories/sessions.js';
import { appendAudit } from './audit.js';
import {
  assertNotThrottled, completeSignIn, DEFAULT_SESSION_POLICY, failAttempt, moveSession, requireState, throttleKeys,
  type LoadedSession, type SessionChange, type SessionOrigin, type SessionPolicy,
} from './auth.js';

/**
 * Passkeys (WebAuthn, @simplewebauthn/server) as a second factor: registered while enrolling MFA
 * or from the account page, used after the password instead of a TOTP code. The challenge of a
 * ceremony lives in the session row and is spent by the verification. The relying party is the
 * console's own origin (its host name is the RP ID).
 */

export interface RelyingParty {
  /** Host name, e.g. `archive.example.com`. */
  id: string;
  /** Origin the browser reports, e.g. `https://archive.example.com:8443`. */
  origin: string;
}

const RECOVERY_CODES = 10;

async function takeChallenge(ctx: Context, session: LoadedSession): Promise<string> {
  const row = await sessions.findSession(ctx.db, session.id);
  if (!row?.webauthn_challenge) throw usageError('passkey.no_ceremony', 'request the options first');
  await sessions.updateSession(ctx.db, session.id, { webauthn_challenge: null });
  return row.webauthn_challenge;
}

export async function passkeyRegistrationOptions(ctx: Context, session: LoadedSession, rp: RelyingParty): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const user = requireState(session, 'enroll_mfa', 'signed_in');
  const existing = await passkeys.passkeysOfUser(ctx.db, user.id);
  const options = await generateRegistrationOptions({
    rpName: 'WeKeep',
    rpID: rp.id,
    userName: user.username,
    userID: new TextEncoder().encode(`wekeep-user-${user.id}`),
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.id, transports: p.transports ? (JSON.parse(p.transports) as string[]) : undefined })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
  await sessions.updateSession(ctx.db, session.id, { webauthn_challenge: options.challenge });
  return options;
}

/** Verifies and stores a new passkey. While enrolling MFA this completes the sign-in and returns recovery codes. */
export async function registerPasskey(
  ctx: Context, session: LoadedSession, input: { response: RegistrationResponseJSON; name?: string | undefined }, rp: RelyingParty, origin: SessionOrigin,
  policy: SessionPolicy = DEFAULT_SESSION_POLICY,
): Promise<SessionChange<{ recoveryCodes: string[] | undefined }>> {
  const user = requireState(session, 'enroll_mfa', 'signed_in');
  const expectedChallenge = await takeChallenge(ctx, session);
  let verified;
  try {
    verified = await verifyRegistrationResponse({ response: input.response, expectedChallenge, expectedOrigin: rp.origin, expectedRPID: rp.id, requireUserVerification: false });
  } catch (e) {
    throw usageError('passkey.invalid', `the passkey could not be verified: ${(e as Error).message}`);
  }
  if (!verified.verified) throw usageError('passkey.invalid', 'the passkey could not be verified');
  const cred = verified.registrationInfo.credential;
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    if (await passkeys.findPasskey(trx, cred.id)) throw usageError('passkey.exists', 'this passkey is already registered');
    await passkeys.insertPasskey(trx, {
      id: cred.id, user_id: user.id, name: (input.name?.trim() || 'Passkey').slice(0, 100), public_key: Buffer.from(cred.publicKey), counter: cred.counter,
      transports: cred.transports ? JSON.stringify(cred.transports) : null, created_at: now, last_used_at: null,
    });
    let recoveryCodes: string[] | undefined;
    if ((await accounts.countRecoveryCodesLeft(trx, user.id)) === 0) {
      recoveryCodes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
      await accounts.replaceRecoveryCodes(trx, user.id, recoveryCodes.map((c) => recoveryCodeHash(ctx.keys, user.id, c)), now);
    }
    await appendAudit(ctx, trx, { action: 'auth.mfa.enrolled', actor: `user:${user.username}`, subject: `user:${user.username}`, details: { factor: 'passkey', credential: cred.id.slice(0, 16) } });
    const fresh = (await accounts.findUserById(trx, user.id))!;
    if (session.state === 'enroll_mfa') {
      const moved = await moveSession(trx, now, session, origin, { state: 'signed_in', user: fresh, policy });
      await completeSignIn(ctx, trx, fresh, now, 'passkey_enrollment');
      return { ...moved, result: { recoveryCodes } };
    }
    return { token: '', session: { ...session, user: fresh }, result: { recoveryCodes } };
  });
}

export async function passkeyLoginOptions(ctx: Context, session: LoadedSession, rp: RelyingParty): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const user = requireState(session, 'mfa_required');
  const mine = await passkeys.passkeysOfUser(ctx.db, user.id);
  if (mine.length === 0) throw notFound('passkey.none', 'no passkey is registered for this account');
  const options = await generateAuthenticationOptions({
    rpID: rp.id,
    allowCredentials: mine.map((p) => ({ id: p.id, transports: p.transports ? (JSON.parse(p.transports) as never[]) : undefined })),
    userVerification: 'preferred',
  });
  await sessions.updateSession(ctx.db, session.id, { webauthn_challenge: options.challenge });
  return options;
}

/** Second step with a passkey. */
export async function verifyPasskeyLogin(
  ctx: Context, session: LoadedSession, response: AuthenticationResponseJSON, rp: RelyingParty, origin: SessionOrigin, policy: SessionPolicy = DEFAULT_SESSION_POLICY,
): Promise<SessionChange> {
  const user = requireState(session, 'mfa_required');
  await assertNotThrottled(ctx, throttleKeys(user.username, origin.address));
  const expectedChallenge = await takeChallenge(ctx, session);
  const stored = await passkeys.findPasskey(ctx.db, response.id);
  let newCounter: number | undefined;
  if (stored && stored.user_id === user.id) {
    try {
      const r = await verifyAuthenticationResponse({
        response, expectedChallenge, expectedOrigin: rp.origin, expectedRPID: rp.id, requireUserVerification: false,
        credential: { id: stored.id, publicKey: new Uint8Array(stored.public_key), counter: Number(stored.counter), transports: stored.transports ? (JSON.parse(stored.transports) as string[]) : undefined },
      });
      if (r.verified) newCounter = r.authenticationInfo.newCounter;
    } catch {
      newCounter = undefined;
    }
  }
  if (newCounter === undefined || !stored) {
    await failAttempt(ctx, user, user.username, origin, 'auth.mfa.failed', 'wrong_passkey');
    throw unauthorized('auth.invalid_credentials', 'wrong username, password or code');
  }
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    await passkeys.recordPasskeyUse(trx, stored.id, newCounter, now);
    const moved = await moveSession(trx, now, session, origin, { state: 'signed_in', user, policy });
    await completeSignIn(ctx, trx, user, now, 'passkey');
    return { ...moved, result: {} };
  });
}

export interface PasskeyView {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export async function listMyPasskeys(ctx: Context, session: LoadedSession): Promise<PasskeyView[]> {
  const user = requireState(session, 'signed_in');
  return (await passkeys.passkeysOfUser(ctx.db, user.id)).map((p) => ({
    id: p.id, name: p.name, createdAt: new Date(p.created_at).toISOString(), lastUsedAt: p.last_used_at === null ? null : new Date(p.last_used_at).toISOString(),
  }));
}

export async function removeMyPasskey(ctx: Context, session: LoadedSession, id: string, mfaRequiredForUser: boolean): Promise<void> {
  const user = requireState(session, 'signed_in');
  const remaining = (await passkeys.countPasskeys(ctx.db, user.id)) - 1 + (user.totp_secret !== null ? 1 : 0);
  if (mfaRequiredForUser && remaining < 1) throw usageError('mfa.required', 'your role requires a second factor: keep this passkey or enroll an authenticator app first');
  await ctx.db.transaction().execute(async (trx) => {
    if (!(await passkeys.deletePasskey(trx, user.id, id))) throw notFound('passkey.not_found', 'no such passkey');
    await appendAudit(ctx, trx, { action: 'auth.mfa.removed', subject: `user:${user.username}`, details: { factor: 'passkey', credential: id.slice(0, 16) } });
  });
}
