import { z } from 'zod';
import { ROLES } from '../../domain/authorization.js';
import * as users from '../../services/users.js';
import { presentUser, userSchema } from '../presenters/users.js';
import { route, type RequestState } from '../route.js';

/** Account administration (admin). */

const usernameParam = z.object({ username: z.string().min(1).max(64) });
const setupResponse = z.object({ user: userSchema, setupLink: z.string(), expiresAt: z.string() });

/** The console's address as the client reached it (for setup links). */
function consoleBase(req: RequestState): string {
  const r = req.reply.request;
  return `${r.protocol}://${r.host}`;
}

const userAction = <A extends 'disable' | 'enable' | 'unlock'>(action: A, summary: string, fn: (ctx: RequestState['ctx'], username: string) => Promise<users.UserView>) =>
  route({
    method: 'POST', url: `/users/:username/${action}`, summary, tags: ['users'], access: 'users.manage',
    params: usernameParam,
    response: z.object({ user: userSchema }),
    handler: async ({ params, req }) => ({ user: presentUser(await fn(req.ctx, params.username)) }),
  });

export const userRoutes = [
  route({
    method: 'GET', url: '/users', summary: 'All accounts', tags: ['users'], access: 'users.manage',
    response: z.object({ users: z.array(userSchema) }),
    handler: async ({ req }) => ({ users: (await users.listUserViews(req.ctx)).map(presentUser) }),
  }),
  route({
    method: 'POST', url: '/users', summary: 'Create an account; returns its one-time setup link (24 h)', tags: ['users'], access: 'users.manage',
    body: z.object({ username: z.string().min(1).max(64), role: z.enum(ROLES), person: z.string().min(1).max(200).optional(), requireMfa: z.boolean().optional() }),
    response: setupResponse,
    handler: async ({ body, req }) => {
      const r = await users.addUser(req.ctx, body);
      return { user: presentUser(r.user), setupLink: users.setupLinkOf(consoleBase(req), r.setupToken), expiresAt: r.expiresAt };
    },
  }),
  userAction('disable', 'Disable an account (its sessions end)', users.disableUser),
  userAction('enable', 'Enable an account', users.enableUser),
  userAction('unlock', 'Lift a sign-in lockout', users.unlockUser),
  route({
    method: 'POST', url: '/users/:username/reset', summary: 'Clear password and factors; returns a new setup link', tags: ['users'], access: 'users.manage',
    params: usernameParam,
    response: setupResponse,
    handler: async ({ params, req }) => {
      const r = await users.resetUser(req.ctx, params.username);
      return { user: presentUser(r.user), setupLink: users.setupLinkOf(consoleBase(req), r.setupToken), expiresAt: r.expiresAt };
    },
  }),
  route({
    method: 'PUT', url: '/users/:username/role', summary: "Change an account's role (its sessions end)", tags: ['users'], access: 'users.manage',
    params: usernameParam,
    body: z.object({ role: z.enum(ROLES), person: z.string().min(1).max(200).optional() }),
    response: z.object({ user: userSchema }),
    handler: async ({ params, body, req }) => ({ user: presentUser(await users.setUserRole(req.ctx, params.username, body.role, body.person)) }),
  }),
  // Four eyes on access to content: what an admin grants, a compliance user approves.
  route({
    method: 'GET', url: '/user-approvals', summary: 'Accounts waiting for approval of their access to archived content', tags: ['users'], access: 'users.approve',
    response: z.object({ users: z.array(userSchema) }),
    handler: async ({ req }) => ({ users: (await users.listPendingApprovals(req.ctx)).map(presentUser) }),
  }),
  route({
    method: 'POST', url: '/user-approvals/:username', summary: "Approve an account's access to archived content (not the one who asked for it)", tags: ['users'], access: 'users.approve',
    params: usernameParam,
    response: z.object({ user: userSchema }),
    handler: async ({ params, req }) => ({ user: presentUser(await users.approveUserAccess(req.ctx, params.username)) }),
  }),
];
