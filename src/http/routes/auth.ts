import { z } from 'zod';
import * as auth from '../../services/auth.js';
import { presentUser, userSchema } from '../presenters/users.js';
import { principalOf, route, sessionOf, type RequestState } from '../route.js';

/** Sign-in, second factors, first-time setup, and the signed-in user's own account. */

const statusSchema = z.enum(['anonymous', 'mfa_required', 'enroll_mfa', 'signed_in']);
const code = z.string().trim().min(1).max(64);

const sessionResponse = z.object({ authenticated: z.boolean(), status: statusSchema, csrfToken: z.string(), user: userSchema.optional() });

async function sessionJson(req: RequestState, change?: { token: string; session: auth.LoadedSession }): Promise<z.input<typeof sessionResponse>> {
  if (change && change.token) req.setSession(change.token, change.session);
  const session = change?.session ?? sessionOf(req);
  const d = await auth.describeSession(req.ctx, session);
  return { authenticated: d.authenticated, status: d.status, csrfToken: session.csrfToken, ...(d.user ? { user: presentUser(d.user) } : {}) };
}

export const authRoutes = [
  route({
    method: 'GET', url: '/auth/session', summary: 'The current session (created anonymous if there is none) and its CSRF token', tags: ['auth'], access: 'session',
    response: sessionResponse,
    handler: ({ req }) => sessionJson(req),
  }),
  route({
    method: 'POST', url: '/auth/login', summary: 'Sign in with username and password (first step)', tags: ['auth'], access: 'session',
    body: z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(1024) }),
    response: sessionResponse.extend({ methods: z.array(z.string()).optional() }),
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
    response: z.object({ username: z.string(), role: z.string(), mfaRequired: z.boolean() }),
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
    handler: ({ req }) => auth.startTotpEnrollment(req.ctx, sessionOf(req)),
  }),
  route({
    method: 'POST', url: '/auth/totp/confirm', summary: 'Confirm the authenticator with a code; returns 10 recovery codes (shown once)', tags: ['auth'], access: 'session',
    body: z.object({ code }),
    response: sessionResponse.extend({ recoveryCodes: z.array(z.string()) }),
    handler: async ({ body, req }) => {
      const change = await auth.confirmTotpEnrollment(req.ctx, sessionOf(req), body.code, req.origin);
      return { ...(await sessionJson(req, change)), recoveryCodes: change.result.recoveryCodes };
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
    handler: async ({ req }) => ({ recoveryCodes: await auth.regenerateRecoveryCodes(req.ctx, principalOf(req)) }),
  }),
  route({
    method: 'DELETE', url: '/me/totp', summary: 'Remove my authenticator (only when my role does not require MFA)', tags: ['account'], access: 'signed-in',
    response: z.object({ ok: z.literal(true) }),
    handler: async ({ req }) => {
      await auth.removeTotp(req.ctx, principalOf(req));
      return { ok: true as const };
    },
  }),
];
