import { z } from 'zod';
import { ROLES } from '../../domain/authorization.js';
import * as auth from '../../services/auth.js';
import * as passkeys from '../../services/passkeys.js';
import { presentUser, userSchema } from '../presenters/users.js';
import { principalOf, route, sessionOf, type RequestState } from '../route.js';

/** Sign-in, second factors, first-time setup, and the signed-in user's own account. */

const statusSchema = z.enum(['anonymous', 'mfa_required', 'enroll_mfa', 'signed_in']);
const code = z.string().trim().min(1).max(64);

const sessionResponse = z.object({ authenticated: z.boolean(), status: statusSchema, csrfToken: z.string(), user: userSchema.optional() });
/** The answer of a step that always ends signed in (confirming TOTP, registering a passkey). */
const signedInResponse = sessionResponse.extend({ status: z.literal('signed_in'), user: userSchema });

async function sessionJson(req: RequestState, change?: { token: string; session: auth.LoadedSession }): Promise<z.input<typeof sessionResponse>> {
  if (change && change.token) req.setSession(change.token, change.session);
  const session = change?.session ?? sessionOf(req);
  // A step that completed (password set, authenticator enrolled) on an account waiting for approval: saved, but not signed in.
  if (change && session.state === 'signed_in' && session.principal === undefined && session.user?.access_requested_by != null) throw auth.approvalPending();
  const d = await auth.describeSession(req.ctx, session);
  return { authenticated: d.authenticated, status: d.status, csrfToken: session.csrfToken, ...(d.user ? { user: presentUser(d.user) } : {}) };
}

/** `sessionJson` of a step that always ends signed in; anything else is a programming error. */
async function signedInJson(req: RequestState, change: { token: string; session: auth.LoadedSession }): Promise<z.input<typeof signedInResponse>> {
  const json = await sessionJson(req, change);
  if (json.status !== 'signed_in' || json.user === undefined) throw new Error(`the step ended in session state ${json.status}, not signed in`);
  return { ...json, status: 'signed_in', user: json.user };
}

/**
 * The WebAuthn relying party: the console's origin as the browser sees it (WEKEEP_PUBLIC_URL when
 * set, else the request's protocol and host, which honour X-Forwarded-* only from trusted proxies).
 */
export function relyingParty(req: RequestState): passkeys.RelyingParty {
  const configured = process.env.WEKEEP_PUBLIC_URL;
  const url = new URL(configured || `${req.reply.request.protocol}://${req.reply.request.host}`);
  return { id: url.hostname, origin: url.origin };
}

// WebAuthn JSON from the browser: checked structurally here, cryptographically by the service.
const b64url = z.string().regex(/^[A-Za-z0-9_-]*$/u).max(16_384);
const registrationResponse = z.object({
  id: b64url, rawId: b64url, type: z.literal('public-key'),
  response: z.object({ clientDataJSON: b64url, attestationObject: b64url, transports: z.array(z.string().max(32)).max(10).optional() }).loose(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.string().max(32).optional(),
});
const authenticationResponse = z.object({
  id: b64url, rawId: b64url, type: z.literal('public-key'),
  response: z.object({ clientDataJSON: b64url, authenticatorData: b64url, signature: b64url, userHandle: b64url.optional() }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.string().max(32).optional(),
});
const webauthnOptions = z.record(z.string(), z.unknown());

export const authRoutes = [
  route({
    method: 'GET', url: '/auth/session', summary: 'The current session (created anonymous if there is none) and its CSRF token', tags: ['auth'], access: 'session',
    response: sessionResponse,
    handler: ({ req }) => sessionJson(req),
  }),
  route({
    method: 'POST', url: '/auth/login', summary: 'Sign in with username and password (first step)', tags: ['auth'], access: 'session',
    body: z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(1024) }),
    response: sessionResponse.extend({ methods: z.array(z.enum(auth.MFA_METHODS)).optional() }),
    handler: async ({ body, req }) => {
      const change = await auth.signIn(req.ctx, sessionOf(req), body, req.origin);
      return { ...(await sessionJson(req, change)), ...(change.result.methods ? { methods: change.result.methods } : {}) };
    },
  }),
  route({
    method: 'POST', url: '/auth/mfa/totp', summary: 'Second step: a TOTP code (each code is accepted once)', tags: ['auth'], access: 'session',
    body: z.object({ code }),
    response: sessionResponse,
    handler: async ({ body, req }) => sessionJson(req, await auth.verifyTotp(req.ctx, sessionOf(req), body.code, req.origin)),
  }),
  route({
    method: 'POST', url: '/auth/mfa/recovery', summary: 'Second step: a single-use recovery code', tags: ['auth'], access: 'session',
    body: z.object({ code }),
    response: sessionResponse.extend({ recoveryCodesLeft: z.number() }),
    handler: async ({ body, req }) => {
      const change = await auth.verifyRecoveryCode(req.ctx, sessionOf(req), body.code, req.origin);
      return { ...(await sessionJson(req, change)), recoveryCodesLeft: change.result.recoveryCodesLeft };
    },
  }),
  route({
    method: 'GET', url: '/auth/setup/:token', summary: 'What a one-time setup link is for', tags: ['auth'], access: 'session',
    params: z.object({ token: z.string().min(20).max(100) }),
    response: z.object({ username: z.string(), role: z.enum(ROLES), mfaRequired: z.boolean() }),
    handler: ({ params, req }) => auth.setupInfo(req.ctx, params.token),
  }),
  route({
    method: 'POST', url: '/auth/setup/:token', summary: 'Set the first password from a one-time setup link', tags: ['auth'], access: 'session',
    params: z.object({ token: z.string().min(20).max(100) }),
    body: z.object({ password: z.string().max(1024) }),
    response: sessionResponse,
    handler: async ({ params, body, req }) => sessionJson(req, await auth.completeSetup(req.ctx, sessionOf(req), params.token, body.password, req.origin)),
  }),
  route({
    method: 'POST', url: '/auth/totp/enroll', summary: 'Start enrolling an authenticator app: secret, otpauth URI and QR code (SVG)', tags: ['auth'], access: 'session',
    response: z.object({ secret: z.string(), uri: z.string(), qrSvg: z.string() }),
    handler: ({ req }) => {
      auth.assertRecentSignIn(req.ctx, sessionOf(req));
      return auth.startTotpEnrollment(req.ctx, sessionOf(req));
    },
  }),
  route({
    method: 'POST', url: '/auth/totp/confirm', summary: 'Confirm the authenticator with a code; returns 10 recovery codes (shown once)', tags: ['auth'], access: 'session',
    body: z.object({ code }),
    response: signedInResponse.extend({ recoveryCodes: z.array(z.string()) }),
    handler: async ({ body, req }) => {
      const change = await auth.confirmTotpEnrollment(req.ctx, sessionOf(req), body.code, req.origin);
      return { ...(await signedInJson(req, change)), recoveryCodes: change.result.recoveryCodes };
    },
  }),
  route({
    method: 'POST', url: '/auth/passkey/register/options', summary: 'Options to create a passkey (while enrolling MFA, or signed in)', tags: ['auth'], access: 'session',
    response: webauthnOptions,
    handler: async ({ req }) => {
      auth.assertRecentSignIn(req.ctx, sessionOf(req));
      return (await passkeys.passkeyRegistrationOptions(req.ctx, sessionOf(req), relyingParty(req))) as unknown as Record<string, unknown>;
    },
  }),
  route({
    method: 'POST', url: '/auth/passkey/register', summary: 'Register the created passkey; completes MFA enrollment (with recovery codes when there were none)', tags: ['auth'], access: 'session',
    body: z.object({ response: registrationResponse, name: z.string().max(100).optional() }),
    response: signedInResponse.extend({ recoveryCodes: z.array(z.string()).optional() }),
    handler: async ({ body, req }) => {
      const change = await passkeys.registerPasskey(req.ctx, sessionOf(req), { response: body.response as never, name: body.name }, relyingParty(req), req.origin);
      return { ...(await signedInJson(req, change)), ...(change.result.recoveryCodes ? { recoveryCodes: change.result.recoveryCodes } : {}) };
    },
  }),
  route({
    method: 'POST', url: '/auth/mfa/passkey/options', summary: 'Second step with a passkey: the request options', tags: ['auth'], access: 'session',
    response: webauthnOptions,
    handler: async ({ req }) => (await passkeys.passkeyLoginOptions(req.ctx, sessionOf(req), relyingParty(req))) as unknown as Record<string, unknown>,
  }),
  route({
    method: 'POST', url: '/auth/mfa/passkey', summary: 'Second step with a passkey: the signed assertion', tags: ['auth'], access: 'session',
    body: z.object({ response: authenticationResponse }),
    response: sessionResponse,
    handler: async ({ body, req }) => sessionJson(req, await passkeys.verifyPasskeyLogin(req.ctx, sessionOf(req), body.response as never, relyingParty(req), req.origin)),
  }),
  route({
    method: 'GET', url: '/me/passkeys', summary: 'My passkeys', tags: ['account'], access: 'signed-in',
    response: z.object({ passkeys: z.array(z.object({ id: z.string(), name: z.string(), createdAt: z.string(), lastUsedAt: z.string().nullable() })) }),
    handler: async ({ req }) => ({ passkeys: await passkeys.listMyPasskeys(req.ctx, sessionOf(req)) }),
  }),
  route({
    method: 'DELETE', url: '/me/passkeys/:id', summary: 'Remove one of my passkeys (not the last factor when MFA is required)', tags: ['account'], access: 'signed-in',
    params: z.object({ id: b64url.min(1) }),
    response: z.object({ ok: z.literal(true) }),
    handler: async ({ params, req }) => {
      const session = sessionOf(req);
      auth.assertRecentSignIn(req.ctx, session);
      await passkeys.removeMyPasskey(req.ctx, session, params.id, auth.needsMfa(session.user!));
      return { ok: true as const };
    },
  }),
  route({
    method: 'POST', url: '/auth/logout', summary: 'Sign out (this session)', tags: ['auth'], access: 'session',
    response: sessionResponse,
    handler: async ({ req }) => sessionJson(req, await auth.signOut(req.ctx, sessionOf(req), req.origin)),
  }),
  route({
    method: 'POST', url: '/auth/logout-all', summary: 'Sign out everywhere (every session of this user)', tags: ['auth'], access: 'signed-in',
    response: sessionResponse,
    handler: async ({ req }) => sessionJson(req, await auth.signOutEverywhere(req.ctx, sessionOf(req), req.origin)),
  }),
  route({
    method: 'POST', url: '/me/password', summary: 'Change my password (other sessions are signed out)', tags: ['account'], access: 'signed-in',
    body: z.object({ currentPassword: z.string().max(1024), newPassword: z.string().max(1024) }),
    response: z.object({ ok: z.literal(true) }),
    handler: async ({ body, req }) => {
      await auth.changePassword(req.ctx, sessionOf(req), body, req.origin);
      return { ok: true as const };
    },
  }),
  route({
    method: 'GET', url: '/me/sessions', summary: 'My signed-in sessions', tags: ['account'], access: 'signed-in',
    response: z.object({ sessions: z.array(z.object({ id: z.string(), current: z.boolean(), createdAt: z.string(), lastSeenAt: z.string(), address: z.string(), userAgent: z.string().nullable() })) }),
    handler: async ({ req }) => ({ sessions: await auth.listMySessions(req.ctx, sessionOf(req)) }),
  }),
  route({
    method: 'DELETE', url: '/me/sessions/:id', summary: 'End one of my sessions', tags: ['account'], access: 'signed-in',
    params: z.object({ id: z.string().min(1).max(64) }),
    response: z.object({ ok: z.literal(true) }),
    handler: async ({ params, req }) => {
      await auth.endMySession(req.ctx, sessionOf(req), params.id);
      return { ok: true as const };
    },
  }),
  route({
    method: 'POST', url: '/me/recovery-codes', summary: 'Replace my recovery codes (shown once)', tags: ['account'], access: 'signed-in',
    response: z.object({ recoveryCodes: z.array(z.string()) }),
    handler: async ({ req }) => {
      auth.assertRecentSignIn(req.ctx, sessionOf(req));
      return { recoveryCodes: await auth.regenerateRecoveryCodes(req.ctx, principalOf(req)) };
    },
  }),
  route({
    method: 'DELETE', url: '/me/totp', summary: 'Remove my authenticator (only when my role does not require MFA)', tags: ['account'], access: 'signed-in',
    response: z.object({ ok: z.literal(true) }),
    handler: async ({ req }) => {
      auth.assertRecentSignIn(req.ctx, sessionOf(req));
      await auth.removeTotp(req.ctx, principalOf(req));
      return { ok: true as const };
    },
  }),
];
