import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { createReadStream, readdirSync, unlinkSync, type Dirent } from 'node:fs';
import { access, link, mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline, Readable, type Transform } from 'node:stream';
import { promisify } from 'node:util';
import { createGunzip, createGzip, gunzip, gzip, gzipSync } from 'node:zlib';
import { open as openSealed, seal } from '../crypto/aead.js';
import { DEFAULT_BUCKET, type Keyring } from '../crypto/keyring.js';
import { AppError, usageError } from '../errors.js';
import { errorCode, processAlive, removeQuietly, syncDir, syncFileSystem } from '../file-system.js';
import type { BlobRef, BlobStore, PutOptions, StoredBlob } from './blob-store.js';

/*
 * Local blob driver. One file per object at `<dir>/<id[0:2]>/<id[2:4]>/<id>`, where the id is the
 * keyed content address HMAC-SHA256(dedup key, plaintext) — no plaintext hash is visible on disk.
 *
 * Object format, version 1 (all integers big-endian):
 *
 *   fixed header, 22 bytes — authenticated as part of every chunk's AAD
 *     0   6  magic "WKBLOB"
 *     6   1  format version = 1
 *     7   1  cipher = 1 (AES-256-GCM, 16-byte tags)
 *     8   1  compression of the stored stream: 0 none, 1 gzip
 *     9   1  reserved = 0
 *    10   4  chunk size C (plaintext bytes per chunk) = 65536
 *    14   8  nonce prefix (random per object)
 *   key section — authenticated by its own GCM tag (AAD names the blob id and the bucket); it is
 *   kept outside the chunk AAD so a future key rotation can re-wrap it without re-encrypting
 *    22   1  bucket name length n (1..255)
 *    23   n  bucket name (UTF-8)
 *  23+n   1  wrapped data key length w (= 60)
 *  24+n   w  wrapped data key: iv(12) | tag(16) | ciphertext(32) = aead.seal(bucket key, DEK,
 *            "wekeep-blob-dek|v1|<id>|<bucket>") — the same value the database keeps as wrapped_dek;
 *            reads require the two copies (and the bucket) to be equal. The header copy lets `put`
 *            reuse an object already on disk safely (dedup without the database, crash recovery).
 *   chunks, from offset 24+n+w to the end of the file
 *     chunk i = AES-256-GCM(DEK, nonce_i, plaintext_i, aad_i) ciphertext | tag(16)
 *     every chunk holds exactly C plaintext bytes except the last, which holds 0..C (an empty blob
 *     is one empty final chunk); nonce_i = nonce prefix(8) | u32 i;
 *     aad_i = fixed header(22) | blob id (32 raw bytes) | u32 i | u8 final (1 on the last chunk)
 *
 * The stored stream is the plaintext or its gzip. Truncation (at or inside a chunk), reordering,
 * duplication, dropping or appending chunks, editing the header, and moving a file to another id's
 * path all fail authentication. The database's row (wrapped DEK, size, SHA-256) is checked too.
 */

const MAGIC = Buffer.from('WKBLOB', 'ascii');
export const BLOB_FORMAT_VERSION = 1;
const CIPHER_AES_256_GCM = 1;
export const BLOB_CHUNK_SIZE = 64 * 1024;
export const BLOB_TAG_LENGTH = 16;
const FIXED_HEADER_LENGTH = 22;
const NONCE_PREFIX_LENGTH = 8;
const WRAPPED_DEK_LENGTH = 12 + 16 + 32;
const MAX_HEADER_LENGTH = FIXED_HEADER_LENGTH + 1 + 255 + 1 + 255;
const MIN_CHUNK_SIZE = 1024;
const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
const MAX_CHUNKS = 2 ** 32;
const COMPRESSION_CODE = { none: 0, gzip: 1 } as const;
/** I/O granularity of the streaming paths; memory use is a small multiple of this. */
const IO_PIECE = 256 * 1024;
/** Big inputs are gzip-tested on this prefix first; if it does not shrink by 5 %, gzip is not tried. */
const SAMPLE_BYTES = 256 * 1024;
/** zlib's default: on text it stores ~15 % of the size at ~25–70 MB/s; level 1 is ~3x faster but ~20–35 % bigger. */
const GZIP_LEVEL = 6;
const SPOOL_AAD = Buffer.from('wekeep-blob-spool|v1', 'ascii');
const ID_PATTERN = /^[0-9a-f]{64}$/;

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

type Compression = StoredBlob['compression'];

/** Internal: the object does not authenticate or does not match its row. Becomes AppError `blob.corrupt`. */
class CorruptObject extends Error {}

function toAppError(id: string, e: unknown): unknown {
  if (e instanceof CorruptObject) {
    return new AppError('blob.corrupt', `blob ${id} is corrupt or was tampered with: ${e.message}`, { details: { blobId: id } });
  }
  return e;
}

// ---------------------------------------------------------------------------------------------
// Header

export interface ObjectHeader {
  version: number;
  compression: Compression;
  chunkSize: number;
  noncePrefix: Buffer;
  /** The fixed 22 bytes bound into every chunk's AAD. */
  fixed: Buffer;
  bucket: string;
  wrappedDek: Buffer;
  /** Offset of the first chunk. */
  bodyOffset: number;
}

function encodeHeader(compression: Compression, noncePrefix: Buffer, bucket: string, wrappedDek: Buffer): { fixed: Buffer; full: Buffer } {
  const fixed = Buffer.alloc(FIXED_HEADER_LENGTH);
  MAGIC.copy(fixed, 0);
  fixed[6] = BLOB_FORMAT_VERSION;
  fixed[7] = CIPHER_AES_256_GCM;
  fixed[8] = COMPRESSION_CODE[compression];
  fixed[9] = 0;
  fixed.writeUInt32BE(BLOB_CHUNK_SIZE, 10);
  noncePrefix.copy(fixed, 14);
  const name = Buffer.from(bucket, 'utf8');
  const full = Buffer.concat([fixed, Buffer.from([name.length]), name, Buffer.from([wrappedDek.length]), wrappedDek]);
  return { fixed, full };
}

/** Parses an object's header from the first bytes of its file; throws if it is not a valid header. */
export function readObjectHeader(file: Buffer): ObjectHeader {
  const bad = (what: string): never => {
    throw new CorruptObject(`invalid header (${what})`);
  };
  if (file.length < FIXED_HEADER_LENGTH + 2) bad('too short');
  if (!file.subarray(0, MAGIC.length).equals(MAGIC)) bad('magic');
  const version = file[6] ?? 0;
  if (version !== BLOB_FORMAT_VERSION) bad(`format version ${version}`);
  if (file[7] !== CIPHER_AES_256_GCM) bad('cipher');
  const compression: Compression | undefined = file[8] === 0 ? 'none' : file[8] === 1 ? 'gzip' : undefined;
  if (compression === undefined) return bad('compression');
  if (file[9] !== 0) bad('reserved byte');
  const chunkSize = file.readUInt32BE(10);
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) bad('chunk size');
  const noncePrefix = Buffer.from(file.subarray(14, 14 + NONCE_PREFIX_LENGTH));
  const fixed = Buffer.from(file.subarray(0, FIXED_HEADER_LENGTH));
  const nameLength = file[FIXED_HEADER_LENGTH] ?? 0;
  if (nameLength === 0) bad('bucket');
  const wrapAt = FIXED_HEADER_LENGTH + 1 + nameLength;
  if (file.length < wrapAt + 1) bad('too short');
  const bucket = file.toString('utf8', FIXED_HEADER_LENGTH + 1, wrapAt);
  const wrapLength = file[wrapAt] ?? 0;
  if (wrapLength !== WRAPPED_DEK_LENGTH) bad('wrapped key length');
  const bodyOffset = wrapAt + 1 + wrapLength;
  if (file.length < bodyOffset) bad('too short');
  const wrappedDek = Buffer.from(file.subarray(wrapAt + 1, bodyOffset));
  return { version, compression, chunkSize, noncePrefix, fixed, bucket, wrappedDek, bodyOffset };
}

/**
 * The header must describe the same object as the database row: same compression, same bucket and
 * the same wrapped data key (so editing any header byte is detected, even in the key section, which
 * is not part of the chunk AAD). A key rotation must therefore re-wrap both copies.
 */
function checkHeaderAgainstRow(header: ObjectHeader, blob: BlobRef): void {
  if (header.compression !== blob.compression) throw new CorruptObject('compression differs from the database');
  if (header.bucket !== blob.bucket || !header.wrappedDek.equals(blob.wrappedDek)) throw new CorruptObject('key section differs from the database');
}

const chunkAadPrefix = (fixed: Buffer, id: string): Buffer => Buffer.concat([fixed, Buffer.from(id, 'hex')]);
const dekAad = (id: string, bucket: string): string => `wekeep-blob-dek|v1|${id}|${bucket}`;

// ---------------------------------------------------------------------------------------------
// Framed AES-256-GCM chunks

/** A FIFO of byte slices that hands out exact-length pieces without copying when it can. */
class ByteQueue {
  private readonly parts: Buffer[] = [];
  length = 0;

  push(data: Buffer): void {
    if (data.length === 0) return;
    this.parts.push(data);
    this.length += data.length;
  }

  take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.parts[0];
    if (first && first.length >= n) {
      if (first.length === n) this.parts.shift();
      else this.parts[0] = first.subarray(n);
      this.length -= n;
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let offset = 0;
    while (offset < n) {
      const part = this.parts[0];
      if (!part) throw new Error('ByteQueue underflow');
      const k = Math.min(part.length, n - offset);
      part.copy(out, offset, 0, k);
      offset += k;
      if (k === part.length) this.parts.shift();
      else this.parts[0] = part.subarray(k);
    }
    this.length -= n;
    return out;
  }
}

interface ChunkParams {
  key: Buffer;
  noncePrefix: Buffer;
  /** Bound into every chunk's AAD before the chunk index and the final flag. */
  aadPrefix: Buffer;
  chunkSize: number;
}

function chunkNonce(prefix: Buffer, index: number): Buffer {
  const nonce = Buffer.alloc(12);
  prefix.copy(nonce, 0, 0, NONCE_PREFIX_LENGTH);
  nonce.writeUInt32BE(index, 8);
  return nonce;
}

function chunkAad(prefix: Buffer, index: number, final: boolean): Buffer {
  const aad = Buffer.alloc(prefix.length + 5);
  prefix.copy(aad, 0);
  aad.writeUInt32BE(index, prefix.length);
  aad[prefix.length + 4] = final ? 1 : 0;
  return aad;
}

/** Cuts a byte stream into chunks and seals each; the last chunk (possibly empty) carries the final flag. */
class ChunkSealer {
  private readonly queue = new ByteQueue();
  private index = 0;

  constructor(private readonly p: ChunkParams) {}

  push(data: Buffer): Buffer[] {
    this.queue.push(data);
    const out: Buffer[] = [];
    // A full chunk is sealed only once more data follows it, so the final flag is always right.
    while (this.queue.length > this.p.chunkSize) out.push(...this.sealOne(this.queue.take(this.p.chunkSize), false));
    return out;
  }

  finish(): Buffer[] {
    return this.sealOne(this.queue.take(this.queue.length), true);
  }

  /** One chunk record, as pieces (ciphertext, tag) to avoid a copy; the writer uses writev. */
  private sealOne(plain: Buffer, final: boolean): Buffer[] {
    if (this.index >= MAX_CHUNKS) throw usageError('blob.too_large', 'blob exceeds the maximum object size');
    const c = createCipheriv('aes-256-gcm', this.p.key, chunkNonce(this.p.noncePrefix, this.index), { authTagLength: BLOB_TAG_LENGTH });
    c.setAAD(chunkAad(this.p.aadPrefix, this.index, final));
    const body = c.update(plain);
    const tail = c.final();
    this.index += 1;
    return tail.length === 0 ? [body, c.getAuthTag()] : [body, tail, c.getAuthTag()];
  }
}

/** Splits the stored byte stream into chunk records and authenticates and decrypts each. */
class ChunkOpener {
  private readonly queue = new ByteQueue();
  private readonly record: number;
  private index = 0;

  constructor(private readonly p: ChunkParams) {
    this.record = p.chunkSize + BLOB_TAG_LENGTH;
  }

  push(data: Buffer): Buffer[] {
    this.queue.push(data);
    const out: Buffer[] = [];
    while (this.queue.length > this.record) out.push(this.openOne(this.queue.take(this.record), false));
    return out;
  }

  finish(): Buffer[] {
    if (this.queue.length < BLOB_TAG_LENGTH) {
      throw new CorruptObject(this.index === 0 && this.queue.length === 0 ? 'no chunks' : `truncated after chunk ${this.index - 1}`);
    }
    return [this.openOne(this.queue.take(this.queue.length), true)];
  }

  private openOne(record: Buffer, final: boolean): Buffer {
    if (this.index >= MAX_CHUNKS) throw new CorruptObject('too many chunks');
    const d = createDecipheriv('aes-256-gcm', this.p.key, chunkNonce(this.p.noncePrefix, this.index), { authTagLength: BLOB_TAG_LENGTH });
    d.setAAD(chunkAad(this.p.aadPrefix, this.index, final));
    d.setAuthTag(record.subarray(record.length - BLOB_TAG_LENGTH));
    const body = d.update(record.subarray(0, record.length - BLOB_TAG_LENGTH));
    try {
      d.final();
    } catch {
      throw new CorruptObject(`chunk ${this.index} fails authentication`);
    }
    this.index += 1;
    return body;
  }
}

async function* sealAll(src: AsyncIterable<Buffer> | Iterable<Buffer>, sealer: ChunkSealer): AsyncGenerator<Buffer> {
  for await (const piece of src) yield* sealer.push(piece);
  yield* sealer.finish();
}

async function* openAll(src: AsyncIterable<Buffer>, opener: ChunkOpener): AsyncGenerator<Buffer> {
  for await (const piece of src) yield* opener.push(piece);
  yield* opener.finish();
}

function* slices(data: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

// ---------------------------------------------------------------------------------------------
// Compression

const startsWith = (head: Buffer, bytes: readonly number[] | string, at = 0): boolean => {
  const want = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
  return head.length >= at + want.length && head.subarray(at, at + want.length).equals(want);
};

/** True when the bytes start like an already-compressed format (media, archives): gzip is not tried. */
export function isCompressedFormat(head: Buffer): boolean {
  const b0 = head[0] ?? -1;
  const b1 = head[1] ?? -1;
  return (
    startsWith(head, [0xff, 0xd8, 0xff]) || // JPEG
    startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) || // PNG
    startsWith(head, 'GIF87a') || startsWith(head, 'GIF89a') ||
    (startsWith(head, 'RIFF') && (startsWith(head, 'WEBP', 8) || startsWith(head, 'AVI ', 8))) ||
    startsWith(head, 'ftyp', 4) || // ISO BMFF: MP4, MOV, M4A, 3GP, HEIC, AVIF
    startsWith(head, [0x1a, 0x45, 0xdf, 0xa3]) || // Matroska / WebM
    startsWith(head, 'FLV') ||
    startsWith(head, '#!AMR') ||
    startsWith(head, '#!SILK') || startsWith(head, '\x02#!SILK') || // SILK (WeChat prefixes 0x02)
    startsWith(head, 'ID3') || (b0 === 0xff && (b1 & 0xe0) === 0xe0) || // MP3 / AAC ADTS frame sync
    startsWith(head, 'OggS') || startsWith(head, 'fLaC') ||
    startsWith(head, 'PK\x03\x04') || startsWith(head, 'PK\x05\x06') || startsWith(head, 'PK\x07\x08') || // ZIP, DOCX, XLSX, APK…
    startsWith(head, [0x1f, 0x8b]) || // gzip
    startsWith(head, 'BZh') ||
    startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) || // xz
    startsWith(head, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]) || // 7z
    startsWith(head, 'Rar!\x1a\x07') ||
    startsWith(head, [0x28, 0xb5, 0x2f, 0xfd]) || // zstd
    startsWith(head, [0x04, 0x22, 0x4d, 0x18]) || // lz4
    startsWith(head, 'MSCF') || // CAB
    startsWith(head, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20]) || // JPEG 2000
    startsWith(head, [0xff, 0x0a]) || startsWith(head, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20]) // JPEG XL
  );
}

/** Whether gzip is worth trying, from the first bytes (the whole content when `complete`). */
function worthCompressing(head: Buffer, complete: boolean): boolean {
  if (head.length === 0 || isCompressedFormat(head)) return false;
  if (complete) return true;
  const sample = head.subarray(0, SAMPLE_BYTES);
  return gzipSync(sample, { level: GZIP_LEVEL }).length <= sample.length * 0.95;
}

/** gzip is kept only when it saves at least 10 %. */
const compressionPays = (compressed: number, size: number): boolean => size > 0 && compressed <= size * 0.9;

/** Runs an async byte stream through a zlib transform. */
async function* throughZlib(src: AsyncIterable<Buffer>, z: Transform): AsyncGenerator<Buffer> {
  let failure: unknown;
  const out = pipeline(Readable.from(src, { highWaterMark: 1 }), z, (err) => {
    if (err) failure = err;
  });
  try {
    for await (const piece of out) yield piece as Buffer;
  } catch (e) {
    throw failure ?? e;
  } finally {
    out.destroy();
  }
}

/** Decompresses a stored gzip stream; zlib errors mean a corrupt object. */
async function* gunzipAll(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* throughZlib(src, createGunzip());
  } catch (e) {
    if (errorCode(e)?.startsWith('Z_')) throw new CorruptObject('stored data does not decompress');
    throw e;
  }
}

interface GzipProbe {
  attempted: boolean;
  bytes: number;
}

/** Passes the stream through unchanged, or gzips it if its first bytes suggest that pays. */
async function* maybeGzip(src: AsyncIterable<Buffer>, probe: GzipProbe): AsyncGenerator<Buffer> {
  const it = src[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  let complete = false;
  while (headLength < SAMPLE_BYTES) {
    const r = await it.next();
    if (r.done) {
      complete = true;
      break;
    }
    head.push(r.value);
    headLength += r.value.length;
  }
  const first = Buffer.concat(head);
  async function* all(): AsyncGenerator<Buffer> {
    try {
      if (first.length > 0) yield first;
      while (!complete) {
        const r = await it.next();
        if (r.done) complete = true;
        else yield r.value;
      }
    } finally {
      if (!complete) await it.return?.();
    }
  }
  if (!worthCompressing(first, complete)) {
    yield* all();
    return;
  }
  probe.attempted = true;
  for await (const piece of throughZlib(all(), createGzip({ level: GZIP_LEVEL }))) {
    probe.bytes += piece.length;
    yield piece;
  }
}

// ---------------------------------------------------------------------------------------------
// Files

async function* readRange(fh: FileHandle, start: number, end: number): AsyncGenerator<Buffer> {
  let position = start;
  while (position < end) {
    const want = Math.min(IO_PIECE, end - position);
    const { bytesRead, buffer } = await fh.read({ buffer: Buffer.allocUnsafe(want), position, length: want });
    if (bytesRead === 0) throw new CorruptObject('file shrank while being read');
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read({ buffer, offset: got, length: length - got, position: position + got });
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buffer.subarray(0, got);
}

async function writeFully(fh: FileHandle, parts: Buffer[], length: number): Promise<void> {
  const { bytesWritten } = await fh.writev(parts);
  if (bytesWritten >= length) return;
  // Short write (rare on regular files): finish the rest byte-exactly.
  const rest = Buffer.concat(parts, length).subarray(bytesWritten);
  let offset = 0;
  while (offset < rest.length) {
    const r = await fh.write(rest, offset, rest.length - offset);
    offset += r.bytesWritten;
  }
}

/**
 * Writes the stream into a file opened for it (a path: created, failing if it exists), in batches of
 * about IO_PIECE, then fsyncs and closes it. Returns the byte count.
 */
async function writeNewFile(file: string | FileHandle, src: AsyncIterable<Buffer>, sync = true): Promise<number> {
  const fh = typeof file === 'string' ? await open(file, 'wx', 0o600) : file;
  let total = 0;
  try {
    let batch: Buffer[] = [];
    let batchLength = 0;
    for await (const piece of src) {
      batch.push(piece);
      batchLength += piece.length;
      if (batchLength >= IO_PIECE) {
        await writeFully(fh, batch, batchLength);
        total += batchLength;
        batch = [];
        batchLength = 0;
      }
    }
    if (batchLength > 0) await writeFully(fh, batch, batchLength);
    total += batchLength;
    if (sync) await fh.sync();
  } finally {
    await fh.close();
  }
  return total;
}

/** mkdir -p that also fsyncs the parents of every directory it created. */
async function ensureDir(path: string, sync = true): Promise<void> {
  const created = await mkdir(path, { recursive: true, mode: 0o700 });
  if (created === undefined || !sync) return;
  const stop = dirname(created);
  for (let d = path; d !== stop && dirname(d) !== d; d = dirname(d)) await syncDir(dirname(d));
}

const tempSuffix = (): string => `${process.pid}.${randomBytes(8).toString('hex')}.tmp`;

/** Removes the temporary files (`….<pid>.<random>.tmp`) of processes that no longer run. */
export function removeStaleTemporaries(spoolDir: string): number {
  let names: string[];
  try {
    names = readdirSync(spoolDir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const m = /\.(\d+)\.[0-9a-f]{16}\.tmp$/.exec(name);
    if (!m || Number(m[1]) === process.pid || processAlive(Number(m[1]))) continue;
    try {
      unlinkSync(join(spoolDir, name));
      removed++;
    } catch {
      // another process removed it first
    }
  }
  return removed;
}

// ---------------------------------------------------------------------------------------------
// The store

type Existing =
  | { state: 'missing' }
  | { state: 'invalid' }
  | { state: 'valid'; bucket: string; compression: Compression; wrappedDek: Buffer; storedSize: number };

interface WrittenObject {
  tmp: string;
  wrappedDek: Buffer;
  storedSize: number;
}

function assertId(id: string): void {
  if (!ID_PATTERN.test(id)) throw usageError('blob.invalid_id', 'not a blob id (expected 64 lowercase hexadecimal characters)');
}

function bucketOf(options: PutOptions): string {
  const bucket = options.bucket ?? DEFAULT_BUCKET;
  const length = Buffer.byteLength(bucket, 'utf8');
  if (length < 1 || length > 255) throw usageError('blob.invalid_bucket', 'a bucket name must be 1 to 255 bytes of UTF-8');
  return bucket;
}

/**
 * Creates the local, encrypted, content-addressed blob store rooted at `dir`. Temporary objects are
 * written next to their final path; streaming spools (encrypted with a throw-away key) go to `dir/tmp`.
 */
export function createLocalBlobStore(dir: string, keys: Keyring): BlobStore {
  /** > 0 while withDeferredSync runs: objects are written without per-object fsyncs. */
  let deferred = 0;

  /**
   * Runs `fn` with per-object fsyncs deferred, then makes everything written durable at once with
   * one file-system sync (syncfs through coreutils' `sync -f`) before returning. Bulk imports use it:
   * one sync per batch instead of several fsyncs per attachment, still before the database commit.
   */
  async function withDeferredSync<T>(fn: () => Promise<T>): Promise<T> {
    deferred++;
    try {
      return await fn();
    } finally {
      deferred--;
      await syncFileSystem(dir);
    }
  }

  /**
   * Temporary files (spools, objects being written) live here, not next to their objects: a process
   * killed mid-write leaves them behind, and the next store opened here removes those of processes
   * that are gone (their pid is in the name) without walking the object directories.
   */
  const spoolDir = join(dir, 'tmp');
  removeStaleTemporaries(spoolDir);
  /**
   * Object directories this store created or found (at most 65,536: `<id[0:2]>/<id[2:4]>`), so that a
   * put does not ask the file system again. A directory removed behind the store's back is created
   * again when writing into it fails with ENOENT.
   */
  const knownDirs = new Set<string>();
  /** Serializes writers of the same id in this process (other processes are handled by link()). */
  const writers = new Map<string, Promise<unknown>>();

  async function exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = writers.get(id) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    writers.set(id, tail);
    try {
      return await run;
    } finally {
      if (writers.get(id) === tail) writers.delete(id);
    }
  }

  const objectPath = (id: string): string => {
    assertId(id);
    return join(dir, id.slice(0, 2), id.slice(2, 4), id);
  };

  /** The data key for reading: the bucket key must exist (never created as a side effect of a read). */
  function unwrapDek(id: string, bucket: string, wrappedDek: Buffer): Buffer {
    if (!keys.hasBucket(bucket)) {
      throw new AppError('blob.key_unavailable', `blob ${id} cannot be read: the key of bucket "${bucket}" does not exist or was destroyed`, {
        details: { blobId: id, bucket },
      });
    }
    try {
      return openSealed(keys.bucketKey(bucket), wrappedDek, dekAad(id, bucket));
    } catch {
      throw new CorruptObject('the data key does not unwrap with the bucket key');
    }
  }

  async function openObject(id: string): Promise<FileHandle> {
    try {
      return await open(objectPath(id), 'r');
    } catch (e) {
      if (errorCode(e) === 'ENOENT') throw new AppError('blob.missing', `blob ${id} is missing from the blob store`, { details: { blobId: id } });
      throw e;
    }
  }

  /** Whether an object already sits at this id's path and fully authenticates (its own header's key). */
  async function inspectExisting(id: string): Promise<Existing> {
    let fh: FileHandle;
    try {
      fh = await open(objectPath(id), 'r');
    } catch (e) {
      if (errorCode(e) === 'ENOENT') return { state: 'missing' };
      throw e;
    }
    try {
      const { size } = await fh.stat();
      const header = readObjectHeader(await readAt(fh, 0, Math.min(size, MAX_HEADER_LENGTH)));
      if (!keys.hasBucket(header.bucket)) return { state: 'invalid' };
      const dek = unwrapDek(id, header.bucket, header.wrappedDek);
      try {
        const opener = new ChunkOpener({ key: dek, noncePrefix: header.noncePrefix, aadPrefix: chunkAadPrefix(header.fixed, id), chunkSize: header.chunkSize });
        for await (const piece of readRange(fh, header.bodyOffset, size)) opener.push(piece);
        opener.finish();
      } finally {
        dek.fill(0);
      }
      return { state: 'valid', bucket: header.bucket, compression: header.compression, wrappedDek: header.wrappedDek, storedSize: size };
    } catch (e) {
      if (e instanceof CorruptObject) return { state: 'invalid' };
      throw e;
    } finally {
      await fh.close();
    }
  }

  /** Encrypts the stored stream into a temporary file in the spool dir (fsynced, not yet visible). */
  async function writeObject(id: string, compression: Compression, bucket: string, stored: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<WrittenObject> {
    const kek = keys.bucketKey(bucket);
    const dek = randomBytes(32);
    const noncePrefix = randomBytes(NONCE_PREFIX_LENGTH);
    try {
      const wrappedDek = seal(kek, dek, dekAad(id, bucket));
      const { fixed, full } = encodeHeader(compression, noncePrefix, bucket, wrappedDek);
      const sealer = new ChunkSealer({ key: dek, noncePrefix, aadPrefix: chunkAadPrefix(fixed, id), chunkSize: BLOB_CHUNK_SIZE });
      if (!knownDirs.has(spoolDir)) {
        await ensureDir(spoolDir, false);
        knownDirs.add(spoolDir);
      }
      const tmp = join(spoolDir, `object.${id}.${tempSuffix()}`);
      async function* object(): AsyncGenerator<Buffer> {
        yield full;
        yield* sealAll(stored, sealer);
      }
      let handle: FileHandle;
      try {
        handle = await open(tmp, 'wx', 0o600);
      } catch (e) {
        if (errorCode(e) !== 'ENOENT') throw e;
        await ensureDir(spoolDir, false); // removed behind the store's back
        handle = await open(tmp, 'wx', 0o600);
      }
      try {
        const storedSize = await writeNewFile(handle, object(), deferred === 0);
        return { tmp, wrappedDek, storedSize };
      } catch (e) {
        await removeQuietly(tmp);
        throw e;
      }
    } finally {
      dek.fill(0);
    }
  }

  /**
   * Makes a written object visible under its id. A new object is linked in (never replacing one a
   * concurrent writer installed first: that one is reused); an invalid object is replaced.
   */
  async function install(id: string, written: WrittenObject, prior: 'missing' | 'invalid', fresh: Omit<StoredBlob, 'storedSize' | 'wrappedDek'>): Promise<StoredBlob> {
    const final = objectPath(id);
    const objectDir = dirname(final);
    const makeDir = async (): Promise<void> => {
      await ensureDir(objectDir, deferred === 0);
      knownDirs.add(objectDir);
    };
    try {
      if (!knownDirs.has(objectDir)) await makeDir();
      let replace = prior === 'invalid';
      // An object directory removed behind the store's back (it is remembered as made) is made again.
      const again = async <T>(step: () => Promise<T>): Promise<T> => {
        try {
          return await step();
        } catch (e) {
          if (errorCode(e) !== 'ENOENT') throw e;
          await makeDir();
          return step();
        }
      };
      if (!replace) {
        try {
          await again(() => link(written.tmp, final));
        } catch (e) {
          const code = errorCode(e);
          if (code === 'EEXIST') {
            const other = await inspectExisting(id);
            if (other.state === 'valid') return reuse(fresh, other);
            replace = true;
          } else if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
            replace = true; // no hard links here: plain (still atomic) rename
          } else {
            throw e;
          }
        }
      }
      if (replace) await again(() => rename(written.tmp, final));
    } finally {
      await removeQuietly(written.tmp);
    }
    if (deferred === 0) await syncDir(dirname(final));
    return { ...fresh, storedSize: written.storedSize, wrappedDek: written.wrappedDek };
  }

  const reuse = (fresh: Pick<StoredBlob, 'id' | 'sha256' | 'size'>, found: Extract<Existing, { state: 'valid' }>): StoredBlob => ({
    id: fresh.id,
    sha256: fresh.sha256,
    size: fresh.size,
    storedSize: found.storedSize,
    compression: found.compression,
    bucket: found.bucket,
    wrappedDek: found.wrappedDek,
  });

  async function put(data: Buffer, options: PutOptions = {}): Promise<StoredBlob> {
    const bucket = bucketOf(options);
    const id = keys.contentAddress(data);
    const sha256 = createHash('sha256').update(data).digest('hex');
    return exclusive(id, async () => {
      // Bulk writers (withDeferredSync) asked the database first, so the object is almost never on
      // disk: they skip the look and rely on install(), whose link() finds an existing one all the same.
      const found: Existing = deferred > 0 ? { state: 'missing' } : await inspectExisting(id);
      if (found.state === 'valid') return reuse({ id, sha256, size: data.length }, found);
      let compression: Compression = 'none';
      let stored = data;
      if (worthCompressing(data.subarray(0, SAMPLE_BYTES), data.length <= SAMPLE_BYTES)) {
        const gz = await gzipAsync(data, { level: GZIP_LEVEL });
        if (compressionPays(gz.length, data.length)) {
          compression = 'gzip';
          stored = gz;
        }
      }
      const written = await writeObject(id, compression, bucket, slices(stored, IO_PIECE));
      return install(id, written, found.state, { id, sha256, size: data.length, compression, bucket });
    });
  }

  async function putFile(path: string, options: PutOptions = {}): Promise<StoredBlob> {
    const bucket = bucketOf(options);
    keys.bucketKey(bucket); // fail early if the bucket was destroyed
    await ensureDir(spoolDir);
    const spool = join(spoolDir, `spool.${tempSuffix()}`);
    // Pass 1 reads the source once: hashes it and spools it (gzipped if that looks worthwhile),
    // encrypted under a throw-away key, because the chunk AAD needs the id, known only at the end.
    const ephemeral: ChunkParams = { key: randomBytes(32), noncePrefix: randomBytes(NONCE_PREFIX_LENGTH), aadPrefix: SPOOL_AAD, chunkSize: BLOB_CHUNK_SIZE };
    try {
      const sha = createHash('sha256');
      const mac = createHmac('sha256', keys.dedupKey);
      let size = 0;
      async function* hashed(): AsyncGenerator<Buffer> {
        for await (const piece of createReadStream(path, { highWaterMark: IO_PIECE })) {
          const b = piece as Buffer;
          sha.update(b);
          mac.update(b);
          size += b.length;
          yield b;
        }
      }
      const probe: GzipProbe = { attempted: false, bytes: 0 };
      await writeNewFile(spool, sealAll(maybeGzip(hashed(), probe), new ChunkSealer(ephemeral)));
      const id = mac.digest('hex');
      const sha256 = sha.digest('hex');
      const compression: Compression = probe.attempted && compressionPays(probe.bytes, size) ? 'gzip' : 'none';

      return await exclusive(id, async () => {
        const found = await inspectExisting(id);
        if (found.state === 'valid') return reuse({ id, sha256, size }, found);
        // Pass 2: spool → (gunzip, if gzip did not pay) → the object's own key and framing.
        const spooled = openAll(createReadStream(spool, { highWaterMark: IO_PIECE }), new ChunkOpener(ephemeral));
        const stored = probe.attempted && compression === 'none' ? throughZlib(spooled, createGunzip()) : spooled;
        const written = await writeObject(id, compression, bucket, stored);
        return install(id, written, found.state, { id, sha256, size, compression, bucket });
      });
    } catch (e) {
      if (e instanceof CorruptObject) throw new AppError('blob.spool_corrupt', `a temporary spool file was damaged while storing a blob: ${e.message}`);
      throw e;
    } finally {
      ephemeral.key.fill(0);
      await removeQuietly(spool);
    }
  }

  async function get(blob: BlobRef): Promise<Buffer> {
    const fh = await openObject(blob.id);
    let file: Buffer;
    try {
      file = await readFile(fh);
    } finally {
      await fh.close();
    }
    try {
      const header = readObjectHeader(file);
      checkHeaderAgainstRow(header, blob);
      const dek = unwrapDek(blob.id, blob.bucket, blob.wrappedDek);
      let stored: Buffer;
      try {
        const opener = new ChunkOpener({ key: dek, noncePrefix: header.noncePrefix, aadPrefix: chunkAadPrefix(header.fixed, blob.id), chunkSize: header.chunkSize });
        const parts = opener.push(file.subarray(header.bodyOffset));
        parts.push(...opener.finish());
        stored = parts.length === 1 && parts[0] ? parts[0] : Buffer.concat(parts);
      } finally {
        dek.fill(0);
      }
      let plain = stored;
      if (blob.compression === 'gzip') {
        try {
          plain = await gunzipAsync(stored, { maxOutputLength: Math.max(1, blob.size) });
        } catch {
          throw new CorruptObject('stored data does not decompress to the recorded size');
        }
      }
      if (plain.length !== blob.size) throw new CorruptObject('size differs from the database');
      if (createHash('sha256').update(plain).digest('hex') !== blob.sha256) throw new CorruptObject('SHA-256 differs from the database');
      return plain;
    } catch (e) {
      throw toAppError(blob.id, e);
    }
  }

  async function writeTo(blob: BlobRef, destPath: string): Promise<void> {
    const destDir = dirname(destPath);
    const tmp = join(destDir, `.${basename(destPath)}.${tempSuffix()}`);
    try {
      // read() authenticates every chunk and checks size and SHA-256 before it ends: only then is the file renamed into place.
      await writeNewFile(tmp, read(blob));
      await rename(tmp, destPath);
    } catch (e) {
      await removeQuietly(tmp);
      throw e;
    }
    await syncDir(destDir);
  }

  async function* read(blob: BlobRef): AsyncGenerator<Buffer> {
    const fh = await openObject(blob.id);
    let dek: Buffer | undefined;
    try {
      const { size: fileSize } = await fh.stat();
      const header = readObjectHeader(await readAt(fh, 0, Math.min(fileSize, MAX_HEADER_LENGTH)));
      checkHeaderAgainstRow(header, blob);
      dek = unwrapDek(blob.id, blob.bucket, blob.wrappedDek);
      const opener = new ChunkOpener({ key: dek, noncePrefix: header.noncePrefix, aadPrefix: chunkAadPrefix(header.fixed, blob.id), chunkSize: header.chunkSize });
      const stored = openAll(readRange(fh, header.bodyOffset, fileSize), opener);
      const plain = blob.compression === 'gzip' ? gunzipAll(stored) : stored;
      const sha = createHash('sha256');
      let size = 0;
      for await (const piece of plain) {
        size += piece.length;
        if (size > blob.size) throw new CorruptObject('larger than the size in the database');
        sha.update(piece);
        yield piece;
      }
      if (size !== blob.size) throw new CorruptObject('size differs from the database');
      if (sha.digest('hex') !== blob.sha256) throw new CorruptObject('SHA-256 differs from the database');
    } catch (e) {
      throw toAppError(blob.id, e);
    } finally {
      dek?.fill(0);
      await fh.close();
    }
  }

  async function exists(id: string): Promise<boolean> {
    try {
      await access(objectPath(id));
      return true;
    } catch (e) {
      if (errorCode(e) === 'ENOENT') return false;
      throw e;
    }
  }

  /** Every object on disk, by id (the two levels of directories; temporary files and the spool are skipped). */
  async function* ids(): AsyncGenerator<string> {
    const entries = async (path: string): Promise<Dirent[]> => {
      try {
        return await readdir(path, { withFileTypes: true });
      } catch (e) {
        if (errorCode(e) === 'ENOENT') return [];
        throw e;
      }
    };
    for (const a of await entries(dir)) {
      if (!a.isDirectory() || a.name.length !== 2) continue;
      for (const b of await entries(join(dir, a.name))) {
        if (!b.isDirectory() || b.name.length !== 2) continue;
        for (const f of await entries(join(dir, a.name, b.name))) {
          if (f.isFile() && ID_PATTERN.test(f.name) && f.name.startsWith(a.name + b.name)) yield f.name;
        }
      }
    }
  }

  async function remove(id: string): Promise<void> {
    const path = objectPath(id);
    try {
      await unlink(path);
    } catch (e) {
      if (errorCode(e) === 'ENOENT') return;
      throw e;
    }
    await syncDir(dirname(path));
  }

  return {
    withDeferredSync,
    addressOf: (data) => keys.contentAddress(data),
    put,
    putFile,
    get,
    writeTo,
    read,
    exists,
    delete: remove,
    ids,
  };
}
