import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupSummary } from '../src/backup/backup.js';
import { checkBackupDir } from '../src/backup/verify.js';
import type { RestoreReport } from '../src/backup/restore.js';
import { loadConfig } from '../src/config.js';
import { createContext } from '../src/context.js';
import { loadKeyring } from '../src/crypto/keyring.js';
import { runCli, runCliJson, startCli, tempDir } from './support/cli.js';
import { toNdjson } from './support/records.js';

// kill -9 while a backup runs (while segments, attachment copies, the database copy or the manifest
// are being written): the previous backup in the directory stays valid, and the next run completes.

const SLOW = 300_000;
const CONVERSATIONS = 250;
const MONTHS = 3;

function records(round: number): unknown[] {
  const out: unknown[] = [];
  for (let c = 0; c < CONVERSATIONS; c++) {
    for (let m = 0; m < MONTHS; m++) {
      for (let i = 0; i < (round === 0 ? 2 : 1); i++) {
        const n = out.length;
        out.push({
          source: 'crash', id: `r${round}-${c}-${m}-${i}`, time: Date.UTC(2025, m, 2 + round * 10 + i, 3), conversation: { id: `conv-${c}`, type: 'group', title: `群 ${c}` },
          from: { id: `p${c % 17}`, name: `员工${c % 17}` }, type: 'text', text: `第${round}轮 消息 ${n} 合同 ${c}`,
          ...(n % 50 === 0 ? { attachments: [{ name: `f${round}-${n}.txt`, data: Buffer.from(`attachment ${round}/${n} `.repeat(100)).toString('base64') }] } : {}),
        });
      }
    }
  }
  return out;
}

const segFiles = (dir: string): string[] => {
  try {
    return readdirSync(join(dir, 'records'), { recursive: true }).map(String).filter((f) => f.endsWith('.seg'));
  } catch {
    return [];
  }
};

describe('backup survives kill -9 at any moment', () => {
  const tmp = tempDir('backup-crash');
  const data = join(tmp.path, 'data');
  const dir = join(tmp.path, 'backup');
  const keyFile = join(data, 'master.key');
  const json = <T>(args: string[], expectStatus = 0) => runCliJson<T>(['--data', data, ...args], { expectStatus });
  let first: BackupSummary;

  beforeAll(() => {
    expect(runCli(['--data', data, 'init']).status).toBe(0);
    writeFileSync(join(tmp.path, 'a.ndjson'), toNdjson(records(0)));
    json(['import', join(tmp.path, 'a.ndjson')]);
    first = json<BackupSummary>(['backup', '--out', dir]);
    expect(first.buckets.total).toBe(CONVERSATIONS * MONTHS);
    // one more record in every bucket: the next backup rewrites every segment
    writeFileSync(join(tmp.path, 'b.ndjson'), toNdjson(records(1)));
    json(['import', join(tmp.path, 'b.ndjson')]);
  }, SLOW);
  afterAll(() => tmp.cleanup());

  it('leaves the previous backup valid after kills, and the next run completes it', async () => {
    const keys = loadKeyring(data, { keyFile });
    const kills: number[] = [];
    let intact = 0;
    for (const delay of [0, 100, 400]) {
      const before = new Set(segFiles(dir));
      const child = startCli(['--data', data, 'backup', '--out', dir]);
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      let done = false;
      void exited.then(() => {
        done = true;
      });
      // Wait until this run has written its first segment (the snapshot is open), then a little more.
      while (!done && !segFiles(dir).some((f) => !before.has(f))) await new Promise((r) => setTimeout(r, 5));
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      if (!done) child.kill('SIGKILL');
      const code = await exited;
      if (code === null) kills.push(delay);
      // Whatever happened, the directory holds a complete, valid backup: the previous one, or (killed
      // after its manifest was in place, while cleaning up) the new one.
      const check = checkBackupDir(dir, keys);
      expect(check.problems).toEqual([]);
      if (code === null && check.backupId === first.backupId) intact++;
    }
    expect(kills.length).toBeGreaterThanOrEqual(2);
    expect(intact).toBeGreaterThanOrEqual(1);
    expect(segFiles(dir).length).toBeGreaterThan(CONVERSATIONS * MONTHS); // leftovers of the killed runs

    const final = json<BackupSummary>(['backup', '--out', dir]);
    expect(final.records).toBe(CONVERSATIONS * MONTHS * 3);
    expect(final.buckets.written + final.buckets.unchanged).toBe(CONVERSATIONS * MONTHS);
    expect(final.filesRemoved).toBeGreaterThan(0);
    expect(segFiles(dir)).toHaveLength(CONVERSATIONS * MONTHS);
    expect(checkBackupDir(dir, keys).problems).toEqual([]);

    const keysFile = join(tmp.path, 'keys', 'keys.json');
    json(['keys', 'backup', '--out', keysFile]);
    const r = runCliJson<RestoreReport>(['--data', join(tmp.path, 'restored'), '--key-file', keyFile, 'restore', '--from', dir, '--keys', keysFile]);
    expect(r.ok, JSON.stringify(r.problems)).toBe(true);
    expect(r.records.restored).toBe(CONVERSATIONS * MONTHS * 3);
    expect(r.records.digestsVerified).toBe(CONVERSATIONS * MONTHS);
    // the killed runs are on record as failed (marked by the next run), the others as completed
    const ctx = await createContext(loadConfig({ data }));
    try {
      const runs = await ctx.db.selectFrom('backup_runs').select(['status']).orderBy('id').execute();
      expect(runs.filter((x) => x.status === 'failed')).toHaveLength(kills.length);
      expect(runs.filter((x) => x.status === 'running')).toHaveLength(0);
    } finally {
      await ctx.close();
    }
  }, SLOW);
});
