/**
 * The console's API types (web/src/types.ts, `ApiResponses` and `ApiRequests`) against the server's
 * route declarations, checked by `npm run typecheck` (this file is never run). For every route the
 * console reads, the JSON the server's response schema lets through must fit the type the console
 * expects, and every body the console sends must be one the route's body schema accepts; a renamed,
 * dropped or retyped field, or a route that no longer exists, is a type error here.
 */
import type { BodyOf, ResponseOf, RouteKey } from '../../src/http/route.js';
import type { archiveRoutes } from '../../src/http/routes/archive.js';
import type { auditRoutes } from '../../src/http/routes/audit.js';
import type { authRoutes } from '../../src/http/routes/auth.js';
import type { insightRoutes } from '../../src/http/routes/insight.js';
import type { privacyRoutes } from '../../src/http/routes/privacy.js';
import type { retentionRunRoutes } from '../../src/http/routes/retention-runs.js';
import type { retentionRoutes } from '../../src/http/routes/retention.js';
import type { userRoutes } from '../../src/http/routes/users.js';
import type { ApiRequests, ApiResponses } from '../../web/src/types.js';

type ServerRoutes = readonly (
  | (typeof archiveRoutes)[number]
  | (typeof auditRoutes)[number]
  | (typeof authRoutes)[number]
  | (typeof insightRoutes)[number]
  | (typeof privacyRoutes)[number]
  | (typeof retentionRunRoutes)[number]
  | (typeof retentionRoutes)[number]
  | (typeof userRoutes)[number]
)[];

/** Routes the console names that the server does not declare (must be none). */
type Unknown = Exclude<keyof ApiResponses | keyof ApiRequests, RouteKey<ServerRoutes[number]>>;
type Checked = keyof ApiResponses & RouteKey<ServerRoutes[number]>;
/** Routes whose server response does not fit the console's type, or cannot be told apart (must be none). */
type Misfits = { [K in Checked]: [ResponseOf<ServerRoutes, K>] extends [never] ? K : ResponseOf<ServerRoutes, K> extends ApiResponses[K] ? never : K }[Checked];

type Sent = keyof ApiRequests & RouteKey<ServerRoutes[number]>;
/** Routes whose body schema does not accept what the console sends (must be none). */
type Refused = { [K in Sent]: [BodyOf<ServerRoutes, K>] extends [never] ? K : ApiRequests[K] extends BodyOf<ServerRoutes, K> ? never : K }[Sent];

// A failure reads "Type 'true' is not assignable to type '"GET /…"'": that route's types differ.
export const everyConsoleRouteExists: [Unknown] extends [never] ? true : Unknown = true;
export const everyResponseFitsTheConsole: [Misfits] extends [never] ? true : Misfits = true;
export const everyBodyIsAccepted: [Refused] extends [never] ? true : Refused = true;
