import { spawnSync } from 'node:child_process';
import { randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createContext, initializeContext, type Context } from '../src/context.js';
import { auditLeafHash, treeHeadBytes } from '../src/domain/audit-form.js';
import { appendLeaf, emptyFrontier, encodeFrontier, rootOf } from '../src/domain/merkle.js';
import { appendAudit, checkConsistencyProof, checkInclusionProof, parseHeadJson, type AuditVerifyReport } from '../src/services/audit.js';
import { cliEntry } from './support/cli.js';

/** `wekeep audit …` end to end in a child process, on a store created in-process. */

const ROOT = join(import.meta.dirname, '..');

let dir: string;
let data: string;
let masterHex: string;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function wekeep(...args: string[]): Run {
  const r = spawnSync(process.execPath, [...cliEntry(), '--data', data, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, WEKEEP_MASTER_KEY: masterHex, WEKEEP_ACTOR: 'cli-test', WEKEEP_LOG_LEVEL: 'silent' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function withStore<T>(fn: (ctx: Context) => Promise<T> | T): Promise<T> {
  const ctx = await createContext(loadConfig({ data }, { WEKEEP_MASTER_KEY: masterHex }));
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wekeep-audit-cli-'));
  data = join(dir, 'data');
  const master = randomBytes(32);
  masterHex = master.toString('hex');
  const ctx = await initializeContext(loadConfig({ data }, {}), master);
  try {
    for (let b = 0; b < 6; b++) {
      await ctx.db.transaction().execute((trx) =>
        appendAudit(
          ctx,
          trx,
          Array.from({ length: b + 1 }, (_, i) => ({ action: i % 2 ? 'message.viewed' : 'import.batch', subject: `obj:${b}.${i}`, details: { batch: b, i } })),
        ),
      );
    }
  } finally {
    await ctx.close();
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('wekeep audit (CLI)', () => {
  const SIZE = 21; // 1 + 2 + … + 6

  it('prints help for every command', () => {
    for (const cmd of ['verify', 'proof', 'consistency', 'head', 'list']) {
      const r = wekeep('audit', cmd, '--help');
      expect(r.status, cmd).toBe(0);
      expect(r.stdout).toMatch(/Usage: wekeep audit/);
      expect(r.stdout).toContain('--json');
    }
    expect(wekeep('audit', 'verify', '--help').stdout).toContain('Exit status');
  });

  it('head --json prints a signed head that verify --since accepts', () => {
    const r = wekeep('audit', 'head', '--json');
    expect(r.status).toBe(0);
    const head = parseHeadJson(r.stdout, 'stdout');
    expect(head.size).toBe(SIZE);
    writeFileSync(join(dir, 'head.json'), r.stdout);

    const human = wekeep('audit', 'head');
    expect(human.stdout).toContain(head.rootHash);

    const v = wekeep('audit', 'verify', '--json');
    expect(v.status).toBe(0);
    const report = JSON.parse(v.stdout) as AuditVerifyReport;
    expect(report).toMatchObject({ ok: true, size: SIZE, headsChecked: 6, problems: [] });

    const s = wekeep('audit', 'verify', '--since', join(dir, 'head.json'));
    expect(s.status).toBe(0);
    expect(s.stdout).toContain('OK: the audit log is intact.');
    expect(s.stdout).toContain('the log still extends it');
  });

  it('proof and consistency print proofs that verify', () => {
    const p = wekeep('audit', 'proof', '--index', '4', '--json');
    expect(p.status).toBe(0);
    const proof = JSON.parse(p.stdout) as Parameters<typeof checkInclusionProof>[0] & { verified: boolean; headMatches: boolean };
    expect(checkInclusionProof(proof)).toBe(true);
    expect(proof).toMatchObject({ index: 4, size: SIZE, verified: true, headMatches: true });
    expect(wekeep('audit', 'proof', '--index', '4', '--size', '10').stdout).toMatch(/verified +yes/);

    const c = wekeep('audit', 'consistency', '--from', '3', '--json');
    expect(c.status).toBe(0);
    const cp = JSON.parse(c.stdout) as Parameters<typeof checkConsistencyProof>[0] & { verified: boolean };
    expect(checkConsistencyProof(cp)).toBe(true);
    expect(cp).toMatchObject({ fromSize: 3, toSize: SIZE, verified: true });
    expect(wekeep('audit', 'consistency', '--from', '3', '--to', '15').stdout).toMatch(/verified +yes/);
  });

  it('list filters by action and limit', () => {
    const r = wekeep('audit', 'list', '--limit', '3', '--action', 'message.viewed', '--json');
    expect(r.status).toBe(0);
    const events = JSON.parse(r.stdout) as { seq: number; action: string }[];
    expect(events).toHaveLength(3);
    expect(events.every((e) => e.action === 'message.viewed')).toBe(true);
    expect(events[0]?.seq).toBeGreaterThan(events[1]?.seq ?? Infinity);
    expect(wekeep('audit', 'list', '--limit', '2').stdout.trim().split('\n')).toHaveLength(2);
  });

  it('bad options are usage errors (exit 2)', () => {
    expect(wekeep('audit', 'proof', '--index', 'abc').status).toBe(2);
    const r = wekeep('audit', 'proof', '--index', '999');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('audit.bad_index');
    expect(wekeep('audit', 'proof').status).toBe(2);
    const h = wekeep('audit', 'verify', '--since', join(dir, 'missing.json'));
    expect(h.status).toBe(2);
  });

  it('verify exits 1 and lists the problems after tampering; --since catches a re-signed rewrite', async () => {
    // An insider rewrites history and re-signs every head with the real key.
    await withStore((ctx) => {
      const db = ctx.sqlite;
      const rows = db.prepare('SELECT * FROM audit_events ORDER BY seq').all() as { seq: number; time_ms: number; actor: string; action: string; subject: string | null; details: string | null }[];
      (rows[2] as { details: string | null }).details = '{"batch":0,"i":0}';
      const leaves = rows.map((r) => auditLeafHash({ seq: r.seq, timeMs: r.time_ms, actor: r.actor, action: r.action, subject: r.subject, details: r.details }));
      rows.forEach((r, i) => db.prepare('UPDATE audit_events SET details = ?, leaf_hash = ? WHERE seq = ?').run(r.details, leaves[i], r.seq));
      const f = emptyFrontier();
      leaves.forEach((l) => appendLeaf(f, l));
      db.prepare('UPDATE audit_state SET frontier = ? WHERE id = 1').run(encodeFrontier(f));
      for (const h of db.prepare('SELECT size, time_ms FROM audit_tree_heads').all() as { size: number; time_ms: number }[]) {
        const root = rootOf(leaves, 0, h.size);
        db.prepare('UPDATE audit_tree_heads SET root_hash = ?, signature = ? WHERE size = ?').run(root, sign(null, treeHeadBytes({ size: h.size, rootHash: root, timeMs: h.time_ms }), ctx.keys.auditSigningKey), h.size);
      }
    });
    expect(wekeep('audit', 'verify').status).toBe(0);
    const s = wekeep('audit', 'verify', '--since', join(dir, 'head.json'));
    expect(s.status).toBe(1);
    expect(s.stdout).toContain('[since_head_root_mismatch]');
    expect(s.stdout).toContain('history was rewritten');

    // A plain edit is caught without any saved head.
    await withStore((ctx) => ctx.sqlite.prepare(`UPDATE audit_events SET actor = 'cli:mallory' WHERE seq = 7`).run());
    const v = wekeep('audit', 'verify');
    expect(v.status).toBe(1);
    expect(v.stdout).toMatch(/FAILED: \d+ problems? found/);
    expect(v.stdout).toContain('[leaf_hash_mismatch] event 7');
    const j = wekeep('audit', 'verify', '--json');
    expect(j.status).toBe(1);
    expect((JSON.parse(j.stdout) as AuditVerifyReport).ok).toBe(false);
  });
});
