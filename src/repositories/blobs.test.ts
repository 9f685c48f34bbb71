import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredBlob } from '../blobs/blob-store.js';
import { loadConfig } from '../config.js';
import { initializeContext, type Context } from '../context.js';
import { AppError } from '../errors.js';
import {
  addBlobReference, blobStats, deleteUnreferencedBlob, findBlob, findBlobs, findUnreferencedBlobIds, prepareBlobReferences, releaseBlobReference,
} from './blobs.js';

let root: string;
let ctx: Context;

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'wekeep-blobrepo-'));
  ctx = await initializeContext(loadConfig({ data: join(root, 'data') }, {}), randomBytes(32));
});

afterEach(async () => {
  await ctx.close();
  rmSync(root, { recursive: true, force: true });
});

/** A row-shaped blob without a file, for queries that never touch the store. */
function fakeBlob(n: number, overrides: Partial<StoredBlob> = {}): StoredBlob {
  return {
    id: n.toString(16).padStart(64, '0'),
    sha256: `${n}`.padStart(64, 'a'),
    size: 1000 + n,
    storedSize: 500 + n,
    compression: 'gzip',
    bucket: 'default',
    wrappedDek: randomBytes(60),
    ...overrides,
  };
}

async function caught(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

describe('blobs repository', () => {
  it('inserts a new blob with one reference and reads it back as a readable blob', async () => {
    const data = Buffer.from('attachment bytes '.repeat(1000));
    const stored = await ctx.blobs.put(data);
    expect(await addBlobReference(ctx.db, stored, 1_700_000_000_000)).toBe(1);
    const row = await findBlob(ctx.db, stored.id);
    expect(row).toEqual({ ...stored, refCount: 1, createdAt: 1_700_000_000_000, scanStatus: 'not_scanned' });
    expect(Buffer.isBuffer(row!.wrappedDek)).toBe(true);
    expect((await ctx.blobs.get(row!)).equals(data)).toBe(true);
  });

  it('increments the count of an existing blob and keeps its creation time', async () => {
    const b = fakeBlob(1);
    expect(await addBlobReference(ctx.db, b, 10)).toBe(1);
    expect(await addBlobReference(ctx.db, b, 20)).toBe(2);
    expect(await addBlobReference(ctx.db, b, 30)).toBe(3);
    const row = await findBlob(ctx.db, b.id);
    expect(row?.refCount).toBe(3);
    expect(row?.createdAt).toBe(10);
  });

  it('takes the object parameters of the latest store result (a repaired object has a new key)', async () => {
    const b = fakeBlob(2);
    await addBlobReference(ctx.db, b);
    const repaired = { ...b, wrappedDek: randomBytes(60), storedSize: 777, compression: 'none' as const };
    expect(await addBlobReference(ctx.db, repaired)).toBe(2);
    const row = await findBlob(ctx.db, b.id);
    expect(row?.wrappedDek.equals(repaired.wrappedDek)).toBe(true);
    expect(row?.storedSize).toBe(777);
    expect(row?.compression).toBe('none');
  });

  it('refuses a second blob with the same id but different content, changing nothing', async () => {
    const b = fakeBlob(3);
    await addBlobReference(ctx.db, b);
    const e = await caught(addBlobReference(ctx.db, { ...b, sha256: 'f'.repeat(64), wrappedDek: randomBytes(60) }));
    expect(e.code).toBe('blob.address_conflict');
    const row = await findBlob(ctx.db, b.id);
    expect(row?.refCount).toBe(1);
    expect(row?.wrappedDek.equals(b.wrappedDek)).toBe(true);
  });

  it('adds several references at once through the prepared statement, with the same rules', async () => {
    const reference = prepareBlobReferences(ctx.db, ctx.sqlite);
    const b = fakeBlob(5);
    expect(reference(b, 3, 10)).toBe(3);
    expect(await addBlobReference(ctx.db, b, 20, 2)).toBe(5);
    const repaired = { ...b, wrappedDek: randomBytes(60), storedSize: 888, compression: 'none' as const };
    expect(reference(repaired, 1, 30)).toBe(6);
    const row = await findBlob(ctx.db, b.id);
    expect(row).toMatchObject({ refCount: 6, createdAt: 10, storedSize: 888, compression: 'none', sha256: b.sha256, size: b.size, bucket: 'default' });
    expect(row?.wrappedDek.equals(repaired.wrappedDek)).toBe(true);

    let conflict: unknown;
    try {
      reference({ ...b, size: b.size + 1 }, 1, 40);
    } catch (e) {
      conflict = e;
    }
    expect(conflict).toBeInstanceOf(AppError);
    expect((conflict as AppError).code).toBe('blob.address_conflict');
    expect((await findBlob(ctx.db, b.id))?.refCount).toBe(6);
  });

  it('releases references down to 0, then refuses', async () => {
    const b = fakeBlob(4);
    await addBlobReference(ctx.db, b);
    await addBlobReference(ctx.db, b);
    expect(await releaseBlobReference(ctx.db, b.id)).toBe(1);
    expect(await releaseBlobReference(ctx.db, b.id)).toBe(0);
    expect((await caught(releaseBlobReference(ctx.db, b.id))).code).toBe('blob.ref_underflow');
    expect((await findBlob(ctx.db, b.id))?.refCount).toBe(0);
    expect((await caught(releaseBlobReference(ctx.db, fakeBlob(999).id))).code).toBe('blob.not_found');
  });

  it('finds unreferenced blobs and deletes only those', async () => {
    const kept = fakeBlob(5);
    const gone = fakeBlob(6);
    await addBlobReference(ctx.db, kept, 1);
    await addBlobReference(ctx.db, gone, 2);
    await releaseBlobReference(ctx.db, gone.id);
    expect(await findUnreferencedBlobIds(ctx.db, 10)).toEqual([gone.id]);
    expect(await deleteUnreferencedBlob(ctx.db, kept.id)).toBe(false);
    expect(await deleteUnreferencedBlob(ctx.db, gone.id)).toBe(true);
    expect(await findBlob(ctx.db, gone.id)).toBeUndefined();
    expect(await findBlob(ctx.db, kept.id)).toBeDefined();
  });

  it('finds many ids at once, ignoring unknown and repeated ones', async () => {
    const blobs = Array.from({ length: 1200 }, (_, i) => fakeBlob(i + 100));
    await ctx.db.transaction().execute(async (trx) => {
      for (const b of blobs) await addBlobReference(trx, b);
    });
    const wanted = [...blobs.map((b) => b.id), fakeBlob(5000).id, blobs[0]!.id];
    const found = await findBlobs(ctx.db, wanted);
    expect(found).toHaveLength(1200);
    expect(new Set(found.map((f) => f.id))).toEqual(new Set(blobs.map((b) => b.id)));
    expect(await findBlobs(ctx.db, [])).toEqual([]);
  });

  it('sums statistics, in total and per bucket', async () => {
    expect(await blobStats(ctx.db)).toEqual({ count: 0, unreferenced: 0, logicalBytes: 0, storedBytes: 0, referencedBytes: 0, references: 0 });
    const a = fakeBlob(1, { size: 1000, storedSize: 400 });
    const b = fakeBlob(2, { size: 3000, storedSize: 3100, bucket: 'hr' });
    const c = fakeBlob(3, { size: 50, storedSize: 150 });
    await addBlobReference(ctx.db, a);
    await addBlobReference(ctx.db, a);
    await addBlobReference(ctx.db, a);
    await addBlobReference(ctx.db, b);
    await addBlobReference(ctx.db, c);
    await releaseBlobReference(ctx.db, c.id);
    expect(await blobStats(ctx.db)).toEqual({ count: 3, unreferenced: 1, logicalBytes: 4050, storedBytes: 3650, referencedBytes: 6000, references: 4 });
    expect(await blobStats(ctx.db, { bucket: 'hr' })).toEqual({ count: 1, unreferenced: 0, logicalBytes: 3000, storedBytes: 3100, referencedBytes: 3000, references: 1 });
  });

  it('works with real stored blobs end to end: dedup through the database', async () => {
    const data = randomBytes(200_000);
    const first = await ctx.blobs.put(data);
    const second = await ctx.blobs.put(data);
    await addBlobReference(ctx.db, first);
    expect(await addBlobReference(ctx.db, second)).toBe(2);
    expect(await blobStats(ctx.db)).toMatchObject({ count: 1, logicalBytes: 200_000, storedBytes: first.storedSize, referencedBytes: 400_000 });
    const [row] = await findBlobs(ctx.db, [first.id]);
    expect((await ctx.blobs.get(row!)).equals(data)).toBe(true);
  });
});
