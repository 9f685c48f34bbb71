import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../../src/http/app.js';
import { listAuditEvents } from '../../src/services/audit.js';
import { actingAs } from '../../src/context.js';
import { addUser, disableUser, setUserRole } from '../../src/services/users.js';
import { addMatter, placeHold } from '../../src/services/holds.js';
import { addPolicy } from '../../src/services/policies.js';
import { openPrivacyRequest } from '../../src/services/privacy-requests.js';
import { runDisposition } from '../../src/services/disposition-run.js';
import { ApiClient, createUser, fixtureRecords, signIn, startTestServer, type ApiResponse, type TestServer, type TestUser } from '../support/http.js';

/**
 * The authorization matrix: every guarded route × every role (and no session), with the expected
 * outcome written out by hand here (not derived from the code under test), then own/other data:
 * an employee asking for another person's message, attachment or conversation by key gets 404.
 */

type Who = 'admin' | 'compliance' | 'reviewer' | 'auditor' | 'employee';
const ROLES: Who[] = ['admin', 'compliance', 'reviewer', 'auditor', 'employee'];
const ALL_SIGNED_IN: Who[] = [...ROLES];

interface Case {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The route pattern as declared. */
  route: string;
  allowed: Who[];
  /** A concrete request (url under /api/v1 and body). */
  request(who: Who): { url: string; body?: unknown };
}

let server: TestServer;
const users = new Map<Who, TestUser>();
const keys: Record<string, string> = {};
const convKeys: Record<string, string> = {};
let runId = 0;

beforeAll(async () => {
  server = await startTestServer();
  users.set('admin', await createUser(server, { username: 'root', role: 'admin' }));
  users.set('compliance', await createUser(server, { username: 'officer', role: 'compliance' }));
  users.set('reviewer', await createUser(server, { username: 'rev', role: 'reviewer' }));
  users.set('auditor', await createUser(server, { username: 'aud', role: 'auditor' }));
  users.set('employee', await createUser(server, { username: 'zhangsan', role: 'employee', person: 'zhangsan' }));
  await addUser(server.ctx, { username: 'dummy', role: 'auditor' });
  const all = await users.get('compliance')!.client.get('/search?q=type:text OR type:image OR type:file&limit=100');
  for (const h of all.json.hits as { id: string; key: string; conversation: { id: string; key: string } }[]) {
    keys[h.id] = h.key;
    convKeys[h.conversation.id] = h.conversation.key;
  }
  expect(Object.keys(keys).sort()).toEqual(['d1', 'g1', 'g2', 'x1', 'x2']);
  await addPolicy(server.ctx, { name: 'voice-1y', scope: 'type:voice', max: '1y', action: 'review', purpose: 'p', basis: 'b' });
  await addMatter(server.ctx, { name: 'case-1' });
  await placeHold(server.ctx, { matter: 'case-1', custodians: ['zhangsan'], reason: 'r' });
  await openPrivacyRequest(server.ctx, { kind: 'access', subjects: ['zhaoliu'], requester: 'r' });
  runId = (await runDisposition(server.ctx, { dryRun: false, trigger: 'cli' })).id; // a run (nothing due: it disposes of nothing) whose certificate routes can be asked for
});

afterAll(async () => {
  await server.close();
});

const cases = (): Case[] => [
  { method: 'POST', route: '/me/password', allowed: ALL_SIGNED_IN, request: (w) => ({ url: '/me/password', body: { currentPassword: users.get(w)!.password, newPassword: 'weak' } }) },
  { method: 'GET', route: '/me/sessions', allowed: ALL_SIGNED_IN, request: () => ({ url: '/me/sessions' }) },
  { method: 'DELETE', route: '/me/sessions/:id', allowed: ALL_SIGNED_IN, request: () => ({ url: '/me/sessions/not-a-session' }) },
  { method: 'POST', route: '/me/recovery-codes', allowed: ALL_SIGNED_IN, request: () => ({ url: '/me/recovery-codes' }) },
  { method: 'DELETE', route: '/me/totp', allowed: ALL_SIGNED_IN, request: () => ({ url: '/me/totp' }) },
  { method: 'GET', route: '/me/passkeys', allowed: ALL_SIGNED_IN, request: () => ({ url: '/me/passkeys' }) },
  { method: 'DELETE', route: '/me/passkeys/:id', allowed: ALL_SIGNED_IN, request: () => ({ url: '/me/passkeys/AAAA' }) },
  { method: 'GET', route: '/users', allowed: ['admin'], request: () => ({ url: '/users' }) },
  { method: 'POST', route: '/users', allowed: ['admin'], request: (w) => ({ url: '/users', body: { username: `new-${w}`, role: 'auditor' } }) },
  { method: 'POST', route: '/users/:username/disable', allowed: ['admin'], request: () => ({ url: '/users/dummy/disable' }) },
  { method: 'POST', route: '/users/:username/enable', allowed: ['admin'], request: () => ({ url: '/users/dummy/enable' }) },
  { method: 'POST', route: '/users/:username/unlock', allowed: ['admin'], request: () => ({ url: '/users/dummy/unlock' }) },
  { method: 'POST', route: '/users/:username/reset', allowed: ['admin'], request: () => ({ url: '/users/dummy/reset' }) },
  { method: 'PUT', route: '/users/:username/role', allowed: ['admin'], request: () => ({ url: '/users/dummy/role', body: { role: 'auditor' } }) },
  { method: 'GET', route: '/user-approvals', allowed: ['compliance'], request: () => ({ url: '/user-approvals' }) },
  { method: 'POST', route: '/user-approvals/:username', allowed: ['compliance'], request: () => ({ url: '/user-approvals/dummy' }) },
  { method: 'GET', route: '/search', allowed: ['compliance', 'employee'], request: () => ({ url: '/search?q=合同' }) },
  { method: 'GET', route: '/messages/:key', allowed: ['compliance', 'employee'], request: () => ({ url: `/messages/${keys.g1}` }) },
  { method: 'GET', route: '/messages/:key/attachments/:ordinal', allowed: ['compliance', 'employee'], request: () => ({ url: `/messages/${keys.d1}/attachments/0` }) },
  { method: 'GET', route: '/conversations', allowed: ['compliance', 'employee'], request: () => ({ url: '/conversations' }) },
  { method: 'GET', route: '/conversations/:key/messages', allowed: ['compliance', 'employee'], request: () => ({ url: `/conversations/${convKeys['room-sales']}/messages` }) },
  { method: 'GET', route: '/conversations/:key/consent', allowed: ['compliance', 'employee'], request: () => ({ url: `/conversations/${convKeys['room-sales']}/consent` }) },
  { method: 'GET', route: '/stats', allowed: ['admin', 'compliance', 'auditor'], request: () => ({ url: '/stats' }) },
  { method: 'GET', route: '/sources', allowed: ['admin', 'compliance'], request: () => ({ url: '/sources' }) },
  { method: 'POST', route: '/sources/:name/sync', allowed: ['admin'], request: () => ({ url: '/sources/nope/sync' }) },
  { method: 'GET', route: '/system/scan', allowed: ['admin'], request: () => ({ url: '/system/scan' }) },
  { method: 'GET', route: '/audit/events', allowed: ['auditor'], request: () => ({ url: '/audit/events' }) },
  { method: 'GET', route: '/audit/head', allowed: ['auditor'], request: () => ({ url: '/audit/head' }) },
  { method: 'POST', route: '/audit/verify', allowed: ['auditor'], request: () => ({ url: '/audit/verify' }) },
  { method: 'GET', route: '/audit/proof/:seq', allowed: ['auditor'], request: () => ({ url: '/audit/proof/0' }) },
  { method: 'GET', route: '/retention/policies', allowed: ['compliance', 'auditor'], request: () => ({ url: '/retention/policies' }) },
  { method: 'POST', route: '/retention/policies', allowed: ['compliance'], request: (w) => ({ url: '/retention/policies', body: { name: `p-${w}`, max: '5y', purpose: 'p', basis: 'b' } }) },
  { method: 'GET', route: '/retention/policies/:ref', allowed: ['compliance', 'auditor'], request: () => ({ url: '/retention/policies/voice-1y' }) },
  { method: 'PUT', route: '/retention/policies/:ref', allowed: ['compliance'], request: () => ({ url: '/retention/policies/voice-1y', body: { max: '2y' } }) },
  { method: 'POST', route: '/retention/dry-run', allowed: ['compliance'], request: () => ({ url: '/retention/dry-run', body: { input: { name: 'x', max: '1d', purpose: 'p', basis: 'b' } } }) },
  { method: 'GET', route: '/retention/presets', allowed: ['compliance', 'auditor'], request: () => ({ url: '/retention/presets' }) },
  { method: 'GET', route: '/retention/forecast', allowed: ['compliance', 'auditor'], request: () => ({ url: '/retention/forecast' }) },
  { method: 'GET', route: '/matters', allowed: ['compliance'], request: () => ({ url: '/matters' }) },
  { method: 'POST', route: '/matters', allowed: ['compliance'], request: (w) => ({ url: '/matters', body: { name: `m-${w}` } }) },
  { method: 'GET', route: '/matters/:ref', allowed: ['compliance'], request: () => ({ url: '/matters/case-1' }) },
  { method: 'POST', route: '/matters/:ref/close', allowed: ['compliance'], request: () => ({ url: '/matters/no-such-matter/close', body: { reason: 'r' } }) },
  { method: 'GET', route: '/holds', allowed: ['compliance'], request: () => ({ url: '/holds' }) },
  { method: 'POST', route: '/holds', allowed: ['compliance'], request: () => ({ url: '/holds', body: { matter: 'case-1', custodians: ['lisi'], reason: 'r' } }) },
  { method: 'GET', route: '/holds/:id', allowed: ['compliance'], request: () => ({ url: '/holds/1' }) },
  { method: 'POST', route: '/holds/:id/release', allowed: ['compliance'], request: () => ({ url: '/holds/999/release', body: { reason: 'r' } }) },
  { method: 'GET', route: '/privacy/requests', allowed: ['compliance'], request: () => ({ url: '/privacy/requests' }) },
  { method: 'POST', route: '/privacy/requests', allowed: ['compliance'], request: () => ({ url: '/privacy/requests', body: { kind: 'access', subjects: ['zhaoliu'], requester: 'r' } }) },
  { method: 'POST', route: '/privacy/subjects/preview', allowed: ['compliance'], request: () => ({ url: '/privacy/subjects/preview', body: { subjects: ['zhaoliu'] } }) },
  { method: 'GET', route: '/privacy/requests/:id', allowed: ['compliance'], request: () => ({ url: '/privacy/requests/1' }) },
  { method: 'POST', route: '/privacy/requests/:id/execute', allowed: ['compliance'], request: () => ({ url: '/privacy/requests/999/execute' }) },
  { method: 'POST', route: '/privacy/requests/:id/reject', allowed: ['compliance'], request: () => ({ url: '/privacy/requests/999/reject', body: { reason: 'r' } }) },
  { method: 'POST', route: '/privacy/requests/:id/lift', allowed: ['compliance'], request: () => ({ url: '/privacy/requests/999/lift', body: {} }) },
  { method: 'GET', route: '/retention/runs', allowed: ['compliance', 'auditor'], request: () => ({ url: '/retention/runs' }) },
  { method: 'POST', route: '/retention/runs', allowed: ['compliance'], request: () => ({ url: '/retention/runs', body: { dryRun: true } }) },
  { method: 'GET', route: '/retention/status', allowed: ['compliance', 'auditor'], request: () => ({ url: '/retention/status' }) },
  { method: 'GET', route: '/retention/certificates', allowed: ['compliance', 'auditor'], request: () => ({ url: '/retention/certificates' }) },
  { method: 'GET', route: '/retention/certificates/:id/verify', allowed: ['compliance', 'auditor'], request: () => ({ url: `/retention/certificates/${runId}/verify` }) },
  { method: 'GET', route: '/retention/reviews', allowed: ['compliance'], request: () => ({ url: '/retention/reviews' }) },
  { method: 'POST', route: '/retention/reviews/:id/propose', allowed: ['compliance'], request: () => ({ url: '/retention/reviews/999/propose', body: { proposal: 'retain' } }) },
  { method: 'POST', route: '/retention/reviews/:id/decide', allowed: ['compliance'], request: () => ({ url: '/retention/reviews/999/decide', body: { approve: false } }) },
  { method: 'POST', route: '/retention/reviews/propose', allowed: ['compliance'], request: () => ({ url: '/retention/reviews/propose', body: { ids: [999], proposal: 'retain' } }) },
  { method: 'POST', route: '/retention/reviews/decide', allowed: ['compliance'], request: () => ({ url: '/retention/reviews/decide', body: { ids: [999], approve: false } }) },
  // Last: it ends the caller's sessions.
  { method: 'POST', route: '/auth/logout-all', allowed: ALL_SIGNED_IN, request: () => ({ url: '/auth/logout-all' }) },
];

/** Routes open to any session (sign-in steps) or to anyone. */
const UNGUARDED = ['GET /auth/session', 'POST /auth/login', 'POST /auth/mfa/totp', 'POST /auth/mfa/recovery', 'GET /auth/setup/:token', 'POST /auth/setup/:token', 'POST /auth/totp/enroll', 'POST /auth/totp/confirm', 'POST /auth/logout',
  'POST /auth/passkey/register/options', 'POST /auth/passkey/register', 'POST /auth/mfa/passkey/options', 'POST /auth/mfa/passkey',
  'GET /wecom/callback/:source', 'POST /wecom/callback/:source'];

describe('authorization matrix', () => {
  it('covers every declared route', () => {
    const declared = allRoutes.map((r) => `${r.method} ${r.url}`).sort();
    const covered = [...cases().map((c) => `${c.method} ${c.route}`), ...UNGUARDED].sort();
    expect(covered).toEqual(declared);
    for (const r of allRoutes) expect(UNGUARDED.includes(`${r.method} ${r.url}`)).toBe(r.access === 'session' || r.access === 'public');
  });

  it('refuses every guarded route without a signed-in session', async () => {
    const anon = await new ApiClient(server.app).start();
    for (const c of cases()) {
      const { url, body } = c.request('admin');
      const res = await anon.request(c.method, url, c.method === 'GET' ? undefined : (body ?? {}));
      expect(res.status, `${c.method} ${c.route}`).toBe(401);
      expect(res.json.error.code).toBe('auth.required');
    }
  });

  it('allows exactly the roles of the matrix', async () => {
    const outcome = (res: ApiResponse): 'allowed' | 'forbidden' | 'unauthenticated' =>
      res.status === 401 && res.json?.error?.code === 'auth.required' ? 'unauthenticated' : res.status === 403 && res.json?.error?.code === 'auth.forbidden' ? 'forbidden' : 'allowed';
    const table: string[] = [];
    for (const c of cases()) {
      for (const who of ROLES) {
        const { url, body } = c.request(who);
        const res = await users.get(who)!.client.request(c.method, url, c.method === 'GET' ? undefined : (body ?? {}));
        const got = outcome(res);
        const want = c.allowed.includes(who) ? 'allowed' : 'forbidden';
        if (got !== want) table.push(`${c.method} ${c.route} as ${who}: ${got} (${res.status} ${res.body.slice(0, 120)}), expected ${want}`);
        if (want === 'allowed' && c.method === 'GET' && !c.route.startsWith('/me/')) expect(res.status, `${c.method} ${c.route} as ${who}`).toBe(200);
      }
    }
    expect(table).toEqual([]);
  });
});

describe('own and other data', () => {
  let emp: ApiClient;
  let officer: ApiClient;
  beforeAll(async () => {
    const { setupToken } = await addUser(server.ctx, { username: 'zs2', role: 'employee', person: 'zhangsan' });
    emp = await new ApiClient(server.app).start();
    await emp.post(`/auth/setup/${setupToken}`, { password: 'Tea-garden 7 lanterns 合同' });
    const { setupToken: t2 } = await addUser(server.ctx, { username: 'officer2', role: 'compliance' });
    officer = await new ApiClient(server.app).start();
    await officer.post(`/auth/setup/${t2}`, { password: 'Tea-garden 7 lanterns 合同' });
    const enroll = await officer.post('/auth/totp/enroll');
    const { totpCode } = await import('../support/http.js');
    await officer.post('/auth/totp/confirm', { code: totpCode(enroll.json.secret, server.clock.now()) });
  });

  it('searches only the conversations the employee took part in, with exact totals', async () => {
    const mine = await emp.get('/search?q=合同');
    expect(mine.status).toBe(200);
    expect(mine.json.total).toBe(3);
    expect((mine.json.hits as { id: string }[]).map((h) => h.id).sort()).toEqual(['d1', 'g1', 'g2']);
    expect((await officer.get('/search?q=合同')).json.total).toBe(4);
    expect((await emp.get('/search?q=type:file')).json.total).toBe(0);
    expect((await emp.get('/search?q=in:dm-wangwu-zhaoliu')).json.total).toBe(0);
    expect((await emp.get('/search?q=-合同')).json.total).toBe(1); // the voice note
    expect((await officer.get('/search?q=in:dm-wangwu-zhaoliu')).json.total).toBe(2);
  });

  it('lists only the conversations the employee took part in', async () => {
    const mine = await emp.get('/conversations');
    expect(mine.json.total).toBe(2);
    expect((mine.json.conversations as { id: string }[]).map((c) => c.id).sort()).toEqual(['dm-zhangsan-lisi', 'room-sales']);
    // Labels: a group's title; a 1:1 chat without one by its members' names.
    const labels = Object.fromEntries((mine.json.conversations as { id: string; label: string }[]).map((c) => [c.id, c.label]));
    expect(labels).toEqual({ 'dm-zhangsan-lisi': '张三 · 李四', 'room-sales': '销售群' });
    const dm = (mine.json.conversations as { id: string; key: string }[]).find((c) => c.id === 'dm-zhangsan-lisi')!;
    expect((await emp.get(`/conversations/${dm.key}/messages`)).json.conversation).toMatchObject({ title: null, label: '张三 · 李四' });
    expect((await officer.get('/conversations')).json.total).toBe(3);
  });

  it('answers 404, not the content, for another person’s message, attachment or conversation', async () => {
    const missing = await emp.get('/messages/999999999');
    for (const url of [`/messages/${keys.x1}`, `/messages/${keys.x2}/attachments/0`, `/conversations/${convKeys['dm-wangwu-zhaoliu']}/messages`, `/conversations/${convKeys['dm-wangwu-zhaoliu']}/consent`]) {
      const res = await emp.get(url);
      expect(res.status, url).toBe(404);
      expect(res.body).not.toContain('私下');
      expect(res.body).not.toContain('secret price');
    }
    expect((await emp.get(`/messages/${keys.x1}`)).json.error.code).toBe(missing.json.error.code);
    // Each refused read of an existing object is audited (who, which object; the answer stays "not found").
    const denied = (await listAuditEvents(server.ctx, { action: 'access.denied', limit: 100 })).filter((e) => e.actor === 'user:zs2');
    expect(denied.map((e) => e.subject)).toEqual(expect.arrayContaining([`message:${keys.x1}`, `message:${keys.x2}`, `conversation:${convKeys['dm-wangwu-zhaoliu']}`]));
    expect(denied.filter((e) => e.subject === `message:${keys.x1}`).map((e) => (e.details as { reason: string }).reason)).toEqual(['out_of_scope', 'out_of_scope']);
    // A key that does not exist is audited too (so that timing does not tell the two apart), with its own reason.
    expect(denied.filter((e) => e.subject === 'message:999999999').map((e) => (e.details as { reason: string }).reason)).toEqual(['not_found']);
    // The same keys are readable by compliance.
    expect((await officer.get(`/messages/${keys.x1}`)).json.message.text).toBe('私下的合同价格');
    const pdf = await officer.get(`/messages/${keys.x2}/attachments/0`);
    expect(pdf.status).toBe(200);
    expect(pdf.body).toBe('%PDF-1.4 secret price list');
    expect(pdf.headers['content-type']).toBe('application/octet-stream');
    expect(String(pdf.headers['content-disposition'])).toMatch(/^attachment; filename="prices.pdf"/u);
  });

  it('lets the employee read their own messages, conversations and attachments, each read audited', async () => {
    const m = await emp.get(`/messages/${keys.d1}?context=5`);
    expect(m.status).toBe(200);
    expect(m.json.message).toMatchObject({ id: 'd1', text: '合同扫描件', from: { id: 'lisi' }, to: [{ id: 'zhangsan' }] });
    const conv = await emp.get(`/conversations/${convKeys['room-sales']}/messages?around=${keys.g2}`);
    expect((conv.json.messages as { id: string }[]).map((x) => x.id)).toEqual(['g1', 'g2', 'v1']);
    const img = await emp.get(`/messages/${keys.d1}/attachments/0?inline=1`);
    expect(img.status).toBe(200);
    expect(img.headers['content-type']).toBe('image/png');
    const att = fixtureRecords()[2]!.attachments![0]!;
    const png = Buffer.from('data' in att ? att.data : '', 'base64');
    expect(img.raw).toEqual(png);
    const events = await listAuditEvents(server.ctx, { limit: 200, actor: 'user:zs2' });
    const actions = events.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['message.viewed', 'conversation.viewed', 'attachment.viewed', 'search.executed']));
  });

  it('plays a voice note as WAV for the browser (decoded from AMR)', async () => {
    const voice = (await officer.get('/search?q=type:voice')).json.hits[0] as { key: string; conversation: { id: string } };
    expect(voice.conversation.id).toBe('room-sales');
    const wav = await emp.get(`/messages/${voice.key}/attachments/0?as=wav`);
    expect(wav.status).toBe(200);
    expect(wav.headers['content-type']).toBe('audio/wav');
    expect(wav.raw.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(wav.raw.readUInt32LE(24)).toBe(8000);
    expect((await emp.get(`/messages/${keys.x2}/attachments/0?as=wav`)).status).toBe(404);
    expect((await officer.get(`/messages/${keys.x2}/attachments/0?as=wav`)).json.error.code).toBe('media.not_voice');
    // The refused conversion completes the audit trail: viewed (written before any byte) then read_failed.
    const [failed] = await listAuditEvents(server.ctx, { action: 'attachment.read_failed', limit: 1 });
    expect(failed!.details).toMatchObject({ key: Number(keys.x2), ordinal: 0, code: 'media.not_voice' });
  });

  it('a stored object that fails its check: 500 with the code and no details, and the failed read in the audit log', async () => {
    const blobId = String(server.ctx.sqlite.prepare('SELECT blob_id FROM attachments WHERE message_id = ? AND ordinal = 0').pluck().get(Number(keys.x2)));
    const file = join(server.ctx.config.dataDir, 'blobs', blobId.slice(0, 2), blobId.slice(2, 4), blobId);
    const intact = readFileSync(file);
    writeFileSync(file, intact.subarray(0, 8));
    try {
      const r = await officer.get(`/messages/${keys.x2}/attachments/0`);
      expect(r.status).toBe(500);
      expect(r.json.error).toMatchObject({ code: 'blob.corrupt', message: 'internal error' });
      const [failed] = await listAuditEvents(server.ctx, { action: 'attachment.read_failed', limit: 1 });
      expect(failed!.details).toMatchObject({ key: Number(keys.x2), ordinal: 0, code: 'blob.corrupt' });
    } finally {
      writeFileSync(file, intact);
    }
    expect((await officer.get(`/messages/${keys.x2}/attachments/0`)).status).toBe(200);
  });

  it('refuses a query string that is not valid percent-encoded UTF-8, a path climbing out, and verifying a run that does not exist', async () => {
    const bad = await officer.get('/search?q=%ff%fe');
    expect([bad.status, bad.json.error.code]).toEqual([400, 'http.bad_url']);
    const missing = await officer.get('/retention/certificates/999999/verify');
    expect([missing.status, missing.json.error.code]).toEqual([404, 'retention.run_not_found']);
  });

  it('gives statistics per person only to roles that may see them', async () => {
    // (The matrix ended every session with logout-all.)
    const admin = await signIn(server, users.get('admin')!);
    const auditor = await signIn(server, users.get('auditor')!);
    const a = await admin.get('/stats');
    expect(a.status).toBe(200);
    expect(a.json.byPerson).toBeUndefined();
    expect(a.json.totals.messages).toBe(fixtureRecords().length);
    expect((await auditor.get('/stats')).json.byPerson.length).toBeGreaterThan(0);
  });
});

describe('separation of duties for accounts', () => {
  it('an account an admin gives access to content signs in only once a compliance user approves it', async () => {
    const admin = await signIn(server, users.get('admin')!);
    const officer = await signIn(server, users.get('compliance')!);
    // The admin creates a compliance account and holds its setup link: it could set it up itself…
    const created = await admin.post('/users', { username: 'shadow', role: 'compliance' });
    expect(created.json.user.approval).toMatchObject({ requestedBy: 'user:root' });
    const token = /#\/setup\/(\S+)$/u.exec(created.json.setupLink as string)![1]!;
    const shadow = await new ApiClient(server.app).start();
    expect((await shadow.post(`/auth/setup/${token}`, { password: 'Tea-garden 7 lanterns 合同' })).json.status).toBe('enroll_mfa');
    const secret = (await shadow.post('/auth/totp/enroll')).json.secret as string;
    const { totpCode } = await import('../support/http.js');
    // …but enrolling ends in "waits for approval", not a session that reads content.
    const enrolled = await shadow.post('/auth/totp/confirm', { code: totpCode(secret, server.clock.now()) });
    expect([enrolled.status, enrolled.json.error.code]).toEqual([403, 'auth.approval_pending']);
    expect((await shadow.get('/search?q=合同')).status).toBe(401);
    expect((await shadow.get('/auth/session')).json).toMatchObject({ authenticated: false, status: 'anonymous' });
    const login = await new ApiClient(server.app).start().then((c) => c.post('/auth/login', { username: 'shadow', password: 'Tea-garden 7 lanterns 合同' }));
    expect([login.status, login.json.error.code]).toEqual([403, 'auth.approval_pending']);
    // The admin cannot approve it; a compliance user sees it and does.
    expect((await admin.post('/user-approvals/shadow')).status).toBe(403);
    expect((await officer.get('/user-approvals')).json.users.map((u: { username: string }) => u.username)).toContain('shadow');
    const approved = await officer.post('/user-approvals/shadow');
    expect(approved.json.user.approval).toBeNull();
    expect((await officer.post('/user-approvals/shadow')).json.error.code).toBe('user.not_pending');
    server.clock.advance(30_000);
    const again = await new ApiClient(server.app).start();
    expect((await again.post('/auth/login', { username: 'shadow', password: 'Tea-garden 7 lanterns 合同' })).json.status).toBe('mfa_required');
    expect((await again.post('/auth/mfa/totp', { code: totpCode(secret, server.clock.now()) })).status).toBe(200);
    expect((await again.get('/search?q=合同')).status).toBe(200);

    // A reset by the admin (who gets the new link) and a new content role wait for approval again; an auditor role does not.
    const reset = await admin.post('/users/shadow/reset');
    expect(reset.json.user.approval).toMatchObject({ requestedBy: 'user:root' });
    expect((await admin.request('PUT', '/users/shadow/role', { role: 'auditor' })).json.user.approval).toBeNull();
    expect((await admin.request('PUT', '/users/shadow/role', { role: 'employee', person: 'zhangsan' })).json.user.approval).toMatchObject({ requestedBy: 'user:root' });
    const events = (await listAuditEvents(server.ctx, { limit: 200 })).map((e) => e.action);
    expect(events).toEqual(expect.arrayContaining(['user.access_approved', 'auth.login.refused']));
    // Before the approval, finishing the setup was not recorded as a sign-in.
    const shadowEvents = (await listAuditEvents(server.ctx, { limit: 200 })).filter((e) => e.subject === 'user:shadow');
    const approvedAt = shadowEvents.findIndex((e) => e.action === 'user.access_approved');
    expect(shadowEvents.slice(approvedAt + 1).some((e) => e.action === 'auth.login.succeeded')).toBe(false);
    // An approval that comes after the link's day makes the unused link valid for another day.
    const resetToken = /#\/setup\/(\S+)$/u.exec(reset.json.setupLink as string)![1]!;
    server.clock.advance(25 * 3600_000);
    expect((await new ApiClient(server.app).start().then((c) => c.get(`/auth/setup/${resetToken}`))).status).toBe(404);
    const officerLater = await signIn(server, users.get('compliance')!);
    expect((await officerLater.post('/user-approvals/shadow')).json.user.approval).toBeNull();
    expect((await new ApiClient(server.app).start().then((c) => c.get(`/auth/setup/${resetToken}`))).status).toBe(200);
    const approvals = (await listAuditEvents(server.ctx, { limit: 500 })).filter((e) => e.action === 'user.access_approved');
    expect(approvals.map((e) => (e.details as { setupLinkValidUntil?: string }).setupLinkValidUntil)).toContain(new Date(server.clock.now() + 24 * 3600_000).toISOString());
    // The CLI operator (who holds the keys) is not asked.
    const { user } = await addUser(actingAs(server.ctx, 'cli:ops'), { username: 'direct', role: 'compliance' });
    expect(user.approval).toBeNull();
  });

  it('nobody changes their own role, disables or resets themselves; the last enabled admin stays', async () => {
    const admin = await signIn(server, users.get('admin')!);
    const promote = await admin.request('PUT', '/users/root/role', { role: 'compliance' });
    expect(promote.status).toBe(403);
    expect((promote.json as { error: { code: string } }).error.code).toBe('user.self_change');
    for (const action of ['disable', 'reset']) {
      const r = await admin.post(`/users/root/${action}`);
      expect(r.status, action).toBe(403);
    }
    expect((await admin.get('/search?q=合同')).status).toBe(403);
    expect((await admin.get('/users')).json.users.find((u: { username: string }) => u.username === 'root').role).toBe('admin');

    // From the CLI too (another actor): the last enabled admin can be neither demoted nor disabled.
    const ops = actingAs(server.ctx, 'cli:ops');
    await expect(setUserRole(ops, 'root', 'compliance')).rejects.toMatchObject({ code: 'user.last_admin', exitCode: 2 });
    await expect(disableUser(ops, 'root')).rejects.toMatchObject({ code: 'user.last_admin' });
    // With a second admin, the first may be demoted by someone else.
    await addUser(server.ctx, { username: 'root2', role: 'admin' });
    expect((await setUserRole(ops, 'root', 'auditor')).role).toBe('auditor');
    await expect(disableUser(ops, 'root2')).rejects.toMatchObject({ code: 'user.last_admin' });
    expect((await setUserRole(ops, 'root', 'admin')).role).toBe('admin');
    // The admin's refused search is on record.
    const refused = await listAuditEvents(server.ctx, { action: 'access.denied', limit: 500 });
    expect(refused.some((e) => e.actor === 'user:root' && e.subject === 'GET /search' && (e.details as { reason?: string }).reason === 'role')).toBe(true);
  });
});
