import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { STATUS_CODES } from 'node:http';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { z } from 'zod';
import { actingAs, type Context } from '../context.js';
import { constantTimeEqual } from '../crypto/account-secrets.js';
import { can } from '../domain/authorization.js';
import { AppError, forbidden, isAppError, unauthorized } from '../errors.js';
import { appendAudit } from '../services/audit.js';
import { DEFAULT_SESSION_POLICY, loadSession, startAnonymousSession, type LoadedSession, type SessionPolicy } from '../services/auth.js';
import { openApiDocument } from './openapi.js';
import { archiveRoutes } from './routes/archive.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { insightRoutes } from './routes/insight.js';
import { privacyRoutes } from './routes/privacy.js';
import { retentionRoutes } from './routes/retention.js';
import { retentionRunRoutes } from './routes/retention-runs.js';
import { userRoutes } from './routes/users.js';
import { wecomRoutes } from './routes/wecom.js';
import type { RequestState, RouteDef } from './route.js';

/**
 * The HTTP server: the JSON API under /api/v1 and the web console (static files) at /.
 *
 * Per request: the session cookie is resolved to a server-side session; state-changing methods
 * must carry the session's CSRF token; the route's access rule is checked (domain/authorization.ts);
 * input is validated with the route's zod schemas; the handler calls one service with a context
 * acting as the user (so audit events carry the user and their address); the output passes through
 * the response schema. Errors render as `{ error: { code, message, requestId } }`; unexpected
 * errors are 500 without their text. Logs never carry message content or secrets.
 */

export const API_PREFIX = '/api/v1';
export const SESSION_COOKIE = 'wekeep_session';
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export const allRoutes: readonly RouteDef[] = [...authRoutes, ...userRoutes, ...archiveRoutes, ...insightRoutes, ...auditRoutes, ...wecomRoutes, ...retentionRoutes, ...retentionRunRoutes, ...privacyRoutes];

export interface AppOptions {
  /** HTTPS in front of the app (directly or via a trusted proxy): Secure cookies and HSTS. */
  https: boolean;
  /** Addresses whose X-Forwarded-* headers are trusted (behind a reverse proxy). */
  trustedProxies?: string[];
  sessionPolicy?: SessionPolicy;
  /** Directory of the built console; default web/dist of the package. */
  webRoot?: string;
  /** Requests per minute per address on the API (defence against floods; sign-in has its own throttle). */
  rateLimitPerMinute?: number;
  version?: string;
  logger?: FastifyServerOptions['logger'];
  /** Asks the background jobs to sync a connector source now (WeCom callbacks); false when unknown. */
  triggerSync?: (source: string) => boolean;
  /** TLS options for node:https, when the server itself terminates TLS. */
  httpsOptions?: { cert: string | Buffer; key: string | Buffer };
}

interface RequestSlot {
  session: LoadedSession | undefined;
  newToken: string | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    wekeep: RequestSlot;
  }
}

const PACKAGE_ROOT = resolve(import.meta.dirname, '..', '..');

function renderError(reply: FastifyReply, requestId: string, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ error: { code, message, requestId } });
}

function zodMessage(where: string, e: z.ZodError): string {
  const issue = e.issues[0];
  const path = issue && issue.path.length > 0 ? `.${issue.path.join('.')}` : '';
  return `${where}${path}: ${issue?.message ?? 'invalid'}`;
}

export async function buildApp(baseCtx: Context, options: AppOptions): Promise<FastifyInstance> {
  const policy = options.sessionPolicy ?? DEFAULT_SESSION_POLICY;
  const app = Fastify({
    logger: options.logger ?? false,
    trustProxy: options.trustedProxies && options.trustedProxies.length > 0 ? options.trustedProxies : false,
    bodyLimit: 1024 * 1024,
    // Path parameters (source names, ids) up to 1 KiB; a longer one, or a malformed URL, is answered in the
    // API's error format (never echoing the path), not with Fastify's own body.
    routerOptions: { maxParamLength: 1024 },
    // Requests Node's parser refuses before Fastify sees them (oversized headers or URL, malformed
    // requests, timeouts) get the API's error format too.
    clientErrorHandler: (err, socket) => {
      if ((err as { code?: string }).code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
      const code = (err as { code?: string }).code;
      const [status, errorCode, message] = code === 'HPE_HEADER_OVERFLOW' ? [431, 'http.headers_too_large', 'the request line or headers are too large']
        : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'http.timeout', 'the request took too long'] : [400, 'http.bad_request', 'the request could not be read'];
      const body = JSON.stringify({ error: { code: errorCode, message, requestId: crypto.randomUUID() } });
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    },
    frameworkErrors: (error, request, reply) => {
      const tooLong = (error as { code?: string }).code === 'FST_ERR_MAX_PARAM_LENGTH';
      return renderError(reply, request.id, tooLong ? 414 : 400, tooLong ? 'http.path_too_long' : 'http.bad_url', tooLong ? 'a path parameter is too long' : 'the request path could not be read');
    },
    requestIdHeader: false,
    genReqId: () => crypto.randomUUID(),
    ...(options.httpsOptions ? { https: { ...options.httpsOptions, minVersion: 'TLSv1.2' as const } } : {}),
  });

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(options.https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: options.https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
  });
  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, { max: options.rateLimitPerMinute ?? 1200, timeWindow: 60_000, allowList: () => false, global: true });

  app.decorateRequest('wekeep', null as unknown as RequestSlot);
  // A query string that is not valid percent-encoded UTF-8 (`?q=%ff%fe`) is refused, as a bad path
  // is, instead of being searched (and audited) as the literal text.
  app.addHook('onRequest', async (request, reply) => {
    const q = request.raw.url?.indexOf('?') ?? -1;
    if (q === -1) return;
    try {
      decodeURIComponent(request.raw.url!.slice(q + 1).replace(/\+/g, ' '));
    } catch {
      return renderError(reply, request.id, 400, 'http.bad_url', 'the query string is not valid percent-encoded UTF-8');
    }
  });
  // WeCom callbacks post XML envelopes; kept as text (small) and parsed strictly by the connector.
  app.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => done(null, body));

  app.setErrorHandler((error: unknown, request, reply) => {
    if (isAppError(error)) {
      if (error.code === 'auth.throttled') reply.header('Retry-After', String(error.details?.retryAfterSeconds ?? 60));
      const status = error.status === 500 && error.exitCode === 2 ? 400 : error.status;
      if (status < 500) return renderError(reply, request.id, status, error.code, error.message);
      // A server-side failure is logged with its code and the request id. A 500 (a stored object that
      // fails its check, …) is answered with the code only: its message may name internals; 501–503
      // say what is missing (ffmpeg, WeCom's API).
      baseCtx.log.error({ requestId: request.id, code: error.code, status, route: request.routeOptions.url }, 'request failed');
      return renderError(reply, request.id, status, error.code, status === 500 ? 'internal error' : error.message);
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 429) return renderError(reply, request.id, 429, 'http.rate_limited', 'too many requests');
    // 403 from the framework: a path that climbs out of the served folder (`/../`): a malformed URL.
    if (status === 403) return renderError(reply, request.id, 400, 'http.bad_url', 'the request path could not be read');
    if (status !== undefined && status >= 400 && status < 500) return renderError(reply, request.id, status, 'http.bad_request', 'the request could not be read');
    // Unexpected: logged by class and request id only (the message may quote input), answered without details.
    baseCtx.log.error({ requestId: request.id, errorClass: (error as Error)?.name, code: (error as { code?: unknown })?.code, route: request.routeOptions.url }, 'unexpected error');
    return renderError(reply, request.id, 500, 'internal', 'internal error');
  });

  app.get(`${API_PREFIX}/health`, async (_req, reply) => {
    try {
      baseCtx.sqlite.prepare('SELECT 1').get();
      return await reply.send({ status: 'ok' });
    } catch {
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
  const document = openApiDocument(allRoutes, options.version ?? '0.0.0');
  app.get(`${API_PREFIX}/openapi.json`, async (_req, reply) => reply.send(document));

  for (const def of allRoutes) registerRoute(app, baseCtx, def, options, policy);

  app.setNotFoundHandler((request, reply) => renderError(reply, request.id, 404, 'http.not_found', 'no such route'));

  const webRoot = options.webRoot ?? join(PACKAGE_ROOT, 'web', 'dist');
  if (existsSync(join(webRoot, 'index.html'))) {
    await app.register(fastifyStatic, { root: webRoot, prefix: '/', index: 'index.html', cacheControl: true, maxAge: 0 });
  } else {
    app.get('/', (_req, reply) => reply.type('text/plain; charset=utf-8').send('The WeKeep console is not built (npm run build:web). The API is at /api/v1.\n'));
  }
  return app;
}

function registerRoute(app: FastifyInstance, baseCtx: Context, def: RouteDef, options: AppOptions, policy: SessionPolicy): void {
  app.route({
    method: def.method,
    url: `${API_PREFIX}${def.url}`,
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const origin = { address: request.ip, userAgent: request.headers['user-agent'] ?? null };
      const cookie = request.cookies[SESSION_COOKIE];
      let session = cookie ? await loadSession(baseCtx, cookie, policy) : undefined;
      let issuedToken: string | undefined;

      if (STATE_CHANGING.has(def.method) && !(def.csrfExempt && def.access === 'public')) {
        const header = request.headers['x-csrf-token'];
        if (!session || typeof header !== 'string' || !constantTimeEqual(header, session.csrfToken)) {
          throw forbidden('auth.csrf', 'missing or wrong X-CSRF-Token (get one from GET /api/v1/auth/session)');
        }
      }
      if (def.access === 'session' && !session) {
        const started = await startAnonymousSession(baseCtx, origin, policy);
        session = started.session;
        issuedToken = started.token;
      }
      const principal = session?.principal;
      if (def.access === 'signed-in' || (def.access !== 'public' && def.access !== 'session')) {
        if (!principal) throw unauthorized('auth.required', 'sign in first');
        if (def.access !== 'signed-in' && !can(principal, def.access)) {
          // Refusals are evidence too (who tried what): the route pattern and the permission, never the request's content.
          await appendAudit(actingAs(baseCtx, `user:${principal.username}`, { address: origin.address }), baseCtx.db, {
            action: 'access.denied', subject: `${def.method} ${def.url}`, details: { reason: 'role', role: principal.role, permission: def.access },
          });
          throw forbidden('auth.forbidden', `your role may not do this (${def.access})`);
        }
      }

      const parse = <T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T => {
        if (!schema) return undefined as T;
        const r = schema.safeParse(value ?? {});
        if (!r.success) throw new AppError('http.invalid_input', zodMessage(where, r.error), { exitCode: 2, status: 400 });
        return r.data;
      };
      const params = parse(def.params, request.params, 'path');
      const query = parse(def.query, request.query, 'query');
      const body = parse(def.body, request.body, 'body');

      const setCookie = (token: string): void => {
        reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'strict', secure: options.https, maxAge: Math.floor(policy.absoluteMs / 1000) });
      };
      if (issuedToken) setCookie(issuedToken);
      const state: RequestState = {
        triggerSync: options.triggerSync,
        ctx: actingAs(baseCtx, principal ? `user:${principal.username}` : session?.user ? `user:${session.user.username}` : 'anonymous', { address: origin.address }),
        origin,
        session,
        principal,
        reply,
        setSession(token, next) {
          setCookie(token);
          state.session = next;
        },
      };
      reply.header('Cache-Control', 'no-store');
      const result = await def.handler({ params, query, body, req: state });
      if (def.response === undefined) return reply;
      const out = def.response.parse(result);
      return reply.type('application/json; charset=utf-8').send(out);
    },
  });
}
