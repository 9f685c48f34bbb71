import { resolve } from 'node:path';
import koffi from 'koffi';
import type { LibraryHandle, TypeObject } from 'koffi';
import { AppError } from '../../errors.js';
import {
  MAX_CHAT_DATA_LIMIT,
  parseChatDataResponse,
  WeComSdkError,
  type ChatDataItem,
  type MediaChunk,
  type WeComArchiveClient,
  type WeComSdkOperation,
} from './archive-client.js';

/**
 * WeComArchiveClient over Tencent's libWeWorkFinanceSdk_C.so, loaded with koffi 3.
 *
 * The C API (reference A.1, header WeWorkFinanceSdk_C.h):
 *   WeWorkFinanceSdk_t* NewSdk();
 *   int  Init(WeWorkFinanceSdk_t*, const char* corpid, const char* secret);
 *   int  GetChatData(WeWorkFinanceSdk_t*, unsigned long long seq, unsigned int limit,
 *                    const char* proxy, const char* passwd, int timeout, Slice_t* chatDatas);
 *   int  DecryptData(const char* encrypt_key, const char* encrypt_msg, Slice_t* msg);
 *   int  GetMediaData(WeWorkFinanceSdk_t*, const char* indexbuf, const char* sdkFileid,
 *                     const char* proxy, const char* passwd, int timeout, MediaData_t* media_data);
 *   void DestroySdk(WeWorkFinanceSdk_t*);
 *   Slice_t* NewSlice();  void FreeSlice(Slice_t*);  char* GetContentFromSlice(Slice_t*);  int GetSliceLen(Slice_t*);
 *   MediaData_t* NewMediaData();  void FreeMediaData(MediaData_t*);  char* GetOutIndexBuf(MediaData_t*);
 *   char* GetData(MediaData_t*);  int GetIndexLen(MediaData_t*);  int GetDataLen(MediaData_t*);
 *   int IsMediaDataFinish(MediaData_t*);
 *
 * Choices:
 * - Slice_t and MediaData_t are handled as opaque pointers through the SDK's own helper functions,
 *   never by struct layout, so a layout change in a future SDK cannot misread memory.
 * - Buffers are declared `void *` (not `char *`): the contents are length-delimited (media is
 *   binary), so koffi must hand us the pointer rather than convert up to the first NUL. Bytes are
 *   copied into a JS Buffer before the slice/media data is freed (always, in `finally`).
 * - GetChatData and GetMediaData go over the network: they run with koffi's `.async` on a worker
 *   thread so the event loop keeps serving while WeCom answers. DecryptData is local CPU work of
 *   microseconds, called synchronously to avoid a thread hop per message on the hot path.
 * - In koffi 3 pointers are BigInt values and NULL is `null`; pointer types are anonymous so that
 *   loading the SDK twice (or alongside other koffi users) never collides on a type name.
 */

export interface OpenWeComSdkOptions {
  /** Path to libWeWorkFinanceSdk_C.so. */
  libraryPath: string;
  corpId: string;
  /** The chat-archive (会话内容存档) secret. */
  secret: string;
  /** `socks5://host:port` or `http://host:port`. */
  proxy?: string;
  /** `user:pass` for the proxy. */
  proxyPassword?: string;
  /** Per-call network timeout the SDK enforces (seconds); default 30. */
  timeoutSeconds?: number;
}

const DEFAULT_TIMEOUT_SECONDS = 30;

type KoffiFunction = ReturnType<LibraryHandle['func']>;
/** A non-NULL native pointer (koffi 3 represents pointers as BigInt). */
type Pointer = bigint;

interface SdkBindings {
  NewSdk: KoffiFunction;
  Init: KoffiFunction;
  DestroySdk: KoffiFunction;
  GetChatData: KoffiFunction;
  DecryptData: KoffiFunction;
  GetMediaData: KoffiFunction;
  NewSlice: KoffiFunction;
  FreeSlice: KoffiFunction;
  GetContentFromSlice: KoffiFunction;
  GetSliceLen: KoffiFunction;
  NewMediaData: KoffiFunction;
  FreeMediaData: KoffiFunction;
  GetOutIndexBuf: KoffiFunction;
  GetData: KoffiFunction;
  GetIndexLen: KoffiFunction;
  GetDataLen: KoffiFunction;
  IsMediaDataFinish: KoffiFunction;
}

interface PointerTypes {
  sdk: TypeObject;
  slice: TypeObject;
  media: TypeObject;
}

// Created on first use: importing this module must not load koffi's native addon for CLI
// commands that never touch WeCom.
let pointerTypes: PointerTypes | undefined;
const bindingsByPath = new Map<string, SdkBindings>();

function getPointerTypes(): PointerTypes {
  pointerTypes ??= {
    sdk: koffi.pointer(koffi.opaque()),
    slice: koffi.pointer(koffi.opaque()),
    media: koffi.pointer(koffi.opaque()),
  };
  return pointerTypes;
}

const sdkLoadFailed = (libraryPath: string, reason: string): AppError =>
  new AppError('wecom.sdk_load_failed', `cannot load the WeCom SDK ${libraryPath}: ${reason}`);

function loadBindings(libraryPath: string): SdkBindings {
  const path = resolve(libraryPath);
  const cached = bindingsByPath.get(path);
  if (cached) return cached;
  let lib: LibraryHandle;
  try {
    lib = koffi.load(path);
  } catch (e) {
    // dlopen's reason (file missing, wrong architecture, a missing libcurl/libssl) is the actionable part.
    throw sdkLoadFailed(path, e instanceof Error ? e.message : String(e));
  }
  const t = getPointerTypes();
  const str = 'const char *';
  const declare = (name: string, result: string | TypeObject, args: (string | TypeObject)[]): KoffiFunction => {
    try {
      return lib.func(name, result, args);
    } catch {
      throw sdkLoadFailed(path, `it does not export ${name}; is it Tencent's libWeWorkFinanceSdk_C.so?`);
    }
  };
  const bindings: SdkBindings = {
    NewSdk: declare('NewSdk', t.sdk, []),
    Init: declare('Init', 'int', [t.sdk, str, str]),
    DestroySdk: declare('DestroySdk', 'void', [t.sdk]),
    GetChatData: declare('GetChatData', 'int', [t.sdk, 'unsigned long long', 'unsigned int', str, str, 'int', t.slice]),
    DecryptData: declare('DecryptData', 'int', [str, str, t.slice]),
    GetMediaData: declare('GetMediaData', 'int', [t.sdk, str, str, str, str, 'int', t.media]),
    NewSlice: declare('NewSlice', t.slice, []),
    FreeSlice: declare('FreeSlice', 'void', [t.slice]),
    GetContentFromSlice: declare('GetContentFromSlice', 'void *', [t.slice]),
    GetSliceLen: declare('GetSliceLen', 'int', [t.slice]),
    NewMediaData: declare('NewMediaData', t.media, []),
    FreeMediaData: declare('FreeMediaData', 'void', [t.media]),
    GetOutIndexBuf: declare('GetOutIndexBuf', 'void *', [t.media]),
    GetData: declare('GetData', 'void *', [t.media]),
    GetIndexLen: declare('GetIndexLen', 'int', [t.media]),
    GetDataLen: declare('GetDataLen', 'int', [t.media]),
    IsMediaDataFinish: declare('IsMediaDataFinish', 'int', [t.media]),
  };
  bindingsByPath.set(path, bindings);
  return bindings;
}

// ---- Narrowing what koffi returns (typed `any` by koffi) ----

const badAnswer = (what: string): AppError => new AppError('wecom.sdk_response_invalid', `WeCom SDK: unexpected ${what}`);

function asPointer(value: unknown, what: string): Pointer | null {
  if (value === null || value === 0n) return null;
  if (typeof value === 'bigint') return value;
  throw badAnswer(`${what} (not a pointer)`);
}

function asInt(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  throw badAnswer(`${what} (not an integer)`);
}

/** Copies `length` bytes at `pointer` into a new Buffer (the native memory is freed right after). */
function copyBytes(pointer: Pointer | null, length: number, what: string): Buffer {
  if (length < 0) throw badAnswer(`${what} length ${length}`);
  if (length === 0) return Buffer.alloc(0);
  if (pointer === null) throw badAnswer(`${what}: NULL buffer of length ${length}`);
  return Buffer.copyBytesFrom(new Uint8Array(koffi.view(pointer, length)));
}

function callAsync(fn: KoffiFunction, args: unknown[]): Promise<unknown> {
  return new Promise((resolvePromise, reject) => {
    fn.async(...args, (err: unknown, result: unknown) => {
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolvePromise(result);
    });
  });
}

const badArgument = (message: string): AppError => new AppError('wecom.sdk_bad_argument', `WeCom SDK: ${message}`);

/** Strings cross into C as NUL-terminated: an embedded NUL would silently truncate them. */
function checkCString(value: string, name: string, options: { allowEmpty: boolean }): void {
  if (typeof value !== 'string') throw badArgument(`${name} must be a string`);
  if (!options.allowEmpty && value.length === 0) throw badArgument(`${name} must not be empty`);
  if (value.includes('\0')) throw badArgument(`${name} must not contain NUL characters`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

class KoffiArchiveClient implements WeComArchiveClient {
  readonly #b: SdkBindings;
  #sdk: Pointer | null;
  readonly #proxy: string;
  readonly #proxyPassword: string;
  readonly #timeoutSeconds: number;
  #inFlight = 0;
  #closing = false;

  constructor(bindings: SdkBindings, sdk: Pointer, options: { proxy: string; proxyPassword: string; timeoutSeconds: number }) {
    this.#b = bindings;
    this.#sdk = sdk;
    this.#proxy = options.proxy;
    this.#proxyPassword = options.proxyPassword;
    this.#timeoutSeconds = options.timeoutSeconds;
  }

  async getChatData(seq: number, limit: number): Promise<ChatDataItem[]> {
    if (!Number.isSafeInteger(seq) || seq < 0) throw badArgument(`seq must be a non-negative integer, got ${seq}`);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CHAT_DATA_LIMIT) {
      throw badArgument(`limit must be an integer from 1 to ${MAX_CHAT_DATA_LIMIT}, got ${limit}`);
    }
    const text = await this.#withSdk(async (sdk) => {
      const slice = this.#newSlice();
      try {
        const rc = await callAsync(this.#b.GetChatData, [sdk, BigInt(seq), limit, this.#proxy, this.#proxyPassword, this.#timeoutSeconds, slice]);
        this.#check(rc, 'GetChatData');
        return this.#readSlice(slice).toString('utf8');
      } finally {
        this.#b.FreeSlice(slice);
      }
    });
    return parseChatDataResponse(text);
  }

  async decrypt(randomKey: string, encryptedMsg: string): Promise<string> {
    checkCString(randomKey, 'randomKey', { allowEmpty: false });
    checkCString(encryptedMsg, 'encryptedMsg', { allowEmpty: false });
    this.#assertOpen();
    const slice = this.#newSlice();
    let bytes: Buffer;
    try {
      this.#check(this.#b.DecryptData(randomKey, encryptedMsg, slice), 'DecryptData');
      bytes = this.#readSlice(slice);
    } finally {
      this.#b.FreeSlice(slice);
    }
    try {
      return utf8.decode(bytes);
    } catch {
      throw new AppError('wecom.decrypted_not_utf8', 'WeCom SDK DecryptData returned bytes that are not UTF-8');
    }
  }

  async getMedia(sdkFileId: string, indexBuf: string): Promise<MediaChunk> {
    checkCString(sdkFileId, 'sdkFileId', { allowEmpty: false });
    checkCString(indexBuf, 'indexBuf', { allowEmpty: true });
    return this.#withSdk(async (sdk) => {
      const media = asPointer(this.#b.NewMediaData(), 'NewMediaData result');
      if (media === null) throw new AppError('wecom.sdk_out_of_memory', 'WeCom SDK NewMediaData returned NULL');
      try {
        const rc = await callAsync(this.#b.GetMediaData, [sdk, indexBuf, sdkFileId, this.#proxy, this.#proxyPassword, this.#timeoutSeconds, media]);
        this.#check(rc, 'GetMediaData');
        const data = copyBytes(asPointer(this.#b.GetData(media), 'GetData result'), asInt(this.#b.GetDataLen(media), 'GetDataLen result'), 'media data');
        const index = copyBytes(
          asPointer(this.#b.GetOutIndexBuf(media), 'GetOutIndexBuf result'),
          asInt(this.#b.GetIndexLen(media), 'GetIndexLen result'),
          'media index buffer',
        );
        // Tolerate a length that counts the C string's terminator.
        const nextIndexBuf = index.toString('utf8').replace(/\0+$/u, '');
        const finished = asInt(this.#b.IsMediaDataFinish(media), 'IsMediaDataFinish result') !== 0;
        // Resuming from "" would restart the file: a caller looping on nextIndexBuf would never end.
        if (!finished && nextIndexBuf === '') throw badAnswer('GetMediaData answer: not finished but no index buffer to continue from');
        return { data, nextIndexBuf, finished };
      } finally {
        this.#b.FreeMediaData(media);
      }
    });
  }

  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#inFlight === 0) this.#destroy();
  }

  #destroy(): void {
    if (this.#sdk === null) return;
    const sdk = this.#sdk;
    this.#sdk = null;
    this.#b.DestroySdk(sdk);
  }

  #assertOpen(): void {
    if (this.#closing || this.#sdk === null) throw new AppError('wecom.sdk_closed', 'the WeCom SDK client is closed');
  }

  /** Runs a call that uses the SDK handle; DestroySdk waits until the last such call returns. */
  async #withSdk<T>(call: (sdk: Pointer) => Promise<T>): Promise<T> {
    this.#assertOpen();
    const sdk = this.#sdk as Pointer;
    this.#inFlight++;
    try {
      return await call(sdk);
    } finally {
      this.#inFlight--;
      if (this.#closing && this.#inFlight === 0) this.#destroy();
    }
  }

  #newSlice(): Pointer {
    const slice = asPointer(this.#b.NewSlice(), 'NewSlice result');
    if (slice === null) throw new AppError('wecom.sdk_out_of_memory', 'WeCom SDK NewSlice returned NULL');
    return slice;
  }

  #readSlice(slice: Pointer): Buffer {
    const length = asInt(this.#b.GetSliceLen(slice), 'GetSliceLen result');
    return copyBytes(asPointer(this.#b.GetContentFromSlice(slice), 'GetContentFromSlice result'), length, 'slice content');
  }

  #check(rc: unknown, operation: WeComSdkOperation): void {
    const code = asInt(rc, `${operation} return code`);
    if (code !== 0) throw new WeComSdkError(code, { operation });
  }
}

/**
 * Loads the SDK library (once per path), creates and initialises an SDK instance.
 * Throws `wecom.sdk_load_failed` when the library cannot be loaded, WeComSdkError when Init fails.
 */
export function openWeComSdk(options: OpenWeComSdkOptions): WeComArchiveClient {
  checkCString(options.corpId, 'corpId', { allowEmpty: false });
  checkCString(options.secret, 'secret', { allowEmpty: false });
  // The SDK is C++ that copies these into std::string: pass "" rather than NULL for "no proxy".
  const proxy = options.proxy ?? '';
  const proxyPassword = options.proxyPassword ?? '';
  checkCString(proxy, 'proxy', { allowEmpty: true });
  checkCString(proxyPassword, 'proxyPassword', { allowEmpty: true });
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 3600) {
    throw badArgument(`timeoutSeconds must be an integer from 1 to 3600, got ${timeoutSeconds}`);
  }

  const bindings = loadBindings(options.libraryPath);
  const sdk = asPointer(bindings.NewSdk(), 'NewSdk result');
  if (sdk === null) throw new AppError('wecom.sdk_out_of_memory', 'WeCom SDK NewSdk returned NULL');
  let rc: number;
  try {
    rc = asInt(bindings.Init(sdk, options.corpId, options.secret), 'Init return code');
  } catch (e) {
    bindings.DestroySdk(sdk);
    throw e;
  }
  if (rc !== 0) {
    bindings.DestroySdk(sdk);
    throw new WeComSdkError(rc, { operation: 'Init' });
  }
  return new KoffiArchiveClient(bindings, sdk, { proxy, proxyPassword, timeoutSeconds });
}
