import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listAuditEvents } from '../../src/services/audit.js';
import { addUser } from '../../src/services/users.js';
import { ApiClient, startTestServer, STRONG_PASSWORD, type TestServer } from '../support/http.js';
import { SoftAuthenticator } from '../support/soft-authenticator.js';

/** Passkeys as a second factor, with a software authenticator (inject's requests come from http://localhost). */

const ORIGIN = 'http://localhost';
let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await server.close();
});

async function enrollWithPasskey(username: string): Promise<{ auth: SoftAuthenticator; client: ApiClient; recoveryCodes: string[] }> {
  const { setupToken } = await addUser(server.ctx, { username, role: 'compliance' });
  const client = await new ApiClient(server.app).start();
  expect((await client.post(`/auth/setup/${setupToken}`, { password: STRONG_PASSWORD })).json.status).toBe('enroll_mfa');
  const options = await client.post('/auth/passkey/register/options');
  expect(options.status).toBe(200);
  expect(options.json.rp).toEqual({ name: 'WeKeep', id: 'localhost' });
  const auth = new SoftAuthenticator(ORIGIN);
  const done = await client.post('/auth/passkey/register', { response: auth.create(options.json), name: 'Laptop' });
  expect(done.status, done.body).toBe(200);
  expect(done.json.status).toBe('signed_in');
  return { auth, client, recoveryCodes: done.json.recoveryCodes as string[] };
}

describe('passkeys', () => {
  it('enrolls a passkey as the second factor during setup and signs in with it', async () => {
    const { auth, client, recoveryCodes } = await enrollWithPasskey('alice');
    expect(recoveryCodes).toHaveLength(10);
    expect((await client.get('/me/passkeys')).json.passkeys).toMatchObject([{ id: auth.id, name: 'Laptop', lastUsedAt: null }]);

    const c = await new ApiClient(server.app).start();
    const login = await c.post('/auth/login', { username: 'alice', password: STRONG_PASSWORD });
    expect(login.json).toMatchObject({ status: 'mfa_required', methods: ['passkey', 'recovery'] });
    const options = await c.post('/auth/mfa/passkey/options');
    expect(options.json.allowCredentials).toEqual([{ id: auth.id, type: 'public-key', transports: ['internal'] }]);
    const ok = await c.post('/auth/mfa/passkey', { response: auth.get(options.json) });
    expect(ok.status).toBe(200);
    expect(ok.json.status).toBe('signed_in');
    expect(ok.json.user.mfa).toMatchObject({ passkeys: 1, totp: false });
    const actions = (await listAuditEvents(server.ctx, { limit: 50, actor: 'user:alice' })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['auth.mfa.enrolled', 'auth.login.succeeded']));
  });

  it('refuses an assertion from another origin, a replayed challenge, and an unknown authenticator', async () => {
    const { auth } = await enrollWithPasskey('alice');
    const signInTo = async (): Promise<{ c: ApiClient; options: { challenge: string } }> => {
      const c = await new ApiClient(server.app).start();
      await c.post('/auth/login', { username: 'alice', password: STRONG_PASSWORD });
      return { c, options: (await c.post('/auth/mfa/passkey/options')).json };
    };
    const phishing = await signInTo();
    expect((await phishing.c.post('/auth/mfa/passkey', { response: auth.get(phishing.options, 'https://wekeep.example.evil') })).status).toBe(401);

    const first = await signInTo();
    const assertion = auth.get(first.options);
    expect((await first.c.post('/auth/mfa/passkey', { response: assertion })).status).toBe(200);
    const replay = await signInTo();
    expect((await replay.c.post('/auth/mfa/passkey', { response: assertion })).status).toBe(401);

    const stranger = await signInTo();
    expect((await stranger.c.post('/auth/mfa/passkey', { response: new SoftAuthenticator(ORIGIN).get(stranger.options) })).status).toBe(401);
  });

  it('does not remove the last second factor of a role that requires MFA', async () => {
    const { auth, client } = await enrollWithPasskey('alice');
    const res = await client.request('DELETE', `/me/passkeys/${auth.id}`);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('mfa.required');
    // With a second passkey, the first can go.
    const options = await client.post('/auth/passkey/register/options');
    expect(options.json.excludeCredentials).toEqual([{ id: auth.id, type: 'public-key', transports: ['internal'] }]);
    const second = new SoftAuthenticator(ORIGIN);
    expect((await client.post('/auth/passkey/register', { response: second.create(options.json), name: 'Phone' })).status).toBe(200);
    expect((await client.request('DELETE', `/me/passkeys/${auth.id}`)).status).toBe(200);
    expect((await client.get('/me/passkeys')).json.passkeys.map((p: { name: string }) => p.name)).toEqual(['Phone']);
  });
});
