import { cpSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKeyring } from '../src/crypto/keyring.js';
import { openSqlite } from '../src/db/connection.js';
import { verifyAuditLog } from '../src/services/audit.js';
import type { BackupSummary } from '../src/backup/backup.js';
import type { RestoreReport } from '../src/backup/restore.js';
import { allRefs, attachmentBytes, ATTACHMENT_CANARY, filesBelow, openStore, plaintextLeaks, SECRET_NAME, SECRET_PHRASE, smallArchive, viewOf } from './support/backup-fixture.js';
import { runCli, runCliJson, tempDir } from './support/cli.js';
import { toNdjson } from './support/records.js';

// Backup → restore through the real CLI on real data dirs: equality of what a reader sees, no
// plaintext in the backup, incremental runs, refusal of a non-empty target, tamper detection, and
// keeping the key store apart.

const SLOW = 240_000; // several CLI processes on a loaded 2-core machine
const QUERIES = ['合同', 'invoice', 'from:zhangsan', 'is:recalled', 'has:attachment', '发票', 'in:room-hr'];

describe('wekeep backup / restore', () => {
  const tmp = tempDir('backup');
  const data = join(tmp.path, 'data');
  const backupDir = join(tmp.path, 'media', 'backup');
  const keysFile = join(tmp.path, 'keys-medium', 'keys.json');
  const keyFile = join(data, 'master.key');
  const cli = (args: string[]) => runCli(['--data', data, ...args]);
  const json = <T>(args: string[], expectStatus = 0) => runCliJson<T>(['--data', data, ...args], { expectStatus });
  const restore = (target: string, from = backupDir, expectStatus = 0) =>
    runCliJson<RestoreReport>(['--data', target, '--key-file', keyFile, 'restore', '--from', from, '--keys', keysFile], { expectStatus });
  let first: BackupSummary;

  beforeAll(() => {
    expect(cli(['init']).status).toBe(0);
    writeFileSync(join(tmp.path, 'a.ndjson'), toNdjson(smallArchive()));
    json(['import', join(tmp.path, 'a.ndjson')]);
  }, SLOW);
  afterAll(() => tmp.cleanup());

  it('writes a backup without plaintext and without content in its database copy', async () => {
    first = json<BackupSummary>(['backup', '--out', backupDir]);
    expect(first.buckets).toEqual({ total: 5, written: 5, unchanged: 0, skippedDisposed: 0 });
    expect(first.records).toBe(10);
    expect(first.blobs).toMatchObject({ total: 2, copied: 2, missing: 0 });
    expect(first.newKeys).toBe(5);
    expect(first.previousBackupId).toBeNull();

    expect(plaintextLeaks(backupDir, [SECRET_PHRASE, SECRET_NAME, '销售部项目群', ATTACHMENT_CANARY])).toEqual([]);
    const names = filesBelow(backupDir).map((f) => f.slice(backupDir.length + 1)).sort();
    expect(names.filter((n) => n.startsWith('records/'))).toHaveLength(5);
    expect(names.filter((n) => n.startsWith('blobs/'))).toHaveLength(2);
    expect(names).toContain('manifest.json');

    // The database copy (a copy of it: opening writes) holds the store minus the records.
    const dbFile = names.find((n) => n.startsWith('db/'))!;
    const probe = join(tmp.path, 'probe.db');
    copyFileSync(join(backupDir, dbFile), probe);
    const keys = loadKeyring(data, { keyFile });
    const h = openSqlite(probe, keys.dbKey, keys.dbCipher, { create: false });
    try {
      const count = (t: string): number => Number(h.prepare(`SELECT count(*) FROM ${t}`).pluck().get());
      for (const t of ['messages', 'attachments', 'blobs', 'conversations', 'persons', 'usage_daily', 'conversation_members', 'sessions']) expect(count(t), t).toBe(0);
      expect(count('audit_events')).toBeGreaterThan(0);
      expect(count('sources')).toBe(1);
      expect(h.prepare("SELECT action FROM audit_events ORDER BY seq DESC LIMIT 1").pluck().get()).toBe('backup.started');
    } finally {
      h.close();
    }
  }, SLOW);

  it('restores, with a key store backup, a store that reads the same and verifies', async () => {
    const k = json<{ file: string; backupBucketKeys: number }>(['keys', 'backup', '--out', keysFile]);
    expect(k.backupBucketKeys).toBe(5);
    const target = join(tmp.path, 'restored');
    const r = restore(target);
    expect(r.ok, JSON.stringify(r.problems)).toBe(true);
    expect(r.buckets).toEqual({ total: 5, restored: 5, unreadableDisposed: 0, unreadableMissingKey: 0, damaged: 0 });
    expect(r.records).toMatchObject({ restored: 10, skippedTombstoned: 0, digestsVerified: 5, digestMismatches: 0 });
    expect(r.blobs).toEqual({ restored: 2, missing: 0, damaged: 0, verified: 2 });
    expect(r.audit).toMatchObject({ ok: true, matchesBackup: true });
    expect(r.indexed).toBe(10);

    const live = await openStore(data);
    const back = await openStore(target, keyFile);
    try {
      const refs = await allRefs(live);
      expect(await allRefs(back)).toEqual(refs);
      expect(await viewOf(back, QUERIES, refs)).toEqual(await viewOf(live, QUERIES, refs));
      const bytes = await attachmentBytes(back);
      expect(bytes).toEqual(await attachmentBytes(live));
      expect(bytes.get('bk/s2#0')!.equals(ATTACHMENT_CANARY)).toBe(true);
      expect((await verifyAuditLog(back)).ok).toBe(true);
      // Derived tables were rebuilt from the records.
      const n = async (ctx: typeof live, t: 'usage_daily' | 'usage_person' | 'conversation_members'): Promise<unknown[]> => ctx.db.selectFrom(t).selectAll().execute();
      for (const t of ['usage_daily', 'usage_person', 'conversation_members'] as const) expect(sortRows(await n(back, t)), t).toEqual(sortRows(await n(live, t)));
      // The full-text index's settings (deletemerge 0, migration 0017) come back too.
      const ftsConfig = (ctx: typeof live): unknown[] => ctx.sqlite.prepare('SELECT k, v FROM message_fts_config ORDER BY k').all();
      expect(ftsConfig(back)).toEqual(ftsConfig(live));
      expect(ftsConfig(back)).toContainEqual({ k: 'deletemerge', v: 0 });
    } finally {
      await live.close();
      await back.close();
    }
    expect(runCli(['--data', target, '--key-file', keyFile, 'audit', 'verify']).status).toBe(0);

    // Holds, policies and privacy requests are as of the snapshot: scheduled disposition waits for a person.
    expect(r.dispositionPaused).toBe(true);
    const at = (args: string[], expectStatus = 0) => runCliJson<Record<string, unknown>>(['--data', target, '--key-file', keyFile, ...args], { expectStatus });
    const paused = at(['retention', 'status']) as { pausedAfterRestore: { backupId: string; snapshotAt: string } | null; alert: string | null };
    expect(paused.pausedAfterRestore).toMatchObject({ backupId: r.backupId, snapshotAt: new Date(r.snapshotAt).toISOString() });
    expect(paused.alert).toMatch(/restored from backup .*scheduled disposition waits/);
    const scheduled = runCli(['--data', target, '--key-file', keyFile, 'retention', 'run', '--trigger', 'schedule', '--json']);
    expect(scheduled.status).toBe(1);
    expect(JSON.parse(scheduled.stdout)).toMatchObject({ error: { code: 'retention.paused_after_restore' } });
    expect(at(['retention', 'run'])).toMatchObject({ status: 'completed' });
    expect(at(['retention', 'status'])).toMatchObject({ pausedAfterRestore: null, alert: null });
    expect(runCliJson<{ details: unknown }[]>(['--data', target, '--key-file', keyFile, 'audit', 'list', '--action', 'retention.schedule_resumed']).map((e) => e.details))
      .toEqual([{ backupId: r.backupId, snapshotAt: r.snapshotAt, trigger: 'cli' }]);
  }, SLOW);

  it('a restore that did not finish leaves no store that opens; the same restore again starts over', () => {
    const target = join(tmp.path, 'restored-killed');
    // What kill -9 in the middle leaves: the database, some files, and the marker of the running restore (of a dead process).
    mkdirSync(target, { recursive: true });
    expect(restore(target).ok).toBe(true);
    writeFileSync(join(target, 'restore-in-progress'), 'pid 999999999 started 2026-11-25T00:00:00.000Z\n');
    const opened = runCli(['--data', target, '--key-file', keyFile, 'stats', '--json']);
    expect(opened.status).toBe(1);
    expect(JSON.parse(opened.stdout)).toMatchObject({ error: { code: 'store.restore_incomplete' } });
    const again = restore(target);
    expect(again.ok).toBe(true);
    expect(again.records.restored).toBe(10);
    expect(runCli(['--data', target, '--key-file', keyFile, 'audit', 'verify']).status).toBe(0);
    // A plain non-empty dir is still refused.
    expect(runCli(['--data', target, '--key-file', keyFile, 'restore', '--from', backupDir, '--keys', keysFile]).status).toBe(1);
  }, SLOW);

  it('backs up incrementally: only changed buckets are rewritten and only new attachments copied', () => {
    const more = [
      // a new record with a new attachment in the sales/February bucket
      { source: 'bk', id: 's6', time: '2026-02-20T01:00:00+00:00', conversation: { id: 'room-sales', type: 'group', title: '销售部项目群' }, from: { id: 'lisi', name: '李四' }, type: 'file', attachments: [{ name: 'new.pdf', data: Buffer.from('%PDF-1.4 new file').toString('base64') }] },
      // a recall of h1: changes a record of the hr/January bucket
      { source: 'bk', id: 'h9', time: '2026-03-01T01:00:00+00:00', conversation: { id: 'room-hr', type: 'group', title: '人事部' }, from: { id: 'wangwu', name: '王五' }, type: 'recall', recalls: 'h1' },
    ];
    writeFileSync(join(tmp.path, 'b.ndjson'), toNdjson(more));
    json(['import', join(tmp.path, 'b.ndjson')]);
    const second = json<BackupSummary>(['backup', '--out', backupDir]);
    expect(second.previousBackupId).toBe(first.backupId);
    // hr/2026-03 is new; sales/2026-02 and hr/2026-01 changed; 3 buckets unchanged
    expect(second.buckets).toEqual({ total: 6, written: 3, unchanged: 3, skippedDisposed: 0 });
    expect(second.blobs).toMatchObject({ total: 3, copied: 1, unchanged: 2 });
    expect(second.newKeys).toBe(1);
    // the replaced segments, the old database copy and the old index files
    expect(second.filesRemoved).toBe(2 + 1 + 2);

    const third = json<BackupSummary>(['backup', '--out', backupDir]);
    expect(third.buckets).toMatchObject({ written: 0, unchanged: 6 });
    expect(third.blobs).toMatchObject({ copied: 0, unchanged: 3 });
    expect(filesBelow(join(backupDir, 'records'))).toHaveLength(6);
  }, SLOW);

  it('refuses a non-empty target and detects a tampered segment or manifest', () => {
    const busy = join(tmp.path, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'notes.txt'), 'x');
    const r = runCli(['--data', busy, '--key-file', keyFile, 'restore', '--from', backupDir, '--keys', keysFile]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/is not empty/);
    expect(readFileSync(join(busy, 'notes.txt'), 'utf8')).toBe('x');

    // The key store backup predates the last two backups: re-take it.
    json(['keys', 'backup', '--out', keysFile, '--force']);
    const tampered = join(tmp.path, 'tampered');
    cpSync(backupDir, tampered, { recursive: true });
    const seg = filesBelow(join(tampered, 'records'))[0]!;
    const bytes = readFileSync(seg);
    bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0x40;
    writeFileSync(seg, bytes);
    const t = restore(join(tmp.path, 'from-tampered'), tampered, 3);
    expect(t.ok).toBe(false);
    expect(t.buckets.damaged).toBe(1);
    expect(t.problems.join('\n')).toMatch(/damaged/);

    const forged = join(tmp.path, 'forged');
    cpSync(backupDir, forged, { recursive: true });
    writeFileSync(join(forged, 'manifest.json'), readFileSync(join(forged, 'manifest.json'), 'utf8').replace(/"records":\d+/, '"records":1'));
    const f = runCli(['--data', join(tmp.path, 'from-forged'), '--key-file', keyFile, 'restore', '--from', forged, '--keys', keysFile]);
    expect(f.status).toBe(1);
    expect(f.stderr).toMatch(/not signed by this key store/);
  }, SLOW);

  it('backup verify checks a backup without restoring it: signature, every file, the bucket keys; names what is wrong', () => {
    expect(cli(['backup']).status).toBe(2); // --out is required for a backup
    const good = json<{ ok: boolean; signatureValid: boolean; files: { checked: number; missing: number; damaged: number }; buckets: { total: number; readable: number; keyMissing: number }; problems: string[] }>(['backup', 'verify', backupDir]);
    expect(good).toMatchObject({ ok: true, signatureValid: true, problems: [], files: { missing: 0, damaged: 0 }, buckets: { keyMissing: 0 } });
    expect(good.files.checked).toBeGreaterThan(good.buckets.total);
    expect(good.buckets.readable).toBe(good.buckets.total);

    const broken = join(tmp.path, 'broken');
    cpSync(backupDir, broken, { recursive: true });
    const [seg, other] = filesBelow(join(broken, 'records'));
    const bytes = readFileSync(seg!);
    bytes[10] = bytes[10]! ^ 0x01;
    writeFileSync(seg!, bytes);
    rmSync(other!);
    const bad = runCliJson<{ ok: boolean; files: { missing: number; damaged: number }; problems: string[] }>(['--data', data, 'backup', 'verify', broken], { expectStatus: 1 });
    expect(bad).toMatchObject({ ok: false, files: { missing: 1, damaged: 1 } });
    expect(bad.problems.join('\n')).toContain(relative(broken, seg!));
    expect(bad.problems.join('\n')).toContain(relative(broken, other!));

    const forged = join(tmp.path, 'forged-2');
    cpSync(backupDir, forged, { recursive: true });
    writeFileSync(join(forged, 'manifest.json'), readFileSync(join(forged, 'manifest.json'), 'utf8').replace(/"records":\d+/, '"records":1'));
    const f = cli(['backup', 'verify', forged]);
    expect(f.status).toBe(1);
    expect(f.stdout).toMatch(/signature INVALID/);
    expect(cli(['backup', 'verify', join(tmp.path, 'nowhere')]).status).toBe(1);
    const events = json<{ action: string; details: { ok: boolean } }[]>(['audit', 'list', '--action', 'backup.verified']);
    expect(events.map((e) => e.details.ok)).toEqual(expect.arrayContaining([true, false]));
  }, SLOW);

  it('keeps the key store apart from the data and its backups', () => {
    const inBackup = cli(['keys', 'backup', '--out', join(backupDir, 'keys.json')]);
    expect(inBackup.status).toBe(2);
    expect(inBackup.stderr).toMatch(/apart from the data backups/);
    expect(cli(['keys', 'backup', '--out', join(data, 'keys.json')]).status).toBe(2);
    expect(cli(['keys', 'backup', '--out', keysFile]).status).toBe(2); // exists: --force needed
    expect(cli(['backup', '--out', join(data, 'backup')]).status).toBe(2);
    const stored = JSON.parse(readFileSync(keysFile, 'utf8')) as { format: string; keyring: { entries: Record<string, string> } };
    expect(stored.format).toBe('wekeep-key-store-backup');
    // the master key is not in it
    expect(readFileSync(keysFile, 'utf8')).not.toContain(readFileSync(keyFile, 'utf8').trim());
  }, SLOW);
});

function sortRows(rows: unknown[]): string[] {
  return rows.map((r) => JSON.stringify(r)).sort();
}
