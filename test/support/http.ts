import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import * as OTPAuth from 'otpauth';
import { loadConfig } from '../../src/config.js';
import { buildAmr } from '../../src/demo/formats.js';
import { createContext, type Context } from '../../src/context.js';
import type { Clock } from '../../src/domain/clock.js';
import { buildApp, type AppOptions } from '../../src/http/app.js';
import { importNdjson } from '../../src/services/import.js';
import { initStore } from '../../src/services/store.js';
import { addUser } from '../../src/services/users.js';
import { tempDir } from './cli.js';
import { toNdjson, type TestRecord } from './records.js';

/** In-process API tests: a real temporary store, the real app, requests through fastify's inject. */

export class FakeClock implements Clock {
  constructor(public t = Date.UTC(2026, 10, 24, 2, 0, 0)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export const STRONG_PASSWORD = 'Tea-garden 7 lanterns 合同';

/**
 * The fixture archive: zhangsan and lisi share a direct chat and the sales group (with wangwu);
 * wangwu and zhaoliu have a direct chat that zhangsan never took part in.
 */
export const fixtureRecords = (): TestRecord[] => {
  const t0 = Date.UTC(2026, 2, 1, 1, 0, 0);
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex').toString('base64');
  return [
    { source: 'test', id: 'g1', time: t0, conversation: { id: 'room-sales', type: 'group', title: '销售群' }, from: { id: 'zhangsan', name: '张三' }, to: [{ id: 'lisi', name: '李四' }, { id: 'wangwu', name: '王五' }], type: 'text', text: '合同今天发给客户' },
    { source: 'test', id: 'g2', time: t0 + 60_000, conversation: { id: 'room-sales', type: 'group', title: '销售群' }, from: { id: 'wangwu', name: '王五' }, to: [{ id: 'zhangsan', name: '张三' }, { id: 'lisi', name: '李四' }], type: 'text', text: '收到，合同我来审' },
    { source: 'test', id: 'd1', time: t0 + 120_000, conversation: { id: 'dm-zhangsan-lisi', type: 'direct' }, from: { id: 'lisi', name: '李四' }, to: [{ id: 'zhangsan', name: '张三' }], type: 'image', text: '合同扫描件', attachments: [{ name: 'scan.png', mime: 'image/png', data: png }] },
    { source: 'test', id: 'v1', time: t0 + 150_000, conversation: { id: 'room-sales', type: 'group', title: '销售群' }, from: { id: 'lisi', name: '李四' }, to: [{ id: 'zhangsan', name: '张三' }, { id: 'wangwu', name: '王五' }], type: 'voice', attachments: [{ name: 'v1.amr', mime: 'audio/amr', data: buildAmr(1.5, (b, s, e) => void b.fill(0x5a, s, e)).toString('base64') }] },
    { source: 'test', id: 'x1', time: t0 + 180_000, conversation: { id: 'dm-wangwu-zhaoliu', type: 'direct' }, from: { id: 'wangwu', name: '王五' }, to: [{ id: 'zhaoliu', name: '赵六' }], type: 'text', text: '私下的合同价格' },
    { source: 'test', id: 'x2', time: t0 + 240_000, conversation: { id: 'dm-wangwu-zhaoliu', type: 'direct' }, from: { id: 'zhaoliu', name: '赵六' }, to: [{ id: 'wangwu', name: '王五' }], type: 'file', text: '价格表', attachments: [{ name: 'prices.pdf', mime: 'application/pdf', data: Buffer.from('%PDF-1.4 secret price list').toString('base64') }] },
  ];
};

export interface TestServer {
  app: FastifyInstance;
  ctx: Context;
  clock: FakeClock;
  dir: string;
  close(): Promise<void>;
}

export async function startTestServer(options: Partial<AppOptions> = {}, records: TestRecord[] = fixtureRecords()): Promise<TestServer> {
  const dir = tempDir('http');
  const config = loadConfig({ data: join(dir.path, 'data') }, { WEKEEP_ACTOR: 'tester' });
  const init = await initStore(config);
  await init.ctx.close();
  const clock = new FakeClock();
  const ctx = await createContext(config, { clock });
  const file = join(dir.path, 'fixture.ndjson');
  writeFileSync(file, toNdjson(records));
  await importNdjson(ctx, { file });
  const app = await buildApp(ctx, { https: false, webRoot: join(dir.path, 'no-web'), ...options });
  return {
    app, ctx, clock, dir: dir.path,
    async close() {
      await app.close();
      await ctx.close();
      dir.cleanup();
    },
  };
}

export interface ApiResponse {
  status: number;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field in tests
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  raw: Buffer;
}

/** A browser-like client: keeps the session cookie and the CSRF token. */
export class ApiClient {
  cookie: string | undefined;
  csrf: string | undefined;

  constructor(private readonly app: FastifyInstance, readonly address = '192.0.2.10') {}

  async request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, options: { csrf?: string | null } = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = `wekeep_session=${this.cookie}`;
    const csrf = options.csrf === undefined ? this.csrf : options.csrf;
    if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
    const res = await this.app.inject({ method, url: `/api/v1${url}`, headers, remoteAddress: this.address, ...(body === undefined ? {} : { payload: body as object }) });
    const setCookie = res.cookies.find((c) => c.name === 'wekeep_session');
    if (setCookie) this.cookie = setCookie.value;
    let json: unknown;
    try {
      json = res.json();
    } catch {
      json = undefined;
    }
    if (json && typeof json === 'object' && 'csrfToken' in json && typeof json.csrfToken === 'string') this.csrf = json.csrfToken;
    return { status: res.statusCode, json, headers: res.headers, body: res.body, raw: res.rawPayload };
  }

  get(url: string): Promise<ApiResponse> {
    return this.request('GET', url);
  }

  post(url: string, body?: unknown): Promise<ApiResponse> {
    return this.request('POST', url, body ?? {});
  }

  async start(): Promise<this> {
    await this.get('/auth/session');
    return this;
  }
}

export const totpCode = (secret: string, now: number): string =>
  new OTPAuth.TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: OTPAuth.Secret.fromBase32(secret) }).generate({ timestamp: now });

export interface TestUser {
  username: string;
  password: string;
  secret: string | undefined;
  recoveryCodes: string[];
  client: ApiClient;
}

/** Creates an account and takes it through the real setup flow (password, TOTP enrollment when required). */
export async function createUser(server: TestServer, input: { username: string; role: string; person?: string; address?: string }): Promise<TestUser> {
  const { setupToken } = await addUser(server.ctx, { username: input.username, role: input.role, person: input.person });
  const client = await new ApiClient(server.app, input.address).start();
  const setup = await client.post(`/auth/setup/${setupToken}`, { password: STRONG_PASSWORD });
  if (setup.status !== 200) throw new Error(`setup failed: ${setup.status} ${setup.body}`);
  let secret: string | undefined;
  let recoveryCodes: string[] = [];
  if (setup.json.status === 'enroll_mfa') {
    const enroll = await client.post('/auth/totp/enroll');
    secret = enroll.json.secret as string;
    const confirm = await client.post('/auth/totp/confirm', { code: totpCode(secret, server.clock.now()) });
    if (confirm.status !== 200) throw new Error(`enrollment failed: ${confirm.status} ${confirm.body}`);
    recoveryCodes = confirm.json.recoveryCodes as string[];
  }
  return { username: input.username, password: STRONG_PASSWORD, secret, recoveryCodes, client };
}

/** Signs in again with password + TOTP (advancing the clock one step so the code is new). */
export async function signIn(server: TestServer, user: TestUser, address = '192.0.2.20'): Promise<ApiClient> {
  const client = await new ApiClient(server.app, address).start();
  const login = await client.post('/auth/login', { username: user.username, password: user.password });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.body}`);
  if (login.json.status === 'mfa_required') {
    server.clock.advance(30_000);
    const mfa = await client.post('/auth/mfa/totp', { code: totpCode(user.secret!, server.clock.now()) });
    if (mfa.status !== 200) throw new Error(`mfa failed: ${mfa.status} ${mfa.body}`);
  }
  return client;
}
