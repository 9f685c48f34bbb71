import { copyFileSync, chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type Sqlite from 'better-sqlite3-multiple-ciphers';
import type { Config } from '../config.js';
import type { BlobRef } from '../blobs/blob-store.js';
import { BLOB_DIR, createContext, DB_FILE, RESTORE_MARKER, type Context } from '../context.js';
import { processAlive } from '../file-system.js';
import { seal } from '../crypto/aead.js';
import { KEYRING_FILE, loadKeyring, writeFileAtomic } from '../crypto/keyring.js';
import type { SqliteHandle } from '../db/connection.js';
import { localDay } from '../domain/time-zone.js';
import { fatalError, usageError } from '../errors.js';
import { eventAt } from '../repositories/audit.js';
import { fillPersonNameKeys } from '../repositories/directory.js';
import { RESTORED_PAUSE_KEY, writeMeta } from '../repositories/meta.js';
import { appendAudit, verifyAuditLog } from '../services/audit.js';
import { rebuildIndex } from '../services/reindex.js';
import { blobPath, restoreBlobCopy } from './blob-copies.js';
import { parseBucket } from './buckets.js';
import { ioPool, isInside, sha256Hex } from './files.js';
import { disposalDigest, digestSet } from './disposal-digests.js';
import { recomputeExternalSince } from '../repositories/external-since.js';
import { readKeyStoreBackup, readKeyStoreDisposals } from './key-store.js';
import { blobEntrySchema, MANIFEST_FILE, readIndex, readManifest, segmentEntrySchema, type BlobEntry, type SegmentEntry } from './manifest.js';
import {
  attachmentLine, blobDigestLine, decodeSegment, messageLine, parseBucket as parseBucketContent, recordsDigester, SegmentError, segmentKeys,
  type BucketColumns, type Cell, type Row,
} from './segment-format.js';

/**
 * `wekeep restore --from DIR --keys FILE`: rebuilds a data dir from a backup and a key store
 * backup (plus the master key, as always), into an EMPTY directory, and verifies the result.
 *
 * A segment whose bucket key is on the key store's destroyed list is NOT readable: its records were
 * disposed after the backup was made, and they stay gone ("N buckets unreadable: disposed").
 */

export interface RestoreOptions {
  from: string;
  keysFile: string;
  /** The target: config.dataDir must be empty or missing (a master.key file may already be there). */
  config: Config;
  onProgress?: ((done: number, total: number) => void) | undefined;
}

/** The tombstone reason of a record the key store lists as disposed of after the restored backup. */
export const DISPOSED_SINCE_BACKUP = 'disposed-after-backup';

export interface RestoreReport {
  ok: boolean;
  backupId: string;
  snapshotAt: number;
  dataDir: string;
  audit: { ok: boolean; size: number; rootHash: string; matchesBackup: boolean; problems: number };
  buckets: { total: number; restored: number; unreadableDisposed: number; unreadableMissingKey: number; damaged: number };
  /**
   * `skippedDisposedSince`: records disposed of after this backup whose bucket key lives on (the key
   * store lists them, ADR 0011): left out, by design. `skippedTombstoned`: records the backup itself
   * shows as disposed (a tombstone in its database copy): left out, and a problem.
   */
  records: { restored: number; skippedTombstoned: number; skippedDisposedSince: number; digestsVerified: number; digestMismatches: number };
  blobs: { restored: number; missing: number; damaged: number; verified: number };
  attachmentsWithoutBlob: number;
  /** Restored records that have a tombstone (disposed before the backup): must be 0. */
  restoredWithTombstone: number;
  /** Names on the key store's destroyed list. */
  destroyedKeys: number;
  /** Disposed records the key store backup listed by digest: kept in this store, so imports skip them. */
  disposalDigests: number;
  indexed: number;
  problems: string[];
  /**
   * What the operator must know though the restore is sound: when the key store file carries no
   * disposal digests (a plain keyring.json, or a key store backup of an older version), records of
   * buckets whose key was destroyed after this backup are gone for good but unknown to this store, so
   * re-importing an input file older than their disposal would archive them again.
   */
  warnings: string[];
  /**
   * Always true: holds, policies and privacy requests are as of the snapshot, so scheduled
   * disposition (and the hourly erasure follow-ups) wait until a disposition is run by hand
   * (`retentionStatus().pausedAfterRestore`).
   */
  dispositionPaused: true;
}

const MAX_PROBLEMS = 100;
/** Attachment files restored or verified at once. */
const IO_CONCURRENCY = 16;
const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const dekAad = (id: string, bucket: string): string => `wekeep-blob-dek|v1|${id}|${bucket}`;

export async function restoreBackup(options: RestoreOptions): Promise<RestoreReport> {
  const from = resolve(options.from);
  const dataDir = resolve(options.config.dataDir);
  if (!existsSync(join(from, MANIFEST_FILE))) throw fatalError('backup.not_found', `no WeKeep backup in ${from} (${MANIFEST_FILE} is missing)`);
  if (isInside(dataDir, from) || isInside(from, dataDir)) throw usageError('restore.bad_target', 'restore into a data dir outside the backup directory');
  const existed = existsSync(dataDir);
  const marker = join(dataDir, RESTORE_MARKER);
  if (existed && existsSync(marker)) {
    // An earlier restore into this dir was killed: what it left is no store, so it starts over.
    const pid = Number((/^pid (\d+)/u.exec(readFileSync(marker, 'utf8')) ?? [])[1]);
    if (pid > 0 && pid !== process.pid && processAlive(pid)) throw fatalError('restore.running', `a restore into ${dataDir} is running (pid ${pid})`);
    for (const name of readdirSync(dataDir)) if (name !== 'master.key' && name !== RESTORE_MARKER) rmSync(join(dataDir, name), { recursive: true, force: true });
  }
  const before = existed ? readdirSync(dataDir).filter((n) => n !== RESTORE_MARKER) : [];
  if (before.some((n) => n !== 'master.key')) throw fatalError('restore.dir_not_empty', `${dataDir} is not empty: restore only into an empty or new directory; nothing was changed`);
  const keyringJson = readKeyStoreBackup(options.keysFile);
  const disposals = readKeyStoreDisposals(options.keysFile);

  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  let ctx: Context | undefined;
  try {
    // First and last: until it is removed, nothing opens this dir as a store (context.ts createContext).
    writeFileAtomic(marker, `pid ${process.pid} started ${new Date().toISOString()} from ${from}\n`, 0o600);
    writeFileAtomic(join(dataDir, KEYRING_FILE), keyringJson, 0o600);
    const keys = loadKeyring(dataDir, options.config);
    const manifest = readManifest(from, keys.auditPublicKey)!;
    if (!manifest.signatureValid) {
      throw fatalError('backup.manifest_invalid', `the manifest of ${from} is not signed by this key store's audit key: the backup was altered, or belongs to another store`);
    }
    const body = manifest.body;
    const dbBytes = readFileSync(join(from, body.db.file));
    if (dbBytes.length !== body.db.size || sha256Hex(dbBytes) !== body.db.sha256) throw fatalError('backup.damaged', `the backup is damaged: ${body.db.file} does not match the manifest`);
    const segments = readIndex(from, body.segments, segmentEntrySchema);
    const blobIndex = new Map(readIndex(from, body.blobs, blobEntrySchema).map((b) => [b.id, b]));
    copyFileSync(join(from, body.db.file), join(dataDir, DB_FILE));
    chmodSync(join(dataDir, DB_FILE), 0o600);

    ctx = await createContext(options.config, { restoring: true });
    const report = await restoreInto(ctx, from, body.backupId, body.snapshotAt, body.audit, segments, blobIndex, disposals, options.onProgress);
    await ctx.close();
    ctx = undefined;
    rmSync(marker);
    return report;
  } catch (e) {
    await ctx?.close().catch(() => undefined);
    // Leave the target as it was: nothing half-restored that could be mistaken for a store.
    if (!existed) rmSync(dataDir, { recursive: true, force: true });
    else for (const name of readdirSync(dataDir)) if (!before.includes(name)) rmSync(join(dataDir, name), { recursive: true, force: true }); // the marker too
    throw e;
  }
}

interface RestoredSegment {
  entry: SegmentEntry;
  columns: BucketColumns;
  blobIds: string[];
  mac: Buffer;
  skipped: number;
}

async function restoreInto(
  ctx: Context, from: string, backupId: string, snapshotAt: number, manifestAudit: { size: number; rootHash: string; startedSeq: number },
  segments: SegmentEntry[], blobIndex: Map<string, BlobEntry>, disposals: Buffer, onProgress?: (done: number, total: number) => void,
): Promise<RestoreReport> {
  const problems: string[] = [];
  const problem = (p: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };
  const h = ctx.sqlite;

  // 1. The audit log of the snapshot, before anything is appended to it.
  const audit = await verifyAuditLog(ctx);
  const started = manifestAudit.startedSeq < manifestAudit.size ? await eventAt(ctx.db, manifestAudit.startedSeq) : undefined;
  const matchesBackup = audit.size === manifestAudit.size && audit.rootHash === manifestAudit.rootHash && started?.action === 'backup.started' && started.subject === `backup:${backupId}`;
  if (!audit.ok) problem(`the audit log does not verify (${audit.problemCount} problem(s))`);
  if (!matchesBackup) problem("the restored audit log is not the one the backup's manifest names");

  // 2. The records, bucket by bucket, oldest segment first (a person's newest copy wins).
  const tableCols = (table: string): Set<string> => new Set((h.prepare(`PRAGMA main.table_info(${q(table)})`).all() as { name: string }[]).map((c) => c.name));
  const target = { conversations: tableCols('conversations'), persons: tableCols('persons'), messages: tableCols('messages'), attachments: tableCols('attachments'), blobs: tableCols('blobs') };
  const stmts = new Map<string, Sqlite.Statement<unknown[]>>();
  const inserter = (verb: string, table: keyof BucketColumns, columns: readonly string[]): ((row: Row) => void) => {
    const keep = columns.map((c, i) => [c, i] as const).filter(([c]) => target[table].has(c));
    const sqlText = `${verb} INTO main.${q(table)} (${keep.map(([c]) => q(c)).join(', ')}) VALUES (${keep.map(() => '?').join(', ')})`;
    let st = stmts.get(sqlText);
    if (!st) {
      st = h.prepare<unknown[]>(sqlText);
      stmts.set(sqlText, st);
    }
    const prepared = st;
    return (row) => {
      prepared.run(...keep.map(([, i]) => row[i] as Cell));
    };
  };
  const tombstoned = h.prepare('SELECT 1 FROM main.tombstones WHERE source_id = ? AND ext_id = ?').pluck();
  // A record disposed of after this backup (the key store lists it) gets its tombstone back, so that
  // re-importing its source does not archive it again. What the backup does not know — the policy, the
  // run, the moment — stays empty; `disposed_at` is the restore's time, `reason` says so.
  const restoreTombstone = h.prepare('INSERT OR IGNORE INTO main.tombstones (message_key, source_id, ext_id, record_hash, attachment_hashes, time_ms, policy_id, run_id, reason, disposed_at) VALUES (?, ?, ?, ?, NULL, ?, NULL, NULL, ?, ?)');
  const restoredAt = ctx.clock.now();
  // The live store's disposals by digest (the key store backup's `disposals`): kept in this store for
  // its imports, and used to leave out any record of a readable segment that was disposed of since.
  const disposed = digestSet(disposals);
  const sourceNames = new Map((h.prepare('SELECT id, name FROM main.sources').all() as { id: number; name: string }[]).map((r) => [Number(r.id), r.name]));
  const disposedByDigest = (sourceId: Cell | undefined, extId: Cell | undefined): boolean => {
    if (disposed.size === 0) return false;
    const name = sourceNames.get(Number(sourceId));
    return name !== undefined && disposed.has(disposalDigest(ctx.keys.dedupKey, name, String(extId)).toString('hex'));
  };

  const report: RestoreReport = {
    ok: false, backupId, snapshotAt, dataDir: ctx.config.dataDir,
    audit: { ok: audit.ok, size: audit.size, rootHash: audit.rootHash, matchesBackup, problems: audit.problemCount },
    buckets: { total: segments.length, restored: 0, unreadableDisposed: 0, unreadableMissingKey: 0, damaged: 0 },
    records: { restored: 0, skippedTombstoned: 0, skippedDisposedSince: 0, digestsVerified: 0, digestMismatches: 0 },
    blobs: { restored: 0, missing: 0, damaged: 0, verified: 0 },
    attachmentsWithoutBlob: 0, restoredWithTombstone: 0, destroyedKeys: ctx.keys.namesOnDisk().destroyed.size, disposalDigests: 0, indexed: 0, problems, warnings: [], dispositionPaused: true,
  };
  const blobs = new Map<string, { columns: string[]; row: Row; dek: Buffer }>();
  const restored: RestoredSegment[] = [];
  const ordered = [...segments].sort((a, b) => a.writtenAt - b.writtenAt || (a.bucket < b.bucket ? -1 : 1));
  // One transaction for all the records: all or nothing, and one commit instead of thousands.
  h.exec('BEGIN');
  try {
    const keepDigest = h.prepare('INSERT OR IGNORE INTO main.disposal_digests (digest) VALUES (?)');
    for (const d of disposed) keepDigest.run(Buffer.from(d, 'hex'));
    for (const [n, e] of ordered.entries()) {
      onProgress?.(n, ordered.length);
      const key = ctx.keys.namedKey(e.keyName);
      if (!key) {
        if (ctx.keys.isDestroyed(e.keyName)) report.buckets.unreadableDisposed++;
        else {
          report.buckets.unreadableMissingKey++;
          problem(`bucket ${e.bucket}: its key ${e.keyName} is not in the key store (a key store backup older than the data backup?)`);
        }
        continue;
      }
      const sub = segmentKeys(key);
      let content;
      try {
        const path = join(from, e.file);
        if (!existsSync(path)) throw new SegmentError('the file is missing');
        const file = readFileSync(path);
        if (file.length !== e.size || sha256Hex(file) !== e.sha256) throw new SegmentError('the file does not match its SHA-256 in the manifest');
        const { header, plain } = decodeSegment(sub.enc, file);
        if (header.bucket !== e.bucket || header.generation !== e.generation || header.keyName !== e.keyName) throw new SegmentError('the header names another bucket');
        content = parseBucketContent(plain);
      } catch (err) {
        if (!(err instanceof SegmentError) && !(err instanceof SyntaxError)) throw err;
        report.buckets.damaged++;
        problem(`bucket ${e.bucket}: segment ${e.file} is damaged: ${err.message}`);
        continue;
      }
      const c = content.columns;
      const iSource = c.messages.indexOf('source_id');
      const iExt = c.messages.indexOf('ext_id');
      const iKey = c.messages.indexOf('id');
      const iAttMsg = c.attachments.indexOf('message_id');
      const iAttBlob = c.attachments.indexOf('blob_id');
      const iHash = c.messages.indexOf('record_hash');
      const iTime = c.messages.indexOf('time_ms');
      const iBlobId = c.blobs.indexOf('id');
      // Disposed of after this backup while the bucket's key had to live on: the key store lists them.
      const disposedSince = ctx.keys.disposedRecordsOf(e.keyName);
      let skipped = 0;
      let disposedSkipped = 0;
      const conv = inserter('INSERT OR REPLACE', 'conversations', c.conversations);
      for (const r of content.conversations) conv(r);
      const person = inserter('INSERT OR REPLACE', 'persons', c.persons);
      for (const r of content.persons) person(r);
      const message = inserter('INSERT', 'messages', c.messages);
      const dropped = new Set<Cell>();
      for (const r of content.messages) {
        if (disposedSince.has(Number(r[iKey])) || disposedByDigest(r[iSource], r[iExt])) {
          dropped.add(r[iKey] ?? null);
          disposedSkipped++;
          restoreTombstone.run(r[iKey], r[iSource], r[iExt], r[iHash], r[iTime], DISPOSED_SINCE_BACKUP, restoredAt);
          continue;
        }
        if (tombstoned.get(r[iSource], r[iExt]) !== undefined) {
          dropped.add(r[iKey] ?? null);
          skipped++;
          continue;
        }
        message(r);
      }
      const attachment = inserter('INSERT', 'attachments', c.attachments);
      const keptBlobs = new Set<string>();
      for (const r of content.attachments) {
        if (dropped.has(r[iAttMsg] ?? null)) continue;
        attachment(r);
        keptBlobs.add(r[iAttBlob] as string);
      }
      // A blob only a left-out record referenced is left out too (its data key travels in this segment only for it).
      for (const b of content.blobs) if (dropped.size === 0 || keptBlobs.has(b.row[iBlobId] as string)) blobs.set(b.row[iBlobId] as string, { columns: c.blobs, row: b.row, dek: b.dek });
      report.buckets.restored++;
      report.records.restored += content.messages.length - skipped - disposedSkipped;
      report.records.skippedTombstoned += skipped;
      report.records.skippedDisposedSince += disposedSkipped;
      if (skipped > 0) problem(`bucket ${e.bucket}: ${skipped} record(s) with a tombstone were left out`);
      // The segment's SHA-256 was checked against the signed manifest; its digest covers every record, so it is not recomputed when some were left out.
      restored.push({ entry: e, columns: c, blobIds: content.blobs.map((b) => b.row[iBlobId] as string), mac: sub.mac, skipped: skipped + disposedSkipped });
    }
    h.exec('COMMIT');
  } catch (e) {
    if (h.inTransaction) h.exec('ROLLBACK');
    throw e;
  }
  onProgress?.(ordered.length, ordered.length);

  // 3. Blobs: the backup copy, its data key wrapped anew under this store's bucket key (files in parallel, rows in one transaction).
  const liveBlobs = join(ctx.config.dataDir, BLOB_DIR);
  const rows: Row[] = [];
  const restoredBlobs: BlobRef[] = [];
  const io = ioPool(IO_CONCURRENCY);
  let blobColumns: string[] | undefined;
  for (const [id, b] of blobs) {
    const bucket = b.row[b.columns.indexOf('bucket')] as string;
    if (!ctx.keys.hasBucket(bucket)) {
      report.blobs.missing++;
      problem(`blob ${id.slice(0, 16)}…: the store's key of bucket "${bucket}" is gone`);
      continue;
    }
    const wrapped = seal(ctx.keys.bucketKey(bucket), b.dek, dekAad(id, bucket));
    // The row is restored in every case: a missing file then reads as `blob.missing`, not as no attachment.
    blobColumns ??= b.columns;
    rows.push(blobColumns === b.columns ? [...b.row, wrapped, 0] : blobColumns.map((c) => b.row[b.columns.indexOf(c)] ?? null).concat([wrapped, 0]));
    const entry = blobIndex.get(id);
    await io.run(async () => {
      const outcome = entry ? await restoreBlobCopy(blobPath(join(from, 'blobs'), id), blobPath(liveBlobs, id), entry, bucket, wrapped) : ({ state: 'missing' } as const);
      if (outcome.state === 'missing') {
        report.blobs.missing++;
        problem(`blob ${id.slice(0, 16)}…: not in the backup`);
      } else if (outcome.state === 'damaged') {
        report.blobs.damaged++;
        problem(`blob ${id.slice(0, 16)}…: the backup copy is damaged (${outcome.reason})`);
      } else {
        report.blobs.restored++;
        const col = (name: string): Cell => b.row[b.columns.indexOf(name)] ?? null;
        restoredBlobs.push({ id, sha256: col('sha256') as string, size: Number(col('size')), compression: col('compression') as BlobRef['compression'], bucket, wrappedDek: wrapped });
      }
    });
  }
  await io.drain();
  if (blobColumns) {
    const insertBlob = inserter('INSERT OR REPLACE', 'blobs', [...blobColumns, 'wrapped_dek', 'ref_count']);
    h.transaction(() => {
      for (const r of rows) insertBlob(r);
      h.exec('UPDATE main.blobs SET ref_count = (SELECT count(*) FROM main.attachments a WHERE a.blob_id = blobs.id)');
    })();
  }
  report.attachmentsWithoutBlob = Number(h.prepare('SELECT count(*) FROM main.attachments a WHERE NOT EXISTS (SELECT 1 FROM main.blobs b WHERE b.id = a.blob_id)').pluck().get());

  // 4. What is derived from the records: memberships, usage rollups, source counts, the search index.
  rebuildDerived(h, ctx.config.timeZone);
  await fillPersonNameKeys(ctx.db); // backups made before migration 0022 carry no name_key
  report.indexed = (await rebuildIndex(ctx)).messages;

  // 5. Verification.
  const digestStatements = new Map<string, Sqlite.Statement<unknown[]>>();
  for (const s of restored) {
    if (s.skipped > 0) continue;
    const digest = recordsDigestOf(h, s, digestStatements);
    if (digest === s.entry.recordsDigest) report.records.digestsVerified++;
    else {
      report.records.digestMismatches++;
      problem(`bucket ${s.entry.bucket}: the restored records differ from the backed-up ones`);
    }
  }
  const verify = ioPool(IO_CONCURRENCY);
  for (const ref of restoredBlobs) {
    await verify.run(async () => {
      try {
        for await (const piece of ctx.blobs.read(ref)) void piece;
        report.blobs.verified++;
      } catch {
        report.blobs.damaged++;
        problem(`blob ${ref.id.slice(0, 16)}…: does not read back (content or key mismatch)`);
      }
    });
  }
  await verify.drain();
  report.restoredWithTombstone = Number(h.prepare('SELECT count(*) FROM main.messages m JOIN main.tombstones t ON t.source_id = m.source_id AND t.ext_id = m.ext_id').pluck().get());
  if (report.restoredWithTombstone > 0) problem(`${report.restoredWithTombstone} restored record(s) have a tombstone`);

  report.disposalDigests = disposed.size;
  if (report.buckets.unreadableDisposed > 0 && disposed.size === 0) {
    report.warnings.push(`${report.buckets.unreadableDisposed} bucket(s) of this backup were disposed of after it (their keys are destroyed): those records stay gone, but the key store file lists no disposals (not made by \`wekeep keys backup\`, or by an older version), so this store does not know them and re-importing an input file that holds them would archive them again. Restore with a key store backup made by \`wekeep keys backup\`, re-import only input newer than the snapshot (${new Date(snapshotAt).toISOString()}), or restore the newest backup.`);
  }
  report.ok =
    audit.ok && matchesBackup && report.buckets.unreadableMissingKey === 0 && report.buckets.damaged === 0 && report.records.digestMismatches === 0 && report.records.skippedTombstoned === 0 &&
    report.blobs.missing === 0 && report.blobs.damaged === 0 && report.attachmentsWithoutBlob === 0 && report.restoredWithTombstone === 0;
  await writeMeta(ctx.db, RESTORED_PAUSE_KEY, JSON.stringify({ backupId, snapshotAt, restoredAt: ctx.clock.now() }));
  await appendAudit(ctx, ctx.db, {
    action: 'backup.restored',
    subject: `backup:${backupId}`,
    details: {
      ok: report.ok, buckets: report.buckets, records: report.records.restored, skippedTombstoned: report.records.skippedTombstoned, skippedDisposedSince: report.records.skippedDisposedSince,
      blobs: report.blobs, snapshotAt, dispositionPaused: true,
    },
  });
  return report;
}

/** Recomputes a restored bucket's records digest from the database, with the segment's columns. */
function recordsDigestOf(h: SqliteHandle, s: RestoredSegment, cache: Map<string, Sqlite.Statement<unknown[]>>): string {
  const p = parseBucket(s.entry.bucket);
  const d = recordsDigester(s.mac);
  const list = (cs: readonly string[], alias?: string): string => cs.map((c) => (alias ? `${alias}.${q(c)}` : q(c))).join(', ');
  const prepared = (text: string): Sqlite.Statement<unknown[]> => {
    let st = cache.get(text);
    if (!st) {
      st = h.prepare<unknown[]>(text).raw(true);
      cache.set(text, st);
    }
    return st;
  };
  const range = [p.conversationRowId, p.sourceId, p.firstKey, p.lastKey];
  for (const r of prepared(`SELECT ${list(s.columns.messages)} FROM main.messages WHERE conversation_id = ? AND source_id = ? AND id >= ? AND id <= ? ORDER BY id`).all(...range) as Row[]) d.add(messageLine(r));
  const atts = prepared(`SELECT ${list(s.columns.attachments, 'a')} FROM main.attachments a JOIN main.messages m ON m.id = a.message_id
                         WHERE m.conversation_id = ? AND m.source_id = ? AND m.id >= ? AND m.id <= ? ORDER BY a.message_id, a.ordinal`);
  for (const r of atts.all(...range) as Row[]) d.add(attachmentLine(r));
  if (s.blobIds.length > 0) {
    for (const r of prepared(`SELECT ${list(s.columns.blobs)} FROM main.blobs WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`).all(JSON.stringify(s.blobIds)) as Row[]) d.add(blobDigestLine(r));
  }
  return d.digest();
}

/** Conversation memberships, usage rollups and source record counts, from the restored records. */
function rebuildDerived(h: SqliteHandle, timeZone: string): void {
  h.function('wekeep_local_day', { deterministic: true }, (t: unknown) => localDay(timeZone, Number(t)));
  h.transaction(() => {
    h.exec('DELETE FROM main.conversation_members');
    h.exec('INSERT OR IGNORE INTO main.conversation_members (conversation_id, person_id) SELECT DISTINCT conversation_id, from_person_id FROM main.messages');
    h.exec(`INSERT OR IGNORE INTO main.conversation_members (conversation_id, person_id)
            SELECT DISTINCT m.conversation_id, j.value FROM main.messages m, json_each(m.to_person_ids) j WHERE m.to_person_ids IS NOT NULL`);
    recomputeExternalSince(h);
    const perMessage = `
      SELECT m.id, m.source_id, m.type, m.from_person_id, m.conversation_id, wekeep_local_day(m.time_ms) AS day,
             coalesce(length(CAST(m.text AS BLOB)), 0) + coalesce(length(CAST(m.raw AS BLOB)), 0) AS text_bytes,
             (SELECT count(*) FROM main.attachments a WHERE a.message_id = m.id) AS atts,
             (SELECT coalesce(sum(b.size), 0) FROM main.attachments a JOIN main.blobs b ON b.id = a.blob_id WHERE a.message_id = m.id) AS att_bytes
      FROM main.messages m`;
    h.exec('DELETE FROM main.usage_daily');
    h.exec('DELETE FROM main.usage_person');
    h.exec('DELETE FROM main.usage_conversation');
    h.exec(`INSERT INTO main.usage_daily (day, source_id, type, messages, text_bytes, attachments, attachment_bytes)
            SELECT day, source_id, type, count(*), sum(text_bytes), sum(atts), sum(att_bytes) FROM (${perMessage}) GROUP BY day, source_id, type`);
    h.exec(`INSERT INTO main.usage_person (person_id, messages, text_bytes, attachments, attachment_bytes)
            SELECT from_person_id, count(*), sum(text_bytes), sum(atts), sum(att_bytes) FROM (${perMessage}) GROUP BY from_person_id`);
    h.exec(`INSERT INTO main.usage_conversation (conversation_id, messages, text_bytes, attachments, attachment_bytes)
            SELECT conversation_id, count(*), sum(text_bytes), sum(atts), sum(att_bytes) FROM (${perMessage}) GROUP BY conversation_id`);
    h.exec('UPDATE main.sources SET record_count = (SELECT count(*) FROM main.messages m WHERE m.source_id = sources.id)');
  })();
}
