import { Readable } from 'node:stream';
import { z } from 'zod';
import { contentScope } from '../../domain/authorization.js';
import { conversationConsent, listReadableConversations, readAttachment, readConversation, readMessage, readVoiceAsWav } from '../../services/conversations.js';
import { searchMessages } from '../../services/search.js';
import { hitSchema, messageSchema, presentHit, presentMessage } from '../presenters/messages.js';
import { decimal, keyParam, principalOf, route } from '../route.js';

/** Search and reading of archived content, always within the reader's content scope. */

export const MAX_API_SEARCH_LIMIT = 1000;
const INLINE_TYPES = /^(image\/(png|jpeg|gif|webp)|audio\/(mpeg|mp4|ogg|wav|webm|aac)|video\/(mp4|webm|ogg))$/u;

const pageQuery = z.object({
  before: keyParam.optional(),
  after: keyParam.optional(),
  around: keyParam.optional(),
  limit: decimal(1, 500).default(50),
});

/** RFC 6266 / 5987 Content-Disposition with a safe ASCII fallback. */
function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/gu, '_') || 'attachment';
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export const archiveRoutes = [
  route({
    method: 'GET', url: '/search', summary: 'Full-text search with the query language; exact total, newest first', tags: ['archive'], access: 'content.read',
    query: z.object({ q: z.string().max(2000), limit: decimal(0, MAX_API_SEARCH_LIMIT).default(50), offset: decimal(0, 10_000_000).default(0) }),
    response: z.object({ total: z.number(), hits: z.array(hitSchema) }),
    handler: async ({ query, req }) => {
      const r = await searchMessages(req.ctx, { query: query.q, limit: query.limit, offset: query.offset }, contentScope(principalOf(req)));
      return { total: r.total, hits: r.messages.map(presentHit) };
    },
  }),
  route({
    method: 'GET', url: '/messages/:key', summary: 'One message with its conversation context', tags: ['archive'], access: 'content.read',
    params: z.object({ key: keyParam }),
    query: z.object({ context: decimal(0, 100).default(5) }),
    response: z.object({ message: messageSchema, context: z.object({ before: z.array(hitSchema), after: z.array(hitSchema) }) }),
    handler: async ({ params, query, req }) => {
      const r = await readMessage(req.ctx, params.key, contentScope(principalOf(req)), { context: query.context });
      return { message: presentMessage(r.message), context: { before: r.context.before.map(presentHit), after: r.context.after.map(presentHit) } };
    },
  }),
  route({
    method: 'GET', url: '/messages/:key/attachments/:ordinal', summary: "An attachment's bytes (verified while streaming); ?as=wav decodes an AMR or SILK voice note for playback", tags: ['archive'], access: 'content.read',
    params: z.object({ key: keyParam, ordinal: decimal(0, 10_000) }),
    query: z.object({ inline: z.enum(['0', '1']).optional(), as: z.enum(['wav']).optional() }),
    produces: 'application/octet-stream',
    handler: async ({ params, query, req }) => {
      if (query.as === 'wav') {
        // Voice notes (AMR, SILK) decoded for the browser's player.
        const v = await readVoiceAsWav(req.ctx, params.key, params.ordinal, contentScope(principalOf(req)));
        req.reply.header('Content-Type', 'audio/wav');
        req.reply.header('Content-Disposition', contentDisposition('inline', v.name));
        req.reply.header('Cache-Control', 'private, no-store');
        await req.reply.send(v.wav);
        return undefined;
      }
      const a = await readAttachment(req.ctx, params.key, params.ordinal, contentScope(principalOf(req)));
      const mime = a.mime?.toLowerCase() ?? '';
      const inline = query.inline === '1' && INLINE_TYPES.test(mime);
      const reply = req.reply;
      reply.header('Content-Type', inline ? mime : 'application/octet-stream');
      reply.header('Content-Length', String(a.size));
      reply.header('Content-Disposition', contentDisposition(inline ? 'inline' : 'attachment', a.name));
      reply.header('Cache-Control', 'private, no-store');
      reply.header('X-Content-SHA256', a.sha256);
      await reply.send(Readable.from(a.body));
      return undefined;
    },
  }),
  route({
    method: 'GET', url: '/conversations', summary: 'The conversations I may read, busiest first', tags: ['archive'], access: 'content.read',
    query: z.object({ limit: decimal(1, 500).default(50), offset: decimal(0).default(0) }),
    response: z.object({
      total: z.number(),
      conversations: z.array(z.object({ key: z.string(), source: z.string(), id: z.string(), type: z.enum(['direct', 'group']), title: z.string().nullable(), label: z.string(), messages: z.number(), lastTime: z.string().nullable() })),
    }),
    handler: async ({ query, req }) => {
      const r = await listReadableConversations(req.ctx, contentScope(principalOf(req)), query);
      return { total: r.total, conversations: r.conversations.map((c) => ({ ...c, key: String(c.key) })) };
    },
  }),
  route({
    method: 'GET', url: '/conversations/:key/messages', summary: 'A page of a conversation, oldest first (newest page, or before/after/around a message)', tags: ['archive'], access: 'content.read',
    params: z.object({ key: keyParam }),
    query: pageQuery,
    response: z.object({
      conversation: z.object({ key: z.string(), source: z.string(), id: z.string(), type: z.enum(['direct', 'group']), title: z.string().nullable(), label: z.string() }),
      messages: z.array(hitSchema),
      hasBefore: z.boolean(),
      hasAfter: z.boolean(),
    }),
    handler: async ({ params, query, req }) => {
      const position = query.around !== undefined ? { kind: 'around' as const, key: query.around }
        : query.before !== undefined ? { kind: 'before' as const, key: query.before }
          : query.after !== undefined ? { kind: 'after' as const, key: query.after }
            : { kind: 'newest' as const };
      const r = await readConversation(req.ctx, params.key, contentScope(principalOf(req)), position, query.limit);
      return { conversation: { ...r.conversation, key: String(r.conversation.key) }, messages: r.messages.map(presentHit), hasBefore: r.hasBefore, hasAfter: r.hasAfter };
    },
  }),
  route({
    method: 'GET', url: '/conversations/:key/consent', summary: 'The consent ledger of a conversation: per external party, their latest WeCom consent to archiving and its history', tags: ['archive'], access: 'content.read',
    params: z.object({ key: keyParam }),
    response: z.object({
      conversation: z.object({ key: z.string(), source: z.string(), id: z.string() }),
      parties: z.array(z.object({
        id: z.string(), name: z.string().nullable(), company: z.string().nullable(), state: z.enum(['agree', 'disagree']), status: z.string().nullable(), since: z.string(),
        events: z.array(z.object({ action: z.enum(['agree', 'disagree']), time: z.string(), via: z.enum(['message', 'check_single_agree', 'check_room_agree']), status: z.string().nullable(), messageId: z.string().nullable() })),
      })),
    }),
    handler: async ({ params, req }) => {
      const r = await conversationConsent(req.ctx, params.key, contentScope(principalOf(req)));
      return { conversation: { ...r.conversation, key: String(r.conversation.key) }, parties: r.parties };
    },
  }),
];
