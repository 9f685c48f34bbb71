import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addUser } from '../../src/services/users.js';
import { listAuditEvents } from '../../src/services/audit.js';
import { THROTTLE_FREE_FAILURES_PER_ADDRESS } from '../../src/services/auth.js';
import { allRoutes } from '../../src/http/app.js';
import { ApiClient, createUser, signIn, startTestServer, STRONG_PASSWORD, totpCode, type TestServer } from '../support/http.js';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await server.close();
});

describe('serving basics', () => {
  it('reports health without authentication and nothing else', async () => {
    const res = await new ApiClient(server.app).get('/health');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok' });
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('documents every route in the OpenAPI document', async () => {
    const doc = (await new ApiClient(server.app).get('/openapi.json')).json;
    expect(doc.openapi).toBe('3.1.0');
    for (const r of allRoutes) {
      const path = `/api/v1${r.url.replace(/:([A-Za-z]+)/gu, '{$1}')}`;
      expect(doc.paths[path]?.[r.method.toLowerCase()], `${r.method} ${path}`).toBeDefined();
    }
    expect(doc.paths['/api/v1/search'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['q', 'limit', 'offset']);
  });

  it('sends strict security headers and an HttpOnly, SameSite=Strict session cookie (no HSTS on plain HTTP)', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/api/v1/auth/session' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['strict-transport-security']).toBeUndefined();
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/u);
    expect(cookie).toMatch(/SameSite=Strict/u);
    expect(cookie).not.toMatch(/Secure/u);
  });

  it('marks cookies Secure and sends HSTS when served over HTTPS', async () => {
    const secure = await startTestServer({ https: true });
    try {
      const res = await secure.app.inject({ method: 'GET', url: '/api/v1/auth/session' });
      expect(String(res.headers['set-cookie'])).toMatch(/Secure/u);
      expect(String(res.headers['strict-transport-security'])).toContain('max-age=31536000');
    } finally {
      await secure.close();
    }
  });

  it('renders unknown routes and bad input as JSON errors with a request id', async () => {
    const c = await new ApiClient(server.app).start();
    const missing = await c.get('/nope');
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('http.not_found');
    expect(missing.json.error.requestId).toMatch(/^[0-9a-f-]{36}$/u);
    const bad = await c.post('/auth/login', { username: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('body.password');
    // An overlong path parameter is answered in the same error format, without echoing the path.
    for (const length of [500, 5000]) {
      const long = await c.get(`/messages/${'9'.repeat(length)}`);
      expect(long.status, String(length)).toBeGreaterThanOrEqual(400);
      expect(long.json.error.code, String(length)).toMatch(/^(http|auth)\./u);
      expect(long.body).not.toContain('9'.repeat(200));
    }
  });
});

describe('setup from a one-time link', () => {
  it('refuses weak passwords, enrolls TOTP with 10 recovery codes, and spends the link', async () => {
    const { setupToken } = await addUser(server.ctx, { username: 'alice', role: 'compliance' });
    const c = await new ApiClient(server.app).start();
    expect((await c.get(`/auth/setup/${setupToken}`)).json).toEqual({ username: 'alice', role: 'compliance', mfaRequired: true });
    for (const weak of ['short', 'password12345', 'alice-is-here-now']) {
      const r = await c.post(`/auth/setup/${setupToken}`, { password: weak });
      expect(r.status, weak).toBe(400);
      expect(r.json.error.code).toBe('password.too_weak');
    }
    const set = await c.post(`/auth/setup/${setupToken}`, { password: STRONG_PASSWORD });
    expect(set.json.status).toBe('enroll_mfa');
    // Not signed in yet: no content, no account page.
    expect((await c.get('/search?q=合同')).status).toBe(401);
    const enroll = await c.post('/auth/totp/enroll');
    expect(enroll.json.uri).toMatch(/^otpauth:\/\/totp\/WeKeep:alice\?/u);
    expect(enroll.json.qrSvg).toMatch(/^<svg/u);
    expect((await c.post('/auth/totp/confirm', { code: '000000' })).status).toBe(400);
    const ok = await c.post('/auth/totp/confirm', { code: totpCode(enroll.json.secret, server.clock.now()) });
    expect(ok.status).toBe(200);
    expect(ok.json.status).toBe('signed_in');
    expect(ok.json.recoveryCodes).toHaveLength(10);
    expect(new Set(ok.json.recoveryCodes).size).toBe(10);
    expect((await c.get('/search?q=合同')).status).toBe(200);
    expect((await new ApiClient(server.app).start().then((x) => x.get(`/auth/setup/${setupToken}`))).status).toBe(404);
  });

  it('expires a setup link after 24 hours', async () => {
    const { setupToken } = await addUser(server.ctx, { username: 'late', role: 'auditor' });
    server.clock.advance(24 * 3_600_000 + 1);
    const c = await new ApiClient(server.app).start();
    expect((await c.post(`/auth/setup/${setupToken}`, { password: STRONG_PASSWORD })).status).toBe(404);
  });

  it('lets an employee sign in without MFA unless the admin requires it', async () => {
    const emp = await createUser(server, { username: 'zhangsan', role: 'employee', person: 'zhangsan' });
    expect(emp.secret).toBeUndefined();
    expect((await emp.client.get('/auth/session')).json.status).toBe('signed_in');
    const { setupToken } = await addUser(server.ctx, { username: 'lisi', role: 'employee', person: 'lisi', requireMfa: true });
    const c = await new ApiClient(server.app).start();
    expect((await c.post(`/auth/setup/${setupToken}`, { password: STRONG_PASSWORD })).json.status).toBe('enroll_mfa');
  });
});

describe('sign-in', () => {
  it('answers a wrong username and a wrong password identically', async () => {
    await createUser(server, { username: 'alice', role: 'compliance' });
    const a = await new ApiClient(server.app, '198.51.100.1').start();
    const b = await new ApiClient(server.app, '198.51.100.2').start();
    const unknown = await a.post('/auth/login', { username: 'nobody', password: STRONG_PASSWORD });
    const wrong = await b.post('/auth/login', { username: 'alice', password: 'not the password at all' });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.json.error.code).toBe(wrong.json.error.code);
    expect(unknown.json.error.message).toBe(wrong.json.error.message);
  });

  it('needs password then TOTP, and never accepts the same code twice', async () => {
    const alice = await createUser(server, { username: 'alice', role: 'compliance' });
    server.clock.advance(30_000);
    const c = await new ApiClient(server.app).start();
    const before = c.cookie;
    const login = await c.post('/auth/login', { username: 'Alice', password: alice.password });
    expect(login.json).toMatchObject({ status: 'mfa_required', methods: ['totp', 'recovery'] });
    // The password alone reveals nothing of the account (role, person, factors).
    expect(login.json.user).toBeUndefined();
    expect((await c.get('/auth/session')).json).toMatchObject({ status: 'mfa_required' });
    expect((await c.get('/auth/session')).json.user).toBeUndefined();
    expect(c.cookie).not.toBe(before); // a new session id at every step (no fixation)
    expect((await c.get('/search?q=x')).status).toBe(401);
    const code = totpCode(alice.secret!, server.clock.now());
    const ok = await c.post('/auth/mfa/totp', { code });
    expect(ok.json.status).toBe('signed_in');
    expect(ok.json.user).toMatchObject({ username: 'alice', role: 'compliance', mfa: { totp: true, required: true, recoveryCodesLeft: 10 } });

    const again = await new ApiClient(server.app).start();
    expect((await again.post('/auth/login', { username: 'alice', password: alice.password })).json.status).toBe('mfa_required');
    const replay = await again.post('/auth/mfa/totp', { code });
    expect(replay.status).toBe(401);
    server.clock.advance(30_000);
    expect((await again.post('/auth/mfa/totp', { code: totpCode(alice.secret!, server.clock.now()) })).json.status).toBe('signed_in');
  });

  it('accepts each recovery code once', async () => {
    const alice = await createUser(server, { username: 'alice', role: 'auditor' });
    const use = async (code: string): Promise<number> => {
      const c = await new ApiClient(server.app).start();
      await c.post('/auth/login', { username: 'alice', password: alice.password });
      return (await c.post('/auth/mfa/recovery', { code })).status;
    };
    expect(await use(alice.recoveryCodes[0]!.toUpperCase())).toBe(200);
    expect(await use(alice.recoveryCodes[0]!)).toBe(401);
    expect(await use('zzzzz-zzzzz')).toBe(401);
  });

  it('throttles repeated failures with growing delays, then locks the account until an admin unlocks it', async () => {
    const alice = await createUser(server, { username: 'alice', role: 'compliance' });
    const admin = await createUser(server, { username: 'root', role: 'admin' });
    const attempt = async (password: string, address: string): Promise<{ status: number; retry?: string }> => {
      const c = await new ApiClient(server.app, address).start();
      const r = await c.post('/auth/login', { username: 'alice', password });
      return { status: r.status, retry: r.headers['retry-after'] as string | undefined };
    };
    expect((await attempt('wrong password one', '203.0.113.1')).status).toBe(401);
    expect((await attempt('wrong password two', '203.0.113.2')).status).toBe(401);
    expect((await attempt('wrong password three', '203.0.113.3')).status).toBe(401);
    // Per account (from any address): now delayed.
    const throttled = await attempt(alice.password, '203.0.113.4');
    expect(throttled.status).toBe(429);
    expect(Number(throttled.retry)).toBeGreaterThan(0);
    for (let i = 4; i <= 10; i++) {
      server.clock.advance(16 * 60_000);
      expect((await attempt(`wrong password ${i}`, `203.0.113.${i + 10}`)).status).toBe(401);
    }
    server.clock.advance(16 * 60_000);
    // Locked: even the right password fails, and says nothing about the lock.
    const locked = await attempt(alice.password, '203.0.113.50');
    expect(locked.status).toBe(401);
    const adminClient = await signIn(server, admin);
    const users = (await adminClient.get('/users')).json.users as { username: string; locked: boolean }[];
    expect(users.find((u) => u.username === 'alice')?.locked).toBe(true);
    expect((await adminClient.post('/users/alice/unlock')).status).toBe(200);
    expect((await attempt(alice.password, '203.0.113.51')).status).toBe(200);
  });

  it('throttles per address across usernames, later than per account (an office behind one address)', async () => {
    const c = await new ApiClient(server.app, '203.0.113.99').start();
    const names = Array.from({ length: THROTTLE_FREE_FAILURES_PER_ADDRESS }, (_, i) => `a${i}`);
    for (const u of names) expect((await c.post('/auth/login', { username: u, password: 'whatever password' })).status).toBe(401);
    expect((await c.post('/auth/login', { username: 'sprayed', password: 'whatever password' })).status).toBe(429);
  });
});

describe('sessions', () => {
  it('requires the CSRF token of the session on every state-changing request', async () => {
    const alice = await createUser(server, { username: 'alice', role: 'compliance' });
    const other = await new ApiClient(server.app).start();
    expect((await alice.client.request('POST', '/me/recovery-codes', {}, { csrf: null })).status).toBe(403);
    expect((await alice.client.request('POST', '/me/recovery-codes', {}, { csrf: other.csrf! })).status).toBe(403);
    expect((await alice.client.request('POST', '/me/recovery-codes', {})).status).toBe(200);
    const fresh = new ApiClient(server.app);
    expect((await fresh.request('POST', '/auth/login', { username: 'alice', password: alice.password }, { csrf: 'x' })).status).toBe(403);
  });

  it('ends after 30 minutes idle and after 12 hours in total', async () => {
    const alice = await createUser(server, { username: 'alice', role: 'compliance' });
    server.clock.advance(29 * 60_000);
    expect((await alice.client.get('/search?q=合同')).status).toBe(200);
    server.clock.advance(31 * 60_000);
    expect((await alice.client.get('/search?q=合同')).status).toBe(401);

    const again = await signIn(server, alice);
    for (let i = 0; i < 25; i++) {
      server.clock.advance(29 * 60_000);
      const r = await again.get('/search?q=合同');
      if (r.status !== 200) {
        expect(r.status).toBe(401);
        expect(i * 29 * 60_000).toBeGreaterThanOrEqual(11 * 3_600_000);
        return;
      }
    }
    throw new Error('session outlived its absolute timeout');
  });

  it('signs out one session, or every session of the user', async () => {
    const alice = await createUser(server, { username: 'alice', role: 'compliance' });
    const second = await signIn(server, alice);
    const list = (await second.get('/me/sessions')).json.sessions as { id: string; current: boolean }[];
    expect(list).toHaveLength(2);
    expect(list.filter((s) => s.current)).toHaveLength(1);
    expect((await second.post('/auth/logout-all')).json.status).toBe('anonymous');
    expect((await alice.client.get('/search?q=合同')).status).toBe(401);
    expect((await second.get('/search?q=合同')).status).toBe(401);
  });

  it('changes the password (current one required) and signs out other sessions', async () => {
    const alice = await createUser(server, { username: 'alice', role: 'compliance' });
    const second = await signIn(server, alice);
    expect((await alice.client.post('/me/password', { currentPassword: 'wrong wrong wrong', newPassword: 'Another long passphrase 9' })).status).toBe(401);
    expect((await alice.client.post('/me/password', { currentPassword: alice.password, newPassword: 'short' })).status).toBe(400);
    expect((await alice.client.post('/me/password', { currentPassword: alice.password, newPassword: 'Another long passphrase 9' })).status).toBe(200);
    expect((await second.get('/search?q=合同')).status).toBe(401);
    expect((await alice.client.get('/search?q=合同')).status).toBe(200);
  });

  it('changes second factors and recovery codes only within 15 minutes of signing in', async () => {
    const alice = await createUser(server, { username: 'alice', role: 'compliance' });
    server.clock.advance(10 * 60_000);
    const session = await alice.client.get('/search?q=合同'); // active: the idle timeout does not end it
    expect(session.status).toBe(200);
    server.clock.advance(6 * 60_000);
    for (const [method, url] of [['POST', '/me/recovery-codes'], ['POST', '/auth/totp/enroll'], ['POST', '/auth/passkey/register/options'], ['DELETE', '/me/totp'], ['DELETE', '/me/passkeys/AAAA']] as const) {
      const r = await alice.client.request(method, url, {});
      expect(r.status, url).toBe(403);
      expect((r.json as { error: { code: string } }).error.code, url).toBe('auth.recent_sign_in_required');
    }
    expect((await alice.client.get('/search?q=合同')).status).toBe(200); // the session itself goes on
    const fresh = await signIn(server, alice);
    expect((await fresh.request('POST', '/me/recovery-codes', {})).status).toBe(200);
  });

  it('ends the sessions of a disabled account at once', async () => {
    const alice = await createUser(server, { username: 'alice', role: 'compliance' });
    const admin = await createUser(server, { username: 'root', role: 'admin' });
    expect((await admin.client.post('/users/alice/disable')).status).toBe(200);
    expect((await alice.client.get('/search?q=合同')).status).toBe(401);
  });
});

describe('audit of sign-in and reads', () => {
  it('records logins, failures and searches with the user and their address, never the password', async () => {
    const alice = await createUser(server, { username: 'alice', role: 'compliance', address: '192.0.2.77' });
    await new ApiClient(server.app, '198.51.100.9').start().then((c) => c.post('/auth/login', { username: 'alice', password: 'a wrong password!' }));
    // A password typed into the user-name field (twice): audited by a keyed tag, never as text.
    for (let i = 0; i < 2; i += 1) await new ApiClient(server.app, '198.51.100.10').start().then((c) => c.post('/auth/login', { username: 'Tr0ub4dor&3-horse', password: 'x' }));
    await alice.client.get('/search?q=合同 from:zhangsan');
    const events = await listAuditEvents(server.ctx, { limit: 100 });
    const unknown = events.filter((e) => e.action === 'auth.login.failed' && (e.details as { reason?: string }).reason === 'unknown_user');
    expect(unknown).toHaveLength(2);
    expect(unknown[0]).toMatchObject({ actor: 'anonymous', subject: 'user:(unknown)', details: { nameTag: expect.stringMatching(/^[0-9a-f]{16}$/u) as unknown } });
    expect((unknown[1]!.details as { nameTag: string }).nameTag).toBe((unknown[0]!.details as { nameTag: string }).nameTag);
    expect(JSON.stringify(events).toLowerCase()).not.toContain('tr0ub4dor');
    const failed = events.find((e) => e.action === 'auth.login.failed' && e.subject === 'user:alice');
    expect(failed).toMatchObject({ actor: 'user:alice', subject: 'user:alice', details: { reason: 'wrong_password', address: '198.51.100.9' } });
    const ok = events.find((e) => e.action === 'auth.login.succeeded');
    expect(ok).toMatchObject({ actor: 'user:alice', details: { address: '192.0.2.77' } });
    const search = events.find((e) => e.action === 'search.executed');
    expect(search).toMatchObject({ actor: 'user:alice', details: { query: '合同 from:zhangsan', address: '192.0.2.77' } });
    expect(JSON.stringify(events)).not.toContain(STRONG_PASSWORD);
    expect(JSON.stringify(events)).not.toContain('a wrong password!');
  });
});
