import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { sql } from 'kysely';
import { BLOB_DIR, type Context } from '../context.js';
import { open as openSealed } from '../crypto/aead.js';
import { writeFileAtomic } from '../crypto/keyring.js';
import type { SqliteHandle } from '../db/connection.js';
import { fatalError, usageError } from '../errors.js';
import { appendAudit } from '../services/audit.js';
import { blobPath, copyBlobRedacted } from './blob-copies.js';
import { applyBucketRetirements, bucketKeyName, parseBucket, type RetirementResult } from './buckets.js';
import { ioPool, isInside, lockDirectory, sha256Hex, syncDir, syncFileSystem, writeNewFile } from './files.js';
import {
  auditKeyIdOf, blobEntrySchema, indexBytes, MANIFEST_FILE, readIndex, readManifest, segmentEntrySchema, signManifest,
  type BlobEntry, type ManifestBody, type SegmentEntry,
} from './manifest.js';
import { encodeSegment, segmentKeys, serializeBucket, type BucketColumns, type BucketContent, type Row } from './segment-format.js';
import { processAlive } from '../file-system.js';

/**
 * `wekeep backup --out DIR`: an online, consistent, incremental backup that honors deletion
 * (docs/backups.md, docs/adr/0011-backups-and-bucket-keys.md).
 *
 *   DIR/manifest.json                       signed; written LAST, atomically
 *   DIR/db/<backup id>.db                   the database WITHOUT record content (encrypted with the db key)
 *   DIR/records/<src>/<conv>/<yyyy-mm>.g<generation>.<backup id>.seg
 *                                           one segment per bucket, under the bucket's key generation
 *   DIR/blobs/aa/bb/<id>                    attachment objects, their wrapped data key zeroed
 *   DIR/index/<backup id>.{segments,blobs}.ndjson   what the manifest covers, by SHA-256
 *
 * Everything is read in ONE read transaction (WAL: imports go on meanwhile). A bucket's segment is
 * rewritten only when its fingerprint changed; a blob is copied only when the directory lacks it.
 * Files no longer named by the new manifest are deleted after it is in place.
 */

const DB_ALIAS = 'wk_backup';
const LOCK_FILE = '.wekeep-backup.lock';
/** What a backup directory holds; anything else means the directory is not ours. */
const OWN_ENTRIES: ReadonlySet<string> = new Set([MANIFEST_FILE, LOCK_FILE, 'db', 'records', 'blobs', 'index']);

/**
 * Tables whose rows never go into the backup's database copy: the records themselves (they travel in
 * the segments, under bucket keys), what is derived from them (rebuilt by a restore), and transient
 * sign-in state. `persons` is copied only for persons no record references (the others travel with
 * the records that name them); `quarantine` is copied without the offending input lines.
 */
export const TABLES_NOT_COPIED: ReadonlySet<string> = new Set([
  'messages', 'attachments', 'blobs', 'conversations',
  'usage_daily', 'usage_person', 'usage_conversation', 'conversation_members',
  'sessions', 'login_throttle',
  // Queued for the key store, which carries them (a restore reads them there, not from the old copy).
  'backup_disposed_records',
]);
/** Columns that change without the person changing (a directory sync's timestamp): not part of a bucket's fingerprint. */
const PERSON_VOLATILE_COLUMNS = ['directory_updated_at'];
/** Blob columns that do not travel: the wrapped key (its data key travels in clear inside the segment) and the reference count (recomputed). */
const BLOB_COLUMNS_NOT_COPIED = new Set(['wrapped_dek', 'ref_count']);

export interface BackupOptions {
  out: string;
  onProgress?: ((done: number, total: number) => void) | undefined;
}

export interface BackupSummary {
  backupId: string;
  dir: string;
  previousBackupId: string | null;
  /** Why an existing manifest was not used for an incremental backup, if it was not. */
  previousIgnored: string | null;
  snapshotAt: number;
  completedAt: number;
  durationMs: number;
  buckets: { total: number; written: number; unchanged: number; skippedDisposed: number };
  records: number;
  blobs: { total: number; copied: number; unchanged: number; missing: number; missingLive: number };
  /** Bucket keys this backup created: back up the key store (`wekeep keys backup`) before relying on this backup. */
  newKeys: number;
  bytesWritten: number;
  filesRemoved: number;
  keys: RetirementResult;
}

const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const cols = (names: readonly string[], alias?: string): string => names.map((n) => (alias ? `${alias}.${q(n)}` : q(n))).join(', ');

function tableColumns(h: SqliteHandle, table: string): string[] {
  return (h.prepare(`PRAGMA main.table_info(${q(table)})`).all() as { name: string }[]).map((c) => c.name);
}

function newBackupId(now: number): string {
  return `${new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(4).toString('hex')}`;
}

/** The blob data-key AAD, as documented in src/blobs/local.ts ("wekeep-blob-dek|v1|<id>|<bucket>"). */
const dekAad = (id: string, bucket: string): string => `wekeep-blob-dek|v1|${id}|${bucket}`;

export async function runBackup(ctx: Context, options: BackupOptions): Promise<BackupSummary> {
  const dir = resolve(options.out);
  const dataDir = resolve(ctx.config.dataDir);
  if (isInside(dir, dataDir) || isInside(dataDir, dir)) {
    throw usageError('backup.bad_target', `the backup directory must be outside the data dir (${dataDir}), on another medium`);
  }
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw usageError('backup.bad_target', `${dir} is not a directory`);
    // Only an empty directory or a backup directory (maybe left by an interrupted first run): files are deleted below it.
    const foreign = readdirSync(dir).filter((n) => !OWN_ENTRIES.has(n) && !n.startsWith(`${MANIFEST_FILE}.tmp-`));
    if (foreign.length > 0) throw usageError('backup.bad_target', `${dir} is neither empty nor a WeKeep backup directory (it holds ${foreign.slice(0, 3).join(', ')}); choose another one`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const d of ['db', 'records', 'blobs', 'index']) mkdirSync(join(dir, d), { recursive: true, mode: 0o700 });
  const release = lockDirectory(join(dir, LOCK_FILE), `the backup directory ${dir}`);
  try {
    return await backupLocked(ctx, dir, options);
  } finally {
    release();
  }
}

interface Previous {
  backupId: string;
  segments: Map<string, SegmentEntry>;
  blobs: Map<string, BlobEntry>;
}

function loadPrevious(ctx: Context, dir: string): { previous: Previous | undefined; ignored: string | null } {
  let m;
  try {
    m = readManifest(dir, ctx.keys.auditPublicKey);
  } catch {
    return { previous: undefined, ignored: 'the existing manifest is unreadable: a full backup was made' };
  }
  if (!m) return { previous: undefined, ignored: null };
  if (m.body.store.auditKeyId !== auditKeyIdOf(ctx.keys.auditPublicKey)) {
    throw usageError('backup.other_store', `${dir} holds a backup of another WeKeep store (audit key ${m.body.store.auditKeyId}); choose another directory`);
  }
  if (!m.signatureValid) return { previous: undefined, ignored: "the existing manifest's signature is not valid for this store: a full backup was made" };
  try {
    const segments = readIndex(dir, m.body.segments, segmentEntrySchema);
    const blobs = readIndex(dir, m.body.blobs, blobEntrySchema);
    return { previous: { backupId: m.body.backupId, segments: new Map(segments.map((s) => [s.bucket, s])), blobs: new Map(blobs.map((b) => [b.id, b])) }, ignored: null };
  } catch {
    return { previous: undefined, ignored: "the existing manifest's index files are damaged: a full backup was made" };
  }
}

const fileSizeIs = (path: string, size: number): boolean => {
  try {
    return statSync(path).size === size;
  } catch {
    return false;
  }
};

async function backupLocked(ctx: Context, dir: string, options: BackupOptions): Promise<BackupSummary> {
  const started = ctx.clock.now();
  // Key destructions a disposition left for after its commit (or a crash left undone) happen first.
  const retiredBefore = await applyBucketRetirements(ctx);
  const { previous, ignored } = loadPrevious(ctx, dir);
  const backupId = newBackupId(started);

  const startedEvent = await ctx.db.transaction().execute(async (trx) => {
    const stale = await trx.selectFrom('backup_runs').select(['id', 'pid']).where('status', '=', 'running').execute();
    const dead = stale.filter((r) => !processAlive(r.pid)).map((r) => r.id);
    if (dead.length > 0) await trx.updateTable('backup_runs').set({ status: 'failed', finished_at: started, summary: JSON.stringify({ interrupted: true }) }).where('id', 'in', dead).execute();
    await trx.insertInto('backup_runs').values({ backup_id: backupId, target: dir, pid: process.pid, started_at: started, finished_at: null, status: 'running', summary: null }).execute();
    // In the snapshot: the backup carries the record of its own start.
    const appended = await appendAudit(ctx, trx, { action: 'backup.started', subject: `backup:${backupId}`, details: { incremental: previous !== undefined, ...(dead.length > 0 ? { interruptedRuns: dead.length } : {}) } });
    return appended.firstSeq;
  });

  try {
    const snap = await snapshot(ctx, dir, backupId, previous, options);
    const completedAt = ctx.clock.now();

    const segmentsIndex = indexBytes(snap.segments);
    const blobsIndex = indexBytes([...snap.blobs.values()].sort((a, b) => (a.id < b.id ? -1 : 1)));
    const segFile = join('index', `${backupId}.segments.ndjson`);
    const blobFile = join('index', `${backupId}.blobs.ndjson`);
    await writeNewFile(join(dir, segFile), [segmentsIndex]);
    await writeNewFile(join(dir, blobFile), [blobsIndex]);

    const body: ManifestBody = {
      format: 'wekeep-backup',
      version: 1,
      backupId,
      previousBackupId: previous?.backupId ?? null,
      snapshotAt: snap.snapshotAt,
      completedAt,
      store: { auditKeyId: auditKeyIdOf(ctx.keys.auditPublicKey), masterKeyId: ctx.keys.masterKeyId, dbCipher: ctx.keys.dbCipher, migrations: snap.migrations },
      audit: { ...snap.audit, startedSeq: startedEvent },
      db: snap.db,
      segments: { file: segFile, sha256: sha256Hex(segmentsIndex), size: segmentsIndex.length, count: snap.segments.length },
      blobs: { file: blobFile, sha256: sha256Hex(blobsIndex), size: blobsIndex.length, count: snap.blobs.size },
      counts: { buckets: snap.segments.length, records: snap.records, blobs: snap.blobs.size },
    };
    // Everything the manifest names is made durable before the manifest replaces the previous one.
    await syncFileSystem(dir);
    writeFileAtomic(join(dir, MANIFEST_FILE), signManifest(body, ctx.keys.auditSigningKey, ctx.keys.auditPublicKey), 0o600);
    await syncDir(dir);

    const keep = new Set<string>([segFile, blobFile, snap.db.file, ...snap.segments.map((s) => s.file), ...[...snap.blobs.keys()].map((id) => relative(dir, blobPath(join(dir, 'blobs'), id)))]);
    const filesRemoved = prune(dir, keep);

    const summary: BackupSummary = {
      backupId,
      dir,
      previousBackupId: previous?.backupId ?? null,
      previousIgnored: ignored,
      snapshotAt: snap.snapshotAt,
      completedAt,
      durationMs: completedAt - started,
      buckets: snap.buckets,
      records: snap.records,
      blobs: snap.blobStats,
      newKeys: snap.newKeys,
      bytesWritten: snap.bytesWritten,
      filesRemoved,
      keys: retiredBefore,
    };
    if (snap.blobStats.missing > 0) summary.blobs.missingLive = await stillReferenced(ctx, snap.missingBlobIds);

    await ctx.db.transaction().execute(async (trx) => {
      for (let i = 0; i < snap.segments.length; i += 500) {
        const part = snap.segments.slice(i, i + 500);
        await trx
          .insertInto('backup_buckets')
          .values(part.map((s) => ({ bucket: s.bucket, generation: s.generation, backed_up_generation: s.generation, updated_at: completedAt })))
          .onConflict((oc) =>
            oc.column('bucket').doUpdateSet({
              generation: sql<number>`max(generation, excluded.generation)`,
              backed_up_generation: sql<number>`max(backed_up_generation, excluded.backed_up_generation)`,
              updated_at: completedAt,
            }),
          )
          .execute();
      }
      // A generation destroyed under this backup's feet is not used again.
      for (const sk of snap.skipped) {
        await trx
          .insertInto('backup_buckets')
          .values({ bucket: sk.bucket, generation: sk.generation + 1, updated_at: completedAt })
          .onConflict((oc) => oc.column('bucket').doUpdateSet({ generation: sql<number>`max(generation, excluded.generation)`, updated_at: completedAt }))
          .execute();
      }
      const counts = { buckets: summary.buckets, records: summary.records, blobs: summary.blobs, newKeys: summary.newKeys, bytesWritten: summary.bytesWritten };
      await trx.updateTable('backup_runs').set({ status: 'completed', finished_at: completedAt, summary: JSON.stringify(counts) }).where('backup_id', '=', backupId).execute();
      await appendAudit(ctx, trx, { action: 'backup.completed', subject: `backup:${backupId}`, details: counts });
    });
    // Retired generations whose bucket this backup holds anew can go now.
    const after = await applyBucketRetirements(ctx);
    summary.keys = { emptied: retiredBefore.emptied + after.emptied, superseded: retiredBefore.superseded + after.superseded, waiting: after.waiting };
    return summary;
  } catch (e) {
    try {
      await ctx.db.transaction().execute(async (trx) => {
        await trx.updateTable('backup_runs').set({ status: 'failed', finished_at: ctx.clock.now() }).where('backup_id', '=', backupId).execute();
        await appendAudit(ctx, trx, { action: 'backup.failed', subject: `backup:${backupId}`, details: { code: (e as { code?: string }).code ?? 'error' } });
      });
    } catch {
      /* the original error matters more */
    }
    throw e;
  }
}

/** How many of these blobs the live store still references (a blob deleted with its disposed record is no loss). */
async function stillReferenced(ctx: Context, ids: readonly string[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await ctx.db.selectFrom('attachments').select('blob_id').distinct().where('blob_id', 'in', ids.slice(i, i + 500)).execute();
    n += rows.length;
  }
  return n;
}

interface Snapshot {
  snapshotAt: number;
  skipped: { bucket: string; generation: number }[];
  migrations: string[];
  audit: { size: number; rootHash: string };
  db: { file: string; sha256: string; size: number };
  segments: SegmentEntry[];
  blobs: Map<string, BlobEntry>;
  missingBlobIds: string[];
  records: number;
  buckets: BackupSummary['buckets'];
  blobStats: BackupSummary['blobs'];
  newKeys: number;
  bytesWritten: number;
}

/** The consistent part: one read transaction over the live database. */
async function snapshot(ctx: Context, dir: string, backupId: string, previous: Previous | undefined, options: BackupOptions): Promise<Snapshot> {
  const h = ctx.sqlite;
  const dbTmp = join(dir, 'db', `.${backupId}.db.tmp`);
  for (const f of [dbTmp, `${dbTmp}-journal`]) if (existsSync(f)) unlinkSync(f);
  // An empty file: the store's connection may not create files (opened with fileMustExist), and SQLite takes an empty file as a new database.
  writeFileSync(dbTmp, '', { mode: 0o600 });
  h.prepare(`ATTACH DATABASE ? AS ${DB_ALIAS} KEY "x'${ctx.keys.dbKey.toString('hex')}'"`).run(dbTmp);
  let attached = true;
  try {
    h.pragma(`${DB_ALIAS}.page_size = 16384`);
    h.exec('BEGIN');
    try {
      const snapshotAt = ctx.clock.now();
      const migrations = (h.prepare('SELECT name FROM main.kysely_migration ORDER BY name').pluck().all() as string[]);
      const head = h.prepare('SELECT size, root_hash FROM main.audit_tree_heads ORDER BY size DESC LIMIT 1').get() as { size: number; root_hash: Buffer } | undefined;
      const audit = { size: Number(head?.size ?? 0), rootHash: head ? Buffer.from(head.root_hash).toString('hex') : sha256Hex('') };

      const records = await writeSegments(ctx, dir, backupId, previous, options);
      copyDatabase(h, records.referencedPersons);
      h.exec('COMMIT');
      h.exec(`DETACH DATABASE ${DB_ALIAS}`);
      attached = false;

      const dbFile = join('db', `${backupId}.db`);
      renameSync(dbTmp, join(dir, dbFile));
      const dbBytes = readFileSync(join(dir, dbFile));
      return {
        snapshotAt,
        migrations,
        audit,
        db: { file: dbFile, sha256: sha256Hex(dbBytes), size: dbBytes.length },
        segments: records.segments,
        skipped: records.skipped,
        blobs: records.blobs,
        missingBlobIds: records.missingBlobIds,
        records: records.records,
        buckets: records.buckets,
        blobStats: records.blobStats,
        newKeys: records.newKeys,
        bytesWritten: records.bytesWritten + dbBytes.length,
      };
    } catch (e) {
      if (h.inTransaction) h.exec('ROLLBACK');
      throw e;
    }
  } finally {
    if (attached) {
      try {
        h.exec(`DETACH DATABASE ${DB_ALIAS}`);
      } catch {
        /* not attached */
      }
    }
    for (const f of [dbTmp, `${dbTmp}-journal`]) if (existsSync(f)) unlinkSync(f);
  }
}

interface Segments {
  segments: SegmentEntry[];
  /** Buckets whose key generation was destroyed while this backup ran. */
  skipped: { bucket: string; generation: number }[];
  blobs: Map<string, BlobEntry>;
  missingBlobIds: string[];
  referencedPersons: Set<number>;
  records: number;
  buckets: BackupSummary['buckets'];
  blobStats: BackupSummary['blobs'];
  newKeys: number;
  bytesWritten: number;
}

async function writeSegments(ctx: Context, dir: string, backupId: string, previous: Previous | undefined, options: BackupOptions): Promise<Segments> {
  const h = ctx.sqlite;
  const columns: BucketColumns = {
    conversations: tableColumns(h, 'conversations'),
    persons: tableColumns(h, 'persons'),
    messages: tableColumns(h, 'messages'),
    attachments: tableColumns(h, 'attachments'),
    blobs: tableColumns(h, 'blobs').filter((c) => !BLOB_COLUMNS_NOT_COPIED.has(c)),
  };
  const at = (table: keyof BucketColumns, col: string): number => {
    const i = columns[table].indexOf(col);
    if (i < 0) throw fatalError('backup.schema', `the ${table} table has no ${col} column`);
    return i;
  };
  const iFrom = at('messages', 'from_person_id');
  const iTo = at('messages', 'to_person_ids');
  const iBlob = at('attachments', 'blob_id');
  const iBlobId = at('blobs', 'id');
  const iBlobBucket = at('blobs', 'bucket');

  const listing = h
    .prepare(`SELECT source_id AS s, conversation_id AS c, strftime('%Y-%m', time_ms / 1000, 'unixepoch') AS month, count(*) AS n
              FROM main.messages GROUP BY conversation_id, source_id, month ORDER BY conversation_id, month`)
    .all() as { s: number; c: number; month: string; n: number }[];
  const generations = new Map((h.prepare('SELECT bucket, generation FROM main.backup_buckets').all() as { bucket: string; generation: number }[]).map((r) => [r.bucket, r.generation]));
  const buckets = listing.map((b) => {
    const bucket = `${b.s}:${b.c}:${b.month}`;
    // A generation whose key is already destroyed is never used again (e.g. a restored store whose
    // bucket was emptied after its backup, then received records again): the next one is.
    let generation = generations.get(bucket) ?? 1;
    while (ctx.keys.isDestroyed(bucketKeyName(bucket, generation))) generation++;
    return { bucket, generation, keyName: bucketKeyName(bucket, generation) };
  });

  // All bucket keys in ONE keyring write (thousands of buckets must not rewrite keyring.json each).
  const before = ctx.keys.namesOnDisk().entries;
  const { keys, destroyed } = ctx.keys.ensureKeys(buckets.map((b) => b.keyName));
  const newKeys = buckets.filter((b) => !before.has(b.keyName) && !destroyed.has(b.keyName)).length;

  const msgStmt = h.prepare(`SELECT ${cols(columns.messages)} FROM main.messages WHERE conversation_id = ? AND source_id = ? AND id >= ? AND id <= ? ORDER BY id`).raw(true);
  const attStmt = h
    .prepare(`SELECT ${cols(columns.attachments, 'a')} FROM main.attachments a JOIN main.messages m ON m.id = a.message_id
              WHERE m.conversation_id = ? AND m.source_id = ? AND m.id >= ? AND m.id <= ? ORDER BY a.message_id, a.ordinal`)
    .raw(true);
  const blobStmt = h.prepare(`SELECT ${cols(columns.blobs)}, wrapped_dek FROM main.blobs WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`).raw(true);
  const personStmt = h.prepare(`SELECT ${cols(columns.persons)} FROM main.persons WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`).raw(true);
  const convStmt = h.prepare(`SELECT ${cols(columns.conversations)} FROM main.conversations WHERE id = ?`).raw(true);

  const liveBlobs = join(ctx.config.dataDir, BLOB_DIR);
  const backupBlobs = join(dir, 'blobs');
  const deks = new Map<string, Buffer | null>();
  const blobEntries = new Map<string, BlobEntry>();
  const missingBlobIds = new Set<string>();
  const blobStats = { total: 0, copied: 0, unchanged: 0, missing: 0, missingLive: 0 };
  const referencedPersons = new Set<number>();
  const segments: SegmentEntry[] = [];
  const stats = { total: buckets.length, written: 0, unchanged: 0, skippedDisposed: 0 };
  const madeDirs = new Set<string>();
  const blobsSeen = new Set<string>();
  // File writes and attachment copies overlap (the database reads stay sequential and synchronous).
  const io = ioPool(16);
  const skipped: { bucket: string; generation: number }[] = [];
  let records = 0;
  let bytesWritten = 0;

  const dekOf = (row: Row): Buffer | null => {
    const id = row[iBlobId] as string;
    let dek = deks.get(id);
    if (dek !== undefined) return dek;
    const bucket = row[iBlobBucket] as string;
    const wrapped = row[row.length - 1] as Buffer;
    dek = null;
    if (ctx.keys.hasBucket(bucket)) {
      try {
        dek = openSealed(ctx.keys.bucketKey(bucket), wrapped, dekAad(id, bucket));
      } catch {
        dek = null;
      }
    }
    deks.set(id, dek);
    return dek;
  };

  for (const [i, b] of buckets.entries()) {
    options.onProgress?.(i, buckets.length);
    const key = keys.get(b.keyName);
    const p = parseBucket(b.bucket);
    const range = [p.conversationRowId, p.sourceId, p.firstKey, p.lastKey] as const;
    const messages = msgStmt.all(...range) as Row[];
    const personIds = new Set<number>();
    for (const m of messages) {
      personIds.add(Number(m[iFrom]));
      const to = m[iTo];
      if (typeof to === 'string' && to !== '') for (const id of JSON.parse(to) as number[]) personIds.add(Number(id));
    }
    // Persons named by records stay out of the database copy, even when the records are skipped.
    for (const id of personIds) referencedPersons.add(id);
    if (!key) {
      // Destroyed meanwhile (its last records were disposed while this backup ran): nothing to keep.
      stats.skippedDisposed++;
      skipped.push(b);
      continue;
    }
    if (messages.length === 0) continue;
    const attachments = attStmt.all(...range) as Row[];
    const blobIds = [...new Set(attachments.map((a) => a[iBlob] as string))].sort();
    const blobs: BucketContent['blobs'] = [];
    if (blobIds.length > 0) {
      for (const row of blobStmt.all(JSON.stringify(blobIds)) as Row[]) {
        const dek = dekOf(row);
        if (dek) blobs.push({ row: row.slice(0, -1), dek });
      }
    }
    const persons = personStmt.all(JSON.stringify([...personIds].sort((x, y) => x - y))) as Row[];
    const conversations = convStmt.all(p.conversationRowId) as Row[];
    const content: BucketContent = { columns, conversations, persons, messages, attachments, blobs };
    const sub = segmentKeys(key);
    const { plain, fingerprint, recordsDigest } = serializeBucket(content, sub.mac, { persons: PERSON_VOLATILE_COLUMNS });
    records += messages.length;

    const prev = previous?.segments.get(b.bucket);
    if (prev && prev.keyName === b.keyName && prev.fingerprint === fingerprint && fileSizeIs(join(dir, prev.file), prev.size)) {
      segments.push(prev);
      stats.unchanged++;
    } else {
      const writtenAt = ctx.clock.now();
      const rel = join('records', String(p.sourceId), String(p.conversationRowId), `${p.month}.g${b.generation}.${backupId}.seg`);
      const parent = join(dir, 'records', String(p.sourceId), String(p.conversationRowId));
      if (!madeDirs.has(parent)) {
        mkdirSync(parent, { recursive: true, mode: 0o700 });
        madeDirs.add(parent);
      }
      const file = encodeSegment(sub.enc, { format: 'wekeep-backup-segment', version: 1, backupId, bucket: b.bucket, generation: b.generation, keyName: b.keyName, writtenAt }, plain);
      const bytes = Buffer.concat(file);
      bytesWritten += bytes.length;
      segments.push({ bucket: b.bucket, generation: b.generation, keyName: b.keyName, file: rel, sha256: sha256Hex(bytes), size: bytes.length, fingerprint, recordsDigest, records: messages.length, writtenAt, backupId });
      stats.written++;
      await io.run(async () => {
        await writeNewFile(join(dir, rel), [bytes]);
      });
    }

    for (const { row } of blobs) {
      const id = row[iBlobId] as string;
      if (blobsSeen.has(id)) continue;
      blobsSeen.add(id);
      const dest = blobPath(backupBlobs, id);
      const known = previous?.blobs.get(id);
      if (known && fileSizeIs(dest, known.size)) {
        blobEntries.set(id, known);
        blobStats.unchanged++;
        continue;
      }
      await io.run(async () => {
        const copied = await copyBlobRedacted(blobPath(liveBlobs, id), dest);
        if (copied.state === 'copied') {
          blobEntries.set(id, { id, sha256: copied.sha256, size: copied.size });
          blobStats.copied++;
          bytesWritten += copied.size;
        } else {
          missingBlobIds.add(id);
        }
      });
    }
    for (const id of blobIds) if (deks.get(id) === null) missingBlobIds.add(id);
  }
  await io.drain();
  options.onProgress?.(buckets.length, buckets.length);
  blobStats.total = blobEntries.size;
  blobStats.missing = missingBlobIds.size;
  return { segments, skipped, blobs: blobEntries, missingBlobIds: [...missingBlobIds], referencedPersons, records, buckets: stats, blobStats, newKeys, bytesWritten };
}

/**
 * Fills the attached copy: the live schema (tables, the empty full-text index, indexes), then the
 * rows of every table except the content ones (TABLES_NOT_COPIED), persons no record references,
 * the quarantine without its content, and the AUTOINCREMENT counters.
 */
function copyDatabase(h: SqliteHandle, referencedPersons: ReadonlySet<number>): void {
  const objects = h.prepare("SELECT type, name, tbl_name, sql FROM main.sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid").all() as { type: string; name: string; tbl_name: string; sql: string }[];
  const virtual = objects.filter((o) => o.type === 'table' && /^CREATE\s+VIRTUAL\s+TABLE/i.test(o.sql)).map((o) => o.name);
  const isShadow = (name: string): boolean => virtual.some((v) => name.startsWith(`${v}_`));
  const qualify = (stmt: string): string => {
    const m = /^(CREATE\s+(?:UNIQUE\s+)?(?:VIRTUAL\s+)?(?:TABLE|INDEX|TRIGGER|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?)/i.exec(stmt);
    if (!m) throw fatalError('backup.schema', 'cannot copy a schema statement');
    return `${m[1]}${DB_ALIAS}.${stmt.slice(m[1]!.length)}`;
  };
  const tables = objects.filter((o) => o.type === 'table' && !isShadow(o.name));
  for (const t of tables) h.exec(qualify(t.sql));

  h.exec('CREATE TEMP TABLE IF NOT EXISTS wk_backup_persons (id INTEGER PRIMARY KEY)');
  h.exec('DELETE FROM temp.wk_backup_persons');
  const addPerson = h.prepare('INSERT INTO temp.wk_backup_persons (id) VALUES (?)');
  for (const id of referencedPersons) addPerson.run(id);

  for (const t of tables) {
    if (virtual.includes(t.name) || TABLES_NOT_COPIED.has(t.name)) continue;
    const names = tableColumns(h, t.name);
    if (t.name === 'persons') {
      h.exec(`INSERT INTO ${DB_ALIAS}.persons SELECT * FROM main.persons WHERE id NOT IN (SELECT id FROM temp.wk_backup_persons)`);
    } else if (t.name === 'quarantine') {
      h.exec(`INSERT INTO ${DB_ALIAS}.quarantine (${cols(names)}) SELECT ${names.map((n) => (n === 'content' ? 'NULL' : q(n))).join(', ')} FROM main.quarantine`);
    } else {
      h.exec(`INSERT INTO ${DB_ALIAS}.${q(t.name)} (${cols(names)}) SELECT ${cols(names)} FROM main.${q(t.name)}`);
    }
  }
  h.exec('DELETE FROM temp.wk_backup_persons');
  // A full-text table's settings (deletemerge, migration 0017) live in its `_config` shadow table,
  // which the CREATE VIRTUAL TABLE above made afresh with the defaults; shadow tables cannot be
  // written, so each setting is given again through the table's configuration command.
  for (const v of virtual) {
    if (!objects.some((o) => o.name === `${v}_config`)) continue;
    const settings = h.prepare(`SELECT k, v FROM main.${q(`${v}_config`)} WHERE k <> 'version'`).safeIntegers(true).all() as { k: string; v: unknown }[];
    // Integers must reach FTS5 as integers (a JavaScript number binds as a float: refused).
    const set = h.prepare(`INSERT INTO ${DB_ALIAS}.${q(v)} (${q(v)}, rank) VALUES (?, ?)`);
    for (const c of settings) set.run(c.k, c.v);
  }
  for (const o of objects) if (o.type !== 'table' && !isShadow(o.tbl_name)) h.exec(qualify(o.sql));
  const hasSequence = h.prepare(`SELECT count(*) FROM ${DB_ALIAS}.sqlite_master WHERE name = 'sqlite_sequence'`).pluck().get() as number;
  if (hasSequence > 0) {
    h.exec(`DELETE FROM ${DB_ALIAS}.sqlite_sequence`);
    h.exec(`INSERT INTO ${DB_ALIAS}.sqlite_sequence (name, seq) SELECT name, seq FROM main.sqlite_sequence`);
  }
}

/** Deletes files below the backup's data folders that the new manifest does not name (and leftovers of killed runs). */
function prune(dir: string, keep: ReadonlySet<string>): number {
  let removed = 0;
  for (const top of ['records', 'blobs', 'db', 'index']) {
    const root = join(dir, top);
    if (!existsSync(root)) continue;
    for (const e of readdirSync(root, { withFileTypes: true, recursive: true })) {
      if (!e.isFile()) continue;
      const rel = relative(dir, join(e.parentPath, e.name));
      if (keep.has(rel)) continue;
      unlinkSync(join(dir, rel));
      removed++;
    }
  }
  return removed;
}
