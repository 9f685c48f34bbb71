import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Context } from '../context.js';
import type { Permission, Principal } from '../domain/authorization.js';
import type { LoadedSession, SessionOrigin } from '../services/auth.js';

/**
 * One API route, declared once: method, path, who may call it, zod schemas of its input and of its
 * 200 response, and a thin handler (validate → one service call → presenter). The app registers
 * every route from these declarations, validates input with the schemas, passes output through the
 * response schema (unknown fields are stripped, so nothing undeclared can leak), and builds the
 * OpenAPI document from the same objects.
 */

/**
 * - `public`: no session needed (health, OpenAPI);
 * - `session`: any session, even anonymous (sign-in steps; the CSRF token comes from the session);
 * - `signed-in`: a fully signed-in user;
 * - a permission: a signed-in user whose role has it (domain/authorization.ts).
 */
export type Access = 'public' | 'session' | 'signed-in' | Permission;

export interface RequestState {
  /** The context acting as the signed-in user (audit actor and address). */
  ctx: Context;
  origin: SessionOrigin;
  /** The session (created on demand for `session` routes). */
  session: LoadedSession | undefined;
  principal: Principal | undefined;
  /** Asks the background jobs to sync a connector source now (when running inside `serve`). */
  triggerSync: ((source: string) => boolean) | undefined;
  /** Replaces the session cookie after a change of session state. */
  setSession(token: string, session: LoadedSession): void;
  reply: FastifyReply;
}

export interface RouteDef<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path under /api/v1, Fastify style (`/messages/:key`). */
  url: string;
  summary: string;
  tags: string[];
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /** Schema of the 200 JSON body; omitted when the handler sends bytes itself. */
  response?: R;
  /** Content type of a non-JSON response (documentation only). */
  produces?: string;
  /**
   * Only for machine-to-machine `public` routes authenticated by their own signature (WeCom
   * callbacks): no session, so no CSRF token. Never set on a route a browser session uses.
   */
  csrfExempt?: true;
  /** The request body is XML text (`body` then validates a string). */
  xmlBody?: true;
  handler(input: { params: z.output<P>; query: z.output<Q>; body: z.output<B>; req: RequestState }): Promise<z.input<R> | undefined>;
}

/**
 * What `route()` returns: the declaration with its schema types erased, plus — in types only, never
 * at run time — its method and path (`GET /search`), the JSON of its 200 response and the body it
 * accepts, so that the console's API types are checked against the server's
 * (test/http/web-api-types.check.ts).
 */
export type DeclaredRoute<K extends string = string, Out = unknown, In = unknown> = RouteDef & { readonly declared?: { route: K; response: Out; body: In } };

/** Declares a route with full type inference of its handler. */
export const route = <
  P extends z.ZodType = z.ZodUnknown,
  Q extends z.ZodType = z.ZodUnknown,
  B extends z.ZodType = z.ZodUnknown,
  R extends z.ZodType = z.ZodUnknown,
  const M extends RouteDef['method'] = RouteDef['method'],
  const U extends string = string,
>(
  def: RouteDef<P, Q, B, R> & { method: M; url: U },
): DeclaredRoute<`${M} ${U}`, z.output<R>, z.input<B>> => def as unknown as DeclaredRoute<`${M} ${U}`, z.output<R>, z.input<B>>;

/** `GET /search`, … : the method and path of each route in a union of declared routes. */
export type RouteKey<D> = D extends DeclaredRoute<infer K> ? K : never;

/** The JSON of the 200 response of one of `routes` (types only). */
export type ResponseOf<Routes extends readonly DeclaredRoute[], K extends RouteKey<Routes[number]>> = NonNullable<
  Extract<Routes[number], { readonly declared?: { route: K } }>['declared']
>['response'];

/** The request body one of `routes` accepts, before its schema's defaults and transforms (types only). */
export type BodyOf<Routes extends readonly DeclaredRoute[], K extends RouteKey<Routes[number]>> = NonNullable<
  Extract<Routes[number], { readonly declared?: { route: K } }>['declared']
>['body'];

/** A request's principal, or a programming error when the route's access should have guaranteed one. */
export function principalOf(req: RequestState): Principal {
  if (!req.principal) throw new Error('route declared signed-in access but has no principal');
  return req.principal;
}

export function sessionOf(req: RequestState): LoadedSession {
  if (!req.session) throw new Error('route declared session access but has no session');
  return req.session;
}

/**
 * A decimal number in a path or query string, written one way only: digits, no sign, space,
 * exponent, `0x` or fraction (`z.coerce.number()` took ` 1`, `1e0`, `0x1` and `1.0` as 1, so one
 * object had many URLs).
 */
export const decimal = (min: number, max: number = Number.MAX_SAFE_INTEGER) =>
  z.string().regex(/^\d{1,16}$/u, 'must be a decimal number (digits only)').transform(Number).pipe(z.number().int().min(min).max(max));

/** Decimal key in a path (`/messages/:key`). */
export const keyParam = z.string().regex(/^\d{1,16}$/u, 'must be a decimal key').transform(Number).pipe(z.number().int().max(Number.MAX_SAFE_INTEGER, 'is too large'));

export const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), requestId: z.string() }) });
