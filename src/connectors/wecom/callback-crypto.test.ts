import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../domain/clock.js';
import { AppError } from '../../errors.js';
import {
  computeSignature,
  createMemoryReplayGuard,
  decryptEvent,
  encryptForTest,
  isMsgAuditNotify,
  parseCallbackXml,
  verifyUrl,
  type ReplayGuard,
  type WeComCallbackConfig,
} from './callback-crypto.js';

// Test keys invented for WeKeep: the AES key is SHA-256("wekeep-callback-test-key") in base64 without '='.
const TOKEN = 'WeKeepCbToken42';
const AES_KEY = 'a1CzdrN/W2ppR3+5U01IteJTmpSF5SAJ00zNbWy5shQ';
const CORP_ID = 'wwSpruce0123456789';

const NOTIFY_XML =
  '<xml><ToUserName><![CDATA[wwSpruce0123456789]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>' +
  '<CreateTime>1767225600</CreateTime><MsgType><![CDATA[event]]></MsgType><AgentID>2000004</AgentID>' +
  '<Event><![CDATA[msgaudit_notify]]></Event></xml>';

/**
 * Known answers computed outside Node with the OpenSSL command line and coreutils, not with any
 * code of ours: the plaintext was assembled byte by byte (prefix ‖ uint32 BE length ‖ message ‖
 * corpid ‖ PKCS#7 to 32), encrypted with `openssl enc -aes-256-cbc -nopad -K <key> -iv <key[0:16]>`,
 * and signed with `printf '%s\n' token timestamp nonce encrypt | LC_ALL=C sort | tr -d '\n' | sha1sum`.
 */
const EVENT_VECTOR = {
  random: Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'),
  timestamp: '1767225600',
  nonce: '1372623149',
  encrypt:
    'fbWDaz4VzuPVYFDoM6e3GWuk6vmtt3Zv8xQACxD9t64EsRrGeTm0RpoLNxwvq8WYbdp5DNK2XOVzzQMZS1nbBJ/rfZGeMM0n5UZPkPq9HPLyXPT9LyJM8EHC5jD4qTNQUxvjLct7jjkRbmE/r049q3mEafz/Srld7OJaqU2vB12fe3tk6VUYF99GH7zh+n9MqZtNZnSg85iVNvaEvRZ9qUDNNQk9hIv8DuYBwsOngI3f4RDzvH4QrQoLXyJRxK5IL1bBVyIe1kRTNR8L9cUiN+6Ocy5226bKijwTcx6DCmzA58DGExK2s0pKA2xYDqa81OkpVHYkEML7sH69OnQYSshai3SZc7CIV5kOsLFrdpvpo9sNkaW6kvO/BpIB0Hv3',
  signature: '150e13022c17aa6b757383fcb0f111fd844176a8',
};
/** URL verification: a 27-byte echo, so the padding is 31 bytes (impossible with 16-byte PKCS#7). */
const ECHO_VECTOR = {
  random: Buffer.from('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf', 'hex'),
  echo: '592741603287195640283314712',
  timestamp: '1767225900',
  nonce: '884213',
  echostr: 'c055nppS4SRpIejZy+x0azE85TMYg3Sb1hZM7MK2NOBLP5JOdvxwqFLfs50CsR8eLwrZoPdU+37JWWuxow4xeNSvbM+94l+CCwd5xu6QDOWL0PtXe4NdaVUppqxTuRUy',
  signature: '3e35695bb8137970cda53a5d55d5eb451c8a67fd',
};

class TestClock implements Clock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
}

function makeConfig(nowSeconds: number, overrides: Partial<WeComCallbackConfig> = {}): WeComCallbackConfig & { clock: TestClock } {
  return { token: TOKEN, encodingAesKey: AES_KEY, receiveId: CORP_ID, replayGuard: createMemoryReplayGuard(), clock: new TestClock(nowSeconds * 1000), ...overrides } as WeComCallbackConfig & {
    clock: TestClock;
  };
}

const query = (signature: string, timestamp: string, nonce: string): Record<string, string> => ({ msg_signature: signature, timestamp, nonce });
const envelope = (encrypt: string, extra = ''): string => `<xml><ToUserName><![CDATA[${CORP_ID}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt><AgentID><![CDATA[2000004]]></AgentID>${extra}</xml>`;

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const e: unknown = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

function rejectionSync(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected an AppError');
}

// --- An independent implementation of the scheme, straight from its description, for cross-checks.

const independentKey = (): Buffer => Buffer.from(AES_KEY + '=', 'base64');

function independentEncrypt(message: string, receiveId: string, random: Buffer, padOverride?: number): string {
  const msg = Buffer.from(message, 'utf8');
  const len = Buffer.from([(msg.length >>> 24) & 0xff, (msg.length >>> 16) & 0xff, (msg.length >>> 8) & 0xff, msg.length & 0xff]);
  const raw = Buffer.concat([random, len, msg, Buffer.from(receiveId, 'utf8')]);
  const padLength = 32 - (raw.length % 32);
  const padded = Buffer.concat([raw, Buffer.alloc(padLength, padOverride ?? padLength)]);
  const key = independentKey();
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
}

function independentDecrypt(encrypt: string): { random: Buffer; message: string; receiveId: string; padLength: number } {
  const key = independentKey();
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()]);
  const padLength = plain[plain.length - 1] ?? 0;
  const body = plain.subarray(0, plain.length - padLength);
  const msgLength = body.readUInt32BE(16);
  return { random: body.subarray(0, 16), message: body.subarray(20, 20 + msgLength).toString('utf8'), receiveId: body.subarray(20 + msgLength).toString('utf8'), padLength };
}

const independentSignature = (...parts: string[]): string =>
  createHash('sha1')
    .update([...parts].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))).join(''))
    .digest('hex');

// -------------------------------------------------------------------------------------------------

describe('known answers (OpenSSL-computed)', () => {
  it('decrypts a msgaudit_notify event', async () => {
    const config = makeConfig(1_767_225_600 + 20);
    const event = await decryptEvent(query(EVENT_VECTOR.signature, EVENT_VECTOR.timestamp, EVENT_VECTOR.nonce), envelope(EVENT_VECTOR.encrypt), config);
    expect(event.xml).toBe(NOTIFY_XML);
    expect(event).toMatchObject({ msgType: 'event', event: 'msgaudit_notify', createTime: 1_767_225_600_000, envelope: { toUserName: CORP_ID, agentId: '2000004' } });
    expect(event.fields).toEqual({ ToUserName: CORP_ID, FromUserName: 'sys', CreateTime: '1767225600', MsgType: 'event', AgentID: '2000004', Event: 'msgaudit_notify' });
    expect(isMsgAuditNotify(event)).toBe(true);
  });

  it('verifies the URL and returns the echo (31 bytes of padding)', async () => {
    const config = makeConfig(1_767_225_900);
    expect(await verifyUrl({ ...query(ECHO_VECTOR.signature, ECHO_VECTOR.timestamp, ECHO_VECTOR.nonce), echostr: ECHO_VECTOR.echostr }, config)).toBe(ECHO_VECTOR.echo);
  });

  it('encryptForTest reproduces the known ciphertexts and signatures exactly', () => {
    const keys = { token: TOKEN, encodingAesKey: AES_KEY, receiveId: CORP_ID };
    const event = encryptForTest(NOTIFY_XML, keys, { random: EVENT_VECTOR.random, timestamp: EVENT_VECTOR.timestamp, nonce: EVENT_VECTOR.nonce });
    expect(event.encrypt).toBe(EVENT_VECTOR.encrypt);
    expect(event.msgSignature).toBe(EVENT_VECTOR.signature);
    const echo = encryptForTest(ECHO_VECTOR.echo, keys, { random: ECHO_VECTOR.random, timestamp: ECHO_VECTOR.timestamp, nonce: ECHO_VECTOR.nonce });
    expect(echo.encrypt).toBe(ECHO_VECTOR.echostr);
    expect(echo.msgSignature).toBe(ECHO_VECTOR.signature);
    expect(computeSignature(TOKEN, ECHO_VECTOR.timestamp, ECHO_VECTOR.nonce, ECHO_VECTOR.echostr)).toBe(ECHO_VECTOR.signature);
  });
});

describe('round trips', () => {
  const keys = { token: TOKEN, encodingAesKey: AES_KEY, receiveId: CORP_ID };

  it('decryptEvent opens what encryptForTest sealed, and the reply XML carries the same values', async () => {
    const config = makeConfig(1_780_000_000);
    const sealed = encryptForTest(NOTIFY_XML, keys, { clock: config.clock, agentId: '2000004' });
    expect(sealed.timestamp).toBe('1780000000');
    const event = await decryptEvent(query(sealed.msgSignature, sealed.timestamp, sealed.nonce), sealed.callbackXml, config);
    expect(event.event).toBe('msgaudit_notify');
    expect(parseCallbackXml(sealed.replyXml)).toEqual({ Encrypt: sealed.encrypt, MsgSignature: sealed.msgSignature, TimeStamp: sealed.timestamp, Nonce: sealed.nonce });
  });

  it('verifyUrl opens an echostr sealed by encryptForTest', async () => {
    const config = makeConfig(1_780_000_000);
    const sealed = encryptForTest('1234567890123456789', keys, { clock: config.clock });
    expect(await verifyUrl({ ...query(sealed.msgSignature, sealed.timestamp, sealed.nonce), echostr: sealed.encrypt }, config)).toBe('1234567890123456789');
  });

  it.each([
    ['a full block of padding', 'x'.repeat(64 - 16 - 4 - CORP_ID.length)],
    ['one byte of padding', 'x'.repeat(63 - 16 - 4 - CORP_ID.length)],
    ['multibyte text', '<xml><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[msgaudit_notify]]></Event><Note><![CDATA[会话存档 🗂️ 通知]]></Note></xml>'],
  ])('survives %s', async (_label, message) => {
    const config = makeConfig(1_780_000_000);
    const sealed = encryptForTest(message, keys, { clock: config.clock });
    expect(await verifyUrl({ ...query(sealed.msgSignature, sealed.timestamp, sealed.nonce), echostr: sealed.encrypt }, config)).toBe(message);
  });

  it('what encryptForTest produces decrypts independently with node:crypto', () => {
    const random = Buffer.from('f0e1d2c3b4a5968778695a4b3c2d1e0f', 'hex');
    const sealed = encryptForTest('你好，WeKeep', keys, { random, timestamp: '1780000000', nonce: 'n0nce' });
    const opened = independentDecrypt(sealed.encrypt);
    expect(opened).toEqual({ random, message: '你好，WeKeep', receiveId: CORP_ID, padLength: 32 - ((16 + 4 + Buffer.byteLength('你好，WeKeep') + CORP_ID.length) % 32) });
    expect(sealed.msgSignature).toBe(independentSignature(TOKEN, '1780000000', 'n0nce', sealed.encrypt));
  });

  it('decryptEvent opens a request built independently with node:crypto', async () => {
    const encrypt = independentEncrypt(NOTIFY_XML, CORP_ID, Buffer.alloc(16, 7));
    const signature = independentSignature(TOKEN, '1780000000', 'abc123', encrypt);
    const event = await decryptEvent(query(signature, '1780000000', 'abc123'), Buffer.from(envelope(encrypt)), makeConfig(1_780_000_000));
    expect(event.xml).toBe(NOTIFY_XML);
  });
});

describe('rejections', () => {
  const keys = { token: TOKEN, encodingAesKey: AES_KEY, receiveId: CORP_ID };
  const now = 1_780_000_000;

  it('rejects a tampered signature, and remembers nothing', async () => {
    const config = makeConfig(now, { replayGuard: createMemoryReplayGuard() });
    const sealed = encryptForTest(NOTIFY_XML, keys, { clock: config.clock });
    const flipped = (sealed.msgSignature[0] === 'a' ? 'b' : 'a') + sealed.msgSignature.slice(1);
    const e = await rejection(decryptEvent(query(flipped, sealed.timestamp, sealed.nonce), sealed.callbackXml, config));
    expect(e.code).toBe('wecom.callback_bad_signature');
    expect(e.status).toBe(401);
    expect((config.replayGuard as ReturnType<typeof createMemoryReplayGuard>).size).toBe(0);
    // The genuine request still goes through afterwards.
    await decryptEvent(query(sealed.msgSignature, sealed.timestamp, sealed.nonce), sealed.callbackXml, config);
  });

  it('rejects a swapped ciphertext, a changed nonce or timestamp, and a wrong token', async () => {
    const config = makeConfig(now);
    const sealed = encryptForTest(NOTIFY_XML, keys, { clock: config.clock });
    const other = encryptForTest(NOTIFY_XML, keys, { clock: config.clock });
    const codes = await Promise.all([
      rejection(decryptEvent(query(sealed.msgSignature, sealed.timestamp, sealed.nonce), other.callbackXml, config)),
      rejection(decryptEvent(query(sealed.msgSignature, sealed.timestamp, sealed.nonce + '1'), sealed.callbackXml, config)),
      rejection(decryptEvent(query(sealed.msgSignature, String(now - 1), sealed.nonce), sealed.callbackXml, config)),
      rejection(decryptEvent(query(sealed.msgSignature, sealed.timestamp, sealed.nonce), sealed.callbackXml, { ...config, token: 'AnotherToken' })),
      rejection(verifyUrl({ ...query(sealed.msgSignature, sealed.timestamp, sealed.nonce), echostr: other.encrypt }, config)),
    ]);
    expect(codes.map((e) => e.code)).toEqual(Array(5).fill('wecom.callback_bad_signature'));
  });

  it('accepts an upper-case signature (hex is case-insensitive)', async () => {
    const config = makeConfig(now);
    const sealed = encryptForTest(NOTIFY_XML, keys, { clock: config.clock });
    await decryptEvent(query(sealed.msgSignature.toUpperCase(), sealed.timestamp, sealed.nonce), sealed.callbackXml, config);
  });

  it('rejects a message addressed to another corp id', async () => {
    const config = makeConfig(now);
    const sealed = encryptForTest(NOTIFY_XML, { ...keys, receiveId: 'wwSomeoneElse999' }, { clock: config.clock });
    const e = await rejection(decryptEvent(query(sealed.msgSignature, sealed.timestamp, sealed.nonce), sealed.callbackXml, config));
    expect(e.code).toBe('wecom.callback_bad_receiver');
    const echo = encryptForTest('42', { ...keys, receiveId: 'wwSomeoneElse999' }, { clock: config.clock });
    const e2 = await rejection(verifyUrl({ ...query(echo.msgSignature, echo.timestamp, echo.nonce), echostr: echo.encrypt }, config));
    expect(e2.code).toBe('wecom.callback_bad_receiver');
  });

  it('rejects a replayed event and a replayed URL verification', async () => {
    const config = makeConfig(now);
    const sealed = encryptForTest(NOTIFY_XML, keys, { clock: config.clock });
    const q = query(sealed.msgSignature, sealed.timestamp, sealed.nonce);
    await decryptEvent(q, sealed.callbackXml, config);
    config.clock.t += 60_000;
    const e = await rejection(decryptEvent(q, sealed.callbackXml, config));
    expect(e.code).toBe('wecom.callback_replay');
    expect(e.status).toBe(409);

    const echo = encryptForTest('8877665544', keys, { clock: config.clock });
    const vq = { ...query(echo.msgSignature, echo.timestamp, echo.nonce), echostr: echo.encrypt };
    expect(await verifyUrl(vq, config)).toBe('8877665544');
    expect((await rejection(verifyUrl(vq, config))).code).toBe('wecom.callback_replay');
  });

  it('a replay after the window is rejected as stale; memory does not grow past its bound', async () => {
    const guard = createMemoryReplayGuard({ maxEntries: 3 });
    const config = makeConfig(now, { replayGuard: guard });
    const sealed = encryptForTest(NOTIFY_XML, keys, { clock: config.clock });
    const q = query(sealed.msgSignature, sealed.timestamp, sealed.nonce);
    await decryptEvent(q, sealed.callbackXml, config);
    config.clock.t += 5 * 60_000 + 1_000;
    expect((await rejection(decryptEvent(q, sealed.callbackXml, config))).code).toBe('wecom.callback_stale');
    for (let i = 0; i < 10; i++) {
      const s = encryptForTest(NOTIFY_XML, keys, { clock: config.clock });
      await decryptEvent(query(s.msgSignature, s.timestamp, s.nonce), s.callbackXml, config);
    }
    expect(guard.size).toBeLessThanOrEqual(3);
  });

  it('uses an injected (e.g. DB-backed, async) ReplayGuard', async () => {
    const remembered: { key: string; expiresAt: number }[] = [];
    const asyncGuard: ReplayGuard = {
      checkAndRemember: async (key, expiresAtMs) => {
        await Promise.resolve();
        if (remembered.some((r) => r.key === key)) return false;
        remembered.push({ key, expiresAt: expiresAtMs });
        return true;
      },
    };
    const config = makeConfig(now, { replayGuard: asyncGuard });
    const sealed = encryptForTest(NOTIFY_XML, keys, { clock: config.clock, timestamp: String(now - 10), nonce: 'n1' });
    const q = query(sealed.msgSignature, sealed.timestamp, sealed.nonce);
    await decryptEvent(q, sealed.callbackXml, config);
    expect(remembered).toEqual([{ key: `${now - 10}\nn1\n${sealed.msgSignature}`, expiresAt: (now - 10) * 1000 + 5 * 60_000 + 1_000 }]);
    expect((await rejection(decryptEvent(q, sealed.callbackXml, config))).code).toBe('wecom.callback_replay');
  });

  it.each([
    ['older', -301],
    ['newer', 301],
  ])('rejects a timestamp more than 5 minutes %s than our clock', async (_label, offsetSeconds) => {
    const config = makeConfig(now);
    const sealed = encryptForTest(NOTIFY_XML, keys, { timestamp: String(now + offsetSeconds) });
    const e = await rejection(decryptEvent(query(sealed.msgSignature, sealed.timestamp, sealed.nonce), sealed.callbackXml, config));
    expect(e.code).toBe('wecom.callback_stale');
    const ok = encryptForTest(NOTIFY_XML, keys, { timestamp: String(now + Math.sign(offsetSeconds) * 299) });
    await decryptEvent(query(ok.msgSignature, ok.timestamp, ok.nonce), ok.callbackXml, config);
  });

  it('rejects an oversized body before looking at it', async () => {
    const config = makeConfig(now, { maxBodyBytes: 1024 });
    const sealed = encryptForTest('x'.repeat(2000), keys, { clock: config.clock });
    const e = await rejection(decryptEvent(query(sealed.msgSignature, sealed.timestamp, sealed.nonce), sealed.callbackXml, config));
    expect(e.code).toBe('wecom.callback_too_large');
    expect(e.status).toBe(413);
    const e2 = await rejection(decryptEvent({}, Buffer.alloc(64 * 1024 + 1, 0x20), makeConfig(now)));
    expect(e2.code).toBe('wecom.callback_too_large');
  });

  it('rejects missing or malformed query parameters', async () => {
    const config = makeConfig(now);
    const sealed = encryptForTest(NOTIFY_XML, keys, { clock: config.clock });
    const bad = [
      { timestamp: sealed.timestamp, nonce: sealed.nonce },
      { msg_signature: 'not-hex', timestamp: sealed.timestamp, nonce: sealed.nonce },
      { msg_signature: sealed.msgSignature, timestamp: '17e8', nonce: sealed.nonce },
      { msg_signature: sealed.msgSignature, timestamp: sealed.timestamp, nonce: 'has space' },
      { msg_signature: [sealed.msgSignature, sealed.msgSignature], timestamp: sealed.timestamp, nonce: sealed.nonce },
      null,
    ];
    for (const params of bad) {
      const e = await rejection(decryptEvent(params, sealed.callbackXml, config));
      expect(e.code).toBe('wecom.callback_malformed');
    }
    expect((await rejection(verifyUrl(query(sealed.msgSignature, sealed.timestamp, sealed.nonce), config))).message).toContain('echostr');
  });

  it('restores "+" that a query decoder turned into spaces in echostr', async () => {
    const config = makeConfig(1_767_225_900);
    const spaced = ECHO_VECTOR.echostr.replace(/\+/gu, ' ');
    expect(spaced).not.toBe(ECHO_VECTOR.echostr);
    expect(await verifyUrl({ ...query(ECHO_VECTOR.signature, ECHO_VECTOR.timestamp, ECHO_VECTOR.nonce), echostr: spaced }, config)).toBe(ECHO_VECTOR.echo);
  });

  /** Signs an arbitrary envelope so that only its malformation can be the reason for rejection. */
  async function signedEnvelopeError(body: string, encrypt: string): Promise<AppError> {
    const signature = independentSignature(TOKEN, String(now), 'nonce9', encrypt);
    return rejection(decryptEvent(query(signature, String(now), 'nonce9'), body, makeConfig(now)));
  }

  it.each([
    ['a DOCTYPE with entities', (enc: string) => `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><xml><Encrypt><![CDATA[${enc}]]></Encrypt><AgentID>&b;</AgentID></xml>`],
    ['an external entity', (enc: string) => `<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Encrypt><![CDATA[${enc}]]></Encrypt><ToUserName>&x;</ToUserName></xml>`],
    ['an undeclared entity', (enc: string) => `<xml><Encrypt><![CDATA[${enc}]]></Encrypt><ToUserName>&x;</ToUserName></xml>`],
    ['a comment', (enc: string) => `<xml><!-- hi --><Encrypt><![CDATA[${enc}]]></Encrypt></xml>`],
    ['a processing instruction', (enc: string) => `<xml><?php echo 1; ?><Encrypt><![CDATA[${enc}]]></Encrypt></xml>`],
    ['attributes', (enc: string) => `<xml><Encrypt type="x"><![CDATA[${enc}]]></Encrypt></xml>`],
    ['two Encrypt elements', (enc: string) => `<xml><Encrypt><![CDATA[${enc}]]></Encrypt><Encrypt><![CDATA[AAAA]]></Encrypt></xml>`],
    ['an unclosed element', (enc: string) => `<xml><Encrypt><![CDATA[${enc}]]></Encrypt>`],
    ['mismatched tags', (enc: string) => `<xml><Encrypt><![CDATA[${enc}]]></Encrypted></xml>`],
    ['an unclosed CDATA', (enc: string) => `<xml><Encrypt><![CDATA[${enc}</Encrypt></xml>`],
    ['content after the root', (enc: string) => `<xml><Encrypt><![CDATA[${enc}]]></Encrypt></xml><xml/>`],
    ['another root element', (enc: string) => `<root><Encrypt><![CDATA[${enc}]]></Encrypt></root>`],
    ['mixed content', (enc: string) => `<xml><Encrypt><![CDATA[${enc}]]></Encrypt>loose text<AgentID>1</AgentID></xml>`],
    ['no Encrypt', (_enc: string) => `<xml><ToUserName><![CDATA[${CORP_ID}]]></ToUserName></xml>`],
    ['not XML at all', (enc: string) => `{"Encrypt":"${enc}"}`],
    ['an empty body', (_enc: string) => ''],
  ])('rejects an envelope with %s as malformed', async (_label, build) => {
    const encrypt = independentEncrypt(NOTIFY_XML, CORP_ID, Buffer.alloc(16, 1));
    const e = await signedEnvelopeError(build(encrypt), encrypt);
    expect(e.code).toBe('wecom.callback_malformed');
    expect(e.status).toBe(400);
  });

  it('rejects nesting and element counts beyond the limits', async () => {
    const encrypt = independentEncrypt(NOTIFY_XML, CORP_ID, Buffer.alloc(16, 1));
    const deep = `<xml><Encrypt><![CDATA[${encrypt}]]></Encrypt>${'<a>'.repeat(40)}${'</a>'.repeat(40)}</xml>`;
    expect((await signedEnvelopeError(deep, encrypt)).message).toContain('nested too deeply');
    const wide = `<xml><Encrypt><![CDATA[${encrypt}]]></Encrypt><list>${'<i/>'.repeat(2000)}</list></xml>`;
    expect((await signedEnvelopeError(wide, encrypt)).message).toContain('too many elements');
  });

  it.each([
    ['not base64', '@@@@not-base64@@@@'],
    ['not whole AES blocks', Buffer.alloc(20, 9).toString('base64')],
    ['padding byte 0', independentEncrypt(NOTIFY_XML, CORP_ID, Buffer.alloc(16, 2), 0)],
    ['padding byte above 32', independentEncrypt(NOTIFY_XML, CORP_ID, Buffer.alloc(16, 2), 33)],
  ])('rejects a signed Encrypt that is %s as malformed', async (_label, encrypt) => {
    const e = await signedEnvelopeError(envelope(encrypt), encrypt);
    expect(e.code).toBe('wecom.callback_malformed');
  });

  it('rejects a decrypted event that is not well-formed XML', async () => {
    const encrypt = independentEncrypt('<xml><MsgType>event</MsgType><!DOCTYPE x></xml>', CORP_ID, Buffer.alloc(16, 3));
    expect((await signedEnvelopeError(envelope(encrypt), encrypt)).code).toBe('wecom.callback_malformed');
  });

  it('rejects a body that is not UTF-8', async () => {
    const e = await rejection(decryptEvent(query('a'.repeat(40), String(now), 'n'), Buffer.from([0x3c, 0x78, 0xff, 0xfe]), makeConfig(now)));
    expect(e.code).toBe('wecom.callback_malformed');
  });

  it('refuses a bad configuration without echoing secrets', async () => {
    const sealed = encryptForTest(NOTIFY_XML, keys, { timestamp: String(now) });
    const q = query(sealed.msgSignature, sealed.timestamp, sealed.nonce);
    const badKey = await rejection(decryptEvent(q, sealed.callbackXml, makeConfig(now, { encodingAesKey: AES_KEY.slice(0, 42) })));
    expect(badKey.code).toBe('wecom.callback_bad_config');
    expect(badKey.message).not.toContain(AES_KEY.slice(0, 42));
    const noGuard = await rejection(decryptEvent(q, sealed.callbackXml, { token: TOKEN, encodingAesKey: AES_KEY, receiveId: CORP_ID } as WeComCallbackConfig));
    expect(noGuard.code).toBe('wecom.callback_bad_config');
    expect(rejectionSync(() => encryptForTest('x', { ...keys, token: '' })).code).toBe('wecom.callback_bad_config');
  });

  it('error messages never contain the token, the key or the message', async () => {
    const config = makeConfig(now);
    const sealed = encryptForTest(NOTIFY_XML, { ...keys, receiveId: 'wwOther' }, { clock: config.clock });
    const errors = [
      await rejection(decryptEvent(query(sealed.msgSignature, sealed.timestamp, sealed.nonce), sealed.callbackXml, config)),
      await rejection(decryptEvent(query('0'.repeat(40), sealed.timestamp, sealed.nonce), sealed.callbackXml, config)),
    ];
    for (const e of errors) {
      const text = JSON.stringify({ m: e.message, d: e.details });
      for (const secret of [TOKEN, AES_KEY, 'msgaudit_notify', sealed.encrypt.slice(0, 20)]) expect(text).not.toContain(secret);
    }
  });
});

describe('parseCallbackXml', () => {
  it('reads CDATA and text, decodes the predefined entities and character references', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<xml>\n  <A><![CDATA[x < y & "z"]]></A>\n  <B>Tom &amp; Jerry &lt;3 &#x4F60;&#22909;</B>\n  <C/>\n  <D>  <![CDATA[kept]]>  </D>\n  <E><![CDATA[a]]><![CDATA[]]]]><![CDATA[>b]]></E>\n</xml>\n`;
    expect(parseCallbackXml(xml)).toEqual({ A: 'x < y & "z"', B: 'Tom & Jerry <3 你好', C: '', D: 'kept', E: 'a]]>b' });
  });

  it('skips container elements but keeps the leaves of the root', () => {
    const xml = '\uFEFF<xml><MsgType>event</MsgType><PicList><item><PicMd5Sum>abc</PicMd5Sum></item><item/></PicList><Count>2</Count></xml>';
    expect(parseCallbackXml(xml)).toEqual({ MsgType: 'event', Count: '2' });
  });

  it('gives a field named __proto__ no power over the prototype', () => {
    const fields = parseCallbackXml('<xml><__proto__>polluted</__proto__></xml>');
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(fields)).toEqual(['__proto__']);
  });

  it.each(['<xml><A>&#0;</A></xml>', '<xml><A>&#xD800;</A></xml>', '<xml><A>&amp</A></xml>', '<xml><A>a ]]> b</A></xml>', '<?xml-stylesheet href="x"?><xml/>', '<xml><A></xml>'])('rejects %s', (xml) => {
    expect(rejectionSync(() => parseCallbackXml(xml)).code).toBe('wecom.callback_malformed');
  });
});
