import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupSummary } from '../src/backup/backup.js';
import { applyBucketRetirements, bucketKeyName, bucketOf } from '../src/backup/buckets.js';
import type { RestoreReport } from '../src/backup/restore.js';
import { disposeRecords, purgeDisposedBlobs } from '../src/services/disposition.js';
import { createFactsReader } from '../src/repositories/retention-facts.js';
import { allRefs, attachmentBytes, ATTACHMENT_CANARY, openStore, plaintextLeaks, SECRET_NAME, smallArchive } from './support/backup-fixture.js';
import { runCli, runCliJson, tempDir } from './support/cli.js';
import { toNdjson } from './support/records.js';

// The guarantee of issue 5: a restore of a backup made BEFORE a disposition brings back none of
// the disposed records: their bucket keys are destroyed (at once for a bucket left empty; for a
// bucket with survivors, once a newer backup holding the survivors has completed, and until then the
// key store lists the disposed records and a restore leaves them out), while a restore of the newer
// backup brings back every survivor.

const SLOW = 240_000;
const DISPOSED = ['bk/d1', 'bk/d2', 'bk/s2']; // the whole dm/January bucket, and one record of sales/January
const SURVIVORS_OF_ROTATED = ['bk/s1', 'bk/s3']; // sales/January after the disposition

describe('backups honor deletion', () => {
  const tmp = tempDir('backup-dispose');
  const data = join(tmp.path, 'data');
  const keyFile = join(data, 'master.key');
  const oldBackup = join(tmp.path, 'tape-monday');
  const newBackup = join(tmp.path, 'tape-tuesday');
  const json = <T>(args: string[], expectStatus = 0) => runCliJson<T>(['--data', data, ...args], { expectStatus });
  const keysBackup = (name: string): string => {
    const file = join(tmp.path, 'key-medium', name);
    json(['keys', 'backup', '--out', file]);
    return file;
  };
  const restore = (target: string, from: string, keys: string): RestoreReport =>
    runCliJson<RestoreReport>(['--data', join(tmp.path, target), '--key-file', keyFile, 'restore', '--from', from, '--keys', keys]);
  let liveRefs: string[];
  let keysBeforeDisposal: string;

  beforeAll(async () => {
    expect(runCli(['--data', data, 'init']).status).toBe(0);
    writeFileSync(join(tmp.path, 'a.ndjson'), toNdjson(smallArchive()));
    json(['import', join(tmp.path, 'a.ndjson')]);
    json<BackupSummary>(['backup', '--out', oldBackup]);
    keysBeforeDisposal = keysBackup('keys-monday.json');

    // The disposition, through the disposition engine's own deletion path, in one transaction with the backup hook.
    const ctx = await openStore(data);
    try {
      const all = await createFactsReader(ctx).read(-1, 1000);
      const rows = all.filter((r) => DISPOSED.includes(`${r.source}/${r.id}`));
      expect(rows).toHaveLength(3);
      // disposeRecords calls the backup hook (noteDisposed) inside its transaction.
      await ctx.db.transaction().execute(async (trx) => {
        await disposeRecords(ctx, trx, rows, { reason: 'erasure', policyIdOf: () => null, runId: null });
      });
      await purgeDisposedBlobs(ctx);
      // After the commit: the emptied bucket's key goes at once; the other waits for a backup of its survivors.
      const retired = await applyBucketRetirements(ctx);
      expect(retired).toEqual({ emptied: 1, superseded: 0, waiting: 1 });
      const dm = rows.find((r) => r.id === 'd1')!;
      expect(ctx.keys.isDestroyed(bucketKeyName(bucketOf({ sourceId: dm.sourceId, conversationRowId: dm.conversationRowId, timeMs: dm.timeMs }), 1))).toBe(true);
      liveRefs = await allRefs(ctx);
      expect(liveRefs).toHaveLength(7);
    } finally {
      await ctx.close();
    }
  }, SLOW);
  afterAll(() => tmp.cleanup());

  it('before a newer backup exists: the emptied bucket is unreadable; the rotated one is readable for its survivors, and the key store leaves its disposed record out', async () => {
    const keys = keysBackup('keys-window.json');
    const stored = JSON.parse(readFileSync(keys, 'utf8')) as { keyring: { disposedRecords: Record<string, number[]> } };
    expect(Object.values(stored.keyring.disposedRecords).flat()).toHaveLength(1); // s2, under sales/January's live key
    const r = restore('restored-window', oldBackup, keys);
    expect(r.buckets).toMatchObject({ total: 5, restored: 4, unreadableDisposed: 1 });
    expect(r.records).toMatchObject({ skippedDisposedSince: 1, skippedTombstoned: 0 });
    expect(r.ok, JSON.stringify(r.problems)).toBe(true);
    const target = join(tmp.path, 'restored-window');
    const list = await refsIn(target);
    for (const ref of DISPOSED) expect(list).not.toContain(ref);
    for (const ref of SURVIVORS_OF_ROTATED) expect(list).toContain(ref); // the old backup is still their only copy
    // s2's attachment (referenced by it alone) is not restored either.
    expect(plaintextLeaks(target, [ATTACHMENT_CANARY, SECRET_NAME])).toEqual([]);
    const back = await openStore(target, keyFile);
    try {
      expect([...(await attachmentBytes(back)).keys()]).not.toContain('bk/s2#0');
      // s2 keeps a tombstone (from the key store's list): re-importing the input does not archive it again.
      expect(await back.db.selectFrom('tombstones').select(['ext_id', 'reason']).where('ext_id', '=', 's2').execute()).toEqual([{ ext_id: 's2', reason: 'disposed-after-backup' }]);
    } finally {
      await back.close();
    }
    // The emptied bucket's records are known by the key store backup's disposal digests: a re-import of
    // the input archives none of the three disposed records again.
    expect(r.disposalDigests).toBe(3);
    expect(r.warnings).toEqual([]);
    const again = runCliJson<{ imported: number; disposed: number }>(['--data', target, '--key-file', keyFile, 'import', join(tmp.path, 'a.ndjson')], { expectStatus: 0 });
    expect(again).toMatchObject({ imported: 0, disposed: 3 });
    for (const ref of DISPOSED) expect(await refsIn(target)).not.toContain(ref);
  }, SLOW);

  it('after a newer backup: the old backup brings back no disposed record; the new one every survivor', async () => {
    const s = json<BackupSummary>(['backup', '--out', newBackup]);
    expect(s.keys).toMatchObject({ superseded: 1, waiting: 0 });
    expect(s.records).toBe(7);
    const keys = keysBackup('keys-tuesday.json');
    const stored = JSON.parse(readFileSync(keys, 'utf8')) as { keyring: { entries: Record<string, string>; destroyed: { name: string }[]; disposedRecords: Record<string, number[]> } };
    expect(stored.keyring.destroyed.map((d) => d.name).filter((n) => n.startsWith('backup-bucket:'))).toHaveLength(2);
    expect(stored.keyring.disposedRecords).toEqual({}); // the list went with its key

    // The old backup: both buckets that lost records are unreadable; nothing disposed comes back.
    const old = restore('restored-old', oldBackup, keys);
    expect(old.ok, JSON.stringify(old.problems)).toBe(true);
    expect(old.buckets).toEqual({ total: 5, restored: 3, unreadableDisposed: 2, unreadableMissingKey: 0, damaged: 0 });
    expect(old.restoredWithTombstone).toBe(0);
    const oldTarget = join(tmp.path, 'restored-old');
    const oldRefs = await refsIn(oldTarget);
    for (const ref of DISPOSED) expect(oldRefs).not.toContain(ref);
    // the survivors of the rotated bucket are in the newer backup, not in this one
    expect(oldRefs).toEqual(liveRefs.filter((r) => !SURVIVORS_OF_ROTATED.includes(r)));
    // the disposed attachment (referenced only by s2) is not readable from the old backup either
    expect(plaintextLeaks(oldTarget, [ATTACHMENT_CANARY, SECRET_NAME])).toEqual([]);
    const back = await openStore(oldTarget, keyFile);
    try {
      expect([...(await attachmentBytes(back)).keys()]).toEqual(['bk/h2#0']); // the shared blob, through hr/January's key
      expect(await back.db.selectFrom('blobs').select('id').execute()).toHaveLength(1);
    } finally {
      await back.close();
    }

    // Re-importing the input: the survivors of the rotated bucket come back (their only copy is newer),
    // the disposed records do not, though none of their segments can be read.
    const reimport = runCliJson<{ imported: number; disposed: number }>(['--data', oldTarget, '--key-file', keyFile, 'import', join(tmp.path, 'a.ndjson')]);
    expect(reimport).toMatchObject({ imported: SURVIVORS_OF_ROTATED.length, disposed: DISPOSED.length });
    expect(await refsIn(oldTarget)).toEqual(liveRefs);
    // A plain keyring.json copy carries no disposals: the restore says what a re-import would then do.
    const plain = join(tmp.path, 'key-medium', 'keyring-copy.json');
    writeFileSync(plain, readFileSync(join(data, 'keyring.json')));
    const blind = restore('restored-plain', oldBackup, plain);
    expect(blind.disposalDigests).toBe(0);
    expect(blind.warnings).toEqual([expect.stringMatching(/^2 bucket\(s\) of this backup were disposed of after it .* re-importing an input file that holds them would archive them again/)]);

    // The new backup: exactly the survivors, with their attachments.
    const fresh = restore('restored-new', newBackup, keys);
    expect(fresh.ok, JSON.stringify(fresh.problems)).toBe(true);
    expect(fresh.buckets).toMatchObject({ restored: 4, unreadableDisposed: 0 });
    const target = join(tmp.path, 'restored-new');
    expect(await refsIn(target)).toEqual(liveRefs);
    const live = await openStore(data);
    const again = await openStore(target, keyFile);
    try {
      expect(await attachmentBytes(again)).toEqual(await attachmentBytes(live));
      expect(await again.db.selectFrom('tombstones').select('ext_id').orderBy('ext_id').execute()).toEqual([{ ext_id: 'd1' }, { ext_id: 'd2' }, { ext_id: 's2' }]);
    } finally {
      await live.close();
      await again.close();
    }
  }, SLOW);

  it('why key store backups must be short-lived: one made before the disposition still opens the old backup', async () => {
    const r = restore('restored-with-old-keys', oldBackup, keysBeforeDisposal);
    expect(r.buckets).toMatchObject({ restored: 5, unreadableDisposed: 0 });
    const refs = await refsIn(join(tmp.path, 'restored-with-old-keys'));
    for (const ref of DISPOSED) expect(refs).toContain(ref);
  }, SLOW);

  async function refsIn(dir: string): Promise<string[]> {
    const ctx = await openStore(dir, keyFile);
    try {
      return await allRefs(ctx);
    } finally {
      await ctx.close();
    }
  }
});
