import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readObjectHeader } from '../blobs/local.js';
import { errorCode } from '../file-system.js';
import { removeQuietly } from './files.js';

/*
 * Blob objects in a backup are the store's own files (docs at the top of src/blobs/local.ts) with
 * ONE change: the wrapped data key in the header's key section is zeroed. That copy of the data key
 * is wrapped by a store bucket key (`bucket:default`) that crypto-shredding of backups does not
 * touch; the data key travels instead inside the segments of the buckets whose records reference
 * the blob, under their bucket keys. The chunk AAD does not cover the key section, so the chunks
 * stay verifiable; a restore writes a freshly wrapped data key back into the header.
 */

/** Where a blob object lives below a blob root (the store's `blobs/` or a backup's `blobs/`). */
export const blobPath = (root: string, id: string): string => join(root, id.slice(0, 2), id.slice(2, 4), id);

const MAX_HEADER_LENGTH = 22 + 1 + 255 + 1 + 255;
const IO_PIECE = 256 * 1024;

const tempOf = (path: string): string => join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);

async function readHead(fh: FileHandle): Promise<{ head: Buffer; fileSize: number }> {
  const { size } = await fh.stat();
  const head = Buffer.alloc(Math.min(size, MAX_HEADER_LENGTH));
  let off = 0;
  while (off < head.length) {
    const { bytesRead } = await fh.read(head, off, head.length - off, off);
    if (bytesRead === 0) break;
    off += bytesRead;
  }
  return { head: head.subarray(0, off), fileSize: size };
}

async function writeAll(fh: FileHandle, data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await fh.write(data, off, data.length - off);
    off += bytesWritten;
  }
}

/** Header bytes, body offset and the wrapped key's place, or undefined when the header is not valid. */
function parseHead(head: Buffer): { bodyOffset: number; fixed: Buffer; bucket: string; wrappedLength: number } | undefined {
  try {
    const h = readObjectHeader(head);
    return { bodyOffset: h.bodyOffset, fixed: h.fixed, bucket: h.bucket, wrappedLength: h.wrappedDek.length };
  } catch {
    return undefined;
  }
}

/**
 * Copies `head` + the body of `src` (from `bodyOffset`) into a new file at `dest` (temp + rename, no
 * fsync: the caller syncs the file system once). Returns the SHA-256 and size of what was written
 * and of the source bytes read (header as given, body as read).
 */
async function copyWithHead(src: string, bodyOffset: number, head: Buffer, dest: string, sourceHead: Buffer): Promise<{ written: { sha256: string; size: number }; source: string }> {
  await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
  const tmp = tempOf(dest);
  const out = await open(tmp, 'wx', 0o600);
  const written = createHash('sha256');
  const source = createHash('sha256').update(sourceHead);
  let size = 0;
  try {
    written.update(head);
    await writeAll(out, head);
    size += head.length;
    for await (const piece of createReadStream(src, { start: bodyOffset, highWaterMark: IO_PIECE })) {
      const b = piece as Buffer;
      written.update(b);
      source.update(b);
      await writeAll(out, b);
      size += b.length;
    }
  } catch (e) {
    await out.close();
    await removeQuietly(tmp);
    throw e;
  }
  await out.close();
  await rename(tmp, dest);
  return { written: { sha256: written.digest('hex'), size }, source: source.digest('hex') };
}

export type CopyOutcome = { state: 'copied'; sha256: string; size: number } | { state: 'missing' } | { state: 'corrupt' };

/** Copies a store's blob object into a backup with the wrapped data key zeroed. */
export async function copyBlobRedacted(src: string, dest: string): Promise<CopyOutcome> {
  let fh: FileHandle;
  try {
    fh = await open(src, 'r');
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return { state: 'missing' };
    throw e;
  }
  let head: Buffer;
  try {
    ({ head } = await readHead(fh));
  } finally {
    await fh.close();
  }
  const parsed = parseHead(head);
  if (!parsed) return { state: 'corrupt' };
  const redacted = Buffer.from(head.subarray(0, parsed.bodyOffset));
  redacted.fill(0, parsed.bodyOffset - parsed.wrappedLength, parsed.bodyOffset);
  try {
    const { written } = await copyWithHead(src, parsed.bodyOffset, redacted, dest, redacted);
    return { state: 'copied', ...written };
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return { state: 'missing' };
    throw e;
  }
}

export type RestoreOutcome = { state: 'restored' } | { state: 'missing' } | { state: 'damaged'; reason: string };

/**
 * Writes a backup's blob copy into a store's blob directory, with the data key wrapped anew under
 * the store's bucket key (`wrappedDek`, for `bucket`). The backup copy must match its SHA-256 from
 * the (signed) manifest; otherwise nothing is left at `dest`.
 */
export async function restoreBlobCopy(src: string, dest: string, expected: { sha256: string; size: number }, bucket: string, wrappedDek: Buffer): Promise<RestoreOutcome> {
  let fh: FileHandle;
  try {
    fh = await open(src, 'r');
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return { state: 'missing' };
    throw e;
  }
  let head: Buffer;
  let fileSize: number;
  try {
    ({ head, fileSize } = await readHead(fh));
  } finally {
    await fh.close();
  }
  if (fileSize !== expected.size) return { state: 'damaged', reason: 'size differs from the manifest' };
  const parsed = parseHead(head);
  if (!parsed) return { state: 'damaged', reason: 'invalid object header' };
  const name = Buffer.from(bucket, 'utf8');
  const fresh = Buffer.concat([parsed.fixed, Buffer.from([name.length]), name, Buffer.from([wrappedDek.length]), wrappedDek]);
  const { source } = await copyWithHead(src, parsed.bodyOffset, fresh, dest, head.subarray(0, parsed.bodyOffset));
  if (source !== expected.sha256) {
    await removeQuietly(dest);
    return { state: 'damaged', reason: 'SHA-256 differs from the manifest' };
  }
  return { state: 'restored' };
}
