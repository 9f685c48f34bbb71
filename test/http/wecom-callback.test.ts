import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptForTest } from '../../src/connectors/wecom/callback-crypto.js';
import { buildApp } from '../../src/http/app.js';
import { listAuditEvents } from '../../src/services/audit.js';
import { addWeComSource } from '../../src/services/connectors/wecom-source.js';
import { startTestServer, type TestServer } from '../support/http.js';

/** The WeCom callback URL: verification, msgaudit_notify → sync now, and refusals (signature, replay, unknown source). */

let server: TestServer;
let app: Awaited<ReturnType<typeof buildApp>>;
const triggered: string[] = [];
const keys = { token: 'CallbackToken123', encodingAesKey: randomBytes(32).toString('base64').slice(0, 43), receiveId: 'ww-callback-corp' };

beforeAll(async () => {
  server = await startTestServer();
  const file = (name: string, content: string): string => {
    const p = join(server.dir, name);
    writeFileSync(p, content);
    return p;
  };
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  await addWeComSource(server.ctx, {
    name: 'acme', corpId: keys.receiveId, secretFile: file('secret', 's'), privateKeys: [`1=${file('k1.pem', privateKey)}`], sdkPath: '/nonexistent.so',
    callbackTokenFile: file('token', keys.token), encodingAesKeyFile: file('aes', keys.encodingAesKey),
  });
  app = await buildApp(server.ctx, { https: false, webRoot: join(server.dir, 'no-web'), triggerSync: (s) => (triggered.push(s), true) });
});
afterAll(async () => {
  await app.close();
  await server.close();
});

const query = (e: { msgSignature: string; timestamp: string; nonce: string }, extra: Record<string, string> = {}): string =>
  new URLSearchParams({ msg_signature: e.msgSignature, timestamp: e.timestamp, nonce: e.nonce, ...extra }).toString();

describe('WeCom callback', () => {
  it('answers the URL verification with the decrypted echo string', async () => {
    const e = encryptForTest('echo-1234567890', keys, { clock: server.clock });
    const res = await app.inject({ method: 'GET', url: `/api/v1/wecom/callback/acme?${query(e, { echostr: e.encrypt })}` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('echo-1234567890');
  });

  it('triggers a sync on msgaudit_notify (no session, no CSRF token), audited, and refuses a replay', async () => {
    const xml = `<xml><ToUserName><![CDATA[${keys.receiveId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>${Math.floor(server.clock.now() / 1000)}</CreateTime><MsgType><![CDATA[event]]></MsgType><AgentID>2000004</AgentID><Event><![CDATA[msgaudit_notify]]></Event></xml>`;
    const e = encryptForTest(xml, keys, { clock: server.clock });
    const post = () => app.inject({ method: 'POST', url: `/api/v1/wecom/callback/acme?${query(e)}`, headers: { 'content-type': 'text/xml' }, payload: e.callbackXml });
    const res = await post();
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('success');
    expect(triggered).toEqual(['wecom:acme']);
    const events = await listAuditEvents(server.ctx, { limit: 5, action: 'source.callback' });
    expect(events[0]!.details).toMatchObject({ event: 'msgaudit_notify', syncRequested: true });
    expect((await post()).statusCode).toBe(409);
    expect(triggered).toHaveLength(1);
  });

  it('refuses a bad signature and unknown sources', async () => {
    const e = encryptForTest('<xml><MsgType>event</MsgType></xml>', keys, { clock: server.clock });
    const forged = await app.inject({ method: 'POST', url: `/api/v1/wecom/callback/acme?${query({ ...e, msgSignature: '0'.repeat(40) })}`, headers: { 'content-type': 'text/xml' }, payload: e.callbackXml });
    expect(forged.statusCode).toBe(401);
    const unknown = await app.inject({ method: 'POST', url: `/api/v1/wecom/callback/other?${query(e)}`, headers: { 'content-type': 'text/xml' }, payload: e.callbackXml });
    expect(unknown.statusCode).toBe(404);
  });
});
