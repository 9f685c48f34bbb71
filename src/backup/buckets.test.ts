import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import type { Context } from '../context.js';
import { importNdjson } from '../services/import.js';
import { initStore } from '../services/store.js';
import { applyBucketRetirements, bucketKeyName, bucketOf, monthOf, noteDisposed, parseBucket } from './buckets.js';

let root: string;
let ctx: Context;

const rec = (id: string, time: string, conv: string): string =>
  JSON.stringify({ source: 'u', id, time, conversation: { id: conv, type: 'group' }, from: { id: 'a' }, type: 'text', text: `t ${id}` });

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'wekeep-buckets-'));
  ({ ctx } = await initStore(loadConfig({ data: join(root, 'data') }, {})));
  writeFileSync(join(root, 'in.ndjson'), [rec('1', '2026-01-31T23:59:59Z', 'c1'), rec('2', '2026-02-01T00:00:00Z', 'c1'), rec('3', '2026-02-15T00:00:00Z', 'c1')].join('\n'));
  await importNdjson(ctx, { file: join(root, 'in.ndjson') });
});
afterEach(async () => {
  await ctx.close();
  rmSync(root, { recursive: true, force: true });
});

async function records(): Promise<{ id: number; sourceId: number; conversationRowId: number; timeMs: number; ext: string }[]> {
  const rows = await ctx.db.selectFrom('messages').select(['id', 'source_id', 'conversation_id', 'time_ms', 'ext_id']).orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, sourceId: r.source_id, conversationRowId: r.conversation_id, timeMs: r.time_ms, ext: r.ext_id }));
}

async function dispose(ext: string[]): Promise<string[]> {
  const rows = (await records()).filter((r) => ext.includes(r.ext));
  await ctx.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('messages').where('id', 'in', rows.map((r) => r.id)).execute();
    await noteDisposed(ctx, trx, rows);
  });
  return [...new Set(rows.map(bucketOf))];
}

const generationOf = async (bucket: string): Promise<number | undefined> =>
  (await ctx.db.selectFrom('backup_buckets').select('generation').where('bucket', '=', bucket).executeTakeFirst())?.generation;

describe('backup buckets', () => {
  it('names buckets by source, conversation and UTC month, with the month\'s key range', async () => {
    const [a, b] = await records();
    expect(monthOf(a!.timeMs)).toBe('2026-01');
    expect(bucketOf(a!)).toBe(`${a!.sourceId}:${a!.conversationRowId}:2026-01`);
    expect(bucketOf(b!)).toBe(`${b!.sourceId}:${b!.conversationRowId}:2026-02`);
    const p = parseBucket(bucketOf(b!));
    expect(b!.id).toBeGreaterThanOrEqual(p.firstKey);
    expect(a!.id).toBeLessThan(p.firstKey);
    expect(p.lastKey + 1).toBe(parseBucket(`1:1:2026-03`).firstKey);
    expect(() => parseBucket('x')).toThrow();
  });

  it('does nothing to keys when no backup ever held the bucket', async () => {
    const [bucket] = await dispose(['1']);
    expect(await generationOf(bucket!)).toBe(1);
    expect(await applyBucketRetirements(ctx)).toEqual({ emptied: 0, superseded: 0, waiting: 0 });
  });

  it('destroys the key of an emptied bucket after the commit, and rotates a bucket with survivors until a backup holds the next generation', async () => {
    const buckets = [...new Set((await records()).map(bucketOf))].sort();
    ctx.keys.ensureKeys(buckets.map((b) => bucketKeyName(b, 1)));
    const [jan, feb] = buckets as [string, string];
    await dispose(['1', '2']); // January emptied; February keeps record 3
    expect(await generationOf(jan)).toBe(2);
    expect(await generationOf(feb)).toBe(2);
    expect(ctx.keys.isDestroyed(bucketKeyName(jan, 1))).toBe(false); // nothing before the commit is applied
    expect(await applyBucketRetirements(ctx)).toEqual({ emptied: 1, superseded: 0, waiting: 1 });
    expect(ctx.keys.isDestroyed(bucketKeyName(jan, 1))).toBe(true);
    expect(ctx.keys.namedKey(bucketKeyName(feb, 1))).toBeDefined();

    // a completed backup of February's generation 2 supersedes generation 1
    await ctx.db.updateTable('backup_buckets').set({ backed_up_generation: 2 }).where('bucket', '=', feb).execute();
    expect(await applyBucketRetirements(ctx)).toEqual({ emptied: 0, superseded: 1, waiting: 0 });
    expect(ctx.keys.namedKey(bucketKeyName(feb, 1))).toBeUndefined();
    const audit = await ctx.db.selectFrom('audit_events').select('action').where('action', '=', 'backup.keys_destroyed').execute();
    expect(audit).toHaveLength(2);
  });

  it('rotates when a backup is running even if it has not created the key yet, and skips destroyed generations', async () => {
    await ctx.db.insertInto('backup_runs').values({ backup_id: 'b', target: '/x', pid: process.pid, started_at: 1, finished_at: null, status: 'running', summary: null }).execute();
    const [feb] = await dispose(['2']);
    expect(await generationOf(feb!)).toBe(2);
    await applyBucketRetirements(ctx); // survivors: waits; the key g1 never existed
    // the running backup finishes; generation 1 was never created, generation 2 is destroyed by hand
    await ctx.db.updateTable('backup_runs').set({ status: 'completed' }).execute();
    ctx.keys.destroyKeys([bucketKeyName(feb!, 2)], 1);
    ctx.keys.ensureKeys([bucketKeyName(feb!, 3)]);
    await dispose(['3']);
    // the generation in use was 3 (2 is destroyed): it is the one retired, and 4 comes next
    expect(await generationOf(feb!)).toBe(4);
    const retired = await ctx.db.selectFrom('backup_key_retirements').select(['key_name']).orderBy('key_name').execute();
    expect(retired.map((r) => r.key_name)).toEqual([bucketKeyName(feb!, 1), bucketKeyName(feb!, 3)]);
    expect(await applyBucketRetirements(ctx)).toMatchObject({ emptied: 2 });
    expect(ctx.keys.isDestroyed(bucketKeyName(feb!, 3))).toBe(true);
  });

  it('lists the records disposed from a bucket under each of its live keys, in the key store, until the key goes', async () => {
    writeFileSync(join(root, 'more.ndjson'), rec('4', '2026-02-20T00:00:00Z', 'c1'));
    await importNdjson(ctx, { file: join(root, 'more.ndjson') });
    const all = await records();
    const feb = bucketOf(all.find((r) => r.ext === '2')!);
    ctx.keys.ensureKeys([bucketKeyName(feb, 1)]);
    const disposeWithKeys = async (ext: string[]): Promise<number[]> => {
      const rows = (await records()).filter((r) => ext.includes(r.ext));
      await ctx.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('messages').where('id', 'in', rows.map((r) => r.id)).execute();
        await noteDisposed(ctx, trx, rows.map((r) => ({ ...r, key: r.id })));
      });
      return rows.map((r) => r.id);
    };
    const [k2] = await disposeWithKeys(['2']);
    expect(await applyBucketRetirements(ctx)).toMatchObject({ waiting: 1 });
    expect([...ctx.keys.disposedRecordsOf(bucketKeyName(feb, 1))]).toEqual([k2]);
    // Disposed again before any newer backup: generation 1 is still the live key old backups hold.
    const [k3] = await disposeWithKeys(['3']);
    await applyBucketRetirements(ctx);
    expect([...ctx.keys.disposedRecordsOf(bucketKeyName(feb, 1))].sort()).toEqual([k2, k3].sort());
    expect(await ctx.db.selectFrom('backup_disposed_records').selectAll().execute()).toEqual([]); // moved into the key store
    // The bucket is emptied: its key is destroyed, and its list with it.
    await disposeWithKeys(['4']);
    expect(await applyBucketRetirements(ctx)).toMatchObject({ emptied: 1 });
    expect(ctx.keys.disposedRecordsOf(bucketKeyName(feb, 1)).size).toBe(0);
  });
});
