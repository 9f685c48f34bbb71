import type { Kysely } from 'kysely';
import type { Context } from '../context.js';
import type { Database } from '../db/schema.js';
import { firstKeyOf } from '../domain/message-key.js';
import { usageError } from '../errors.js';
import { appendAudit } from '../services/audit.js';
import { processAlive } from '../file-system.js';

/**
 * Backup buckets and their key generations (docs/adr/0011-backups-and-bucket-keys.md).
 *
 * Records are backed up per bucket = (source, conversation, UTC month), each bucket's segment
 * encrypted under the keyring key `backup-bucket:<bucket>:g<generation>`. A disposition that takes
 * records out of a bucket retires the bucket's current generation (noteDisposed, in the disposal's
 * transaction); after the commit, applyBucketRetirements destroys the retired key:
 *   - at once when the bucket has no record left — every backup copy of it becomes unreadable;
 *   - otherwise once a COMPLETED backup holds the bucket's next generation (with the survivors),
 *     because until then the old backups are the only backup copy of the surviving records. During
 *     that window the key store lists the disposed records under each live key of the bucket
 *     (`disposedRecords`), and a restore of an old backup leaves them out.
 */

export const BACKUP_KEY_PREFIX = 'backup-bucket:';

export interface DisposedRecord {
  sourceId: number;
  conversationRowId: number;
  timeMs: number;
  /** The message key: remembered for the bucket's live key generations (a restore leaves it out). */
  key?: number;
}

export interface BucketParts {
  sourceId: number;
  conversationRowId: number;
  /** `yyyy-mm` (UTC). */
  month: string;
  /** The key range of the month: [firstKey, lastKey]. */
  firstKey: number;
  lastKey: number;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** The UTC month (`yyyy-mm`) of an instant. */
export function monthOf(timeMs: number): string {
  const d = new Date(timeMs);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}`;
}

/** The bucket of a record: `<source id>:<conversation row id>:<yyyy-mm>` (UTC month of its time). */
export function bucketOf(r: DisposedRecord): string {
  return `${r.sourceId}:${r.conversationRowId}:${monthOf(r.timeMs)}`;
}

const BUCKET_PATTERN = /^(\d+):(\d+):(\d{4})-(\d{2})$/;

export function parseBucket(bucket: string): BucketParts {
  const m = BUCKET_PATTERN.exec(bucket);
  if (!m) throw usageError('backup.bad_bucket', `"${bucket}" is not a backup bucket`);
  const year = Number(m[3]);
  const month = Number(m[4]);
  return {
    sourceId: Number(m[1]),
    conversationRowId: Number(m[2]),
    month: `${m[3]}-${m[4]}`,
    firstKey: firstKeyOf(Date.UTC(year, month - 1, 1)),
    lastKey: firstKeyOf(Date.UTC(year, month, 1)) - 1,
  };
}

/** The keyring name of a bucket's key generation. */
export const bucketKeyName = (bucket: string, generation: number): string => `${BACKUP_KEY_PREFIX}${bucket}:g${generation}`;

/** Whether a backup is running now (a row left `running` by a dead process does not count). */
export async function backupRunning(db: Kysely<Database>): Promise<boolean> {
  const rows = await db.selectFrom('backup_runs').select('pid').where('status', '=', 'running').execute();
  return rows.some((r) => processAlive(r.pid));
}

/** Live backup key names by bucket, computed once per keyring state (namesOnDisk returns the same set until keyring.json changes). */
const liveKeysCache = new WeakMap<ReadonlySet<string>, Map<string, string[]>>();
function liveBucketKeys(onDisk: ReadonlySet<string>): Map<string, string[]> {
  let byBucket = liveKeysCache.get(onDisk);
  if (byBucket) return byBucket;
  byBucket = new Map();
  for (const name of onDisk) {
    if (!name.startsWith(BACKUP_KEY_PREFIX)) continue;
    const bucket = name.slice(BACKUP_KEY_PREFIX.length, name.lastIndexOf(':g'));
    const list = byBucket.get(bucket);
    if (list) list.push(name);
    else byBucket.set(bucket, [name]);
  }
  liveKeysCache.set(onDisk, byBucket);
  return byBucket;
}

/**
 * THE DISPOSITION HOOK. Call it inside the transaction that deletes the records (the disposition
 * engine does, in disposeRecords), with one entry per disposed record. For every bucket touched:
 * if any backup may hold it under its current key generation (the key exists, or a backup is
 * running right now), the bucket moves on to the next generation and the current one is queued for
 * destruction (`backup_key_retirements`). Nothing is destroyed here: call applyBucketRetirements
 * after the commit (backups and `keys backup` also call it first, so a crash in between is
 * completed by the next run).
 */
export async function noteDisposed(ctx: Pick<Context, 'clock' | 'keys'>, trx: Kysely<Database>, rows: readonly DisposedRecord[]): Promise<void> {
  if (rows.length === 0) return;
  if (!trx.isTransaction) throw new Error('noteDisposed must run inside the disposal transaction');
  const now = ctx.clock.now();
  const buckets = [...new Set(rows.map(bucketOf))].sort();
  // A write first: from here on this transaction holds SQLite's write lock, so a backup that starts
  // now registers (and takes its snapshot) only after this disposal has committed.
  for (const part of chunked(buckets, 500)) {
    await trx
      .insertInto('backup_buckets')
      .values(part.map((bucket) => ({ bucket, generation: 1, updated_at: now })))
      .onConflict((oc) => oc.column('bucket').doUpdateSet({ updated_at: now }))
      .execute();
  }
  const running = await backupRunning(trx);
  const { entries: onDisk, destroyed } = ctx.keys.namesOnDisk();
  // Every live key generation of a touched bucket may be in a backup that holds the disposed record:
  // remember the record for each (copied into the key store by applyBucketRetirements).
  const liveNames = liveBucketKeys(onDisk);
  const remembered = liveNames.size === 0 ? [] : rows.flatMap((r) => (r.key === undefined ? [] : (liveNames.get(bucketOf(r)) ?? []).map((key_name) => ({ key_name, message_key: r.key! }))));
  for (const part of chunked(remembered, 500)) {
    await trx.insertInto('backup_disposed_records').values(part).onConflict((oc) => oc.doNothing()).execute();
  }
  for (const part of chunked(buckets, 500)) {
    const rowsNow = await trx.selectFrom('backup_buckets').select(['bucket', 'generation']).where('bucket', 'in', part).execute();
    const rotate: { bucket: string; generation: number }[] = [];
    for (const b of rowsNow) {
      // The generation a backup uses: the first one whose key was not destroyed (see writeSegments).
      let generation = b.generation;
      while (destroyed.has(bucketKeyName(b.bucket, generation))) generation++;
      if (running || onDisk.has(bucketKeyName(b.bucket, generation))) rotate.push({ bucket: b.bucket, generation });
    }
    if (rotate.length === 0) continue;
    await trx
      .insertInto('backup_key_retirements')
      .values(rotate.map((b) => ({ key_name: bucketKeyName(b.bucket, b.generation), bucket: b.bucket, generation: b.generation, noted_at: now, destroyed_at: null, outcome: null })))
      .onConflict((oc) => oc.column('key_name').doNothing())
      .execute();
    for (const b of rotate) {
      await trx.updateTable('backup_buckets').set({ generation: b.generation + 1, updated_at: now }).where('bucket', '=', b.bucket).execute();
    }
  }
}

export interface RetirementResult {
  /** Keys destroyed now: buckets with no record left. */
  emptied: number;
  /** Keys destroyed now: a completed backup holds a newer generation. */
  superseded: number;
  /** Retired keys still waiting for a backup that holds the bucket's next generation. */
  waiting: number;
}

/**
 * Carries out the pending key retirements (see the module comment). Crash-safe: the keyring is
 * written first (destroying a key twice is harmless), then the rows are marked, with an audit event.
 * Call it after every disposal commit; backups and `keys backup` call it before they start.
 */
export async function applyBucketRetirements(ctx: Pick<Context, 'db' | 'keys' | 'clock' | 'actor' | 'origin'>): Promise<RetirementResult> {
  await rememberDisposedRecords(ctx);
  const pending = await ctx.db
    .selectFrom('backup_key_retirements as r')
    .leftJoin('backup_buckets as b', 'b.bucket', 'r.bucket')
    .select(['r.key_name', 'r.bucket', 'r.generation', 'b.backed_up_generation'])
    .where('r.destroyed_at', 'is', null)
    .execute();
  const result: RetirementResult = { emptied: 0, superseded: 0, waiting: 0 };
  if (pending.length === 0) return result;
  const decided: { name: string; outcome: 'emptied' | 'superseded' }[] = [];
  const emptiness = new Map<string, boolean>();
  for (const r of pending) {
    let empty = emptiness.get(r.bucket);
    if (empty === undefined) {
      const p = parseBucket(r.bucket);
      const any = await ctx.db
        .selectFrom('messages')
        .select('id')
        .where('conversation_id', '=', p.conversationRowId)
        .where('source_id', '=', p.sourceId)
        .where('id', '>=', p.firstKey)
        .where('id', '<=', p.lastKey)
        .limit(1)
        .executeTakeFirst();
      empty = any === undefined;
      emptiness.set(r.bucket, empty);
    }
    if (empty) decided.push({ name: r.key_name, outcome: 'emptied' });
    else if ((r.backed_up_generation ?? 0) > r.generation) decided.push({ name: r.key_name, outcome: 'superseded' });
    else result.waiting++;
  }
  if (decided.length === 0) return result;
  const now = ctx.clock.now();
  const held = new Set(ctx.keys.destroyKeys(decided.map((d) => d.name), now));
  for (const d of decided) result[d.outcome]++;
  await ctx.db.transaction().execute(async (trx) => {
    for (const outcome of ['emptied', 'superseded'] as const) {
      const names = decided.filter((d) => d.outcome === outcome).map((d) => d.name);
      for (const part of chunked(names, 500)) {
        await trx.updateTable('backup_key_retirements').set({ destroyed_at: now, outcome }).where('key_name', 'in', part).where('destroyed_at', 'is', null).execute();
      }
    }
    await appendAudit(ctx, trx, {
      action: 'backup.keys_destroyed',
      details: { emptied: result.emptied, superseded: result.superseded, keysHeld: held.size, waiting: result.waiting },
    });
  });
  return result;
}

/**
 * Copies the queued disposed records into the key store (keyring.json `disposedRecords`, one write per
 * chunk), then deletes them from the queue. Crash-safe: a record copied but still queued is copied
 * again, which changes nothing.
 */
async function rememberDisposedRecords(ctx: Pick<Context, 'db' | 'keys'>): Promise<void> {
  for (;;) {
    const rows = await ctx.db.selectFrom('backup_disposed_records').select(['key_name', 'message_key']).orderBy('key_name').orderBy('message_key').limit(50_000).execute();
    if (rows.length === 0) return;
    const byName = new Map<string, number[]>();
    for (const r of rows) {
      const list = byName.get(r.key_name);
      if (list) list.push(Number(r.message_key));
      else byName.set(r.key_name, [Number(r.message_key)]);
    }
    ctx.keys.noteDisposedRecords(byName);
    await ctx.db.transaction().execute(async (trx) => {
      for (const [name, keys] of byName) {
        for (const part of chunked(keys, 500)) await trx.deleteFrom('backup_disposed_records').where('key_name', '=', name).where('message_key', 'in', part).execute();
      }
    });
    if (rows.length < 50_000) return;
  }
}

/** Current key generation per bucket (1 for a bucket without a row). */
export async function bucketGenerations(db: Kysely<Database>): Promise<Map<string, number>> {
  const rows = await db.selectFrom('backup_buckets').select(['bucket', 'generation']).execute();
  return new Map(rows.map((r) => [r.bucket, r.generation]));
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
