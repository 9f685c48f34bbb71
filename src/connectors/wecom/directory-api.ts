import { setTimeout as sleepFor } from 'node:timers/promises';
import { z } from 'zod';
import { systemClock, type Clock } from '../../domain/clock.js';
import { AppError } from '../../errors.js';

/**
 * A small client over WeCom's server-side HTTPS APIs (企业微信服务端 API) for the directory side of
 * the chat-archive connector: who the people, departments, external contacts and archived rooms
 * are, who is archived, and who consented.
 *
 * One client is one (corpid, secret) pair and therefore one access token: WeCom issues tokens per
 * secret, and different APIs need different secrets (the chat-archive secret for `msgaudit/*`, the
 * contacts or an app secret for `department/*` and `user/*`, the customer-contact secret for
 * `externalcontact/*`). Build one client per secret you have.
 *
 * Conventions of the API this code relies on (see the report of the change for sources):
 * - every call is `https://BASE/cgi-bin/<api>?access_token=…` and answers HTTP 200 with JSON that
 *   carries `errcode` (0 = ok) and `errmsg`, even when the call failed;
 * - `gettoken?corpid=&corpsecret=` returns `access_token` and `expires_in` (seconds, 7200 today);
 * - errcode 40014 (invalid token) and 42001 (expired token) mean "fetch a new token and try again",
 *   errcode -1 means "system busy, retry later";
 * - times in these APIs are UTC epoch seconds; we return UTC epoch milliseconds like the rest of WeKeep.
 *
 * Secrets and tokens never appear in an error message, error details or log: the token travels in
 * the query string (WeCom's design), so URLs are never put in errors either.
 */

export const DEFAULT_WECOM_API_BASE = 'https://qyapi.weixin.qq.com';

/** Token errors that a fresh token fixes: 40014 invalid access_token, 42001 access_token expired. */
export const WECOM_TOKEN_ERRCODES: ReadonlySet<number> = new Set([40014, 42001]);
/** "System busy": WeCom asks the caller to retry. */
export const WECOM_BUSY_ERRCODE = -1;

export interface WeComApiClientConfig {
  corpId: string;
  /** The secret of the app whose APIs this client calls (never logged, never in an error). */
  secret: string;
  /** Default https://qyapi.weixin.qq.com; may carry a path prefix (a reverse proxy), e.g. https://proxy.example/wecom. */
  baseUrl?: string;
  /** Per HTTP request, including reading the body. Default 10 s. */
  timeoutMs?: number;
  /** Attempts per request for network errors, HTTP 5xx/429 and errcode -1 (first try included). Default 4. */
  maxAttempts?: number;
  /** First backoff delay; doubles per attempt with jitter, capped by retryMaxDelayMs. Default 500 ms. */
  retryBaseDelayMs?: number;
  /** Default 8 s. */
  retryMaxDelayMs?: number;
  /** A token is refreshed this long before WeCom says it expires (clock skew, slow calls). Default 5 min. */
  tokenSafetyMarginMs?: number;
  /** Responses larger than this are refused (a misconfigured base URL must not exhaust memory). Default 32 MiB. */
  maxResponseBytes?: number;
  /** Page size for cursor-paged APIs (`user/list_id` accepts 1..10000). Default 1000. */
  pageSize?: number;
  clock?: Clock;
  /** Injected by tests to make backoff instant; default real timers. */
  sleep?: (ms: number) => Promise<void>;
}

export interface Department {
  id: number;
  /** May be missing: WeCom stopped returning names to some app types (then only ids are known). */
  name: string | undefined;
  nameEn: string | undefined;
  /** `undefined` for the root department (WeCom reports parentid 0 or nothing). */
  parentId: number | undefined;
  order: number | undefined;
  leaderUserIds: string[];
}

/** WeCom member status: 1 active, 2 disabled, 4 not yet activated, 5 left the company. */
export type DirectoryUserStatus = 'active' | 'disabled' | 'not_activated' | 'left' | 'unknown';

/**
 * A corp-internal member. Deliberately minimal (data minimisation): what search, the console and
 * person matching need. Mobile numbers, avatars, gender and addresses are not kept.
 */
export interface DirectoryUser {
  userId: string;
  name: string | undefined;
  alias: string | undefined;
  departmentIds: number[];
  mainDepartmentId: number | undefined;
  position: string | undefined;
  /** Work e-mail (biz_mail preferred over email): a stable key for matching persons across sources. */
  email: string | undefined;
  status: DirectoryUserStatus;
  /** Service-provider-wide id, present for third-party apps. */
  openUserId: string | undefined;
}

/** One member ↔ department link from `user/list_id` (a member in two departments appears twice). */
export interface UserDepartmentLink {
  userId: string;
  departmentId: number;
}

export type ExternalContactKind = 'wechat' | 'wecom' | 'unknown';

/** A member who has this external contact in their contacts, with that member's view of them. */
export interface ExternalContactFollower {
  userId: string;
  remark: string | undefined;
  description: string | undefined;
  /** When the member added the contact (UTC ms), if WeCom says. */
  addedAt: number | undefined;
  addWay: number | undefined;
  state: string | undefined;
}

export interface ExternalContact {
  externalUserId: string;
  name: string | undefined;
  /** 1 = a personal WeChat user, 2 = a WeCom user of another company. */
  kind: ExternalContactKind;
  corpName: string | undefined;
  corpFullName: string | undefined;
  position: string | undefined;
  /** WeChat unionid (only when the corp bound a WeChat developer account): stable across corps. */
  unionId: string | undefined;
  followers: ExternalContactFollower[];
}

export interface RoomMember {
  memberId: string;
  /** UTC ms. */
  joinedAt: number | undefined;
}

/** An internal group chat of the archive, from `msgaudit/groupchat/get`. */
export interface RoomInfo {
  roomId: string;
  name: string;
  creator: string;
  /** UTC ms. */
  createdAt: number | undefined;
  notice: string | undefined;
  members: RoomMember[];
}

/**
 * Consent of an external contact to having their conversations archived. WeCom answers "Agree",
 * "Disagree" or "Default_Agree" (agreed by default: the rule in force when the contact joined);
 * anything else is kept in `rawStatus` and reported as `unknown`.
 */
export type ConsentState = 'agree' | 'disagree' | 'default_agree' | 'unknown';

export interface ConsentStatus {
  /** The internal member of the 1:1 pair; undefined for room answers. */
  userId: string | undefined;
  /** WeCom's field is spelled `exteranalopenid`; this is that external contact id. */
  externalOpenId: string;
  state: ConsentState;
  rawStatus: string;
  /** UTC ms of the last change; undefined when WeCom gives none. */
  changedAt: number | undefined;
}

export interface ConsentPair {
  userId: string;
  externalOpenId: string;
}

/** `get_permit_user_list` type: 1 办公版 (office), 2 服务版 (service), 3 企业版 (enterprise). */
export type PermitEdition = 1 | 2 | 3;

export interface WeComDirectoryClient {
  /** `department/list`: the department subtree under `rootId` (default: everything visible). */
  listDepartments(rootId?: number): Promise<Department[]>;
  /** `user/list`: the members of one department with details. */
  listDepartmentUsers(departmentId: number): Promise<DirectoryUser[]>;
  /** `user/simplelist`: userid, name and departments only (cheaper; some secrets only allow this one). */
  listDepartmentUsersBrief(departmentId: number): Promise<DirectoryUser[]>;
  /** `user/get`: one member. */
  getUser(userId: string): Promise<DirectoryUser>;
  /** `user/list_id`: every member ↔ department link of the corp, following `next_cursor` to the end. */
  listUserIds(): Promise<UserDepartmentLink[]>;
  /** `externalcontact/list`: the external_userids in a member's customer list. */
  listExternalContactIds(userId: string): Promise<string[]>;
  /** `externalcontact/get`: one external contact, following `next_cursor` through all followers. */
  getExternalContact(externalUserId: string): Promise<ExternalContact>;
  /** `msgaudit/groupchat/get`: an archived internal room's name, creator and members with join time. */
  getRoom(roomId: string): Promise<RoomInfo>;
  /** `msgaudit/get_permit_user_list`: the userids whose conversations are archived. */
  listPermitUsers(edition?: PermitEdition): Promise<string[]>;
  /** `msgaudit/check_single_agree`: consent of 1:1 pairs (sent in batches of at most 100 pairs). */
  checkSingleAgree(pairs: readonly ConsentPair[]): Promise<ConsentStatus[]>;
  /** `msgaudit/check_room_agree`: consent of the external members of a room. */
  checkRoomAgree(roomId: string): Promise<ConsentStatus[]>;
}

// ---------------------------------------------------------------------------------------------
// Errors

/** errcode ≠ 0 from WeCom. `details` carries the api name, the errcode and WeCom's errmsg (redacted). */
function apiError(api: string, errcode: number, errmsg: string): AppError {
  return new AppError('wecom.api_error', `WeCom API ${api} failed with errcode ${errcode}`, {
    exitCode: 1,
    status: 502,
    details: { api, errcode, errmsg },
  });
}

/** The request never produced an answer (DNS, connect, reset, timeout), after all retries. */
function networkError(api: string, attempts: number, reason: string): AppError {
  return new AppError('wecom.network_error', `WeCom API ${api} unreachable after ${attempts} attempt(s): ${reason}`, {
    exitCode: 1,
    status: 502,
    details: { api, attempts, reason },
  });
}

/** An answer that is not what WeCom documents (HTTP error, not JSON, wrong shape, too large). */
function badResponse(api: string, reason: string): AppError {
  return new AppError('wecom.bad_response', `WeCom API ${api} returned an unexpected response: ${reason}`, {
    exitCode: 1,
    status: 502,
    details: { api, reason },
  });
}

/** True when `e` is WeCom's answer `errcode` (any errcode when omitted). */
export function isWeComApiError(e: unknown, errcode?: number): e is AppError {
  return e instanceof AppError && e.code === 'wecom.api_error' && (errcode === undefined || e.details?.errcode === errcode);
}

// ---------------------------------------------------------------------------------------------
// Response schemas (zod at the trust boundary: nothing from the network is cast)

/** Every answer carries these; a missing errcode is treated as success (WeCom omits it on some). */
const envelopeSchema = z.object({
  errcode: z.number().int().optional(),
  errmsg: z.string().optional(),
});

const tokenSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
});

const departmentSchema = z.object({
  id: z.number().int(),
  name: z.string().optional(),
  name_en: z.string().optional(),
  parentid: z.number().int().optional(),
  order: z.number().optional(),
  department_leader: z.array(z.string()).optional(),
});
const departmentListSchema = z.object({ department: z.array(departmentSchema).default([]) });

const userSchema = z.object({
  userid: z.string().min(1),
  name: z.string().optional(),
  alias: z.string().optional(),
  department: z.array(z.number().int()).optional(),
  main_department: z.number().int().optional(),
  position: z.string().optional(),
  email: z.string().optional(),
  biz_mail: z.string().optional(),
  status: z.number().int().optional(),
  open_userid: z.string().optional(),
});
const userListSchema = z.object({ userlist: z.array(userSchema).default([]) });

const userIdPageSchema = z.object({
  next_cursor: z.string().optional(),
  dept_user: z.array(z.object({ userid: z.string().min(1), department: z.number().int() })).default([]),
});

const externalIdListSchema = z.object({ external_userid: z.array(z.string().min(1)).default([]) });

const followUserSchema = z.object({
  userid: z.string().min(1),
  remark: z.string().optional(),
  description: z.string().optional(),
  createtime: z.number().optional(),
  add_way: z.number().int().optional(),
  state: z.string().optional(),
});
const externalContactPageSchema = z.object({
  external_contact: z.object({
    external_userid: z.string().min(1),
    name: z.string().optional(),
    type: z.number().int().optional(),
    corp_name: z.string().optional(),
    corp_full_name: z.string().optional(),
    position: z.string().optional(),
    unionid: z.string().optional(),
  }),
  follow_user: z.array(followUserSchema).default([]),
  next_cursor: z.string().optional(),
});

const roomSchema = z.object({
  roomname: z.string().default(''),
  creator: z.string().default(''),
  room_create_time: z.number().optional(),
  notice: z.string().optional(),
  members: z.array(z.object({ memberid: z.string().min(1), jointime: z.number().optional() })).default([]),
});

const permitUsersSchema = z.object({ ids: z.array(z.string().min(1)).default([]) });

/** WeCom documents strings; a numeric 1/2/3 form was reported by wrapper docs, so accept both. */
const agreeStatusSchema = z.union([z.string(), z.number().int()]);
const singleAgreeSchema = z.object({
  agreeinfo: z
    .array(
      z.object({
        userid: z.string().optional(),
        exteranalopenid: z.string().min(1),
        agree_status: agreeStatusSchema,
        status_change_time: z.number().optional(),
      }),
    )
    .default([]),
});
/**
 * Room answers: the wrappers we checked read `agreeinfo`; the official page's sample has been
 * quoted with `voteinfo`. Accept either rather than silently reporting "no consent data".
 */
const roomAgreeItemSchema = z.object({
  exteranalopenid: z.string().min(1),
  agree_status: agreeStatusSchema,
  status_change_time: z.number().optional(),
});
const roomAgreeSchema = z.object({
  agreeinfo: z.array(roomAgreeItemSchema).optional(),
  voteinfo: z.array(roomAgreeItemSchema).optional(),
});

// ---------------------------------------------------------------------------------------------
// Mapping helpers

/** WeCom seconds → UTC ms; tolerate a value already in ms (13 digits), as the archive does elsewhere. */
export function weComTimeToMs(value: number | undefined): number | undefined {
  if (value === undefined || !Number.isFinite(value) || value <= 0) return undefined;
  return value >= 1e12 ? Math.trunc(value) : Math.trunc(value * 1000);
}

function userStatus(status: number | undefined): DirectoryUserStatus {
  switch (status) {
    case 1:
      return 'active';
    case 2:
      return 'disabled';
    case 4:
      return 'not_activated';
    case 5:
      return 'left';
    default:
      return 'unknown';
  }
}

const emptyToUndefined = (s: string | undefined): string | undefined => (s === undefined || s === '' ? undefined : s);

function toDirectoryUser(u: z.infer<typeof userSchema>): DirectoryUser {
  return {
    userId: u.userid,
    name: emptyToUndefined(u.name),
    alias: emptyToUndefined(u.alias),
    departmentIds: u.department ?? [],
    mainDepartmentId: u.main_department,
    position: emptyToUndefined(u.position),
    email: emptyToUndefined(u.biz_mail) ?? emptyToUndefined(u.email),
    status: userStatus(u.status),
    openUserId: emptyToUndefined(u.open_userid),
  };
}

function consentState(raw: string | number): ConsentState {
  switch (raw) {
    case 'Agree':
    case 1:
      return 'agree';
    case 'Disagree':
    case 2:
      return 'disagree';
    case 'Default_Agree':
      return 'default_agree';
    default:
      return 'unknown';
  }
}

function toConsent(item: { userid?: string; exteranalopenid: string; agree_status: string | number; status_change_time?: number }): ConsentStatus {
  return {
    userId: emptyToUndefined(item.userid),
    externalOpenId: item.exteranalopenid,
    state: consentState(item.agree_status),
    rawStatus: String(item.agree_status),
    changedAt: weComTimeToMs(item.status_change_time),
  };
}

// ---------------------------------------------------------------------------------------------
// The client

const configSchema = z.object({
  corpId: z.string().min(1).max(64),
  secret: z.string().min(1),
  baseUrl: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//iu.test(u), 'must be an http(s) URL')
    .default(DEFAULT_WECOM_API_BASE),
  timeoutMs: z.number().int().positive().default(10_000),
  maxAttempts: z.number().int().min(1).max(10).default(4),
  retryBaseDelayMs: z.number().min(0).default(500),
  retryMaxDelayMs: z.number().min(0).default(8_000),
  tokenSafetyMarginMs: z.number().min(0).default(5 * 60_000),
  maxResponseBytes: z.number().int().positive().default(32 * 1024 * 1024),
  pageSize: z.number().int().min(1).max(10_000).default(1_000),
});

/**
 * Pairs per check_single_agree request. We found no documented cap; 100 keeps each request small
 * and is a conservative guess (the test double enforces it so batching is exercised).
 */
const SINGLE_AGREE_BATCH = 100;
/** A cursor loop that does not end is a server bug: stop instead of spinning forever. */
const MAX_PAGES = 100_000;

interface RequestSpec {
  method: 'GET' | 'POST';
  query?: Record<string, string>;
  body?: unknown;
}

/** The outcome of one HTTP exchange, before errcode handling. */
type Exchange = { kind: 'json'; payload: unknown } | { kind: 'retryable'; reason: string } | { kind: 'fatal'; error: AppError };

export function createWeComDirectoryClient(input: WeComApiClientConfig): WeComDirectoryClient {
  const parsedConfig = configSchema.safeParse(input);
  if (!parsedConfig.success) {
    // Name the fields, never their values (one of them is the secret).
    const fields = [...new Set(parsedConfig.error.issues.map((i) => i.path.join('.')))].join(', ');
    throw new AppError('wecom.bad_config', `invalid WeCom API client configuration: ${fields}`, { exitCode: 2 });
  }
  const config = parsedConfig.data;
  const clock = input.clock ?? systemClock;
  const sleep = input.sleep ?? ((ms: number) => sleepFor(ms).then(() => undefined));
  // A trailing slash makes `new URL('cgi-bin/x', base)` keep any path prefix of the base.
  const base = config.baseUrl.endsWith('/') ? config.baseUrl : `${config.baseUrl}/`;

  let cached: { token: string; expiresAt: number } | undefined;
  let inflightToken: Promise<string> | undefined;
  /** Every token this client has held: redacted from anything WeCom echoes back. */
  const seenTokens = new Set<string>();

  /** Removes the secret and any token we know of (and any access_token=… pair) from text WeCom sent us. */
  function redact(text: string): string {
    let out = text.slice(0, 500);
    for (const s of [config.secret, ...seenTokens]) if (s.length >= 4) out = out.split(s).join('[redacted]');
    return out.replace(/(access_token|corpsecret)=[^&\s,;"']*/giu, '$1=[redacted]');
  }

  function backoffDelay(attempt: number): number {
    const exp = Math.min(config.retryMaxDelayMs, config.retryBaseDelayMs * 2 ** (attempt - 1));
    // "Equal jitter": half the delay fixed, half random — spreads the retries of many workers
    // without ever making a retry immediate.
    return exp / 2 + Math.random() * (exp / 2);
  }

  async function readCapped(res: Response): Promise<Buffer | undefined> {
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > config.maxResponseBytes) {
      await res.body?.cancel().catch(() => undefined);
      return undefined;
    }
    if (!res.body) return Buffer.alloc(0);
    const reader = res.body.getReader();
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > config.maxResponseBytes) {
        await reader.cancel().catch(() => undefined);
        return undefined;
      }
      chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    }
    return Buffer.concat(chunks, total);
  }

  /** One HTTP request and its JSON body; classifies failures as retryable or not. */
  async function exchangeOnce(api: string, url: URL, spec: RequestSpec): Promise<Exchange> {
    let res: Response;
    let body: Buffer | undefined;
    try {
      res = await fetch(url, {
        method: spec.method,
        headers: spec.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json; charset=utf-8' },
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        // The token is in the query string: never follow a redirect to wherever it points.
        redirect: 'manual',
        signal: AbortSignal.timeout(config.timeoutMs),
      });
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel().catch(() => undefined);
        return { kind: 'fatal', error: badResponse(api, `redirect (HTTP ${res.status}) refused`) };
      }
      if (res.status >= 500 || res.status === 429) {
        await res.body?.cancel().catch(() => undefined);
        return { kind: 'retryable', reason: `HTTP ${res.status}` };
      }
      body = await readCapped(res);
    } catch (e) {
      // fetch rejects with TypeError ("fetch failed", cause ECONNREFUSED/ECONNRESET…) or a
      // TimeoutError/AbortError; the body read can fail the same ways. Only the error's name and
      // code are kept: messages of some network errors include the URL, which includes the token.
      return { kind: 'retryable', reason: describeNetworkError(e, config.timeoutMs) };
    }
    if (body === undefined) return { kind: 'fatal', error: badResponse(api, `response larger than ${config.maxResponseBytes} bytes`) };
    if (res.status < 200 || res.status >= 300) return { kind: 'fatal', error: badResponse(api, `HTTP ${res.status}`) };
    try {
      return { kind: 'json', payload: JSON.parse(body.toString('utf8')) as unknown };
    } catch {
      return { kind: 'fatal', error: badResponse(api, 'body is not JSON') };
    }
  }

  /**
   * The request with bounded retries for transient failures: network errors, HTTP 5xx/429 and
   * errcode -1. Returns the envelope-checked payload; errcode handling beyond -1 is the caller's.
   */
  async function exchange(api: string, buildUrl: () => URL, spec: RequestSpec): Promise<{ errcode: number; errmsg: string; payload: unknown }> {
    let lastReason = '';
    for (let attempt = 1; attempt <= config.maxAttempts; attempt++) {
      if (attempt > 1) await sleep(backoffDelay(attempt - 1));
      const result = await exchangeOnce(api, buildUrl(), spec);
      if (result.kind === 'fatal') throw result.error;
      if (result.kind === 'retryable') {
        lastReason = result.reason;
        continue;
      }
      const envelope = envelopeSchema.safeParse(result.payload);
      if (!envelope.success || typeof result.payload !== 'object' || result.payload === null || Array.isArray(result.payload)) {
        throw badResponse(api, 'not a WeCom JSON object');
      }
      const errcode = envelope.data.errcode ?? 0;
      const errmsg = redact(envelope.data.errmsg ?? '');
      if (errcode === WECOM_BUSY_ERRCODE) {
        lastReason = 'errcode -1 (system busy)';
        if (attempt === config.maxAttempts) throw apiError(api, errcode, errmsg);
        continue;
      }
      return { errcode, errmsg, payload: result.payload };
    }
    throw networkError(api, config.maxAttempts, lastReason);
  }

  function apiUrl(api: string, query: Record<string, string>): URL {
    const url = new URL(`cgi-bin/${api}`, base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url;
  }

  async function fetchToken(): Promise<string> {
    const requestedAt = clock.now();
    const { errcode, errmsg, payload } = await exchange('gettoken', () => apiUrl('gettoken', { corpid: config.corpId, corpsecret: config.secret }), { method: 'GET' });
    if (errcode !== 0) throw apiError('gettoken', errcode, errmsg);
    const parsed = tokenSchema.safeParse(payload);
    if (!parsed.success) throw badResponse('gettoken', 'no access_token/expires_in');
    const lifetimeMs = parsed.data.expires_in * 1000;
    // Refresh early by the margin, but never keep a token for less than half its life (a tiny
    // expires_in must not make every call fetch a new token).
    const usableMs = Math.max(lifetimeMs - config.tokenSafetyMarginMs, lifetimeMs / 2);
    seenTokens.add(parsed.data.access_token);
    cached = { token: parsed.data.access_token, expiresAt: requestedAt + usableMs };
    return parsed.data.access_token;
  }

  /** The cached token, or one fresh fetch shared by every concurrent caller. */
  function accessToken(): Promise<string> {
    if (cached && clock.now() < cached.expiresAt) return Promise.resolve(cached.token);
    inflightToken ??= fetchToken().finally(() => {
      inflightToken = undefined;
    });
    return inflightToken;
  }

  /** Forget `token` — only if it is still the cached one (a concurrent caller may have refreshed it). */
  function invalidate(token: string): void {
    if (cached?.token === token) cached = undefined;
  }

  /**
   * One API call: token, request with retries, errcode check, zod parse. On 40014/42001 the token
   * is dropped and the call repeated once with a fresh one; a second token error is reported.
   */
  async function call<S extends z.ZodType>(api: string, schema: S, spec: RequestSpec): Promise<z.infer<S>> {
    for (let tokenAttempt = 1; ; tokenAttempt++) {
      const token = await accessToken();
      const { errcode, errmsg, payload } = await exchange(api, () => apiUrl(api, { ...spec.query, access_token: token }), spec);
      if (WECOM_TOKEN_ERRCODES.has(errcode) && tokenAttempt === 1) {
        invalidate(token);
        continue;
      }
      if (errcode !== 0) throw apiError(api, errcode, errmsg);
      const parsed = schema.safeParse(payload);
      if (!parsed.success) {
        const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(root)'))].slice(0, 5).join(', ');
        throw badResponse(api, `unexpected shape at ${fields}`);
      }
      return parsed.data;
    }
  }

  /** Runs a cursor-paged call until WeCom returns an empty cursor; guards against a cursor that repeats. */
  async function collectPages<T>(api: string, fetchPage: (cursor: string) => Promise<{ items: T[]; next: string | undefined }>): Promise<T[]> {
    const all: T[] = [];
    const seen = new Set<string>();
    let cursor = '';
    for (let page = 0; page < MAX_PAGES; page++) {
      const { items, next } = await fetchPage(cursor);
      all.push(...items);
      if (!next) return all;
      if (seen.has(next)) throw badResponse(api, 'pagination cursor repeats');
      seen.add(next);
      cursor = next;
    }
    throw badResponse(api, `more than ${MAX_PAGES} pages`);
  }

  return {
    async listDepartments(rootId) {
      const query: Record<string, string> = rootId === undefined ? {} : { id: String(rootId) };
      const data = await call('department/list', departmentListSchema, { method: 'GET', query });
      return data.department.map((d) => ({
        id: d.id,
        name: emptyToUndefined(d.name),
        nameEn: emptyToUndefined(d.name_en),
        parentId: d.parentid === undefined || d.parentid === 0 ? undefined : d.parentid,
        order: d.order,
        leaderUserIds: d.department_leader ?? [],
      }));
    },

    async listDepartmentUsers(departmentId) {
      const data = await call('user/list', userListSchema, { method: 'GET', query: { department_id: String(departmentId) } });
      return data.userlist.map(toDirectoryUser);
    },

    async listDepartmentUsersBrief(departmentId) {
      const data = await call('user/simplelist', userListSchema, { method: 'GET', query: { department_id: String(departmentId) } });
      return data.userlist.map(toDirectoryUser);
    },

    async getUser(userId) {
      const data = await call('user/get', userSchema, { method: 'GET', query: { userid: userId } });
      return toDirectoryUser(data);
    },

    async listUserIds() {
      return collectPages('user/list_id', async (cursor) => {
        const body: Record<string, unknown> = { limit: config.pageSize };
        if (cursor) body.cursor = cursor;
        const data = await call('user/list_id', userIdPageSchema, { method: 'POST', body });
        return { items: data.dept_user.map((d) => ({ userId: d.userid, departmentId: d.department })), next: emptyToUndefined(data.next_cursor) };
      });
    },

    async listExternalContactIds(userId) {
      const data = await call('externalcontact/list', externalIdListSchema, { method: 'GET', query: { userid: userId } });
      return data.external_userid;
    },

    async getExternalContact(externalUserId) {
      let contact: z.infer<typeof externalContactPageSchema>['external_contact'] | undefined;
      const followers = await collectPages('externalcontact/get', async (cursor) => {
        const query: Record<string, string> = { external_userid: externalUserId };
        if (cursor) query.cursor = cursor;
        const data = await call('externalcontact/get', externalContactPageSchema, { method: 'GET', query });
        contact ??= data.external_contact;
        return { items: data.follow_user, next: emptyToUndefined(data.next_cursor) };
      });
      if (!contact) throw badResponse('externalcontact/get', 'no external_contact');
      return {
        externalUserId: contact.external_userid,
        name: emptyToUndefined(contact.name),
        kind: contact.type === 1 ? 'wechat' : contact.type === 2 ? 'wecom' : 'unknown',
        corpName: emptyToUndefined(contact.corp_name),
        corpFullName: emptyToUndefined(contact.corp_full_name),
        position: emptyToUndefined(contact.position),
        unionId: emptyToUndefined(contact.unionid),
        followers: followers.map((f) => ({
          userId: f.userid,
          remark: emptyToUndefined(f.remark),
          description: emptyToUndefined(f.description),
          addedAt: weComTimeToMs(f.createtime),
          addWay: f.add_way,
          state: emptyToUndefined(f.state),
        })),
      };
    },

    async getRoom(roomId) {
      const data = await call('msgaudit/groupchat/get', roomSchema, { method: 'POST', body: { roomid: roomId } });
      return {
        roomId,
        name: data.roomname,
        creator: data.creator,
        createdAt: weComTimeToMs(data.room_create_time),
        notice: emptyToUndefined(data.notice),
        members: data.members.map((m) => ({ memberId: m.memberid, joinedAt: weComTimeToMs(m.jointime) })),
      };
    },

    async listPermitUsers(edition) {
      const data = await call('msgaudit/get_permit_user_list', permitUsersSchema, { method: 'POST', body: edition === undefined ? {} : { type: edition } });
      return data.ids;
    },

    async checkSingleAgree(pairs) {
      const out: ConsentStatus[] = [];
      for (let i = 0; i < pairs.length; i += SINGLE_AGREE_BATCH) {
        const info = pairs.slice(i, i + SINGLE_AGREE_BATCH).map((p) => ({ userid: p.userId, exteranalopenid: p.externalOpenId }));
        const data = await call('msgaudit/check_single_agree', singleAgreeSchema, { method: 'POST', body: { info } });
        out.push(...data.agreeinfo.map(toConsent));
      }
      return out;
    },

    async checkRoomAgree(roomId) {
      const data = await call('msgaudit/check_room_agree', roomAgreeSchema, { method: 'POST', body: { roomid: roomId } });
      return (data.agreeinfo ?? data.voteinfo ?? []).map(toConsent);
    },
  };
}

/** A content-free description of a fetch failure: error name and system code only, never the message. */
function describeNetworkError(e: unknown, timeoutMs: number): string {
  if (e instanceof Error) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return `timed out after ${timeoutMs} ms`;
    const cause = e.cause;
    const code = typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
    const ownCode = 'code' in e && typeof e.code === 'string' ? e.code : undefined;
    return code ?? ownCode ?? e.name;
  }
  return 'network error';
}
