import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for WeCom's server API (qyapi.weixin.qq.com/cgi-bin/…) for the directory
 * client's tests: node:http on 127.0.0.1, an ephemeral port, JSON shaped like WeCom's documented
 * answers (HTTP 200 with errcode/errmsg even on failure), and a tiny fictional company — 云杉贸易 —
 * whose people, rooms and ids are invented for WeKeep's tests.
 *
 * It behaves like WeCom where the client's logic depends on it: tokens from `gettoken` with
 * `expires_in`, 40014 for an unknown token and 42001 for an expired one, `next_cursor` paging on
 * `user/list_id` and on the followers of `externalcontact/get`, at most 100 pairs per
 * `check_single_agree`. Tests can expire or invalidate every issued token and inject one-off
 * faults per API (an errcode such as -1, an HTTP status, a dropped connection, a delay).
 */

export type WeComApiFault =
  | { kind: 'errcode'; errcode: number; errmsg?: string }
  | { kind: 'http'; status: number }
  | { kind: 'drop' }
  | { kind: 'delay'; ms: number }
  | { kind: 'redirect'; location: string }
  /** Answer HTTP 200 with this JSON instead of the real answer (wrong shapes). */
  | { kind: 'payload'; payload: unknown };

export interface RecordedRequest {
  api: string;
  method: string;
  /** The query without access_token and corpsecret. */
  query: Record<string, string>;
  body: unknown;
}

export interface WeComApiServerOptions {
  corpId?: string;
  secret?: string;
  /** `expires_in` reported by gettoken (seconds). Default 7200 like WeCom. */
  tokenTtlSeconds?: number;
  /** Followers per `externalcontact/get` page (WeCom pages at 500; small here to exercise paging). */
  followUserPageSize?: number;
  /** The key of the room-consent list: WeCom wrappers read `agreeinfo`; one doc sample shows `voteinfo`. */
  roomAgreeKey?: 'agreeinfo' | 'voteinfo';
  /** Misbehave: put the caller's token and secret into errmsg, to prove the client redacts them. */
  echoCredentialsInErrors?: boolean;
}

export interface WeComApiServer {
  baseUrl: string;
  corpId: string;
  secret: string;
  /** How many gettoken requests arrived (injected faults included). */
  readonly tokenRequests: number;
  /** How many requests reached an API (faults included), by api name such as `user/list`. */
  callsTo(api: string): number;
  requests(api: string): RecordedRequest[];
  /** Every access token issued so far (to prove the client never leaks one). */
  issuedTokens(): string[];
  /** Every token issued so far now answers 42001 (expired). */
  expireTokens(): void;
  /** Every token issued so far now answers 40014 (invalid). */
  invalidateTokens(): void;
  /** The next `times` requests to `api` ('gettoken' included) get `fault` instead of an answer. */
  injectFault(api: string, fault: WeComApiFault, times?: number): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The fictional company. Times are UTC epoch seconds, as WeCom sends them.

const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z

const departments = [
  { id: 1, name: '云杉贸易', name_en: 'Spruce Trading', parentid: 0, order: 100_000_000, department_leader: ['hanxue'] },
  { id: 2, name: '华东销售部', name_en: 'East China Sales', parentid: 1, order: 99_999_000, department_leader: ['qinlei'] },
  { id: 3, name: '上海客户组', name_en: '', parentid: 2, order: 99_998_000, department_leader: [] },
  { id: 4, name: '合规与风控', name_en: 'Compliance', parentid: 1, order: 99_997_000, department_leader: ['hanxue'] },
];

// Mobile numbers and avatars are here because WeCom sends them; the client must not keep them.
const users = [
  { userid: 'hanxue', name: '韩雪', alias: '', department: [1, 4], main_department: 1, position: '总经理', mobile: '13900000101', email: '', biz_mail: 'hanxue@spruce.example', status: 1, avatar: 'https://wework.example/avatar/hanxue', gender: '2', open_userid: 'woSpruceOpenHanxue' },
  { userid: 'qinlei', name: '秦磊', alias: 'Leo Qin', department: [2], main_department: 2, position: '销售总监', mobile: '13900000102', email: 'qinlei@spruce.example', status: 1, avatar: '', gender: '1' },
  { userid: 'dubo', name: '杜博', alias: '', department: [3], main_department: 3, position: '客户经理', mobile: '13900000103', email: '', status: 1, avatar: '', gender: '1' },
  { userid: 'fangyu', name: '方雨', alias: '', department: [3], main_department: 3, position: '', mobile: '', email: '', status: 5, avatar: '', gender: '0' },
  { userid: 'songjia', name: '宋佳', alias: '', department: [4], main_department: 4, position: '合规专员', mobile: '', email: 'songjia@spruce.example', status: 4, avatar: '', gender: '2' },
];

const externalContacts = [
  {
    external_contact: { external_userid: 'wmSpruceExt0001AAAA', name: '林晓', type: 1, avatar: 'https://wx.example/a/1', gender: 2, unionid: 'oUnionSpruceLin0001' },
    follow_user: [
      { userid: 'dubo', remark: '林晓-报价中', description: '上海展会认识', createtime: T0 + 3_600, tags: [], remark_mobiles: ['13800000201'], add_way: 1, oper_userid: 'dubo', state: 'expo2026' },
      { userid: 'qinlei', remark: '', description: '', createtime: T0 + 7_200, tags: [], remark_mobiles: [], add_way: 3, oper_userid: 'qinlei' },
      { userid: 'hanxue', remark: '林总', description: '', createtime: T0 + 10_800, tags: [], remark_mobiles: [], add_way: 0, oper_userid: 'hanxue' },
    ],
  },
  {
    external_contact: { external_userid: 'wmSpruceExt0002BBBB', name: '赵工', type: 2, position: '采购经理', corp_name: '北辰机械', corp_full_name: '北辰机械制造有限公司', avatar: '', gender: 1 },
    follow_user: [{ userid: 'dubo', remark: '北辰-赵工', description: '', createtime: T0 + 86_400, tags: [], remark_mobiles: [], add_way: 2, oper_userid: 'dubo' }],
  },
];

const externalIdsByUser: Record<string, string[]> = {
  dubo: ['wmSpruceExt0001AAAA', 'wmSpruceExt0002BBBB'],
  qinlei: ['wmSpruceExt0001AAAA'],
  // The second one is listed but no longer readable (deleted meanwhile): externalcontact/get refuses it.
  hanxue: ['wmSpruceExt0001AAAA', 'wmSpruceGone0003CCCC'],
  fangyu: [],
};

const rooms: Record<string, { roomname: string; creator: string; room_create_time: number; notice: string; members: { memberid: string; jointime: number }[] }> = {
  wrSpruceRoom0001: {
    roomname: '上海客户项目群',
    creator: 'dubo',
    room_create_time: T0,
    notice: '周五前确认报价',
    members: [
      { memberid: 'dubo', jointime: T0 },
      { memberid: 'qinlei', jointime: T0 + 60 },
      { memberid: 'wmSpruceExt0001AAAA', jointime: T0 + 3_600 },
    ],
  },
};

const roomAgree: Record<string, { exteranalopenid: string; agree_status: string; status_change_time: number }[]> = {
  wrSpruceRoom0001: [{ exteranalopenid: 'wmSpruceExt0001AAAA', agree_status: 'Agree', status_change_time: T0 + 3_700 }],
};

const singleAgree: Record<string, { agree_status: string; status_change_time: number }> = {
  'dubo|wmSpruceExt0001AAAA': { agree_status: 'Agree', status_change_time: T0 + 3_700 },
  'dubo|wmSpruceExt0002BBBB': { agree_status: 'Disagree', status_change_time: T0 + 90_000 },
  'qinlei|wmSpruceExt0001AAAA': { agree_status: 'Default_Agree', status_change_time: 0 },
};

const permitUsers: Record<string, string[]> = { '1': ['dubo', 'qinlei'], '2': ['dubo', 'qinlei', 'hanxue'], '3': ['dubo', 'qinlei', 'hanxue'] };

// ---------------------------------------------------------------------------------------------

const encodeCursor = (offset: number): string => Buffer.from(`off:${offset}`).toString('base64url');
const decodeCursor = (cursor: string): number | undefined => {
  const m = /^off:(\d+)$/u.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : undefined;
};

function subtree(rootId: number): typeof departments {
  const ids = new Set([rootId]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const d of departments) {
      if (ids.has(d.parentid) && !ids.has(d.id)) {
        ids.add(d.id);
        grew = true;
      }
    }
  }
  return departments.filter((d) => ids.has(d.id));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    total += b.length;
    if (total > 1024 * 1024) throw new Error('body too large');
    chunks.push(b);
  }
  if (total === 0) return undefined;
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function startWeComApiServer(options: WeComApiServerOptions = {}): Promise<WeComApiServer> {
  const corpId = options.corpId ?? 'wwSpruce0123456789';
  const secret = options.secret ?? 'test-archive-secret-' + randomBytes(8).toString('hex');
  const ttl = options.tokenTtlSeconds ?? 7200;
  const followPage = options.followUserPageSize ?? 2;
  const roomAgreeKey = options.roomAgreeKey ?? 'agreeinfo';

  const tokens = new Map<string, 'valid' | 'expired' | 'invalid'>();
  const faults = new Map<string, WeComApiFault[]>();
  const calls = new Map<string, number>();
  const recorded: RecordedRequest[] = [];

  const send = (res: ServerResponse, status: number, payload: unknown): void => {
    const body = JSON.stringify(payload);
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const ok = (res: ServerResponse, payload: Record<string, unknown>): void => send(res, 200, { errcode: 0, errmsg: 'ok', ...payload });
  const fail = (res: ServerResponse, errcode: number, errmsg: string): void => send(res, 200, { errcode, errmsg: `${errmsg}, hint: [${Date.now()}-test], more info at https://open.work.weixin.qq.com/devtool/query?e=${errcode}` });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!url.pathname.startsWith('/cgi-bin/')) {
      // What a wrong base URL would hit: some web server's HTML page.
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html><body>404 Not Found</body></html>');
      return;
    }
    const api = url.pathname.slice('/cgi-bin/'.length);
    calls.set(api, (calls.get(api) ?? 0) + 1);
    const query = Object.fromEntries([...url.searchParams].filter(([k]) => k !== 'access_token' && k !== 'corpsecret'));
    let body: unknown;
    try {
      body = await readBody(req);
    } catch {
      return fail(res, 47001, 'data format error');
    }
    recorded.push({ api, method: req.method ?? '', query, body });

    const fault = faults.get(api)?.shift();
    if (fault) {
      switch (fault.kind) {
        case 'errcode':
          return fail(res, fault.errcode, fault.errmsg ?? (fault.errcode === -1 ? 'system busy' : 'injected error'));
        case 'http':
          res.writeHead(fault.status, { 'content-type': 'text/html' });
          res.end(`<html><body>${fault.status}</body></html>`);
          return;
        case 'drop':
          req.socket.destroy();
          return;
        case 'payload':
          return send(res, 200, fault.payload);
        case 'redirect':
          res.writeHead(302, { location: fault.location });
          res.end();
          return;
        case 'delay':
          // Answer normally after the delay (a client with a shorter timeout gives up first).
          await new Promise((r) => setTimeout(r, fault.ms));
          if (res.destroyed) return;
          break;
      }
    }

    if (api === 'gettoken') {
      if (req.method !== 'GET') return fail(res, 43001, 'require GET method');
      if (url.searchParams.get('corpid') !== corpId) return fail(res, 40013, 'invalid corpid');
      if (url.searchParams.get('corpsecret') !== secret) {
        return fail(res, 40001, options.echoCredentialsInErrors ? `invalid credential, corpsecret=${url.searchParams.get('corpsecret') ?? ''} rejected` : 'invalid credential');
      }
      const token = randomBytes(48).toString('base64url');
      tokens.set(token, 'valid');
      return ok(res, { access_token: token, expires_in: ttl });
    }

    const token = url.searchParams.get('access_token') ?? '';
    const state = tokens.get(token);
    const echo = options.echoCredentialsInErrors ? ` (access_token=${token}; token ${token}; secret ${secret})` : '';
    if (!token) return fail(res, 41001, 'access_token missing');
    if (state === 'expired') return fail(res, 42001, 'access_token expired' + echo);
    if (state !== 'valid') return fail(res, 40014, 'invalid access_token' + echo);

    const wantGet = (): boolean => {
      if (req.method === 'GET') return true;
      fail(res, 43001, 'require GET method');
      return false;
    };
    const wantPost = (): Record<string, unknown> | undefined => {
      if (req.method !== 'POST') return void fail(res, 43002, 'require POST method');
      if (!isRecord(body)) return void fail(res, 47001, 'data format error');
      return body;
    };

    switch (api) {
      case 'department/list': {
        if (!wantGet()) return;
        const id = url.searchParams.get('id');
        return ok(res, { department: id === null ? departments : subtree(Number(id)) });
      }
      case 'user/list':
      case 'user/simplelist': {
        if (!wantGet()) return;
        const dept = Number(url.searchParams.get('department_id'));
        if (!departments.some((d) => d.id === dept)) return fail(res, 60003, 'department not found' + echo);
        const members = users.filter((u) => u.department.includes(dept));
        return ok(res, {
          userlist: api === 'user/list' ? members : members.map((u) => ({ userid: u.userid, name: u.name, department: u.department, ...(u.open_userid ? { open_userid: u.open_userid } : {}) })),
        });
      }
      case 'user/get': {
        if (!wantGet()) return;
        const user = users.find((u) => u.userid === url.searchParams.get('userid'));
        if (!user) return fail(res, 60111, 'userid not found' + echo);
        return ok(res, user);
      }
      case 'user/list_id': {
        const b = wantPost();
        if (!b) return;
        const limit = typeof b.limit === 'number' ? b.limit : 10_000;
        if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return fail(res, 40058, 'invalid limit');
        const offset = typeof b.cursor === 'string' && b.cursor !== '' ? decodeCursor(b.cursor) : 0;
        if (offset === undefined) return fail(res, 40058, 'invalid cursor');
        const links = users.flatMap((u) => u.department.map((d) => ({ userid: u.userid, department: d })));
        const page = links.slice(offset, offset + limit);
        const next = offset + limit < links.length ? encodeCursor(offset + limit) : '';
        return ok(res, { next_cursor: next, dept_user: page });
      }
      case 'externalcontact/list': {
        if (!wantGet()) return;
        const ids = externalIdsByUser[url.searchParams.get('userid') ?? ''];
        if (!ids) return fail(res, 60111, 'userid not found' + echo);
        return ok(res, { external_userid: ids });
      }
      case 'externalcontact/get': {
        if (!wantGet()) return;
        const contact = externalContacts.find((c) => c.external_contact.external_userid === url.searchParams.get('external_userid'));
        if (!contact) return fail(res, 40096, 'invalid external userid' + echo);
        const cursor = url.searchParams.get('cursor');
        const offset = cursor ? decodeCursor(cursor) : 0;
        if (offset === undefined) return fail(res, 40058, 'invalid cursor');
        const followers = contact.follow_user.slice(offset, offset + followPage);
        const next = offset + followPage < contact.follow_user.length ? encodeCursor(offset + followPage) : undefined;
        return ok(res, { external_contact: contact.external_contact, follow_user: followers, ...(next ? { next_cursor: next } : {}) });
      }
      case 'msgaudit/groupchat/get': {
        const b = wantPost();
        if (!b) return;
        const room = typeof b.roomid === 'string' ? rooms[b.roomid] : undefined;
        if (!room) return fail(res, 40058, 'invalid roomid' + echo);
        return ok(res, room);
      }
      case 'msgaudit/get_permit_user_list': {
        const b = wantPost();
        if (!b) return;
        const ids = b.type === undefined ? ['dubo', 'qinlei', 'hanxue'] : permitUsers[String(b.type)];
        if (!ids) return fail(res, 40058, 'invalid type');
        return ok(res, { ids });
      }
      case 'msgaudit/check_single_agree': {
        const b = wantPost();
        if (!b) return;
        if (!Array.isArray(b.info) || b.info.length === 0 || b.info.length > 100) return fail(res, 40058, 'invalid info');
        const agreeinfo = [];
        for (const item of b.info as unknown[]) {
          if (!isRecord(item) || typeof item.userid !== 'string' || typeof item.exteranalopenid !== 'string') return fail(res, 40058, 'invalid info');
          const known = singleAgree[`${item.userid}|${item.exteranalopenid}`];
          if (known) agreeinfo.push({ status_change_time: known.status_change_time, userid: item.userid, exteranalopenid: item.exteranalopenid, agree_status: known.agree_status });
        }
        return ok(res, { agreeinfo });
      }
      case 'msgaudit/check_room_agree': {
        const b = wantPost();
        if (!b) return;
        const list = typeof b.roomid === 'string' ? roomAgree[b.roomid] : undefined;
        if (!list) return fail(res, 40058, 'invalid roomid');
        return ok(res, { [roomAgreeKey]: list });
      }
      default:
        return fail(res, 48001, 'api forbidden');
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { errcode: -1, errmsg: 'test server error' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const setAll = (state: 'expired' | 'invalid'): void => {
    for (const t of tokens.keys()) tokens.set(t, state);
  };

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    corpId,
    secret,
    get tokenRequests() {
      return calls.get('gettoken') ?? 0;
    },
    callsTo: (api) => calls.get(api) ?? 0,
    issuedTokens: () => [...tokens.keys()],
    requests: (api) => recorded.filter((r) => r.api === api),
    expireTokens: () => setAll('expired'),
    invalidateTokens: () => setAll('invalid'),
    injectFault(api, fault, times = 1) {
      const queue = faults.get(api) ?? [];
      for (let i = 0; i < times; i++) queue.push(fault);
      faults.set(api, queue);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
