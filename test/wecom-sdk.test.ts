import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isWeComSdkError,
  missingPrivateKeyError,
  parseChatDataResponse,
  WeComSdkError,
  type WeComArchiveClient,
} from '../src/connectors/wecom/archive-client.js';
import { openWeComSdk } from '../src/connectors/wecom/koffi-sdk.js';
import { createRandomKeyUnwrapper, type RandomKeyUnwrapper } from '../src/connectors/wecom/random-key.js';
import { AppError } from '../src/errors.js';
import { fakeSdkLiveAllocations, tryBuildFakeSdk } from './support/wecom-sdk/build.js';
import { FakeSdkScenario, fakeDecryptChatMsg, generateTestKeyPair, md5Hex, type FakeChatItem, type TestKeyPair } from './support/wecom-sdk/scenario.js';

/**
 * The SDK boundary end to end: the real koffi client (koffi-sdk.ts) loading a C double of
 * Tencent's libWeWorkFinanceSdk_C.so compiled with gcc for this run (test/support/wecom-sdk/).
 */

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

async function sdkRejection(promise: Promise<unknown>): Promise<WeComSdkError> {
  const error = await rejection(promise);
  if (!isWeComSdkError(error)) throw new Error(`expected a WeComSdkError, got ${error.code}: ${error.message}`);
  return error;
}

/** Downloads a media file the way the connector does: chunk after chunk, passing the index buffer back. */
async function downloadMedia(client: WeComArchiveClient, sdkFileId: string, options: { from?: string; maxChunks?: number } = {}) {
  const chunks: Buffer[] = [];
  let index = options.from ?? '';
  let finished = false;
  let calls = 0;
  while (!finished && calls < (options.maxChunks ?? Number.POSITIVE_INFINITY)) {
    const chunk = await client.getMedia(sdkFileId, index);
    calls++;
    chunks.push(chunk.data);
    index = chunk.nextIndexBuf;
    finished = chunk.finished;
  }
  return { data: Buffer.concat(chunks), calls, index, finished };
}

describe('GetChatData JSON parsing (no SDK needed)', () => {
  const item = { seq: 7, msgid: 'abc', publickey_ver: 2, encrypt_random_key: 'a2V5', encrypt_chat_msg: 'bXNn' };

  it('accepts the documented answer and drops fields it does not know', () => {
    const text = JSON.stringify({ errcode: 0, errmsg: 'ok', chatdata: [{ ...item, added_later: true }] });
    expect(parseChatDataResponse(text)).toEqual([item]);
    expect(parseChatDataResponse('{"errcode":0,"errmsg":"ok","chatdata":[]}')).toEqual([]);
  });

  it('turns a non-zero errcode inside the JSON into a WeComSdkError', () => {
    const error = (() => {
      try {
        parseChatDataResponse('{"errcode":10009,"errmsg":"ip not allowed"}');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(WeComSdkError);
    expect(error).toMatchObject({ sdkCode: 10009, code: 'wecom.sdk_ip_not_whitelisted', retryable: false, details: { sdkMessage: 'ip not allowed' } });
  });

  it.each([
    ['not JSON', '{"errcode":0,', /not JSON/u],
    ['an array', '[]', /\(root\): .*expected object/u],
    ['no errcode', '{"errmsg":"ok","chatdata":[]}', /errcode/u],
    ['no chatdata', '{"errcode":0,"errmsg":"ok"}', /chatdata/u],
    ['a string seq', JSON.stringify({ errcode: 0, errmsg: 'ok', chatdata: [{ ...item, seq: '7' }] }), /chatdata\.0\.seq/u],
    ['a missing encrypt_chat_msg', JSON.stringify({ errcode: 0, errmsg: 'ok', chatdata: [{ ...item, encrypt_chat_msg: undefined }] }), /encrypt_chat_msg/u],
    ['a negative publickey_ver', JSON.stringify({ errcode: 0, errmsg: 'ok', chatdata: [{ ...item, publickey_ver: -1 }] }), /publickey_ver/u],
  ])('rejects %s as wecom.sdk_response_invalid naming the field', (_what, text, message) => {
    expect(() => parseChatDataResponse(text)).toThrow(expect.objectContaining({ code: 'wecom.sdk_response_invalid', message: expect.stringMatching(message) }));
  });
});

describe('WeComSdkError', () => {
  it('maps every documented code to a stable code; only 10001–10003 are retryable', () => {
    const codes = new Set<string>();
    for (let sdkCode = 10000; sdkCode <= 10011; sdkCode++) {
      const error = new WeComSdkError(sdkCode, { operation: 'GetChatData' });
      expect(error).toBeInstanceOf(AppError);
      expect(error.code).toMatch(/^wecom\.sdk_[a-z_]+$/u);
      expect(error.code).not.toBe('wecom.sdk_error');
      expect(error.retryable).toBe(sdkCode >= 10001 && sdkCode <= 10003);
      expect(error.message).toContain(`(${sdkCode})`);
      expect(error.message).toContain('GetChatData');
      codes.add(error.code);
    }
    expect(codes.size).toBe(12);
    expect(new WeComSdkError(40001)).toMatchObject({ code: 'wecom.sdk_error', retryable: false, sdkCode: 40001 });
  });

  it('gives actionable messages: the missing key version, the IP whitelist, the 5-day retention', () => {
    expect(missingPrivateKeyError(3).message).toMatch(/publickey_ver 3\b.*--private-key 3=PEM_FILE/u);
    expect(missingPrivateKeyError(3)).toMatchObject({ sdkCode: 10007, publickeyVer: 3, details: { publickeyVer: 3 } });
    expect(new WeComSdkError(10007).message).toMatch(/no private key for the message's publickey_ver/u);
    expect(new WeComSdkError(10009).message).toMatch(/IP address is not on the .*trusted IP list/u);
    expect(new WeComSdkError(10010).message).toMatch(/expired.*5 days.*gap/u);
  });
});

const fakeSdk = tryBuildFakeSdk();

describe.skipIf(!fakeSdk.available)('koffi client over the C double of libWeWorkFinanceSdk_C.so', () => {
  const libraryPath = fakeSdk.available ? fakeSdk.libraryPath : '';
  const CHUNK = 4096;
  const MESSAGE_COUNT = 150;
  let workDir: string;
  let keys: TestKeyPair[];
  let unwrappers: Map<number, RandomKeyUnwrapper>;
  let scenario: FakeSdkScenario;
  let corpId: string;
  let client: WeComArchiveClient;
  const opened: WeComArchiveClient[] = [];
  const media = new Map<string, Buffer>();
  // GetChatData(seq) fault seeds: seqs that are not page boundaries of the paging test.
  const FLAKY_SEQ = 11;
  const MISSING_KEY_SEQ = 900_001;
  const IP_SEQ = 900_002;
  const open = (options: Partial<Parameters<typeof openWeComSdk>[0]> = {}): WeComArchiveClient => {
    const c = openWeComSdk({ libraryPath, corpId, secret: 'archive-secret', ...options });
    opened.push(c);
    return c;
  };

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'wekeep-wecom-sdk-'));
    keys = [1, 2, 3].map((version) => generateTestKeyPair(version));
    unwrappers = new Map(keys.map((k) => [k.version, createRandomKeyUnwrapper(k.privateKeyPem)]));
    scenario = new FakeSdkScenario({ keyPairs: keys, chunkSize: CHUNK });

    media.set('sdkfile_small', randomBytes(1000));
    media.set('sdkfile_exact', randomBytes(CHUNK * 4));
    media.set('sdkfile_odd', randomBytes(CHUNK * 3 + 123));
    media.set('sdkfile_empty', Buffer.alloc(0));
    media.set('sdkfile_corrupt', randomBytes(CHUNK * 3 + 5));
    media.set('sdkfile_flaky', randomBytes(CHUNK * 2 + 1));
    media.set('sdkfile_md5bad', randomBytes(CHUNK + 77));
    for (const [id, data] of media) scenario.addMedia(id, data);

    // Seqs with gaps (Tencent's seq is archive-wide, so one corp's stream skips numbers);
    // key versions rotate part-way through, as after a key rotation.
    for (let i = 0; i < MESSAGE_COUNT; i++) {
      const seq = 10 + i * 2 + (i % 7 === 0 ? 1 : 0);
      const publickeyVer = i < 50 ? 1 : i < 100 ? 2 : 3;
      scenario.addMessage({
        seq,
        publickeyVer,
        message: { action: 'send', from: 'zhangwei', tolist: ['wmExternalContact01'], roomid: '', msgtime: 1_700_000_000_000 + i, msgtype: 'text', text: { content: `第${i}条：合同 draft ${i}` } },
      });
    }
    // Raw control characters inside a JSON string (a documented quirk): served byte-identical.
    scenario.addMessage({
      seq: 500,
      publickeyVer: 2,
      msgid: 'fakemsg500',
      message: '{"msgid":"fakemsg500","action":"send","from":"lili","tolist":["wangfang"],"roomid":"","msgtime":1700000001000,"msgtype":"text","text":{"content":"line\u0001one\u0007"}}',
    });
    scenario.addMessage({
      seq: 502,
      publickeyVer: 3,
      message: {
        action: 'send', from: 'lili', tolist: ['wangfang'], roomid: '', msgtime: 1_700_000_002_000, msgtype: 'file',
        // Deliberately not the md5 of the bytes served: the connector must notice.
        file: { md5sum: md5Hex(Buffer.from('something else')), filename: '报价单.pdf', fileext: 'pdf', filesize: CHUNK + 77, sdkfileid: 'sdkfile_md5bad' },
      },
    });

    // A random key longer than one SHA-256 block, so the double's keystream hashes multi-block input.
    scenario.addMessage({ seq: 504, publickeyVer: 1, randomKey: 'k'.repeat(40) + 'Q'.repeat(60) + '0123456789', message: { msgtype: 'text', text: { content: '长密钥' } } });

    scenario.failGetChatData(FLAKY_SEQ, 10001, 2);
    scenario.failGetChatData(MISSING_KEY_SEQ, 10007, 'always');
    scenario.failGetChatDataInJson(IP_SEQ, 10009, 'always');
    scenario.corruptMediaChunk('sdkfile_corrupt', CHUNK, 1);
    scenario.failGetMediaData('sdkfile_flaky', CHUNK, 10001, 1);
    corpId = scenario.write(join(workDir, 'main')).corpId;
    client = open();
  });

  afterAll(() => {
    for (const c of opened) c.close();
    if (fakeSdk.available) expect(fakeSdkLiveAllocations(libraryPath)).toBe(0);
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const sortedItems = (): FakeChatItem[] => [...scenario.items].sort((a, b) => a.seq - b.seq);

  describe('GetChatData', () => {
    it('pages with limit from seq 0, each page starting after the given seq (exclusive)', async () => {
      const pages: number[] = [];
      const seen: { seq: number; msgid: string }[] = [];
      let cursor = 0;
      for (;;) {
        const page = await client.getChatData(cursor, 40);
        pages.push(page.length);
        if (page.length === 0) break;
        expect(page[0]!.seq).toBeGreaterThan(cursor);
        seen.push(...page.map(({ seq, msgid }) => ({ seq, msgid })));
        cursor = page[page.length - 1]!.seq;
      }
      expect(pages).toEqual([40, 40, 40, 33, 0]);
      const expected = sortedItems();
      expect(seen).toEqual(expected.map(({ seq, msgid }) => ({ seq, msgid })));
      for (let i = 1; i < seen.length; i++) expect(seen[i]!.seq).toBeGreaterThan(seen[i - 1]!.seq);
    });

    it('serves the fields as WeCom does (seq, msgid, publickey_ver, both ciphertexts)', async () => {
      const expected = sortedItems();
      const all = await client.getChatData(0, 1000);
      expect(all).toEqual(
        expected.map((i) => ({ seq: i.seq, msgid: i.msgid, publickey_ver: i.publickeyVer, encrypt_random_key: i.encryptRandomKey, encrypt_chat_msg: i.encryptChatMsg })),
      );
    });

    it('is exclusive and re-entrant from any seq, including one between two messages', async () => {
      const expected = sortedItems();
      const at = expected[20]!.seq;
      expect((await client.getChatData(at, 3)).map((i) => i.seq)).toEqual(expected.slice(21, 24).map((i) => i.seq));
      const between = expected[20]!.seq + 1;
      expect(between).toBeLessThan(expected[21]!.seq);
      expect((await client.getChatData(between, 1)).map((i) => i.seq)).toEqual([expected[21]!.seq]);
      expect(await client.getChatData(expected[expected.length - 1]!.seq, 1000)).toEqual([]);
    });

    it('refuses a limit outside 1–1000 and a seq that is not a safe non-negative integer', async () => {
      for (const limit of [0, 1001, 1.5, Number.NaN]) {
        expect((await rejection(client.getChatData(0, limit))).code).toBe('wecom.sdk_bad_argument');
      }
      for (const seq of [-1, 0.5, 2 ** 60]) {
        expect((await rejection(client.getChatData(seq, 10))).code).toBe('wecom.sdk_bad_argument');
      }
    });
  });

  describe('decrypt', () => {
    it('decrypts every item after unwrapping its random key with the key of its publickey_ver', async () => {
      const served = await client.getChatData(0, 1000);
      expect(new Set(served.map((i) => i.publickey_ver))).toEqual(new Set([1, 2, 3]));
      const expectedById = new Map(scenario.items.map((i) => [i.msgid, i]));
      for (const item of served) {
        const randomKey = unwrappers.get(item.publickey_ver)!(item.encrypt_random_key);
        const json = await client.decrypt(randomKey, item.encrypt_chat_msg);
        expect(json).toBe(expectedById.get(item.msgid)!.messageJson);
        if (item.seq !== 500) expect((JSON.parse(json) as { msgid: string }).msgid).toBe(item.msgid);
      }
    });

    it('returns raw control characters untouched (stripping them is the normalizer\'s job)', async () => {
      const [item] = await client.getChatData(499, 1);
      const json = await client.decrypt(unwrappers.get(2)!(item!.encrypt_random_key), item!.encrypt_chat_msg);
      expect(json).toContain('line\u0001one\u0007');
    });

    it('fails with 10006 (not retryable) for a random key of another message', async () => {
      const [a, b] = sortedItems();
      const error = await sdkRejection(client.decrypt(a!.randomKey, b!.encryptChatMsg));
      expect(error).toMatchObject({ sdkCode: 10006, code: 'wecom.sdk_decrypt_failed', retryable: false, operation: 'DecryptData' });
      expect(error.message).not.toContain(a!.randomKey);
    });

    it('cannot unwrap a random key with the private key of another version', () => {
      const item = sortedItems().find((i) => i.publickeyVer === 3)!;
      expect(() => unwrappers.get(1)!(item.encryptRandomKey)).toThrow(expect.objectContaining({ code: 'wecom.random_key_unwrap_failed' }));
    });

    it('the fixture builder and the C double agree on the double\'s cipher', () => {
      const item = scenario.items[0]!;
      expect(fakeDecryptChatMsg(item.randomKey, item.encryptChatMsg)).toBe(item.messageJson);
      expect(fakeDecryptChatMsg('wrong', item.encryptChatMsg)).toBeNull();
    });
  });

  describe('GetMediaData', () => {
    it('reassembles chunked media byte-identical, one call per chunk', async () => {
      for (const [id, data] of media) {
        if (id === 'sdkfile_corrupt' || id === 'sdkfile_flaky') continue;
        const result = await downloadMedia(client, id);
        expect(result.data.equals(data), id).toBe(true);
        expect(result.calls, id).toBe(Math.max(1, Math.ceil(data.length / CHUNK)));
      }
    });

    it('resumes from a persisted index buffer, even in another SDK instance (a restart)', async () => {
      const data = media.get('sdkfile_odd')!;
      const first = await downloadMedia(client, 'sdkfile_odd', { maxChunks: 2 });
      expect(first.finished).toBe(false);
      expect(first.data).toHaveLength(2 * CHUNK);
      const restarted = open();
      const rest = await downloadMedia(restarted, 'sdkfile_odd', { from: first.index });
      expect(Buffer.concat([first.data, rest.data]).equals(data)).toBe(true);
      restarted.close();
    });

    it('an unknown sdkfileid is 10005', async () => {
      const error = await sdkRejection(client.getMedia('sdkfile_unknown', ''));
      expect(error).toMatchObject({ sdkCode: 10005, code: 'wecom.sdk_bad_fileid', retryable: false, operation: 'GetMediaData' });
    });

    it('a corrupt chunk: the first download differs, a retry gets the right bytes', async () => {
      const data = media.get('sdkfile_corrupt')!;
      const first = await downloadMedia(client, 'sdkfile_corrupt');
      expect(first.data).toHaveLength(data.length);
      expect(md5Hex(first.data)).not.toBe(md5Hex(data));
      const second = await downloadMedia(client, 'sdkfile_corrupt');
      expect(second.data.equals(data)).toBe(true);
    });

    it('an md5sum in the message that never matches the bytes served', async () => {
      const item = scenario.items.find((i) => i.seq === 502)!;
      const message = JSON.parse(await client.decrypt(item.randomKey, item.encryptChatMsg)) as { file: { md5sum: string; sdkfileid: string } };
      const download1 = await downloadMedia(client, message.file.sdkfileid);
      const download2 = await downloadMedia(client, message.file.sdkfileid);
      expect(download1.data.equals(download2.data)).toBe(true);
      expect(md5Hex(download1.data)).not.toBe(message.file.md5sum);
    });

    it('a network error on one chunk is retryable, and retrying that index continues the file', async () => {
      const data = media.get('sdkfile_flaky')!;
      const first = await client.getMedia('sdkfile_flaky', '');
      const error = await sdkRejection(client.getMedia('sdkfile_flaky', first.nextIndexBuf));
      expect(error).toMatchObject({ sdkCode: 10001, code: 'wecom.sdk_network', retryable: true });
      const rest = await downloadMedia(client, 'sdkfile_flaky', { from: first.nextIndexBuf });
      expect(Buffer.concat([first.data, rest.data]).equals(data)).toBe(true);
    });
  });

  describe('injected errors', () => {
    it('10001 twice for a seq, then success: retryable WeComSdkErrors, then the page', async () => {
      for (let attempt = 0; attempt < 2; attempt++) {
        const error = await sdkRejection(client.getChatData(FLAKY_SEQ, 5));
        expect(error).toMatchObject({ sdkCode: 10001, code: 'wecom.sdk_network', retryable: true, operation: 'GetChatData' });
      }
      const page = await client.getChatData(FLAKY_SEQ, 5);
      expect(page.map((i) => i.seq)).toEqual(sortedItems().filter((i) => i.seq > FLAKY_SEQ).slice(0, 5).map((i) => i.seq));
    });

    it('10007 (no private key for the version) is not retryable and says what to do', async () => {
      const error = await sdkRejection(client.getChatData(MISSING_KEY_SEQ, 10));
      expect(error).toMatchObject({ sdkCode: 10007, code: 'wecom.sdk_private_key_missing', retryable: false });
      expect(error.message).toMatch(/publickey_ver.*--private-key/u);
    });

    it('an errcode inside the JSON (10009, IP not whitelisted) surfaces as WeComSdkError', async () => {
      const error = await sdkRejection(client.getChatData(IP_SEQ, 10));
      expect(error).toMatchObject({ sdkCode: 10009, code: 'wecom.sdk_ip_not_whitelisted', retryable: false });
      expect(error.message).toMatch(/trusted IP/u);
    });

    it('10010 for a cursor past Tencent\'s retention', async () => {
      const dir = join(workDir, 'expired');
      const expired = new FakeSdkScenario({ keyPairs: keys, expiredBeforeSeq: 60 });
      for (let seq = 60; seq < 65; seq++) expired.addMessage({ seq, publickeyVer: 1, message: { msgtype: 'text', text: { content: 'x' } } });
      const c = open({ corpId: expired.write(dir).corpId });
      const error = await sdkRejection(c.getChatData(0, 100));
      expect(error).toMatchObject({ sdkCode: 10010, code: 'wecom.sdk_data_expired', retryable: false });
      expect(error.message).toMatch(/5 days/u);
      expect((await c.getChatData(60, 100)).map((i) => i.seq)).toEqual([61, 62, 63, 64]);
      c.close();
    });

    it('Init with the wrong secret fails with a WeComSdkError; the proxy and its password reach the SDK', async () => {
      const dir = join(workDir, 'secured');
      const secured = new FakeSdkScenario({ keyPairs: keys, secret: 'right-secret', proxy: { url: 'http://proxy.example.test:3128', password: 'archiver:pw' } });
      secured.addMessage({ seq: 1, publickeyVer: 1, message: { msgtype: 'text', text: { content: 'x' } } });
      const securedCorpId = secured.write(dir).corpId;
      expect(() => open({ corpId: securedCorpId, secret: 'wrong-secret' })).toThrow(expect.objectContaining({ sdkCode: 10000, operation: 'Init' }));

      const withoutProxy = open({ corpId: securedCorpId, secret: 'right-secret' });
      expect(await sdkRejection(withoutProxy.getChatData(0, 10))).toMatchObject({ sdkCode: 10001, retryable: true });
      const wrongPassword = open({ corpId: securedCorpId, secret: 'right-secret', proxy: 'http://proxy.example.test:3128', proxyPassword: 'archiver:nope' });
      expect(await sdkRejection(wrongPassword.getMedia('sdkfile_any', ''))).toMatchObject({ sdkCode: 10001 });
      const proxied = open({ corpId: securedCorpId, secret: 'right-secret', proxy: 'http://proxy.example.test:3128', proxyPassword: 'archiver:pw' });
      expect(await proxied.getChatData(0, 10)).toHaveLength(1);
      for (const c of [withoutProxy, wrongPassword, proxied]) c.close();
    });

    it('a library that cannot be loaded is wecom.sdk_load_failed naming the path', () => {
      const missing = join(workDir, 'no-such', 'libWeWorkFinanceSdk_C.so');
      expect(() => openWeComSdk({ libraryPath: missing, corpId, secret: 's' })).toThrow(
        expect.objectContaining({ code: 'wecom.sdk_load_failed', message: expect.stringContaining(missing) }),
      );
    });

    it('selects the scenario from WECOM_FAKE_DIR when the corp id is a real-looking one', async () => {
      const previous = process.env['WECOM_FAKE_DIR'];
      process.env['WECOM_FAKE_DIR'] = join(workDir, 'main');
      try {
        const c = open({ corpId: 'ww0123456789abcdef' });
        expect(await c.getChatData(0, 2)).toHaveLength(2);
        c.close();
      } finally {
        if (previous === undefined) delete process.env['WECOM_FAKE_DIR'];
        else process.env['WECOM_FAKE_DIR'] = previous;
      }
    });
  });

  describe('resources and the event loop', () => {
    it('network calls run off the event loop (koffi async)', async () => {
      const dir = join(workDir, 'slow');
      const slow = new FakeSdkScenario({ keyPairs: keys, latencyMs: 300 });
      slow.addMessage({ seq: 1, publickeyVer: 1, message: { msgtype: 'text', text: { content: 'x' } } });
      slow.addMedia('sdkfile_slow', Buffer.from('slow bytes'));
      const c = open({ corpId: slow.write(dir).corpId });
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      try {
        const [page, chunk] = await Promise.all([c.getChatData(0, 10), c.getMedia('sdkfile_slow', '')]);
        expect(page).toHaveLength(1);
        expect(chunk).toMatchObject({ finished: true, data: Buffer.from('slow bytes') });
      } finally {
        clearInterval(timer);
      }
      expect(ticks).toBeGreaterThanOrEqual(10);
      c.close();
    });

    it('close() waits for calls in flight, then destroys the SDK; later calls fail clearly', async () => {
      const dir = join(workDir, 'closing');
      const slow = new FakeSdkScenario({ keyPairs: keys, latencyMs: 200 });
      slow.addMessage({ seq: 1, publickeyVer: 1, message: { msgtype: 'text', text: { content: 'x' } } });
      const before = fakeSdkLiveAllocations(libraryPath);
      const c = open({ corpId: slow.write(dir).corpId });
      expect(fakeSdkLiveAllocations(libraryPath)).toBe(before + 1);
      const inFlight = c.getChatData(0, 10);
      c.close();
      expect(await inFlight).toHaveLength(1);
      expect(fakeSdkLiveAllocations(libraryPath)).toBe(before);
      expect((await rejection(c.getChatData(0, 10))).code).toBe('wecom.sdk_closed');
      expect((await rejection(c.getMedia('sdkfile_small', ''))).code).toBe('wecom.sdk_closed');
      expect((await rejection(c.decrypt('k', 'bXNn'))).code).toBe('wecom.sdk_closed');
      c.close();
    });

    it('frees every slice and media buffer: 2000 GetChatData calls keep RSS bounded', async () => {
      const baseline = fakeSdkLiveAllocations(libraryPath);
      const item = sortedItems()[0]!;
      // Warm up (JIT, koffi's async pools, allocator arenas) before measuring.
      for (let i = 0; i < 100; i++) await client.getChatData(0, 100);
      const rssBefore = process.memoryUsage().rss;
      for (let i = 0; i < 2000; i++) {
        const page = await client.getChatData(20 + (i % 50), 100);
        expect(page.length).toBeGreaterThan(0);
      }
      for (let i = 0; i < 300; i++) {
        await client.decrypt(item.randomKey, item.encryptChatMsg);
        await downloadMedia(client, 'sdkfile_odd');
      }
      const growthMb = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
      // Each answer is ~60 KB: leaking the slices would add ~120 MB.
      expect(growthMb).toBeLessThan(48);
      expect(fakeSdkLiveAllocations(libraryPath)).toBe(baseline);
      // Failed calls free their slices and media data too.
      for (let i = 0; i < 50; i++) {
        await rejection(client.getChatData(IP_SEQ, 10));
        await rejection(client.getMedia('sdkfile_unknown', ''));
        await rejection(client.decrypt('wrong-key', item.encryptChatMsg));
      }
      expect(fakeSdkLiveAllocations(libraryPath)).toBe(baseline);
    });
  });
});
