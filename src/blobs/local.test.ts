import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKeyring, type Keyring } from '../crypto/keyring.js';
import { AppError } from '../errors.js';
import type { BlobStore, StoredBlob } from './blob-store.js';
import { BLOB_CHUNK_SIZE, BLOB_TAG_LENGTH, createLocalBlobStore, isCompressedFormat, readObjectHeader } from './local.js';

const RECORD = BLOB_CHUNK_SIZE + BLOB_TAG_LENGTH;
const PHRASE = 'WeKeep-distinctive-phrase 机密合同 #4711';

let root: string;
let blobDir: string;
let keys: Keyring;
let store: BlobStore;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'wekeep-blobs-'));
  blobDir = join(root, 'blobs');
  keys = createKeyring(root, randomBytes(32));
  store = createLocalBlobStore(blobDir, keys);
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const objectFile = (id: string): string => join(blobDir, id.slice(0, 2), id.slice(2, 4), id);

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** Random bytes that start like a JPEG: stored uncompressed, so chunk offsets are predictable. */
function jpegLike(size: number): Buffer {
  const b = randomBytes(size);
  if (size >= 3) b.set([0xff, 0xd8, 0xff], 0);
  return b;
}

/** Compressible text of exactly `size` bytes. */
function text(size: number, seed = 'x'): Buffer {
  const line = `${seed} 微信聊天记录 message line with some words and digits 1234567890\n`;
  return Buffer.from(line.repeat(Math.ceil(size / Buffer.byteLength(line)) + 1)).subarray(0, size);
}

async function caught(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

async function expectCorrupt(p: Promise<unknown>, id: string): Promise<void> {
  const e = await caught(p);
  expect(e.code).toBe('blob.corrupt');
  expect(e.message).toContain(id);
}

function mutate(id: string, change: (file: Buffer) => Buffer): void {
  const path = objectFile(id);
  writeFileSync(path, change(readFileSync(path)));
}

const flip = (at: number) => (file: Buffer): Buffer => {
  const out = Buffer.from(file);
  out[at] = (out[at] ?? 0) ^ 0x01;
  return out;
};

function bodyOffset(id: string): number {
  return readObjectHeader(readFileSync(objectFile(id))).bodyOffset;
}

async function sha256OfFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const piece of createReadStream(path)) h.update(piece as Buffer);
  return h.digest('hex');
}

describe('local blob store: round trips', () => {
  it.each([0, 1, BLOB_CHUNK_SIZE - 1, BLOB_CHUNK_SIZE, BLOB_CHUNK_SIZE + 1, 2 * BLOB_CHUNK_SIZE, 3 * 1024 * 1024 + 17])(
    'stores and reads back %i random bytes',
    async (size) => {
      const data = randomBytes(size);
      const stored = await store.put(data);
      expect(stored.id).toBe(store.addressOf(data));
      expect(stored.size).toBe(size);
      expect(stored.sha256).toBe(createHash('sha256').update(data).digest('hex'));
      expect(stored.bucket).toBe('default');
      expect(stored.storedSize).toBe(statSync(objectFile(stored.id)).size);
      expect((await store.get(stored)).equals(data)).toBe(true);
    },
  );

  it.each([1, BLOB_CHUNK_SIZE, BLOB_CHUNK_SIZE + 1, 3 * 1024 * 1024])('round-trips %i bytes of compressible text', async (size) => {
    const data = text(size);
    const stored = await store.put(data);
    expect((await store.get(stored)).equals(data)).toBe(true);
  });

  it('uses exactly ceil(size / 64 KiB) chunks, and one empty chunk for empty data', async () => {
    const cases: Array<[number, number]> = [[0, 1], [1, 1], [BLOB_CHUNK_SIZE, 1], [BLOB_CHUNK_SIZE + 1, 2], [3 * BLOB_CHUNK_SIZE, 3]];
    for (const [size, chunks] of cases) {
      const stored = await store.put(jpegLike(size));
      expect(stored.compression).toBe('none');
      expect(stored.storedSize - bodyOffset(stored.id)).toBe(size + chunks * BLOB_TAG_LENGTH);
    }
  });

  it('keeps buckets: the data key is wrapped by the named bucket key', async () => {
    const data = randomBytes(1000);
    const stored = await store.put(data, { bucket: 'hr-7y' });
    expect(stored.bucket).toBe('hr-7y');
    expect(keys.hasBucket('hr-7y')).toBe(true);
    expect(readObjectHeader(readFileSync(objectFile(stored.id))).bucket).toBe('hr-7y');
    expect((await store.get(stored)).equals(data)).toBe(true);
  });
});

describe('local blob store: content addressing and de-duplication', () => {
  it('gives the same bytes the same id and keeps one file', async () => {
    const data = text(200_000);
    const a = await store.put(data);
    const b = await store.put(Buffer.from(data));
    expect(b.id).toBe(a.id);
    expect(b.wrappedDek.equals(a.wrappedDek)).toBe(true);
    expect(b.storedSize).toBe(a.storedSize);
    expect(listFiles(blobDir)).toEqual([objectFile(a.id)]);
    expect((await store.get(b)).equals(data)).toBe(true);
  });

  it('gives different bytes different ids', async () => {
    const a = await store.put(Buffer.from('hello'));
    const b = await store.put(Buffer.from('hellp'));
    expect(a.id).not.toBe(b.id);
    expect(listFiles(blobDir)).toHaveLength(2);
  });

  it('names objects by a keyed hash, not by the plain SHA-256', async () => {
    const data = Buffer.from(PHRASE);
    const stored = await store.put(data);
    expect(stored.id).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.id).not.toBe(stored.sha256);
    const otherKeys = createKeyring(mkdtempSync(join(root, 'k2-')), randomBytes(32));
    expect(createLocalBlobStore(blobDir, otherKeys).addressOf(data)).not.toBe(stored.id);
  });

  it('concurrent puts of the same bytes install one object and agree on its key', async () => {
    const data = randomBytes(300_000);
    const results = await Promise.all(Array.from({ length: 6 }, () => store.put(data)));
    const first = results[0]!;
    for (const r of results) expect(r.wrappedDek.equals(first.wrappedDek)).toBe(true);
    expect(listFiles(blobDir)).toEqual([objectFile(first.id)]);
    expect((await store.get(first)).equals(data)).toBe(true);
  });

  it('concurrent putFile and put of the same bytes agree as well', async () => {
    const data = text(700_000);
    const f = join(root, 'same.txt');
    writeFileSync(f, data);
    const results = await Promise.all([store.putFile(f), store.put(data), store.putFile(f), store.put(data)]);
    for (const r of results) expect(r.wrappedDek.equals(results[0]!.wrappedDek)).toBe(true);
    expect(listFiles(blobDir)).toEqual([objectFile(results[0]!.id)]);
  });

  it('two stores on the same directory (two processes) never replace each other\'s valid object', async () => {
    const data = randomBytes(400_000);
    const other = createLocalBlobStore(blobDir, keys);
    const results = await Promise.all([store.put(data), other.put(data), store.put(data), other.put(data)]);
    for (const r of results) expect(r.wrappedDek.equals(results[0]!.wrappedDek)).toBe(true);
    expect((await other.get(results[0]!)).equals(data)).toBe(true);
    expect(listFiles(blobDir)).toEqual([objectFile(results[0]!.id)]);
  });

  it('reuses a valid object already in another bucket and reports that bucket', async () => {
    const data = randomBytes(5000);
    const a = await store.put(data, { bucket: 'short' });
    const b = await store.put(data, { bucket: 'long' });
    expect(b.bucket).toBe('short');
    expect(b.wrappedDek.equals(a.wrappedDek)).toBe(true);
  });

  it('replaces a damaged object when the same bytes are stored again', async () => {
    const data = jpegLike(150_000);
    const first = await store.put(data);
    mutate(first.id, flip(bodyOffset(first.id) + 10));
    await expectCorrupt(store.get(first), first.id);
    const again = await store.put(data);
    expect(again.wrappedDek.equals(first.wrappedDek)).toBe(false);
    expect((await store.get(again)).equals(data)).toBe(true);
    expect(listFiles(blobDir)).toEqual([objectFile(first.id)]);
  });

  it('leaves no temporary files behind', async () => {
    await store.put(text(100_000));
    const f = join(root, 'in.bin');
    writeFileSync(f, randomBytes(300_000));
    const s = await store.putFile(f);
    await store.writeTo(s, join(root, 'out.bin'));
    const names = listFiles(blobDir).map((p) => p.slice(blobDir.length));
    expect(names.filter((n) => n.includes('tmp'))).toEqual([]);
    expect(readdirSync(root).filter((n) => n.includes('tmp'))).toEqual([]);
  });

  it('removes, when a store opens, the temporary files of processes that were killed mid-write, and no others', () => {
    const spool = join(blobDir, 'tmp');
    mkdirSync(spool, { recursive: true });
    const dead = 2 ** 22 + 12_345; // above Linux's default pid_max: no such process
    const stale = [`object.${'ab'.repeat(32)}.${dead}.0123456789abcdef.tmp`, `spool.${dead}.fedcba9876543210.tmp`];
    const mine = `object.${'cd'.repeat(32)}.${process.pid}.0123456789abcdef.tmp`;
    for (const n of [...stale, mine, 'unrelated.txt']) writeFileSync(join(spool, n), 'x');
    createLocalBlobStore(blobDir, keys);
    expect(readdirSync(spool).sort()).toEqual([mine, 'unrelated.txt'].sort());
    for (const n of [mine, 'unrelated.txt']) rmSync(join(spool, n));
  });
});

describe('local blob store: compression', () => {
  it('stores compressible text gzipped', async () => {
    const data = text(500_000);
    const stored = await store.put(data);
    expect(stored.compression).toBe('gzip');
    expect(stored.storedSize).toBeLessThan(data.length / 4);
    expect(readObjectHeader(readFileSync(objectFile(stored.id))).compression).toBe('gzip');
  });

  it('does not compress JPEG bytes even when they would compress, whatever the mime says', async () => {
    const data = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('JFIF'), text(200_000)]);
    expect((await store.put(data, { mime: 'text/plain' })).compression).toBe('none');
  });

  it('decides by content, not by the declared mime type', async () => {
    expect((await store.put(text(100_000, 'a'), { mime: 'image/jpeg' })).compression).toBe('gzip');
  });

  it('keeps data uncompressed when gzip saves less than 10 %', async () => {
    const data = randomBytes(100_000);
    data[0] = 0x42;
    const stored = await store.put(data);
    expect(stored.compression).toBe('none');
    // Mostly random with a small compressible part: gzip saves a little, not 10 %.
    const mixed = Buffer.concat([Buffer.alloc(5000, 0x41), randomBytes(95_000)]);
    expect((await store.put(mixed)).compression).toBe('none');
    expect((await store.put(Buffer.from('a'))).compression).toBe('none');
  });

  it('recognises compressed formats by their magic bytes', () => {
    const at4 = (s: string): Buffer => Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from(s)]);
    const yes = [
      Buffer.from([0xff, 0xd8, 0xff, 0xdb]),
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.from('GIF89a...'),
      Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1'),
      at4('ftypisom'),
      at4('ftypheic'),
      Buffer.from('#!AMR\n'),
      Buffer.from('#!SILK_V3'),
      Buffer.from('\x02#!SILK_V3', 'latin1'),
      Buffer.from('ID3\x04'),
      Buffer.from([0xff, 0xfb, 0x90, 0x64]),
      Buffer.from('PK\x03\x04', 'latin1'),
      Buffer.from([0x1f, 0x8b, 0x08]),
      Buffer.from('OggS'),
      Buffer.from([0x1a, 0x45, 0xdf, 0xa3]),
      Buffer.from([0x28, 0xb5, 0x2f, 0xfd]),
    ];
    for (const head of yes) expect(isCompressedFormat(head)).toBe(true);
    for (const head of [Buffer.from('hello'), Buffer.from('%PDF-1.7'), Buffer.from('RIFF\x10\x00\x00\x00WAVEfmt ', 'latin1'), Buffer.alloc(0)]) {
      expect(isCompressedFormat(head)).toBe(false);
    }
  });
});

describe('local blob store: tampering is detected', () => {
  /** 3 full chunks and a short last one, uncompressed. */
  const SIZE = 3 * BLOB_CHUNK_SIZE + 1000;
  let data: Buffer;
  let stored: StoredBlob;
  let body: number;

  beforeEach(async () => {
    data = jpegLike(SIZE);
    stored = await store.put(data);
    body = bodyOffset(stored.id);
    expect(stored.compression).toBe('none');
    expect(stored.storedSize).toBe(body + 4 * BLOB_TAG_LENGTH + SIZE);
  });

  it('flipping one byte of ciphertext', async () => {
    mutate(stored.id, flip(body + RECORD + 12345));
    await expectCorrupt(store.get(stored), stored.id);
  });

  it('flipping one byte of a tag, in the middle and in the last chunk', async () => {
    mutate(stored.id, flip(body + RECORD - 3));
    await expectCorrupt(store.get(stored), stored.id);
    const fresh = await store.put(data); // repairs
    mutate(fresh.id, flip(fresh.storedSize - 1));
    await expectCorrupt(store.get(fresh), fresh.id);
  });

  it('flipping any single byte of the header', async () => {
    const original = readFileSync(objectFile(stored.id));
    for (let at = 0; at < body; at++) {
      writeFileSync(objectFile(stored.id), flip(at)(original));
      await expectCorrupt(store.get(stored), stored.id);
    }
    writeFileSync(objectFile(stored.id), original);
    expect((await store.get(stored)).equals(data)).toBe(true);
  });

  it.each([
    ['at a chunk boundary', (b: number) => b + 2 * RECORD],
    ['in the middle of a chunk', (b: number) => b + RECORD + 1000],
    ['inside the last tag', (b: number) => b + 3 * RECORD + 1000 + 8],
    ['after the last chunk minus one byte', (b: number) => b + 3 * RECORD + 1000 + BLOB_TAG_LENGTH - 1],
    ['right after the header', (b: number) => b],
    ['inside the header', (b: number) => b - 10],
    ['to nothing', () => 0],
  ])('truncating the file %s', async (_name, length) => {
    truncateSync(objectFile(stored.id), length(body));
    await expectCorrupt(store.get(stored), stored.id);
  });

  it('appending data or an extra chunk', async () => {
    const original = readFileSync(objectFile(stored.id));
    writeFileSync(objectFile(stored.id), Buffer.concat([original, Buffer.from([0])]));
    await expectCorrupt(store.get(stored), stored.id);
    writeFileSync(objectFile(stored.id), Buffer.concat([original, original.subarray(body + 3 * RECORD)]));
    await expectCorrupt(store.get(stored), stored.id);
  });

  it('swapping two chunks', async () => {
    mutate(stored.id, (f) => {
      const c0 = f.subarray(body, body + RECORD);
      const c1 = f.subarray(body + RECORD, body + 2 * RECORD);
      return Buffer.concat([f.subarray(0, body), c1, c0, f.subarray(body + 2 * RECORD)]);
    });
    await expectCorrupt(store.get(stored), stored.id);
  });

  it('duplicating a chunk (in place of another, or inserted)', async () => {
    const original = readFileSync(objectFile(stored.id));
    const c0 = original.subarray(body, body + RECORD);
    writeFileSync(objectFile(stored.id), Buffer.concat([original.subarray(0, body), c0, c0, original.subarray(body + 2 * RECORD)]));
    await expectCorrupt(store.get(stored), stored.id);
    writeFileSync(objectFile(stored.id), Buffer.concat([original.subarray(0, body), c0, original.subarray(body)]));
    await expectCorrupt(store.get(stored), stored.id);
  });

  it('dropping a chunk so the previous one looks final', async () => {
    mutate(stored.id, (f) => f.subarray(0, body + 3 * RECORD));
    await expectCorrupt(store.get(stored), stored.id);
  });

  it("copying object A over object B's path", async () => {
    const other = await store.put(jpegLike(SIZE));
    writeFileSync(objectFile(stored.id), readFileSync(objectFile(other.id)));
    await expectCorrupt(store.get(stored), stored.id);
    // Even with A's key material in B's row, the id bound into every chunk's AAD does not match.
    await expectCorrupt(store.get({ ...stored, wrappedDek: other.wrappedDek }), stored.id);
  });

  it('a wrong bucket key', async () => {
    const otherKeys = createKeyring(mkdtempSync(join(root, 'other-')), randomBytes(32));
    await expectCorrupt(createLocalBlobStore(blobDir, otherKeys).get(stored), stored.id);
    keys.bucketKey('other');
    await expectCorrupt(store.get({ ...stored, bucket: 'other' }), stored.id);
  });

  it('a wrapped key from another blob', async () => {
    const other = await store.put(jpegLike(100));
    await expectCorrupt(store.get({ ...stored, wrappedDek: other.wrappedDek }), stored.id);
  });

  it('metadata that does not match the database row', async () => {
    await expectCorrupt(store.get({ ...stored, size: SIZE - 1 }), stored.id);
    await expectCorrupt(store.get({ ...stored, sha256: '0'.repeat(64) }), stored.id);
    await expectCorrupt(store.get({ ...stored, compression: 'gzip' }), stored.id);
    const gz = await store.put(text(200_000));
    await expectCorrupt(store.get({ ...gz, size: gz.size - 1 }), gz.id);
    await expectCorrupt(store.get({ ...gz, size: gz.size + 1 }), gz.id);
  });

  it('writeTo refuses a tampered object and leaves no file behind', async () => {
    const dest = join(root, 'restored.bin');
    mutate(stored.id, flip(body + 2 * RECORD + 5));
    await expectCorrupt(store.writeTo(stored, dest), stored.id);
    expect(existsSync(dest)).toBe(false);
    writeFileSync(dest, 'previous');
    await expectCorrupt(store.writeTo(stored, dest), stored.id);
    expect(readFileSync(dest, 'utf8')).toBe('previous');
    expect(readdirSync(root).filter((n) => n.includes('tmp'))).toEqual([]);
  });

  it('writeTo detects tampering in a gzipped object', async () => {
    const gz = await store.put(text(400_000));
    expect(gz.compression).toBe('gzip');
    mutate(gz.id, flip(bodyOffset(gz.id) + 100));
    const dest = join(root, 'restored.txt');
    await expectCorrupt(store.writeTo(gz, dest), gz.id);
    expect(existsSync(dest)).toBe(false);
  });

  it('writeTo checks the SHA-256 before renaming into place', async () => {
    const dest = join(root, 'restored.bin');
    await expectCorrupt(store.writeTo({ ...stored, sha256: 'f'.repeat(64) }, dest), stored.id);
    expect(existsSync(dest)).toBe(false);
  });

  it('error messages name the blob but carry no content', async () => {
    const secret = await store.put(Buffer.from(PHRASE.repeat(50)));
    mutate(secret.id, flip(bodyOffset(secret.id) + 3));
    const e = await caught(store.get(secret));
    expect(e.code).toBe('blob.corrupt');
    expect(e.message).toContain(secret.id);
    expect(e.message).not.toContain('WeKeep-distinctive');
    expect(JSON.stringify(e.details)).not.toContain('WeKeep-distinctive');
  });
});

describe('local blob store: errors and housekeeping', () => {
  it('reports a missing object', async () => {
    const stored = await store.put(Buffer.from('x'));
    await store.delete(stored.id);
    expect((await caught(store.get(stored))).code).toBe('blob.missing');
    expect((await caught(store.writeTo(stored, join(root, 'o')))).code).toBe('blob.missing');
  });

  it('refuses to read when the bucket key does not exist, without creating it', async () => {
    const stored = await store.put(Buffer.from('hr data'), { bucket: 'hr' });
    const otherKeys = createKeyring(mkdtempSync(join(root, 'other-')), randomBytes(32));
    const e = await caught(createLocalBlobStore(blobDir, otherKeys).get(stored));
    expect(e.code).toBe('blob.key_unavailable');
    expect(otherKeys.hasBucket('hr')).toBe(false);
  });

  it('exists and delete', async () => {
    const stored = await store.put(Buffer.from('to delete'));
    expect(await store.exists(stored.id)).toBe(true);
    await store.delete(stored.id);
    expect(await store.exists(stored.id)).toBe(false);
    await store.delete(stored.id); // idempotent
  });

  it('rejects ids that are not content addresses (no path traversal)', async () => {
    for (const id of ['../../keyring.json', 'ABC', 'a'.repeat(63), `${'a'.repeat(63)}/`]) {
      expect((await caught(store.exists(id))).code).toBe('blob.invalid_id');
      expect((await caught(store.delete(id))).code).toBe('blob.invalid_id');
    }
  });

  it('never writes plaintext or an unwrapped key to disk', async () => {
    const phrase = Buffer.from(PHRASE);
    const textual = Buffer.from(`${PHRASE}\n`.repeat(1000));
    const raw = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from(`${PHRASE}\n`.repeat(1000))]);
    const s1 = await store.put(textual);
    const s2 = await store.put(raw);
    expect([s1.compression, s2.compression]).toEqual(['gzip', 'none']);
    const f = join(root, 'plain.txt');
    writeFileSync(f, Buffer.concat([Buffer.from(`${PHRASE}\n`.repeat(20_000)), randomBytes(100)]));
    const s3 = await store.putFile(f);
    const files = listFiles(blobDir);
    expect(files).toHaveLength(3);
    for (const file of files) {
      const bytes = readFileSync(file);
      expect(bytes.includes(phrase)).toBe(false);
      expect(bytes.includes(Buffer.from('WeKeep-distinctive'))).toBe(false);
      for (const s of [s1, s2, s3]) expect(bytes.includes(Buffer.from(s.sha256, 'hex'))).toBe(false);
      expect(file).not.toContain(s1.sha256);
    }
  });
});

describe('local blob store: streaming putFile / writeTo', () => {
  it('agrees with put on the id and de-duplicates against it', async () => {
    const data = text(300_000);
    const f = join(root, 'a.txt');
    writeFileSync(f, data);
    const fromFile = await store.putFile(f);
    const fromBuffer = await store.put(data);
    expect(fromFile.id).toBe(store.addressOf(data));
    expect(fromFile.sha256).toBe(fromBuffer.sha256);
    expect(fromFile.size).toBe(data.length);
    expect(fromFile.compression).toBe('gzip');
    expect(fromBuffer.wrappedDek.equals(fromFile.wrappedDek)).toBe(true);
    expect(listFiles(blobDir)).toHaveLength(1);
    expect((await store.get(fromFile)).equals(data)).toBe(true);
  });

  it.each([
    ['empty', Buffer.alloc(0), 'none'],
    ['JPEG-like', jpegLike(2 * 1024 * 1024 + 5), 'none'],
    ['random', randomBytes(2 * 1024 * 1024 + 5), 'none'],
    // Compressible start (so gzip is tried) but random after: gzip is tried, does not pay, and is undone.
    ['compressible head, random tail', Buffer.concat([text(300 * 1024), randomBytes(3 * 1024 * 1024)]), 'none'],
    ['text', text(2 * 1024 * 1024 + 5), 'gzip'],
  ])('round-trips %s content through putFile and writeTo', async (_name, data, compression) => {
    const src = join(root, 'src.bin');
    writeFileSync(src, data);
    const stored = await store.putFile(src);
    expect(stored.compression).toBe(compression);
    expect(stored.id).toBe(store.addressOf(data));
    expect(stored.size).toBe(data.length);
    expect(stored.storedSize).toBe(statSync(objectFile(stored.id)).size);
    expect((await store.get(stored)).equals(data)).toBe(true);
    const dest = join(root, 'dest.bin');
    await store.writeTo(stored, dest);
    expect(readFileSync(dest).equals(data)).toBe(true);
    expect(readdirSync(join(blobDir, 'tmp'))).toEqual([]);
  });

  it('handles a 20 MB file byte-identically with bounded memory', async () => {
    const src = join(root, 'big.src');
    const size = 20 * 1024 * 1024;
    // Built piecewise so the test itself never holds the file: half hex text (compressible), half random.
    const fh = await open(src, 'w');
    const mac = createHmac('sha256', keys.dedupKey);
    for (let i = 0; i < 20; i++) {
      const piece = i % 2 === 0 ? Buffer.from(randomBytes(512 * 1024).toString('hex')) : randomBytes(1024 * 1024);
      mac.update(piece);
      await fh.write(piece);
    }
    await fh.close();
    expect(statSync(src).size).toBe(size);

    // Live memory: sampled right after forced full GCs (two: V8 frees ArrayBuffer memory lazily),
    // so garbage not yet collected does not count.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    gc();
    const baseline = process.memoryUsage();
    let peakExternal = 0;
    let peakHeap = 0;
    let samples = 0;
    const sampler = setInterval(() => {
      gc();
      gc();
      samples++;
      const m = process.memoryUsage();
      peakExternal = Math.max(peakExternal, m.arrayBuffers - baseline.arrayBuffers);
      peakHeap = Math.max(peakHeap, m.heapUsed - baseline.heapUsed);
    }, 100);
    let stored: StoredBlob;
    const dest = join(root, 'big.out');
    try {
      stored = await store.putFile(src);
      await store.writeTo(stored, dest);
    } finally {
      clearInterval(sampler);
    }
    expect(stored.id).toBe(mac.digest('hex'));
    expect(stored.size).toBe(size);
    expect(stored.compression).toBe('gzip');
    expect(stored.sha256).toBe(await sha256OfFile(src));
    expect(await sha256OfFile(dest)).toBe(stored.sha256);
    expect(statSync(dest).size).toBe(size);
    console.log(`20 MiB putFile + writeTo: ${samples} samples after GC, peak extra buffers ${(peakExternal / 1048576).toFixed(1)} MiB, heap ${(peakHeap / 1048576).toFixed(1)} MiB`);
    expect(samples).toBeGreaterThan(5);
    // The file is 20 MiB; streaming keeps a few 256 KiB pieces alive at a time (measured: ~2 MiB).
    expect(peakExternal).toBeLessThan(6 * 1024 * 1024);
    expect(peakHeap).toBeLessThan(6 * 1024 * 1024);
  });

  it('putFile fails cleanly for a missing source and leaves no spool', async () => {
    await expect(store.putFile(join(root, 'nope.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(readdirSync(join(blobDir, 'tmp'))).toEqual([]);
  });

  it('writeTo replaces an existing destination only after verification', async () => {
    const data = text(100_000);
    const stored = await store.put(data);
    const dest = join(root, 'sub', 'out.txt');
    mkdirSync(join(root, 'sub'));
    writeFileSync(dest, 'old');
    await store.writeTo(stored, dest);
    expect(readFileSync(dest).equals(data)).toBe(true);
  });
});

describe('deferred durability for bulk writes', () => {
  it('writes objects inside withDeferredSync that read back intact, and returns the callback result', async () => {
    const datas = Array.from({ length: 20 }, (_, i) => Buffer.from(`deferred object ${i} `.repeat(100 + i)));
    const stored = await store.withDeferredSync(() => Promise.all(datas.map((d) => store.put(d))));
    expect(stored).toHaveLength(20);
    for (const [i, s] of stored.entries()) expect(await store.get(s)).toEqual(datas[i]);
  });

  it('reuses a valid object already on disk (written by an earlier, crashed import), without writing another', async () => {
    const data = randomBytes(20_000);
    const first = await store.put(data);
    // A new store (a new process) knows no directories and the database holds no row for the object.
    const fresh = createLocalBlobStore(blobDir, keys);
    const again = await fresh.withDeferredSync(() => fresh.put(data));
    expect(again.wrappedDek.equals(first.wrappedDek)).toBe(true);
    expect(listFiles(blobDir)).toEqual([objectFile(first.id)]);
  });

  it('replaces a damaged object on disk, and leaves no temporary file', async () => {
    const data = jpegLike(90_000);
    const first = await store.put(data);
    mutate(first.id, flip(bodyOffset(first.id) + 10));
    const again = await store.withDeferredSync(() => store.put(data));
    expect(again.wrappedDek.equals(first.wrappedDek)).toBe(false);
    expect((await store.get(again)).equals(data)).toBe(true);
    expect(listFiles(blobDir)).toEqual([objectFile(first.id)]);
  });

  it('creates an object directory again when it was removed behind the store', async () => {
    const a = await store.put(Buffer.from('first object'));
    rmSync(join(blobDir, a.id.slice(0, 2)), { recursive: true });
    const b = await store.withDeferredSync(() => store.put(Buffer.from('first object')));
    expect((await store.get(b)).toString()).toBe('first object');
    expect(listFiles(blobDir)).toEqual([objectFile(a.id)]);
  });

  it('syncs even when the callback fails, and passes the error on', async () => {
    await expect(store.withDeferredSync(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});
