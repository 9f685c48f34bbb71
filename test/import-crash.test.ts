import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createContext } from '../src/context.js';
import { searchMessages } from '../src/services/search.js';
import { collectStats } from '../src/services/stats.js';
import { runCli, runCliJson, startCli, tempDir } from './support/cli.js';

// kill -9 at arbitrary moments of an import, run the same import again, and the store must hold
// every record exactly once, with a consistent index, consistent blob references and a valid audit log.

const MESSAGES = 30_000;

function killAfter(ms: number, args: string[]): Promise<{ killed: boolean; status: number | null }> {
  return new Promise((resolvePromise) => {
    const child = startCli(args);
    let killed = false;
    const timer = setTimeout(() => {
      killed = child.kill('SIGKILL');
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ killed: killed && code === null, status: code });
    });
  });
}

describe('import survives kill -9 at any moment', () => {
  const tmp = tempDir('crash');
  const data = join(tmp.path, 'data');
  const file = join(tmp.path, 'demo.ndjson');
  let expected: { records: number; attachments: number };

  beforeAll(() => {
    expect(runCli(['--data', data, 'init']).status).toBe(0);
    const gen = runCli(['demo', 'generate', '--messages', String(MESSAGES), '--seed', '42', '--out', file]);
    expect(gen.status, gen.stderr).toBe(0);
    const ids = new Set<string>();
    let attachments = 0;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue;
      const r = JSON.parse(line) as { source: string; id: string; attachments?: unknown[] };
      const key = `${r.source}/${r.id}`;
      if (!ids.has(key)) attachments += r.attachments?.length ?? 0;
      ids.add(key);
    }
    expected = { records: ids.size, attachments };
  });
  afterAll(() => tmp.cleanup());

  it('lets one importer write at a time', async () => {
    const first = startCli(['--data', data, 'import', file]);
    const exited = new Promise<void>((r) => first.on('exit', () => r()));
    // wait until the first import holds the writer lock
    for (let i = 0; i < 100 && !existsSync(join(data, 'writer.lock')); i++) await new Promise((r) => setTimeout(r, 50));
    const second = runCli(['--data', data, 'import', file]);
    first.kill('SIGKILL');
    await exited;
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/another wekeep process \(pid \d+\) is writing to this data dir/);
  }, 120_000);

  it('holds every record exactly once after repeated kills and a final run', async () => {
    // Kill points spread over the run, including very early (during setup) and late; transactions
    // of 3000 records (the default is 20,000) so that kills land both inside and between commits.
    const killed: number[] = [];
    for (const ms of [150, 900, 1700, 2600, 3800]) {
      const r = await killAfter(ms, ['--data', data, 'import', file, '--batch-size', '3000']);
      if (r.killed) killed.push(ms);
    }
    expect(killed.length).toBeGreaterThanOrEqual(3);

    const final = runCli(['--data', data, 'import', file, '--json']);
    expect([0, 3], final.stderr).toContain(final.status);
    const summary = JSON.parse(final.stdout) as { imported: number; duplicates: number; quarantined: number };
    expect(summary.quarantined).toBe(0);
    expect(summary.imported + summary.duplicates).toBe(expected.records);

    const ctx = await createContext(loadConfig({ data }));
    try {
      const count = async (q: ReturnType<typeof sql<{ n: number }>>): Promise<number> => Number((await q.execute(ctx.db)).rows[0]!.n);
      expect(await count(sql`SELECT count(*) AS n FROM messages`)).toBe(expected.records);
      expect(await count(sql`SELECT count(DISTINCT source_id || '/' || ext_id) AS n FROM messages`)).toBe(expected.records);
      // the index holds exactly the archived messages
      expect(await count(sql`SELECT count(*) AS n FROM message_fts`)).toBe(expected.records);
      expect(await count(sql`SELECT count(*) AS n FROM message_fts f LEFT JOIN messages m ON m.id = f.rowid WHERE m.id IS NULL`)).toBe(0);
      // attachments are referenced exactly once per message attachment, and the counts agree
      expect(await count(sql`SELECT count(*) AS n FROM attachments`)).toBe(expected.attachments);
      expect(await count(sql`SELECT coalesce(sum(ref_count), 0) AS n FROM blobs`)).toBe(expected.attachments);
      expect(await count(sql`SELECT count(*) AS n FROM attachments a LEFT JOIN blobs b ON b.id = a.blob_id WHERE b.id IS NULL`)).toBe(0);
      // no attachment object on disk without its row: the objects a killed run wrote and never
      // committed were removed when the next run started (audited blobs.orphans_deleted)
      const onDisk: string[] = [];
      for await (const id of ctx.blobs.ids()) onDisk.push(id);
      expect(onDisk.length).toBe(await count(sql`SELECT count(*) AS n FROM blobs`));
      // the source counters agree with the rows
      expect(await count(sql`SELECT coalesce(sum(record_count), 0) AS n FROM sources`)).toBe(expected.records);
      expect(await count(sql`SELECT count(*) AS n FROM imports WHERE status = 'running'`)).toBe(0);
    } finally {
      await ctx.close();
    }

    const verify = runCli(['--data', data, 'audit', 'verify']);
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
    const again = runCliJson<{ imported: number; duplicates: number }>(['--data', data, 'import', file]);
    expect(again).toMatchObject({ imported: 0, duplicates: expected.records });
  }, 300_000);

  it('lets readers in while an import runs: every search and stats call answers, and the import completes', async () => {
    // Readers write an audit event after reading; each transaction now begins IMMEDIATE, so a reader
    // waits for the import's transaction instead of failing with "database is locked" (and making the
    // import fail, whose open transaction had read before writing).
    const other = join(tmp.path, 'readers');
    expect(runCli(['--data', other, 'init']).status).toBe(0);
    const importer = startCli(['--data', other, 'import', file, '--batch-size', '3000', '--json']);
    let stdout = '';
    importer.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    const exit = new Promise<number | null>((r) => importer.on('exit', (code) => r(code)));
    let running = true;
    void exit.then(() => (running = false));
    const ctx = await createContext(loadConfig({ data: other }, { WEKEEP_ACTOR: 'reader' }));
    let reads = 0;
    const failures: string[] = [];
    try {
      while (running) {
        await new Promise((r) => setImmediate(r)); // let the child's output and exit events in
        try {
          await searchMessages(ctx, { query: reads % 2 === 0 ? '合同' : 'type:image', limit: 5, offset: 0 });
          if (reads % 5 === 0) await collectStats(ctx, { topPersons: 3 });
          reads++;
        } catch (e) {
          failures.push((e as Error).message);
          if (failures.length > 5) break;
        }
      }
    } finally {
      await ctx.close();
    }
    expect(failures).toEqual([]);
    expect(await exit).toBe(0);
    expect(reads).toBeGreaterThan(10);
    const summary = JSON.parse(stdout) as { imported: number; quarantined: number };
    expect(summary).toMatchObject({ imported: expected.records, quarantined: 0 });
    expect(runCli(['--data', other, 'audit', 'verify']).status).toBe(0);
  }, 300_000);

  it('removes attachment objects that a killed import wrote but never committed, when the next import starts', async () => {
    const dir = tempDir('orphans');
    try {
      const d = join(dir.path, 'data');
      expect(runCli(['init', '--data', d]).status).toBe(0);
      // What a kill between writing an object and committing its row leaves: the object, no row, an import still `running`.
      const ctx = await createContext(loadConfig({ data: d }));
      let orphan: string;
      try {
        orphan = (await ctx.blobs.put(Buffer.from('never committed: 机密附件'))).id;
        await sql`INSERT INTO imports (file, format, actor, started_at, finished_at, status, summary) VALUES ('x.ndjson', 'ndjson', 'test', 1, NULL, 'running', NULL)`.execute(ctx.db);
        expect(await ctx.blobs.exists(orphan)).toBe(true);
      } finally {
        await ctx.close();
      }
      const other = join(dir.path, 'other.ndjson');
      writeFileSync(other, `${JSON.stringify({ source: 's', id: 'o1', time: 1_700_000_000_000, conversation: { id: 'c', type: 'direct' }, from: { id: 'a' }, type: 'text', text: 'hi' })}\n`);
      expect(runCliJson<{ imported: number }>(['--data', d, 'import', other]).imported).toBe(1);
      const after = await createContext(loadConfig({ data: d }));
      try {
        expect(await after.blobs.exists(orphan)).toBe(false);
        const events = (await sql<{ action: string; details: string }>`SELECT action, details FROM audit_events WHERE action = 'blobs.orphans_deleted'`.execute(after.db)).rows;
        expect(events).toHaveLength(1);
        expect(JSON.parse(events[0]!.details)).toMatchObject({ objects: 1 });
      } finally {
        await after.close();
      }
    } finally {
      dir.cleanup();
    }
  }, 120_000);
});
