import { z } from 'zod';
import { receiveCallbackEvent, verifyCallbackUrl } from '../../services/connectors/wecom-callback.js';
import { route } from '../route.js';

/**
 * WeCom's callback URL of the chat-archive app: machine-to-machine, authenticated by WXBizMsgCrypt
 * signatures (no session, no CSRF token). Unknown or unconfigured sources answer 404.
 */

const params = z.object({ source: z.string().min(1).max(80) });
const signed = z.object({ msg_signature: z.string().max(100), timestamp: z.string().max(20), nonce: z.string().max(100) });

export const wecomRoutes = [
  route({
    method: 'GET', url: '/wecom/callback/:source', summary: 'WeCom callback URL verification (echostr)', tags: ['wecom'], access: 'public', produces: 'text/plain',
    params,
    query: signed.extend({ echostr: z.string().max(4096) }),
    handler: async ({ params: p, query, req }) => {
      const echo = await verifyCallbackUrl(req.ctx, p.source, query);
      await req.reply.type('text/plain; charset=utf-8').send(echo);
      return undefined;
    },
  }),
  route({
    method: 'POST', url: '/wecom/callback/:source', summary: 'WeCom callback events (msgaudit_notify triggers a sync)', tags: ['wecom'], access: 'public', produces: 'text/plain',
    csrfExempt: true, xmlBody: true,
    params,
    query: signed,
    body: z.string().max(64 * 1024),
    handler: async ({ params: p, query, body, req }) => {
      await receiveCallbackEvent(req.ctx, p.source, query, body, req.triggerSync);
      await req.reply.type('text/plain; charset=utf-8').send('success');
      return undefined;
    },
  }),
];
