/**
 * Disposition throughput (issue 5: ≥ 50,000 records/s at 1,000,000 records):
 *
 *   node --import tsx bench/disposition.ts                 1,000,000 records
 *   BENCH_RECORDS=200000 node --import tsx bench/disposition.ts
 *
 * In one run:
 *   1. builds a data dir of BENCH_RECORDS text records (test/support/disposition-corpus.ts: direct
 *      inserts of what the import writes — messages, index rows, rollups) and one policy that
 *      deletes everything older than a year; copies it (identical store) for the baseline;
 *   2. WeKeep: `runDisposition` in this process, end to end — decisions, message/index/rollup
 *      deletes, tombstones, audit events, the certificate (Merkle root over all tombstones);
 *   3. baseline, on the copy (same cipher, same secure_delete): plain `DELETE FROM messages WHERE id
 *      BETWEEN …` of the same rows, 5000 per transaction; and a second baseline that also deletes
 *      the rows' full-text index entries (what any correct deletion must do);
 *   4. prints a Markdown section for docs/benchmarks.md.
 * Work files go to .bench-tmp/.
 */
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../src/config.js';
import { createContext } from '../src/context.js';
import { runDisposition } from '../src/services/disposition-run.js';
import { addPolicy } from '../src/services/policies.js';
import { buildCorpus } from '../test/support/disposition-corpus.js';

const ROOT = resolve(import.meta.dirname, '..');
const WORK = join(ROOT, '.bench-tmp');
const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 5000);

async function baseline(dir: string, withIndex: boolean): Promise<{ perSecond: number; rows: number; seconds: number }> {
  const ctx = await createContext(loadConfig({ data: dir }));
  try {
    const ids = ctx.sqlite.prepare('SELECT id FROM messages ORDER BY id').pluck().all() as number[];
    const del = ctx.sqlite.prepare('DELETE FROM messages WHERE id BETWEEN ? AND ?');
    // FTS5 answers a rowid BETWEEN by scanning; a key list is its fast path (as disposeRecords does).
    const delFts = ctx.sqlite.prepare('DELETE FROM message_fts WHERE rowid IN (SELECT value FROM json_each(?))');
    const t0 = performance.now();
    let rows = 0;
    for (let i = 0; i < ids.length; i += BATCH) {
      const lo = ids[i]!;
      const hi = ids[Math.min(ids.length, i + BATCH) - 1]!;
      ctx.sqlite.transaction(() => {
        rows += del.run(lo, hi).changes;
        if (withIndex) delFts.run(JSON.stringify(ids.slice(i, i + BATCH)));
      })();
    }
    const seconds = (performance.now() - t0) / 1000;
    return { perSecond: Math.round(rows / seconds), rows, seconds };
  } finally {
    await ctx.close();
  }
}

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  const data = join(WORK, 'disposition-data');
  const copies = [join(WORK, 'disposition-base1'), join(WORK, 'disposition-base2')];
  for (const d of [data, ...copies]) rmSync(d, { recursive: true, force: true });
  const say = (s = ''): void => void process.stdout.write(`${s}\n`);

  const t0 = performance.now();
  const start = Date.UTC(2019, 0, 1);
  const corpus = await buildCorpus(data, { records: RECORDS, startMs: start, stepMs: 10 });
  await addPolicy(corpus.ctx, { name: 'everything-1y', scope: '', max: '1y', action: 'delete', purpose: 'benchmark', basis: 'benchmark' });
  await corpus.ctx.close();
  process.stderr.write(`corpus of ${RECORDS} records built in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  for (const c of copies) cpSync(data, c, { recursive: true });

  const ctx = await createContext(loadConfig({ data }));
  let summary;
  const w0 = performance.now();
  try {
    summary = await runDisposition(ctx, { dryRun: false, trigger: 'cli', batchSize: BATCH });
  } finally {
    await ctx.close();
  }
  const wall = (performance.now() - w0) / 1000;
  const disposed = summary.counts?.disposed ?? 0;
  if (disposed !== RECORDS) throw new Error(`disposed ${disposed} of ${RECORDS}`);
  const rate = Math.round(disposed / wall);
  const plain = await baseline(copies[0]!, false);
  const indexed = await baseline(copies[1]!, true);
  for (const d of [data, ...copies]) rmSync(d, { recursive: true, force: true });

  say(`### Disposition, ${RECORDS.toLocaleString('en')} records (${new Date().toISOString().slice(0, 10)})`);
  say();
  say(`Command: \`BENCH_RECORDS=${RECORDS} node --import tsx bench/disposition.ts\``);
  say();
  say('| measure | value | target |');
  say('|---|---|---|');
  say(`| baseline 1: plain \`DELETE FROM messages WHERE id BETWEEN …\`, ${BATCH} rows per transaction (same encrypted store, secure_delete on) | ${plain.perSecond.toLocaleString('en')} rows/s (${plain.seconds.toFixed(1)} s) | – |`);
  say(`| baseline 2: the same plus the rows' full-text index entries | ${indexed.perSecond.toLocaleString('en')} rows/s (${indexed.seconds.toFixed(1)} s) | – |`);
  say(`| WeKeep \`runDisposition\`, end to end (decide, delete rows, index entries, rollups, tombstones, audit, certificate; ${wall.toFixed(1)} s) | ${rate.toLocaleString('en')} records/s | ≥ 50,000 |`);
  say(`| ratio WeKeep / baseline 1 | ${(rate / plain.perSecond).toFixed(2)} | – |`);
  say(`| ratio WeKeep / baseline 2 | ${(rate / indexed.perSecond).toFixed(2)} | – |`);
}

await main();
