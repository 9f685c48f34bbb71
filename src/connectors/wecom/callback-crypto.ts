import { createCipheriv, createDecipheriv, createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { systemClock, type Clock } from '../../domain/clock.js';
import { AppError } from '../../errors.js';

/**
 * WeCom callback-URL security (WXBizMsgCrypt), for the archive app's callback endpoint
 * (`msgaudit_notify` events) — our own implementation of the published scheme:
 *
 * - signature  = hex(SHA-1(concat(sort([token, timestamp, nonce, encrypt])))), sent as `msg_signature`;
 * - AES key    = base64decode(EncodingAESKey + '=') (43 chars → 32 bytes), AES-256-CBC,
 *                IV = the first 16 bytes of the key;
 * - plaintext  = 16 random bytes ‖ uint32 big-endian length of msg ‖ msg ‖ receiveid (the corpid),
 *                PKCS#7-padded to a multiple of **32** bytes (not AES's 16: so pads of 17..32 bytes
 *                occur, and Node's built-in padding cannot be used);
 * - GET  ?msg_signature&timestamp&nonce&echostr  → URL verification: the signature covers the
 *        encrypted echostr, and the answer is its decrypted plaintext;
 * - POST ?msg_signature&timestamp&nonce with body `<xml><ToUserName/><Encrypt/><AgentID/></xml>` →
 *        the signature covers the Encrypt text, which decrypts to the event's own XML.
 *
 * On top of the scheme: the timestamp must be within ±5 minutes of our clock, and every accepted
 * (timestamp, nonce, signature) is remembered for that window so a captured request cannot be
 * replayed; the signature comparison is constant-time; XML is read by a small strict extractor
 * (no DTD, no entities beyond XML's five, no comments, size and depth limits) — never by a general
 * XML parser that could expand entities.
 *
 * Order of checks: size → parameters → timestamp window → envelope → signature → decryption →
 * receive id → inner XML → replay memory. A request is remembered only when it passed everything,
 * so forged requests cannot fill the replay memory or block a genuine one.
 */

// ---------------------------------------------------------------------------------------------
// Configuration

/** The three values configured for the callback URL in WeCom's admin console. */
export interface WeComCallbackKeys {
  /** The callback Token (up to 32 letters and digits in the console). */
  token: string;
  /** The 43-character EncodingAESKey. */
  encodingAesKey: string;
  /** Who the messages are for: the corpid for a corp's own apps (the archive app included). */
  receiveId: string;
}

export interface WeComCallbackConfig extends WeComCallbackKeys {
  /** Remembers accepted requests; share one per callback source for the life of the process (or use a DB-backed one). */
  replayGuard: ReplayGuard;
  clock?: Clock;
  /** Larger POST bodies are refused before parsing. Default 64 KiB (a real envelope is well under 4 KiB). */
  maxBodyBytes?: number;
  /** Accepted distance between the request's timestamp and our clock, either way. Default 5 minutes. */
  maxClockSkewMs?: number;
}

export const DEFAULT_CALLBACK_MAX_BODY_BYTES = 64 * 1024;
export const DEFAULT_CALLBACK_MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Memory of accepted requests. `checkAndRemember` must be atomic: it returns false when `key` is
 * already remembered and not yet expired (a replay), otherwise it records `key` until `expiresAtMs`
 * and returns true. A DB-backed guard (a unique key with an expiry column) can replace the in-memory
 * one when several processes serve the callback.
 */
export interface ReplayGuard {
  checkAndRemember(key: string, expiresAtMs: number, nowMs: number): boolean | Promise<boolean>;
}

/**
 * The in-memory ReplayGuard: a bounded map in insertion order. Expired entries are dropped as they
 * come to the front and in a full sweep when the map is full; if it is still full, the oldest entry
 * goes. Only requests with a valid signature reach the guard, so filling it requires more genuine
 * callbacks within five minutes than `maxEntries` — far above WeCom's rate (≥ 15 s between
 * `msgaudit_notify` events) — and failing open on capacity is preferred to dropping genuine events.
 */
export function createMemoryReplayGuard(options: { maxEntries?: number } = {}): ReplayGuard & { readonly size: number } {
  const maxEntries = options.maxEntries ?? 10_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw badConfig('maxEntries must be a positive integer');
  const seen = new Map<string, number>();

  const dropExpiredFromFront = (now: number): void => {
    for (const [key, expiresAt] of seen) {
      if (expiresAt > now) return;
      seen.delete(key);
    }
  };
  const dropAllExpired = (now: number): void => {
    for (const [key, expiresAt] of seen) if (expiresAt <= now) seen.delete(key);
  };

  return {
    get size() {
      return seen.size;
    },
    checkAndRemember(key, expiresAtMs, nowMs) {
      const previous = seen.get(key);
      if (previous !== undefined && previous > nowMs) return false;
      if (previous !== undefined) seen.delete(key);
      dropExpiredFromFront(nowMs);
      if (seen.size >= maxEntries) dropAllExpired(nowMs);
      while (seen.size >= maxEntries) {
        const oldest = seen.keys().next();
        if (oldest.done === true) break;
        seen.delete(oldest.value);
      }
      seen.set(key, expiresAtMs);
      return true;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Errors: one stable code per cause, never the token, the key or message content in the text.

function callbackError(code: string, status: number, message: string): AppError {
  return new AppError(`wecom.${code}`, `WeCom callback rejected: ${message}`, { exitCode: 1, status });
}
const malformed = (message: string): AppError => callbackError('callback_malformed', 400, message);
const tooLarge = (limit: number): AppError => callbackError('callback_too_large', 413, `body larger than ${limit} bytes`);
const badSignature = (): AppError => callbackError('callback_bad_signature', 401, 'signature does not match');
const staleTimestamp = (): AppError => callbackError('callback_stale', 401, 'timestamp outside the accepted window');
const replayed = (): AppError => callbackError('callback_replay', 409, 'request already received');
const badReceiver = (): AppError => callbackError('callback_bad_receiver', 403, 'message is addressed to another receive id');
function badConfig(message: string): AppError {
  return new AppError('wecom.callback_bad_config', `WeCom callback configuration: ${message}`, { exitCode: 2, status: 500 });
}

// ---------------------------------------------------------------------------------------------
// Parameters (zod at the trust boundary: the query string comes from anyone on the internet)

const signedParamsSchema = z.object({
  msg_signature: z.string().regex(/^[0-9a-fA-F]{40}$/u),
  // WeCom sends epoch seconds.
  timestamp: z.string().regex(/^\d{1,12}$/u),
  nonce: z.string().regex(/^[\x21-\x7e]{1,64}$/u),
});
const urlVerificationSchema = signedParamsSchema.extend({
  echostr: z.string().min(1).max(4096),
});

export type CallbackSignedParams = z.infer<typeof signedParamsSchema>;
export type UrlVerificationParams = z.infer<typeof urlVerificationSchema>;

function parseParams<S extends z.ZodType>(schema: S, params: unknown): z.infer<S> {
  const parsed = schema.safeParse(params);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(query)'))].join(', ');
    throw malformed(`missing or invalid query parameter(s): ${fields}`);
  }
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// The primitives

/** SHA-1 over the four strings sorted and concatenated, lowercase hex (WeCom's `msg_signature`). */
export function computeSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  // WeCom's samples sort by byte / UTF-16 unit order; the default sort is that order for these ASCII values.
  const joined = [token, timestamp, nonce, encrypt].sort().join('');
  return createHash('sha1').update(joined, 'utf8').digest('hex');
}

function signatureMatches(keys: WeComCallbackKeys, p: CallbackSignedParams, encrypt: string): boolean {
  const expected = Buffer.from(computeSignature(keys.token, p.timestamp, p.nonce, encrypt), 'ascii');
  const given = Buffer.from(p.msg_signature.toLowerCase(), 'ascii');
  // Both are 40 hex characters (the schema checked `given`), so the comparison is constant-time.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function checkKeys(keys: WeComCallbackKeys): Buffer {
  if (typeof keys.token !== 'string' || !/^[\x21-\x7e]{1,128}$/u.test(keys.token)) throw badConfig('token must be 1–128 printable ASCII characters');
  if (typeof keys.receiveId !== 'string' || keys.receiveId.length === 0) throw badConfig('receiveId (the corpid) is required');
  if (typeof keys.encodingAesKey !== 'string' || !/^[A-Za-z0-9+/]{43}$/u.test(keys.encodingAesKey)) throw badConfig('EncodingAESKey must be 43 base64 characters');
  const key = Buffer.from(`${keys.encodingAesKey}=`, 'base64');
  if (key.length !== 32) throw badConfig('EncodingAESKey must decode to 32 bytes');
  return key;
}

const BLOCK = 32;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decrypts a base64 `Encrypt`/`echostr` value into the message and the receive id it carries. */
function decryptPayload(encrypt: string, key: Buffer): { message: string; receiveId: string } {
  if (!/^[A-Za-z0-9+/]+={0,2}$/u.test(encrypt) || encrypt.length % 4 !== 0) throw malformed('encrypted text is not base64');
  const cipherText = Buffer.from(encrypt, 'base64');
  if (cipherText.length === 0 || cipherText.length % 16 !== 0) throw malformed('encrypted text is not a whole number of AES blocks');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(cipherText), decipher.final()]);

  const pad = plain[plain.length - 1] ?? 0;
  if (pad < 1 || pad > BLOCK || pad > plain.length) throw malformed('bad padding');
  for (let i = plain.length - pad; i < plain.length; i++) if (plain[i] !== pad) throw malformed('bad padding');
  const content = plain.subarray(0, plain.length - pad);

  if (content.length < 20) throw malformed('decrypted text too short');
  const length = content.readUInt32BE(16);
  if (20 + length > content.length) throw malformed('message length exceeds the decrypted text');
  try {
    return { message: utf8.decode(content.subarray(20, 20 + length)), receiveId: utf8.decode(content.subarray(20 + length)) };
  } catch {
    throw malformed('decrypted text is not UTF-8');
  }
}

function encryptPayload(message: string, receiveId: string, key: Buffer, random: Uint8Array): string {
  const msg = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(msg.length);
  const body = Buffer.concat([random, length, msg, Buffer.from(receiveId, 'utf8')]);
  const pad = BLOCK - (body.length % BLOCK); // 1..32: a full block of 32 when already aligned
  const padded = Buffer.concat([body, Buffer.alloc(pad, pad)]);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
}

// ---------------------------------------------------------------------------------------------
// The strict XML extractor

export interface XmlLimits {
  /** Nesting depth below the root element. */
  maxDepth: number;
  /** Elements in the whole document. */
  maxElements: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = { maxDepth: 16, maxElements: 1_024 };

interface XmlElement {
  name: string;
  /** Text content of a leaf element (CDATA sections and character data, entities decoded). */
  text: string;
  leaf: boolean;
  children: XmlElement[];
}

const PREDEFINED_ENTITIES: ReadonlyMap<string, string> = new Map([
  ['lt', '<'],
  ['gt', '>'],
  ['amp', '&'],
  ['quot', '"'],
  ['apos', "'"],
]);

/**
 * Reads the flat XML WeCom uses for callbacks: an optional `<?xml …?>` declaration, a root element
 * `<xml>`, and child elements holding CDATA or text (containers are allowed and validated, but only
 * leaf children of the root are returned). Anything else — DOCTYPE, comments, processing
 * instructions, attributes, entities other than the five predefined ones and character references,
 * mixed content, duplicate fields, trailing content — is `wecom.callback_malformed`. Linear time:
 * it only scans forward with indexOf/startsWith, so hostile input cannot make it backtrack.
 */
export function parseCallbackXml(src: string, limits: XmlLimits = DEFAULT_XML_LIMITS): Record<string, string> {
  let pos = 0;
  let elementCount = 0;
  const fail = (what: string): never => {
    throw malformed(`XML ${what} (offset ${pos})`);
  };
  const at = (s: string): boolean => src.startsWith(s, pos);
  const skipSpace = (): void => {
    while (pos < src.length && (src[pos] === ' ' || src[pos] === '\t' || src[pos] === '\n' || src[pos] === '\r')) pos++;
  };
  const readName = (): string => {
    const m = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}/u.exec(src.slice(pos, pos + 65));
    if (!m) return fail('bad element name');
    pos += m[0].length;
    return m[0];
  };

  function decodeText(raw: string): string {
    if (raw.includes(']]>')) fail("']]>' in character data");
    if (!raw.includes('&')) return raw;
    let out = '';
    let i = 0;
    while (i < raw.length) {
      const amp = raw.indexOf('&', i);
      if (amp < 0) {
        out += raw.slice(i);
        break;
      }
      out += raw.slice(i, amp);
      const semi = raw.indexOf(';', amp);
      if (semi < 0 || semi - amp > 10) fail('bad entity reference');
      const name = raw.slice(amp + 1, semi);
      const predefined = PREDEFINED_ENTITIES.get(name);
      if (predefined !== undefined) {
        out += predefined;
      } else {
        const m = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/u.exec(name);
        const codePoint = m ? (m[1] !== undefined ? parseInt(m[1], 16) : Number(m[2])) : -1;
        const valid = codePoint > 0 && codePoint <= 0x10ffff && !(codePoint >= 0xd800 && codePoint <= 0xdfff);
        if (!valid) fail('entity not allowed (only &lt; &gt; &amp; &quot; &apos; and character references)');
        out += String.fromCodePoint(codePoint);
      }
      i = semi + 1;
    }
    return out;
  }

  function parseElement(depth: number): XmlElement {
    if (depth > limits.maxDepth) fail('nested too deeply');
    if (++elementCount > limits.maxElements) fail('has too many elements');
    if (!at('<')) fail('expected an element');
    pos++;
    const name = readName();
    skipSpace();
    if (at('/>')) {
      pos += 2;
      return { name, text: '', leaf: true, children: [] };
    }
    if (!at('>')) fail('attributes are not allowed');
    pos++;

    const children: XmlElement[] = [];
    const parts: { cdata: boolean; value: string }[] = [];
    for (;;) {
      if (pos >= src.length) fail(`element <${name}> not closed`);
      if (at('<![CDATA[')) {
        const end = src.indexOf(']]>', pos + 9);
        if (end < 0) fail('CDATA section not closed');
        parts.push({ cdata: true, value: src.slice(pos + 9, end) });
        pos = end + 3;
      } else if (at('</')) {
        pos += 2;
        if (readName() !== name) fail(`closing tag does not match <${name}>`);
        skipSpace();
        if (!at('>')) fail('bad closing tag');
        pos++;
        break;
      } else if (at('<!') || at('<?')) {
        fail('comments, DOCTYPE and processing instructions are not allowed');
      } else if (at('<')) {
        children.push(parseElement(depth + 1));
      } else {
        const next = src.indexOf('<', pos);
        const end = next < 0 ? src.length : next;
        parts.push({ cdata: false, value: decodeText(src.slice(pos, end)) });
        pos = end;
      }
    }

    const significant = parts.filter((p) => p.cdata || /\S/u.test(p.value));
    if (children.length > 0) {
      if (significant.length > 0) fail(`mixed content in <${name}>`);
      return { name, text: '', leaf: false, children };
    }
    // With CDATA present, whitespace around it is layout, not content.
    const text = parts.some((p) => p.cdata) ? significant.map((p) => p.value).join('') : parts.map((p) => p.value).join('');
    return { name, text, leaf: true, children: [] };
  }

  if (src.charCodeAt(0) === 0xfeff) pos = 1;
  skipSpace();
  if (at('<?xml') && /[\s?]/u.test(src[pos + 5] ?? '')) {
    const end = src.indexOf('?>', pos);
    if (end < 0 || end - pos > 200) fail('bad XML declaration');
    pos = end + 2;
    skipSpace();
  }
  if (at('<!') || at('<?')) fail('comments, DOCTYPE and processing instructions are not allowed');
  const root = parseElement(0);
  skipSpace();
  if (pos !== src.length) fail('content after the root element');
  if (root.name !== 'xml') fail('root element must be <xml>');

  const names = new Set<string>();
  const fields = new Map<string, string>();
  for (const child of root.children) {
    // Two <Encrypt> (one signed, one decrypted?) must never be resolved by guessing.
    if (names.has(child.name)) fail(`duplicate element <${child.name}>`);
    names.add(child.name);
    if (child.leaf) fields.set(child.name, child.text);
  }
  // fromEntries defines own properties, so a field named __proto__ cannot touch the prototype.
  return Object.fromEntries(fields);
}

// ---------------------------------------------------------------------------------------------
// The callback operations

function checkTimestamp(timestamp: string, clock: Clock, maxSkewMs: number): { nowMs: number; timestampMs: number } {
  const nowMs = clock.now();
  const timestampMs = Number(timestamp) * 1000;
  if (!Number.isSafeInteger(timestampMs) || Math.abs(nowMs - timestampMs) > maxSkewMs) throw staleTimestamp();
  return { nowMs, timestampMs };
}

async function rememberOrReject(config: WeComCallbackConfig, p: CallbackSignedParams, timestampMs: number, nowMs: number, maxSkewMs: number): Promise<void> {
  // Remembered until the timestamp check would reject the request anyway (plus a second of slack).
  const key = `${p.timestamp}\n${p.nonce}\n${p.msg_signature.toLowerCase()}`;
  const fresh = await config.replayGuard.checkAndRemember(key, timestampMs + maxSkewMs + 1000, nowMs);
  if (!fresh) throw replayed();
}

function settings(config: WeComCallbackConfig): { key: Buffer; clock: Clock; maxSkewMs: number; maxBodyBytes: number } {
  const key = checkKeys(config);
  if (typeof config.replayGuard?.checkAndRemember !== 'function') throw badConfig('a replayGuard is required');
  const maxSkewMs = config.maxClockSkewMs ?? DEFAULT_CALLBACK_MAX_CLOCK_SKEW_MS;
  const maxBodyBytes = config.maxBodyBytes ?? DEFAULT_CALLBACK_MAX_BODY_BYTES;
  if (!(maxSkewMs > 0) || !(maxBodyBytes > 0)) throw badConfig('maxClockSkewMs and maxBodyBytes must be positive');
  return { key, clock: config.clock ?? systemClock, maxSkewMs, maxBodyBytes };
}

/**
 * GET verification of the callback URL: checks the signature over the encrypted `echostr`, decrypts
 * it, checks the receive id, and returns the plaintext that must be sent back as the response body.
 * `params` is the parsed query string (msg_signature, timestamp, nonce, echostr).
 */
export async function verifyUrl(params: unknown, config: WeComCallbackConfig): Promise<string> {
  const { key, clock, maxSkewMs } = settings(config);
  const p = parseParams(urlVerificationSchema, params);
  // base64 contains '+', which a form-style query decoder turns into ' '; base64 never has spaces.
  const echostr = p.echostr.replace(/ /gu, '+');
  const { nowMs, timestampMs } = checkTimestamp(p.timestamp, clock, maxSkewMs);
  if (!signatureMatches(config, p, echostr)) throw badSignature();
  const { message, receiveId } = decryptPayload(echostr, key);
  if (receiveId !== config.receiveId) throw badReceiver();
  await rememberOrReject(config, p, timestampMs, nowMs, maxSkewMs);
  return message;
}

export interface DecryptedCallbackEvent {
  /** The decrypted event XML, exactly as WeCom sent it. */
  xml: string;
  /** The leaf elements directly under the event's `<xml>` root (ToUserName, CreateTime, MsgType, Event, …). */
  fields: Readonly<Record<string, string>>;
  msgType: string | undefined;
  event: string | undefined;
  /** UTC ms (WeCom sends seconds). */
  createTime: number | undefined;
  /** The unencrypted envelope fields. */
  envelope: { toUserName: string | undefined; agentId: string | undefined };
}

/**
 * POST event: size limit, envelope extraction, signature over `Encrypt`, decryption, receive-id
 * check, then the event's own XML is parsed with the same strict extractor. `params` is the parsed
 * query string (msg_signature, timestamp, nonce); `body` the raw request body.
 */
export async function decryptEvent(params: unknown, body: string | Uint8Array, config: WeComCallbackConfig): Promise<DecryptedCallbackEvent> {
  const { key, clock, maxSkewMs, maxBodyBytes } = settings(config);
  const size = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength;
  if (size > maxBodyBytes) throw tooLarge(maxBodyBytes);
  let bodyText: string;
  try {
    bodyText = typeof body === 'string' ? body : utf8.decode(body);
  } catch {
    throw malformed('body is not UTF-8');
  }

  const p = parseParams(signedParamsSchema, params);
  const { nowMs, timestampMs } = checkTimestamp(p.timestamp, clock, maxSkewMs);
  const envelope = parseCallbackXml(bodyText);
  const encrypt = envelope.Encrypt;
  if (encrypt === undefined || encrypt === '') throw malformed('envelope has no <Encrypt>');
  if (!signatureMatches(config, p, encrypt)) throw badSignature();
  const { message, receiveId } = decryptPayload(encrypt, key);
  if (receiveId !== config.receiveId) throw badReceiver();
  const fields = parseCallbackXml(message);
  await rememberOrReject(config, p, timestampMs, nowMs, maxSkewMs);

  const createTimeSeconds = fields.CreateTime !== undefined && /^\d{1,12}$/u.test(fields.CreateTime) ? Number(fields.CreateTime) : undefined;
  return {
    xml: message,
    fields,
    msgType: fields.MsgType,
    event: fields.Event,
    createTime: createTimeSeconds === undefined ? undefined : createTimeSeconds * 1000,
    envelope: { toUserName: envelope.ToUserName, agentId: envelope.AgentID },
  };
}

/** The archive app's "new messages to pull" event (产生会话回调事件). */
export function isMsgAuditNotify(event: DecryptedCallbackEvent): boolean {
  return event.msgType === 'event' && event.event === 'msgaudit_notify';
}

export interface EncryptedCallback {
  /** Base64 ciphertext (the `Encrypt` element, or `echostr` for URL verification). */
  encrypt: string;
  msgSignature: string;
  timestamp: string;
  nonce: string;
  /** The POST body WeCom would send for this message: `<xml><ToUserName/><Encrypt/><AgentID/></xml>`. */
  callbackXml: string;
  /** A passive encrypted reply: `<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>`. */
  replyXml: string;
}

const cdata = (s: string): string => `<![CDATA[${s.split(']]>').join(']]]]><![CDATA[>')}]]>`;

/**
 * The inverse of decryption, for tests (simulate WeCom) and for encrypted passive replies.
 * `random` (16 bytes), `timestamp` and `nonce` may be fixed for reproducible output.
 */
export function encryptForTest(
  message: string,
  keys: WeComCallbackKeys,
  options: { timestamp?: string; nonce?: string; random?: Uint8Array; agentId?: string; clock?: Clock } = {},
): EncryptedCallback {
  const key = checkKeys(keys);
  const random = options.random ?? randomBytes(16);
  if (random.length !== 16) throw badConfig('random prefix must be 16 bytes');
  const timestamp = options.timestamp ?? String(Math.floor((options.clock ?? systemClock).now() / 1000));
  const nonce = options.nonce ?? String(randomInt(1_000_000_000, 9_999_999_999));
  const encrypt = encryptPayload(message, keys.receiveId, key, random);
  const msgSignature = computeSignature(keys.token, timestamp, nonce, encrypt);
  return {
    encrypt,
    msgSignature,
    timestamp,
    nonce,
    callbackXml: `<xml><ToUserName>${cdata(keys.receiveId)}</ToUserName><Encrypt>${cdata(encrypt)}</Encrypt><AgentID>${cdata(options.agentId ?? '')}</AgentID></xml>`,
    replyXml: `<xml><Encrypt>${cdata(encrypt)}</Encrypt><MsgSignature>${cdata(msgSignature)}</MsgSignature><TimeStamp>${timestamp}</TimeStamp><Nonce>${cdata(nonce)}</Nonce></xml>`,
  };
}
