import { constants, createHash, createPublicKey, generateKeyPairSync, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Fixture builder for the WeCom SDK test double (fake_sdk.c): writes the scenario directory the
 * double reads at Init — chat items whose random keys are really RSA-2048 PKCS#1 v1.5-encrypted
 * with test key pairs of several `publickey_ver`s, media files served in chunks, and injected
 * errors. See the header of fake_sdk.c for the file format.
 *
 * Pointing a client at a scenario: `openWeComSdk({ libraryPath: buildFakeSdk(), corpId:
 * scenario.corpId, ... })` with corpId "fake:<dir>", or set WECOM_FAKE_DIR=<dir> and use any
 * corp id (handy for CLI tests whose corp id is validated). The double reads the directory once,
 * in Init: write the scenario before opening the client.
 *
 * DecryptData's real algorithm is opaque; `fakeEncryptChatMsg` is the double's own scheme
 * (base64 of ("WKFAKE1\n" + JSON) XOR a SHA-256(randomKey || uint32_be(block)) keystream),
 * implemented again in C by the double. Only the RSA step is the real, documented one.
 */

export interface TestKeyPair {
  version: number;
  /** PKCS#1 PEM ("BEGIN RSA PUBLIC KEY"), the form pasted into the WeCom admin console. */
  publicKeyPem: string;
  /** PKCS#1 PEM ("BEGIN RSA PRIVATE KEY"), the form WeCom's docs tell a corp to generate. */
  privateKeyPem: string;
}

/** A fresh RSA-2048 key pair for `publickey_ver` = version (node:crypto, so it is fast). */
export function generateTestKeyPair(version: number): TestKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { version, publicKeyPem: publicKey, privateKeyPem: privateKey };
}

/** A random key like the SDK's: ASCII text (here 32 alphanumeric characters). */
export function newRandomKey(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(32), (byte) => alphabet[byte % alphabet.length]).join('');
}

const publicKeys = new Map<string, KeyObject>();

/**
 * base64(RSA PKCS#1 v1.5(randomKey)) — what `encrypt_random_key` is. Uses OpenSSL through
 * node:crypto (public-key encryption with this padding is still allowed in Node 20), an
 * implementation independent of the node-forge code that unwraps it.
 */
export function wrapRandomKey(randomKey: string, publicKeyPem: string): string {
  let key = publicKeys.get(publicKeyPem);
  if (!key) {
    key = createPublicKey(publicKeyPem);
    publicKeys.set(publicKeyPem, key);
  }
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(randomKey, 'utf8')).toString('base64');
}

const MAGIC = Buffer.from('WKFAKE1\n', 'latin1');

function xorKeystream(randomKey: string, data: Buffer): Buffer {
  const out = Buffer.from(data);
  const key = Buffer.from(randomKey, 'utf8');
  const index = Buffer.alloc(4);
  for (let offset = 0; offset < out.length; offset += 32) {
    index.writeUInt32BE(offset / 32);
    const block = createHash('sha256').update(key).update(index).digest();
    for (let i = 0; i < 32 && offset + i < out.length; i++) out[offset + i]! ^= block[i]!;
  }
  return out;
}

/** The double's own DecryptData scheme, forwards: message JSON text → `encrypt_chat_msg`. */
export function fakeEncryptChatMsg(randomKey: string, messageJson: string): string {
  return xorKeystream(randomKey, Buffer.concat([MAGIC, Buffer.from(messageJson, 'utf8')])).toString('base64');
}

/** The inverse, for checking the builder itself; null when the key is wrong. */
export function fakeDecryptChatMsg(randomKey: string, encryptChatMsg: string): string | null {
  const plain = xorKeystream(randomKey, Buffer.from(encryptChatMsg, 'base64'));
  if (plain.length < MAGIC.length || !plain.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  return plain.subarray(MAGIC.length).toString('utf8');
}

export const md5Hex = (data: Buffer): string => createHash('md5').update(data).digest('hex');

/** One chat item as the double serves it, with the plaintext side kept for assertions. */
export interface FakeChatItem {
  seq: number;
  msgid: string;
  publickeyVer: number;
  randomKey: string;
  /** The decrypted message JSON text DecryptData must return. */
  messageJson: string;
  encryptRandomKey: string;
  encryptChatMsg: string;
}

export interface FakeScenarioOptions {
  /** Key pairs of every `publickey_ver` used (the client under test may be given only some). */
  keyPairs: readonly TestKeyPair[];
  /** GetMediaData chunk size in bytes (default: the SDK's 524288). */
  chunkSize?: number;
  /** When set, Init with another secret returns 10000. */
  secret?: string;
  /** When set, GetChatData/GetMediaData with another proxy or password return 10001. */
  proxy?: { url: string; password?: string };
  /** GetChatData(seq < this) returns 10010 (data past Tencent's retention). */
  expiredBeforeSeq?: number;
  /** GetChatData/GetMediaData sleep this long first (a slow network). */
  latencyMs?: number;
}

/** How many times an injected error fires: a count, or 'always'. */
export type FaultTimes = number | 'always';

export interface WrittenScenario {
  dir: string;
  /** Pass as Init's corpid to select this scenario. */
  corpId: string;
}

// Tokens of the line-based format: printable ASCII without spaces (msgids, base64, sdkfileids).
const TOKEN = /^[\x21-\x7e]+$/u;

function token(value: string, what: string): string {
  if (!TOKEN.test(value)) throw new Error(`fake WeCom scenario: ${what} must be printable ASCII without spaces, got ${JSON.stringify(value)}`);
  return value;
}

function count(value: number, what: string): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`fake WeCom scenario: ${what} must be a non-negative integer, got ${value}`);
  return String(value);
}

function timesToken(times: FaultTimes): string {
  if (times === 'always') return '0'; // the double's encoding of "every time"
  if (!Number.isSafeInteger(times) || times < 1) throw new Error(`fake WeCom scenario: times must be 'always' or a positive integer, got ${times}`);
  return String(times);
}

export class FakeSdkScenario {
  readonly items: FakeChatItem[] = [];
  readonly media = new Map<string, Buffer>();
  readonly #options: FakeScenarioOptions;
  readonly #faultLines: string[] = [];
  readonly #rawItemLines: string[] = [];

  constructor(options: FakeScenarioOptions) {
    this.#options = options;
  }

  keyPair(version: number): TestKeyPair {
    const pair = this.#options.keyPairs.find((p) => p.version === version);
    if (!pair) throw new Error(`fake WeCom scenario: no test key pair of publickey_ver ${version}`);
    return pair;
  }

  /**
   * A chat item: `message` (an object, or JSON text used verbatim — e.g. with raw control
   * characters) encrypted with a fresh random key wrapped by the public key of `publickeyVer`.
   * An object without `msgid` gets the item's msgid, as in WeCom's envelope (reference A.6).
   */
  addMessage(input: { seq: number; publickeyVer: number; message: string | Record<string, unknown>; msgid?: string; randomKey?: string }): FakeChatItem {
    const msgid = input.msgid ?? `fakemsg${input.seq}_external`;
    const messageJson = typeof input.message === 'string' ? input.message : JSON.stringify({ msgid, ...input.message });
    const randomKey = input.randomKey ?? newRandomKey();
    const item: FakeChatItem = {
      seq: input.seq,
      msgid,
      publickeyVer: input.publickeyVer,
      randomKey,
      messageJson,
      encryptRandomKey: wrapRandomKey(randomKey, this.keyPair(input.publickeyVer).publicKeyPem),
      encryptChatMsg: fakeEncryptChatMsg(randomKey, messageJson),
    };
    this.items.push(item);
    return item;
  }

  /** An item with arbitrary (e.g. malformed) encrypted fields, served as is. */
  addRawItem(item: { seq: number; msgid: string; publickeyVer: number; encryptRandomKey: string; encryptChatMsg: string }): void {
    this.#rawItemLines.push(this.#itemLine(item.seq, item.msgid, item.publickeyVer, item.encryptRandomKey, item.encryptChatMsg));
  }

  /** A media file GetMediaData serves for `sdkfileid`, in chunks of `chunkSize`. */
  addMedia(sdkfileid: string, data: Buffer): void {
    token(sdkfileid, 'sdkfileid');
    this.media.set(sdkfileid, data);
  }

  /** GetChatData(seq, …) returns `code` (e.g. 10001) the first `times` calls, then succeeds. */
  failGetChatData(seq: number, code: number, times: FaultTimes = 1): this {
    this.#faultLines.push(`fail chat ${count(seq, 'seq')} ${count(code, 'code')} ${timesToken(times)}`);
    return this;
  }

  /** GetChatData(seq, …) returns 0 but its JSON says {"errcode": code}, the first `times` calls. */
  failGetChatDataInJson(seq: number, code: number, times: FaultTimes = 1): this {
    this.#faultLines.push(`fail chatjson ${count(seq, 'seq')} ${count(code, 'code')} ${timesToken(times)}`);
    return this;
  }

  /** GetMediaData for the chunk at byte `offset` returns `code` the first `times` calls. */
  failGetMediaData(sdkfileid: string, offset: number, code: number, times: FaultTimes = 1): this {
    this.#faultLines.push(`fail media ${token(sdkfileid, 'sdkfileid')} ${count(offset, 'offset')} ${count(code, 'code')} ${timesToken(times)}`);
    return this;
  }

  /** The chunk at byte `offset` comes back with wrong bytes (same length) the first `times` calls. */
  corruptMediaChunk(sdkfileid: string, offset: number, times: FaultTimes = 1): this {
    this.#faultLines.push(`corrupt media ${token(sdkfileid, 'sdkfileid')} ${count(offset, 'offset')} ${timesToken(times)}`);
    return this;
  }

  /** Writes scenario.txt and the media files into `dir` (created if needed). */
  write(dir: string): WrittenScenario {
    mkdirSync(dir, { recursive: true });
    const o = this.#options;
    const lines = ['# WeKeep fake WeCom SDK scenario (format: see test/support/wecom-sdk/fake_sdk.c)'];
    if (o.chunkSize !== undefined) lines.push(`config chunk_size ${count(o.chunkSize, 'chunkSize')}`);
    if (o.secret !== undefined) lines.push(`config secret ${token(o.secret, 'secret')}`);
    if (o.proxy !== undefined) {
      lines.push(`config proxy ${token(o.proxy.url, 'proxy url')} ${o.proxy.password === undefined || o.proxy.password === '' ? '-' : token(o.proxy.password, 'proxy password')}`);
    }
    if (o.expiredBeforeSeq !== undefined) lines.push(`config expired_before ${count(o.expiredBeforeSeq, 'expiredBeforeSeq')}`);
    if (o.latencyMs !== undefined) lines.push(`config latency_ms ${count(o.latencyMs, 'latencyMs')}`);
    for (const item of this.items) {
      lines.push(this.#itemLine(item.seq, item.msgid, item.publickeyVer, item.encryptRandomKey, item.encryptChatMsg));
    }
    lines.push(...this.#rawItemLines);
    let fileNo = 0;
    for (const [sdkfileid, data] of this.media) {
      const fileName = `media-${fileNo++}.bin`;
      writeFileSync(join(dir, fileName), data);
      lines.push(`media ${sdkfileid} ${fileName}`);
    }
    lines.push(...this.#faultLines);
    writeFileSync(join(dir, 'scenario.txt'), `${lines.join('\n')}\n`);
    return { dir, corpId: `fake:${dir}` };
  }

  #itemLine(seq: number, msgid: string, publickeyVer: number, encryptRandomKey: string, encryptChatMsg: string): string {
    return `item ${count(seq, 'seq')} ${token(msgid, 'msgid')} ${count(publickeyVer, 'publickeyVer')} ${token(encryptRandomKey, 'encrypt_random_key')} ${token(encryptChatMsg, 'encrypt_chat_msg')}`;
  }
}
