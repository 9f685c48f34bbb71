import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startWeComApiServer, type WeComApiServer, type WeComApiServerOptions } from '../../../test/support/wecom-api-server.js';
import type { Clock } from '../../domain/clock.js';
import { AppError } from '../../errors.js';
import { createWeComDirectoryClient, isWeComApiError, weComTimeToMs, type WeComApiClientConfig, type WeComDirectoryClient } from './directory-api.js';

const T0_MS = Date.UTC(2026, 0, 1); // the test server's company starts on 2026-01-01T00:00:00Z

class TestClock implements Clock {
  t = Date.UTC(2026, 5, 1, 8, 0, 0);
  now(): number {
    return this.t;
  }
}

let server: WeComApiServer;
let clock: TestClock;
let sleeps: number[];

async function restart(options: WeComApiServerOptions = {}): Promise<void> {
  await server.close();
  server = await startWeComApiServer(options);
}

function makeClient(overrides: Partial<WeComApiClientConfig> = {}): WeComDirectoryClient {
  return createWeComDirectoryClient({
    corpId: server.corpId,
    secret: server.secret,
    baseUrl: server.baseUrl,
    clock,
    retryBaseDelayMs: 4,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });
}

/** Awaits a rejection and returns it as an AppError (fails the test otherwise). */
async function appErrorOf(p: Promise<unknown>): Promise<AppError> {
  const e: unknown = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

beforeEach(async () => {
  server = await startWeComApiServer();
  clock = new TestClock();
  sleeps = [];
});

afterEach(async () => {
  await server.close();
});

describe('directory data', () => {
  it('lists departments as a tree, whole or from a root', async () => {
    const client = makeClient();
    const all = await client.listDepartments();
    expect(all).toHaveLength(4);
    expect(all[0]).toEqual({ id: 1, name: '云杉贸易', nameEn: 'Spruce Trading', parentId: undefined, order: 100_000_000, leaderUserIds: ['hanxue'] });
    expect(all.find((d) => d.id === 3)).toMatchObject({ name: '上海客户组', nameEn: undefined, parentId: 2, leaderUserIds: [] });
    const sales = await client.listDepartments(2);
    expect(sales.map((d) => d.id)).toEqual([2, 3]);
    expect(server.requests('department/list')[1]?.query).toEqual({ id: '2' });
  });

  it('lists the members of a department with status, and keeps no phone numbers or avatars', async () => {
    const client = makeClient();
    const members = await client.listDepartmentUsers(3);
    expect(members).toEqual([
      { userId: 'dubo', name: '杜博', alias: undefined, departmentIds: [3], mainDepartmentId: 3, position: '客户经理', email: undefined, status: 'active', openUserId: undefined },
      { userId: 'fangyu', name: '方雨', alias: undefined, departmentIds: [3], mainDepartmentId: 3, position: undefined, email: undefined, status: 'left', openUserId: undefined },
    ]);
    const compliance = await client.listDepartmentUsers(4);
    expect(compliance.map((u) => [u.userId, u.status])).toEqual([
      ['hanxue', 'active'],
      ['songjia', 'not_activated'],
    ]);
    const serialized = JSON.stringify([members, compliance]);
    expect(serialized).not.toContain('139000');
    expect(serialized).not.toContain('avatar');
  });

  it('reads the brief member list and one member (work mail preferred, open_userid kept)', async () => {
    const client = makeClient();
    const brief = await client.listDepartmentUsersBrief(1);
    expect(brief).toEqual([{ userId: 'hanxue', name: '韩雪', alias: undefined, departmentIds: [1, 4], mainDepartmentId: undefined, position: undefined, email: undefined, status: 'unknown', openUserId: 'woSpruceOpenHanxue' }]);
    expect(await client.getUser('hanxue')).toMatchObject({ email: 'hanxue@spruce.example', position: '总经理', status: 'active' });
    expect(await client.getUser('qinlei')).toMatchObject({ alias: 'Leo Qin', email: 'qinlei@spruce.example' });
  });

  it('follows next_cursor through user/list_id until it is empty', async () => {
    const client = makeClient({ pageSize: 4 });
    const links = await client.listUserIds();
    expect(links).toEqual([
      { userId: 'hanxue', departmentId: 1 },
      { userId: 'hanxue', departmentId: 4 },
      { userId: 'qinlei', departmentId: 2 },
      { userId: 'dubo', departmentId: 3 },
      { userId: 'fangyu', departmentId: 3 },
      { userId: 'songjia', departmentId: 4 },
    ]);
    const requests = server.requests('user/list_id');
    expect(requests).toHaveLength(2);
    expect(requests[0]?.body).toEqual({ limit: 4 });
    expect(requests[1]?.body).toMatchObject({ limit: 4, cursor: expect.any(String) });
  });

  it('stops when a cursor repeats instead of looping forever', async () => {
    const client = makeClient();
    const page = { errcode: 0, errmsg: 'ok', next_cursor: 'same', dept_user: [{ userid: 'dubo', department: 3 }] };
    server.injectFault('user/list_id', { kind: 'payload', payload: page }, 3);
    const e = await appErrorOf(client.listUserIds());
    expect(e.code).toBe('wecom.bad_response');
    expect(e.message).toContain('cursor repeats');
  });

  it('reads external contacts, paging through all followers', async () => {
    const client = makeClient();
    expect(await client.listExternalContactIds('dubo')).toEqual(['wmSpruceExt0001AAAA', 'wmSpruceExt0002BBBB']);
    expect(await client.listExternalContactIds('fangyu')).toEqual([]);

    const lin = await client.getExternalContact('wmSpruceExt0001AAAA');
    expect(server.callsTo('externalcontact/get')).toBe(2); // 3 followers, 2 per page
    expect(lin).toMatchObject({ externalUserId: 'wmSpruceExt0001AAAA', name: '林晓', kind: 'wechat', unionId: 'oUnionSpruceLin0001', corpName: undefined });
    expect(lin.followers.map((f) => f.userId)).toEqual(['dubo', 'qinlei', 'hanxue']);
    expect(lin.followers[0]).toEqual({ userId: 'dubo', remark: '林晓-报价中', description: '上海展会认识', addedAt: T0_MS + 3_600_000, addWay: 1, state: 'expo2026' });
    expect(lin.followers[1]?.remark).toBeUndefined();
    expect(JSON.stringify(lin)).not.toContain('13800000201'); // remark_mobiles are not kept

    const zhao = await client.getExternalContact('wmSpruceExt0002BBBB');
    expect(zhao).toMatchObject({ kind: 'wecom', corpName: '北辰机械', corpFullName: '北辰机械制造有限公司', position: '采购经理', unionId: undefined });
    expect(zhao.followers).toHaveLength(1);
  });

  it('reads an archived room with members and join times in UTC ms', async () => {
    const room = await makeClient().getRoom('wrSpruceRoom0001');
    expect(room).toEqual({
      roomId: 'wrSpruceRoom0001',
      name: '上海客户项目群',
      creator: 'dubo',
      createdAt: T0_MS,
      notice: '周五前确认报价',
      members: [
        { memberId: 'dubo', joinedAt: T0_MS },
        { memberId: 'qinlei', joinedAt: T0_MS + 60_000 },
        { memberId: 'wmSpruceExt0001AAAA', joinedAt: T0_MS + 3_600_000 },
      ],
    });
    expect(server.requests('msgaudit/groupchat/get')[0]).toMatchObject({ method: 'POST', body: { roomid: 'wrSpruceRoom0001' } });
  });

  it('lists who is archived, optionally per edition', async () => {
    const client = makeClient();
    expect(await client.listPermitUsers()).toEqual(['dubo', 'qinlei', 'hanxue']);
    expect(await client.listPermitUsers(1)).toEqual(['dubo', 'qinlei']);
    expect(server.requests('msgaudit/get_permit_user_list').map((r) => r.body)).toEqual([{}, { type: 1 }]);
  });

  it('reads 1:1 consent, in batches of at most 100 pairs', async () => {
    const client = makeClient();
    const statuses = await client.checkSingleAgree([
      { userId: 'dubo', externalOpenId: 'wmSpruceExt0001AAAA' },
      { userId: 'dubo', externalOpenId: 'wmSpruceExt0002BBBB' },
      { userId: 'qinlei', externalOpenId: 'wmSpruceExt0001AAAA' },
    ]);
    expect(statuses).toEqual([
      { userId: 'dubo', externalOpenId: 'wmSpruceExt0001AAAA', state: 'agree', rawStatus: 'Agree', changedAt: T0_MS + 3_700_000 },
      { userId: 'dubo', externalOpenId: 'wmSpruceExt0002BBBB', state: 'disagree', rawStatus: 'Disagree', changedAt: T0_MS + 90_000_000 },
      { userId: 'qinlei', externalOpenId: 'wmSpruceExt0001AAAA', state: 'default_agree', rawStatus: 'Default_Agree', changedAt: undefined },
    ]);
    expect(server.requests('msgaudit/check_single_agree')[0]?.body).toEqual({
      info: [
        { userid: 'dubo', exteranalopenid: 'wmSpruceExt0001AAAA' },
        { userid: 'dubo', exteranalopenid: 'wmSpruceExt0002BBBB' },
        { userid: 'qinlei', exteranalopenid: 'wmSpruceExt0001AAAA' },
      ],
    });

    const many = Array.from({ length: 150 }, (_, i) => ({ userId: 'dubo', externalOpenId: i === 149 ? 'wmSpruceExt0002BBBB' : `wmUnknown${i}` }));
    const fromMany = await client.checkSingleAgree(many);
    expect(fromMany.map((s) => s.state)).toEqual(['disagree']);
    expect(server.requests('msgaudit/check_single_agree').slice(1).map((r) => (r.body as { info: unknown[] }).info.length)).toEqual([100, 50]);
    expect(await client.checkSingleAgree([])).toEqual([]);
  });

  it('reads room consent under either list key', async () => {
    const expected = [{ userId: undefined, externalOpenId: 'wmSpruceExt0001AAAA', state: 'agree', rawStatus: 'Agree', changedAt: T0_MS + 3_700_000 }];
    expect(await makeClient().checkRoomAgree('wrSpruceRoom0001')).toEqual(expected);
    await restart({ roomAgreeKey: 'voteinfo' });
    expect(await makeClient().checkRoomAgree('wrSpruceRoom0001')).toEqual(expected);
  });

  it('maps unknown consent values to unknown and keeps the raw value', async () => {
    server.injectFault('msgaudit/check_room_agree', {
      kind: 'payload',
      payload: { errcode: 0, errmsg: 'ok', agreeinfo: [{ exteranalopenid: 'wmA', agree_status: 'Pending_Review' }, { exteranalopenid: 'wmB', agree_status: 2, status_change_time: 1_767_225_600_000 }] },
    });
    expect(await makeClient().checkRoomAgree('wrSpruceRoom0001')).toEqual([
      { userId: undefined, externalOpenId: 'wmA', state: 'unknown', rawStatus: 'Pending_Review', changedAt: undefined },
      { userId: undefined, externalOpenId: 'wmB', state: 'disagree', rawStatus: '2', changedAt: T0_MS },
    ]);
  });
});

describe('access token', () => {
  it('fetches one token and reuses it across calls', async () => {
    const client = makeClient();
    await client.listDepartments();
    await client.listDepartmentUsers(3);
    await client.getRoom('wrSpruceRoom0001');
    expect(server.tokenRequests).toBe(1);
    expect(server.requests('gettoken')[0]?.query).toEqual({ corpid: server.corpId });
  });

  it('shares one token fetch between concurrent calls', async () => {
    const client = makeClient();
    await Promise.all([client.listDepartments(), client.listDepartmentUsers(3), client.listPermitUsers(), client.getUser('dubo'), client.getRoom('wrSpruceRoom0001')]);
    expect(server.tokenRequests).toBe(1);
  });

  it('refreshes the token a safety margin before expires_in', async () => {
    const client = makeClient({ tokenSafetyMarginMs: 300_000 });
    await client.listDepartments();
    clock.t += 7_200_000 - 300_000 - 1; // just before expiry minus the margin
    await client.listDepartments();
    expect(server.tokenRequests).toBe(1);
    clock.t += 2;
    await client.listDepartments();
    expect(server.tokenRequests).toBe(2);
  });

  it('keeps a short-lived token for at least half its life', async () => {
    await restart({ tokenTtlSeconds: 60 });
    const client = makeClient({ tokenSafetyMarginMs: 300_000 });
    await client.listDepartments();
    clock.t += 29_000;
    await client.listDepartments();
    expect(server.tokenRequests).toBe(1);
    clock.t += 2_000;
    await client.listDepartments();
    expect(server.tokenRequests).toBe(2);
  });

  it.each([
    ['expired (42001)', (s: WeComApiServer) => s.expireTokens()],
    ['invalid (40014)', (s: WeComApiServer) => s.invalidateTokens()],
  ])('fetches a new token when WeCom says the cached one is %s, and repeats the call', async (_label, spoil) => {
    const client = makeClient();
    await client.listDepartments();
    spoil(server);
    expect(await client.listDepartments(2)).toHaveLength(2);
    expect(server.tokenRequests).toBe(2);
    expect(server.callsTo('department/list')).toBe(3);
    await client.listDepartments(2);
    expect(server.tokenRequests).toBe(2); // the new token is cached again
  });

  it('refreshes only once per call: a second token error is reported', async () => {
    const client = makeClient();
    await client.listDepartments();
    server.injectFault('department/list', { kind: 'errcode', errcode: 42001 }, 2);
    const e = await appErrorOf(client.listDepartments());
    expect(e.code).toBe('wecom.api_error');
    expect(e.details).toMatchObject({ api: 'department/list', errcode: 42001 });
    expect(server.tokenRequests).toBe(2);
    expect(server.callsTo('department/list')).toBe(3);
  });

  it('reports a wrong secret as an api error of gettoken without the secret', async () => {
    const wrongSecret = 'wrong-secret-value-1234';
    await restart({ echoCredentialsInErrors: true });
    const e = await appErrorOf(makeClient({ secret: wrongSecret }).listDepartments());
    expect(e.code).toBe('wecom.api_error');
    expect(e.details).toMatchObject({ api: 'gettoken', errcode: 40001 });
    expect(JSON.stringify({ m: e.message, d: e.details, s: e.stack })).not.toContain(wrongSecret);
    expect(server.tokenRequests).toBe(1); // not retried: a wrong secret does not get better
  });
});

describe('errors and retries', () => {
  it('maps errcode ≠ 0 to wecom.api_error with the api name and errcode, without retrying', async () => {
    const client = makeClient();
    const e = await appErrorOf(client.getUser('nobody'));
    expect(e.code).toBe('wecom.api_error');
    expect(e.status).toBe(502);
    expect(e.message).toBe('WeCom API user/get failed with errcode 60111');
    expect(e.details).toMatchObject({ api: 'user/get', errcode: 60111 });
    expect(String(e.details?.errmsg)).toContain('userid not found');
    expect(isWeComApiError(e, 60111)).toBe(true);
    expect(isWeComApiError(e, 40014)).toBe(false);
    expect(server.callsTo('user/get')).toBe(1);
  });

  it('never lets a token or the secret into an error, even when WeCom echoes them', async () => {
    await restart({ echoCredentialsInErrors: true });
    const client = makeClient();
    const e = await appErrorOf(client.getUser('nobody'));
    const text = JSON.stringify({ m: e.message, d: e.details, s: e.stack });
    const tokens = server.issuedTokens();
    expect(tokens).toHaveLength(1);
    for (const t of tokens) expect(text).not.toContain(t);
    expect(text).not.toContain(server.secret);
    expect(text).toContain('[redacted]');
  });

  it('retries errcode -1 (system busy) with growing backoff', async () => {
    const client = makeClient({ retryBaseDelayMs: 100, retryMaxDelayMs: 10_000 });
    server.injectFault('msgaudit/groupchat/get', { kind: 'errcode', errcode: -1 }, 2);
    expect((await client.getRoom('wrSpruceRoom0001')).name).toBe('上海客户项目群');
    expect(server.callsTo('msgaudit/groupchat/get')).toBe(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(sleeps[0]).toBeLessThanOrEqual(100);
    expect(sleeps[1]).toBeGreaterThanOrEqual(100);
    expect(sleeps[1]).toBeLessThanOrEqual(200);
  });

  it('retries gettoken itself when WeCom is busy', async () => {
    server.injectFault('gettoken', { kind: 'errcode', errcode: -1 });
    expect(await makeClient().listPermitUsers()).toHaveLength(3);
    expect(server.tokenRequests).toBe(2);
  });

  it('gives up on errcode -1 after maxAttempts', async () => {
    const client = makeClient({ maxAttempts: 3 });
    await client.listDepartments();
    server.injectFault('department/list', { kind: 'errcode', errcode: -1 }, 5);
    const e = await appErrorOf(client.listDepartments());
    expect(e.details).toMatchObject({ api: 'department/list', errcode: -1 });
    expect(server.callsTo('department/list')).toBe(1 + 3);
  });

  it('retries a dropped connection and HTTP 5xx', async () => {
    const client = makeClient();
    server.injectFault('user/list', { kind: 'drop' });
    server.injectFault('user/list', { kind: 'http', status: 503 });
    expect(await client.listDepartmentUsers(3)).toHaveLength(2);
    expect(server.callsTo('user/list')).toBe(3);
  });

  it('retries after a timeout', async () => {
    const client = makeClient({ timeoutMs: 100 });
    server.injectFault('user/get', { kind: 'delay', ms: 1_000 });
    expect((await client.getUser('dubo')).name).toBe('杜博');
    expect(server.callsTo('user/get')).toBe(2);
  });

  it('reports wecom.network_error when the network keeps failing', async () => {
    const client = makeClient({ maxAttempts: 2 });
    await client.listDepartments();
    server.injectFault('department/list', { kind: 'drop' }, 2);
    const e = await appErrorOf(client.listDepartments());
    expect(e.code).toBe('wecom.network_error');
    expect(e.details).toMatchObject({ api: 'department/list', attempts: 2 });
    expect(JSON.stringify({ m: e.message, d: e.details })).not.toContain('access_token');
  });

  it('reports wecom.network_error when nothing listens', async () => {
    const base = server.baseUrl;
    await server.close();
    const e = await appErrorOf(createWeComDirectoryClient({ corpId: 'wwX', secret: 's3cret-value', baseUrl: base, maxAttempts: 2, sleep: async () => undefined }).listDepartments());
    expect(e.code).toBe('wecom.network_error');
    expect(e.message).toContain('ECONNREFUSED');
    server = await startWeComApiServer(); // for afterEach
  });

  it('refuses a response that is not WeCom JSON (wrong base URL), keeping the base path prefix', async () => {
    const e = await appErrorOf(makeClient({ baseUrl: `${server.baseUrl}/not-wecom/` }).listDepartments());
    expect(e.code).toBe('wecom.bad_response');
    expect(e.details).toMatchObject({ api: 'gettoken', reason: 'HTTP 404' });
  });

  it('refuses an answer of the wrong shape', async () => {
    server.injectFault('department/list', { kind: 'payload', payload: { errcode: 0, errmsg: 'ok', department: [{ id: 'one', name: 'x' }] } });
    const e = await appErrorOf(makeClient().listDepartments());
    expect(e.code).toBe('wecom.bad_response');
    expect(e.message).toContain('department.0.id');
    server.injectFault('gettoken', { kind: 'payload', payload: [1, 2] });
    const e2 = await appErrorOf(makeClient().listDepartments());
    expect(e2.code).toBe('wecom.bad_response');
  });

  it('does not follow redirects (the token is in the URL)', async () => {
    const other = await startWeComApiServer();
    try {
      const client = makeClient();
      await client.listDepartments();
      server.injectFault('department/list', { kind: 'redirect', location: `${other.baseUrl}/cgi-bin/department/list` });
      const e = await appErrorOf(client.listDepartments());
      expect(e.code).toBe('wecom.bad_response');
      expect(other.callsTo('department/list')).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('refuses responses above maxResponseBytes', async () => {
    const e = await appErrorOf(makeClient({ maxResponseBytes: 200 }).listDepartments());
    expect(e.code).toBe('wecom.bad_response');
    expect(e.message).toContain('larger than 200 bytes');
  });

  it('validates its configuration without echoing values', () => {
    const attempt = (): unknown => createWeComDirectoryClient({ corpId: 'ww1', secret: 'very-secret-value', baseUrl: 'ftp://example.invalid' });
    expect(attempt).toThrowError(AppError);
    try {
      attempt();
    } catch (e) {
      expect((e as AppError).code).toBe('wecom.bad_config');
      expect((e as AppError).message).toContain('baseUrl');
      expect((e as AppError).message).not.toContain('very-secret-value');
    }
  });
});

describe('weComTimeToMs', () => {
  it('converts seconds, keeps milliseconds, drops empty values', () => {
    expect(weComTimeToMs(1_767_225_600)).toBe(T0_MS);
    expect(weComTimeToMs(1_767_225_600_123)).toBe(T0_MS + 123);
    expect(weComTimeToMs(0)).toBeUndefined();
    expect(weComTimeToMs(undefined)).toBeUndefined();
  });
});
