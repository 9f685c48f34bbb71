import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createContext, type Context } from '../src/context.js';
import { timeOfKey } from '../src/domain/message-key.js';
import { verifyAuditLog } from '../src/services/audit.js';
import { verifyCertificate } from '../src/services/disposition-certificates.js';
import { retentionStatus } from '../src/services/disposition-run.js';
import { addMatter, placeHold } from '../src/services/holds.js';
import { addPolicy } from '../src/services/policies.js';
import { expectConsistent } from './disposition-support.js';
import { startCli, tempDir } from './support/cli.js';
import { buildCorpus } from './support/disposition-corpus.js';

/**
 * The race the issue names: legal holds placed (in this process) while a disposition sweep of a
 * million records runs (a child `wekeep retention run`). SQLite serializes writers and each sweep
 * batch decides inside its own write transaction after re-reading the rules version, so a hold
 * committed before a batch starts protects that batch's records. Each hold here covers records the
 * sweep has provably not reached when the hold committed (beyond the cursor read after the commit
 * plus one batch); every one of them must survive. Then kill -9 during a sweep, and a re-run.
 */

const START = Date.UTC(2019, 0, 1);
const STEP = 10;
const BATCH = 5000;
const indexOfKey = (key: number): number => Math.floor((timeOfKey(key) - START) / STEP);

const dirs: { cleanup(): void }[] = [];
afterAll(() => {
  for (const d of dirs) d.cleanup();
});

function exited(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

async function runCursor(ctx: Context): Promise<number | undefined> {
  const r = await ctx.db.selectFrom('disposition_runs').select('cursor').where('status', '=', 'running').where('dry_run', '=', 0).executeTakeFirst();
  return r?.cursor === null || r?.cursor === undefined ? undefined : Number(r.cursor);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SQLite answers a writer that lost the race for the write lock with SQLITE_BUSY; the hold was then not placed: place it again. */
async function retryBusy<T>(fn: () => Promise<T>): Promise<T> {
  const until = Date.now() + 120_000;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() < until && String((e as { code?: unknown }).code ?? '').startsWith('SQLITE_BUSY')) {
        await sleep(5);
        continue;
      }
      throw e;
    }
  }
}

interface PlacedHold {
  from: number;
  to: number;
  text: boolean;
  protectedByOrder: boolean;
}

const covered = (h: PlacedHold, i: number): boolean => i >= h.from && i < h.to && (!h.text || i % 10 === 1 || i % 10 === 7);

describe('legal holds vs a running sweep of 1,000,000 records', () => {
  const RECORDS = 1_000_000;
  const dir = tempDir('race');
  dirs.push(dir);
  const data = join(dir.path, 'data');

  it('loses no record that a hold committed before the sweep reached it covers', async () => {
    const corpus = await buildCorpus(data, { records: RECORDS, startMs: START, stepMs: STEP });
    await addPolicy(corpus.ctx, { name: 'everything-1y', scope: '', max: '1y', action: 'delete', purpose: 'race test', basis: 'race test' });
    await addMatter(corpus.ctx, { name: 'race' });
    await corpus.ctx.close();

    const ctx = await createContext(loadConfig({ data }));
    const child = startCli(['--data', data, 'retention', 'run', '--json']);
    const done = exited(child);
    let finished = false;
    void done.then(() => (finished = true));
    const holds: PlacedHold[] = [];
    try {
      while (!finished && holds.length < 12) {
        const before = await runCursor(ctx);
        if (before === undefined) {
          await sleep(50);
          continue;
        }
        // Well ahead of the sweep: it must not be there when the hold commits.
        const from = indexOfKey(before) + 60_000 + holds.length * 7;
        if (from + 3000 >= RECORDS) break;
        const text = holds.length % 2 === 1;
        const h: PlacedHold = { from, to: from + 3000, text, protectedByOrder: false };
        await retryBusy(() => placeHold(ctx, { matter: 'race', scope: text ? '发票' : undefined, after: START + h.from * STEP, before: START + h.to * STEP, reason: `race ${holds.length}` }));
        const after = await runCursor(ctx);
        // Committed before any batch that reaches `from` began: the batch in flight at the commit ends within one batch of this cursor.
        h.protectedByOrder = after !== undefined && indexOfKey(after) + BATCH < h.from;
        holds.push(h);
      }
    } finally {
      const r = await done;
      expect(r.code, r.stderr).toBe(0);
    }
    const summary = JSON.parse((await done).stdout) as { id: number; status: string; counts: { disposed: number; keptByHold: number } };
    expect(summary.status).toBe('completed');
    const protectedHolds = holds.filter((h) => h.protectedByOrder);
    expect(protectedHolds.length).toBeGreaterThanOrEqual(3);

    const present = new Set((await ctx.db.selectFrom('messages').select('id').execute()).map((r) => indexOfKey(Number(r.id))));
    // Every record a protected hold covers survived; nothing survived that no hold covers.
    let mustSurvive = 0;
    for (let i = 0; i < RECORDS; i++) {
      if (protectedHolds.some((h) => covered(h, i))) {
        mustSurvive++;
        expect(present.has(i), `record ${i} was covered by a hold placed before the sweep reached it`).toBe(true);
      }
    }
    for (const i of present) expect(holds.some((h) => covered(h, i)), `record ${i} survived without a hold`).toBe(true);
    expect(present.size).toBeGreaterThanOrEqual(mustSurvive);
    expect(summary.counts.keptByHold).toBe(present.size);
    expect(summary.counts.disposed + present.size).toBe(RECORDS);

    const tombstones = Number((await sql<{ n: number }>`SELECT count(*) AS n FROM tombstones`.execute(ctx.db)).rows[0]!.n);
    expect(tombstones + present.size).toBe(RECORDS);
    const indexed = Number((await sql<{ n: number }>`SELECT count(*) AS n FROM message_fts WHERE message_fts MATCH 'meta : "allrows"'`.execute(ctx.db)).rows[0]!.n);
    expect(indexed).toBe(present.size);
    expect((await verifyCertificate(ctx, summary.id)).ok).toBe(true);
    expect((await verifyAuditLog(ctx)).ok).toBe(true);
    await ctx.close();
  }, 1_800_000);
});

describe('kill -9 during a sweep', () => {
  const RECORDS = 100_000;
  const dir = tempDir('sweep-kill');
  dirs.push(dir);
  const data = join(dir.path, 'data');

  it('continues the killed run from its cursor; nothing is both tombstoned and present; index, rollups and audit stay consistent', async () => {
    const corpus = await buildCorpus(data, { records: RECORDS, startMs: START, stepMs: STEP });
    await addPolicy(corpus.ctx, { name: 'everything-1y', scope: '', max: '1y', action: 'delete', purpose: 'kill test', basis: 'kill test' });
    const original = new Set((await corpus.ctx.db.selectFrom('messages').select('id').execute()).map((r) => Number(r.id)));
    await corpus.ctx.close();

    const ctx0 = await createContext(loadConfig({ data }));
    const child = startCli(['--data', data, 'retention', 'run', '--batch-size', '2000', '--json']);
    const done = exited(child);
    // Kill once a few batches have committed.
    for (let i = 0; i < 6000; i++) {
      const c = await runCursor(ctx0);
      if (c !== undefined && indexOfKey(c) >= 6000) break;
      await sleep(10);
    }
    child.kill('SIGKILL');
    const r = await done;
    expect(r.code).toBeNull();
    const killed = await ctx0.db.selectFrom('disposition_runs').selectAll().executeTakeFirstOrThrow();
    expect(killed.status).toBe('running');
    // Status does not report the dead run as running.
    const status = await retentionStatus(ctx0);
    expect(status.running).toBeNull();
    expect(status.lastRuns[0]).toMatchObject({ id: killed.id, status: 'interrupted', error: 'the process running it stopped' });
    const partial = await expectConsistent(ctx0, original);
    expect(partial.tombstoned.size).toBeGreaterThan(0);
    expect(partial.tombstoned.size).toBeLessThan(RECORDS);
    await ctx0.close();

    const again = exited(startCli(['--data', data, 'retention', 'run', '--json']));
    const r2 = await again;
    expect(r2.code, r2.stderr).toBe(0);
    const summary = JSON.parse(r2.stdout) as { id: number; status: string; resumed: boolean; resumes: number; counts: { disposed: number }; certificate: { tombstones: number } };
    expect(summary).toMatchObject({ id: killed.id, status: 'completed', resumed: true, resumes: 1 });
    expect(summary.counts.disposed).toBe(RECORDS);
    expect(summary.certificate.tombstones).toBe(RECORDS);

    const ctx = await createContext(loadConfig({ data }));
    const end = await expectConsistent(ctx, original);
    expect(end.archived.size).toBe(0);
    expect((await verifyCertificate(ctx, killed.id)).ok).toBe(true);
    const events = await ctx.db.selectFrom('audit_events').select('action').where('action', 'like', 'retention.%').execute();
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['retention.run_started', 'retention.run_interrupted', 'retention.run_resumed', 'retention.certificate']));
    await ctx.close();
  }, 900_000);
});
