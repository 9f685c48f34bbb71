import { z } from 'zod';
import { AppError } from '../../errors.js';

/**
 * The boundary between the WeCom connector and Tencent's chat-archive SDK (reference A.1–A.5).
 * The rest of the connector talks to `WeComArchiveClient` and never sees FFI: the production
 * implementation is koffi-sdk.ts (libWeWorkFinanceSdk_C.so); tests load a C double of the same ABI.
 */

/** One entry of GetChatData's `chatdata` (reference A.2). The message itself is still encrypted. */
export interface ChatDataItem {
  seq: number;
  msgid: string;
  publickey_ver: number;
  encrypt_random_key: string;
  encrypt_chat_msg: string;
}

export interface MediaChunk {
  data: Buffer;
  /** Pass back as `indexBuf` for the next chunk; persist it to resume a download after a restart. */
  nextIndexBuf: string;
  finished: boolean;
}

export interface WeComArchiveClient {
  /** Messages after `seq` (exclusive; 0 = the earliest Tencent still keeps), at most `limit` (1–1000). */
  getChatData(seq: number, limit: number): Promise<ChatDataItem[]>;
  /** DecryptData: the unwrapped random key + `encrypt_chat_msg` → the message JSON text. */
  decrypt(randomKey: string, encryptedMsg: string): Promise<string>;
  /** One chunk of a media file; start with `indexBuf = ""`, continue with `nextIndexBuf` until `finished`. */
  getMedia(sdkFileId: string, indexBuf: string): Promise<MediaChunk>;
  /** Releases the SDK handle (after the calls in flight finish). Later calls fail with `wecom.sdk_closed`. */
  close(): void;
}

export const MAX_CHAT_DATA_LIMIT = 1000;

export type WeComSdkOperation = 'Init' | 'GetChatData' | 'DecryptData' | 'GetMediaData';

interface SdkCodeInfo {
  /** Stable AppError code. */
  code: string;
  /** What went wrong and what to do, without any message content. */
  explain: (context: { publickeyVer: number | undefined }) => string;
}

/** The SDK's error codes (reference A.5, trusted over other wrappers' labels). */
const SDK_CODES: Readonly<Record<number, SdkCodeInfo>> = {
  10000: {
    code: 'wecom.sdk_bad_params',
    explain: () => 'the SDK rejected the request parameters (10000): check the corp id and the chat-archive secret, and that limit is 1–1000',
  },
  10001: {
    code: 'wecom.sdk_network',
    explain: () => 'network error reaching WeCom (10001); retryable — if it persists, check outbound HTTPS to qyapi.weixin.qq.com and the proxy settings',
  },
  10002: {
    code: 'wecom.sdk_parse_failed',
    explain: () => 'the SDK could not parse WeCom\'s answer (10002); retryable',
  },
  10003: {
    code: 'wecom.sdk_system',
    explain: () => 'WeCom system failure (10003); retryable',
  },
  10004: {
    code: 'wecom.sdk_key_error',
    explain: () => 'encryption failed because of a key error (10004): check that the RSA public keys in the WeCom admin console match the configured private keys',
  },
  10005: {
    code: 'wecom.sdk_bad_fileid',
    explain: () => 'WeCom does not know this sdkfileid (10005): the media id is wrong or no longer downloadable',
  },
  10006: {
    code: 'wecom.sdk_decrypt_failed',
    explain: () =>
      'decryption failed (10006): the random key does not fit this message — usually encrypt_random_key was unwrapped with the private key of another publickey_ver, or not base64-decoded first',
  },
  10007: {
    code: 'wecom.sdk_private_key_missing',
    explain: ({ publickeyVer }) =>
      publickeyVer === undefined
        ? 'no private key for the message\'s publickey_ver (10007): add the private key of every public key version configured in the WeCom admin console (sources update --private-key VERSION=PEM_FILE)'
        : `no private key for publickey_ver ${publickeyVer} (10007): add it with sources update --private-key ${publickeyVer}=PEM_FILE (the key pair whose public key is version ${publickeyVer} in the WeCom admin console)`,
  },
  10008: {
    code: 'wecom.sdk_bad_encrypt_key',
    explain: () => 'the SDK could not parse the random key (10008): encrypt_random_key must be base64-decoded and RSA-decrypted with the key of its publickey_ver before DecryptData',
  },
  10009: {
    code: 'wecom.sdk_ip_not_whitelisted',
    explain: () =>
      'this server\'s IP address is not on the chat-archive app\'s trusted IP list (10009): add the server\'s public egress IP in the WeCom admin console (管理工具 → 会话内容存档 → 可信IP)',
  },
  10010: {
    code: 'wecom.sdk_data_expired',
    explain: () =>
      'the data has expired (10010): WeCom keeps archived messages only about 5 days, so messages older than that are unrecoverable — record the gap and sync more often',
  },
  10011: {
    code: 'wecom.sdk_certificate_error',
    explain: () => 'certificate error or expired certificate (10011): check the system clock and CA certificates, and update the WeCom SDK',
  },
};

const RETRYABLE_SDK_CODES: ReadonlySet<number> = new Set([10001, 10002, 10003]);

export const isRetryableSdkCode = (sdkCode: number): boolean => RETRYABLE_SDK_CODES.has(sdkCode);

export interface WeComSdkErrorOptions {
  /** The SDK call that failed. */
  operation?: WeComSdkOperation;
  /** For 10007: the version whose private key is missing, when known. */
  publickeyVer?: number;
  /** `errmsg` from the SDK's JSON answer: Tencent's diagnostic, never message content. */
  sdkMessage?: string;
}

/** A failure reported by the WeCom SDK, by its numeric code (reference A.5). */
export class WeComSdkError extends AppError {
  readonly sdkCode: number;
  /** 10001–10003: retry with backoff. Anything else needs a person (see the message). */
  readonly retryable: boolean;
  readonly operation: WeComSdkOperation | undefined;
  readonly publickeyVer: number | undefined;

  constructor(sdkCode: number, options: WeComSdkErrorOptions = {}) {
    const info = SDK_CODES[sdkCode];
    const where = options.operation === undefined ? 'WeCom SDK' : `WeCom SDK ${options.operation}`;
    const explanation = info ? info.explain({ publickeyVer: options.publickeyVer }) : `unknown error code ${sdkCode}`;
    const details: Record<string, unknown> = { sdkCode, retryable: isRetryableSdkCode(sdkCode) };
    if (options.operation !== undefined) details['operation'] = options.operation;
    if (options.publickeyVer !== undefined) details['publickeyVer'] = options.publickeyVer;
    if (options.sdkMessage !== undefined) details['sdkMessage'] = options.sdkMessage;
    super(info?.code ?? 'wecom.sdk_error', `${where}: ${explanation}`, { details });
    this.name = 'WeComSdkError';
    this.sdkCode = sdkCode;
    this.retryable = isRetryableSdkCode(sdkCode);
    this.operation = options.operation;
    this.publickeyVer = options.publickeyVer;
  }
}

/** 10007 raised by the connector itself when no private key is configured for a message's version. */
export const missingPrivateKeyError = (publickeyVer: number): WeComSdkError =>
  new WeComSdkError(10007, { publickeyVer });

export const isWeComSdkError = (e: unknown): e is WeComSdkError => e instanceof WeComSdkError;

// ---- GetChatData's JSON answer (reference A.2) ----

const chatDataItemSchema = z.object({
  seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  msgid: z.string().min(1),
  publickey_ver: z.number().int().nonnegative(),
  encrypt_random_key: z.string().min(1),
  encrypt_chat_msg: z.string().min(1),
});

// Unknown keys are dropped rather than rejected: a field Tencent adds later must not stop the
// archive. Every documented field is required and typed; anything else is an error.
const chatDataEnvelopeSchema = z.object({ errcode: z.number().int(), errmsg: z.string().optional() });
const chatDataSuccessSchema = z.object({ errcode: z.literal(0), errmsg: z.string(), chatdata: z.array(chatDataItemSchema) });

function invalidResponse(issues: readonly z.core.$ZodIssue[]): AppError {
  const describe = (issue: z.core.$ZodIssue): string => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`;
  return new AppError('wecom.sdk_response_invalid', `WeCom SDK GetChatData returned an unexpected answer (${issues.slice(0, 3).map(describe).join('; ')})`, {
    details: { issues: issues.map((issue) => ({ path: issue.path.map(String).join('.'), code: issue.code })) },
  });
}

/**
 * Parses GetChatData's JSON text strictly: valid JSON, the documented shape, and `errcode` 0
 * (a non-zero errcode inside the JSON is a WeComSdkError like a non-zero return code).
 * Error messages name the failing field path, never a value.
 */
export function parseChatDataResponse(text: string): ChatDataItem[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError('wecom.sdk_response_invalid', 'WeCom SDK GetChatData returned text that is not JSON');
  }
  const envelope = chatDataEnvelopeSchema.safeParse(json);
  if (!envelope.success) throw invalidResponse(envelope.error.issues);
  if (envelope.data.errcode !== 0) {
    const { errcode, errmsg } = envelope.data;
    throw new WeComSdkError(errcode, { operation: 'GetChatData', ...(errmsg === undefined ? {} : { sdkMessage: errmsg }) });
  }
  const success = chatDataSuccessSchema.safeParse(json);
  if (!success.success) throw invalidResponse(success.error.issues);
  return success.data.chatdata;
}
