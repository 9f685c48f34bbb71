/**
 * End-to-end archive benchmark on the demo corpus (the performance targets):
 *
 *   node --import tsx bench/archive.ts                       1,000,000 messages, text-only and media mix
 *   BENCH_MESSAGES=200000 BENCH_MEDIA=none node --import tsx bench/archive.ts
 *
 * For each corpus, in one run:
 *   1. baseline — plain better-sqlite3 inserts of the same rows (parsed from the same NDJSON) into an
 *      unencrypted, unindexed table, 5000 rows per transaction;
 *   2. WeKeep — `wekeep import` (the built CLI, in a child process so its peak RSS is its own):
 *      parse, validate, dedupe, encrypt, index, audit; records/s and the ratio to the baseline;
 *   3. data dir size / NDJSON size;
 *   4. search latency in-process (searchMessages: parse, exact total, 50 newest hits, audit event):
 *      each query's first (cold) run, then p50/p95 over BENCH_RUNS rounds, with `LIKE '%…%'` counts
 *      on the baseline table as reference.
 * Prints a Markdown section to paste into docs/benchmarks.md. Work files go to .bench-tmp/.
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Sqlite from 'better-sqlite3-multiple-ciphers';
import { loadConfig } from '../src/config.js';
import { readLines } from '../src/connectors/ndjson/read-lines.js';
import { createContext } from '../src/context.js';
import { writeDemo, type MediaMode } from '../src/demo/generate.js';
import { searchMessages } from '../src/services/search.js';

const ROOT = resolve(import.meta.dirname, '..');
const WORK = join(ROOT, '.bench-tmp');
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1_000_000);
const MEDIA = (process.env.BENCH_MEDIA ?? 'none,normal').split(',') as MediaMode[];
const RUNS = Number(process.env.BENCH_RUNS ?? 30);

/** The queries; the filter values are the corpus's busiest sender and conversation (found by the baseline pass). */
const queries = (sender: string, conversation: string): [label: string, query: string, like: string | null][] => [
  ['1-char Chinese', '款', '款'],
  ['2-char Chinese', '合同', '合同'],
  ['4-char Chinese', '采购订单', '采购订单'],
  ['English word', 'invoice', null],
  ['filtered', `合同 from:${sender} after:2026-01-01`, null],
  ['filters only', `type:image in:${JSON.stringify(conversation)}`, null],
];

const busiest = (counts: Map<string, number>): string => [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';

function dirBytes(path: string): number {
  let total = 0;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    total += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function corpus(media: MediaMode): Promise<string> {
  const file = join(WORK, `corpus-${media}-${MESSAGES}.ndjson`);
  if (existsSync(file)) return file;
  const out = createWriteStream(`${file}.tmp`);
  await writeDemo({ messages: MESSAGES, seed: 'bench', media, days: 365, end: '2026-11-01' }, out);
  out.end();
  await once(out, 'finish');
  const { renameSync } = await import('node:fs');
  renameSync(`${file}.tmp`, file);
  return file;
}

async function baseline(file: string, dbPath: string): Promise<{ perSecond: number; db: Sqlite.Database; sender: string; conversation: string }> {
  rmSync(dbPath, { force: true });
  const db = new Sqlite(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE m (source TEXT, id TEXT, seq INTEGER, time INTEGER, conversation TEXT, sender TEXT, type TEXT, text TEXT, recipients TEXT, attachments TEXT)');
  const insert = db.prepare('INSERT INTO m VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const flush = db.transaction((rows: unknown[][]) => {
    for (const r of rows) insert.run(...r);
  });
  let rows: unknown[][] = [];
  let n = 0;
  const senders = new Map<string, number>();
  const conversations = new Map<string, number>();
  const t0 = performance.now();
  for await (const line of readLines(file)) {
    if (!line.text) continue;
    const r = JSON.parse(line.text) as Record<string, unknown> & { conversation: { id: string }; from: { id: string }; time: number | string };
    rows.push([r.source, r.id, r.seq ?? null, typeof r.time === 'number' ? r.time : Date.parse(r.time), r.conversation.id, r.from.id, r.type, r.text ?? null, JSON.stringify(r.to ?? []), r.attachments ? JSON.stringify(r.attachments) : null]);
    n++;
    senders.set(r.from.id, (senders.get(r.from.id) ?? 0) + 1);
    conversations.set(r.conversation.id, (conversations.get(r.conversation.id) ?? 0) + 1);
    if (rows.length === 5000) {
      flush(rows);
      rows = [];
    }
  }
  flush(rows);
  const ms = performance.now() - t0;
  return { perSecond: Math.round((n * 1000) / ms), db, sender: busiest(senders), conversation: busiest(conversations) };
}

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  const lines: string[] = [];
  const say = (s = ''): void => {
    lines.push(s);
    process.stderr.write(`${s}\n`);
  };
  say(`### Archive benchmark, ${MESSAGES.toLocaleString('en')} demo messages (${new Date().toISOString().slice(0, 10)})`);
  say();
  say('Command: `' + `BENCH_MESSAGES=${MESSAGES} BENCH_MEDIA=${MEDIA.join(',')} node --import tsx bench/archive.ts` + '`');
  for (const media of MEDIA) {
    const file = await corpus(media);
    const inputBytes = statSync(file).size;
    const base = await baseline(file, join(WORK, `baseline-${media}.db`));
    const data = join(WORK, `data-${media}`);
    rmSync(data, { recursive: true, force: true });
    const cli = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist', 'main.js'), '--data', data, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const init = cli(['init']);
    if (init.status !== 0) throw new Error(init.stderr);
    // The child reports its own peak RSS (worker thread included) through resourceUsage().
    const t0 = performance.now();
    const imp = spawnSync(
      process.execPath,
      ['--import', join(ROOT, 'bench', 'report-max-rss.mjs'), join(ROOT, 'dist', 'main.js'), '--data', data, 'import', file, '--json'],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    const wall = performance.now() - t0;
    if (imp.status !== 0) throw new Error(`import exited ${imp.status}: ${imp.stderr}`);
    const summary = JSON.parse(imp.stdout) as { imported: number; durationMs: number; recordsPerSecond: number };
    const maxRssKb = Number(/MAXRSS (\d+)/.exec(imp.stderr)?.[1] ?? 0);
    const dataBytes = dirBytes(data);
    say();
    say(`#### ${media === 'none' ? 'Text-only corpus' : 'Corpus with its normal media mix'} (${mib(inputBytes)} NDJSON)`);
    say();
    say('| measure | value | target |');
    say('|---|---|---|');
    say(`| baseline: plain better-sqlite3 inserts, unencrypted, unindexed | ${base.perSecond.toLocaleString('en')} rows/s | – |`);
    say(`| WeKeep import, end to end (${summary.imported.toLocaleString('en')} records, ${(summary.durationMs / 1000).toFixed(1)} s; process wall ${(wall / 1000).toFixed(1)} s) | ${summary.recordsPerSecond.toLocaleString('en')} records/s | ≥ 30,000 |`);
    say(`| ratio WeKeep / baseline | ${(summary.recordsPerSecond / base.perSecond).toFixed(2)} | – |`);
    say(`| peak RSS of the import process | ${(maxRssKb / 1024).toFixed(0)} MiB | ≤ 400 MB |`);
    say(`| data dir / NDJSON input | ${mib(dataBytes)} / ${mib(inputBytes)} = ${(dataBytes / inputBytes).toFixed(2)} | ≤ 1.5 (text-only) |`);

    // Search, in-process on the imported store.
    const ctx = await createContext(loadConfig({ data }));
    say();
    say(`Search (in-process \`searchMessages\`: parse, exact total, 50 newest hits with their messages, audit event; ${RUNS} rounds):`);
    say();
    say('| query | total | first run ms (cold) | p50 ms | p95 ms | baseline `LIKE` count ms | target p95 |');
    say('|---|---|---|---|---|---|---|');
    try {
      // The first run of each query (cold page cache after the import's process ended) is reported on
      // its own; p50/p95 are over the RUNS rounds after it.
      const first = new Map<string, number>();
      for (const [, q] of queries(base.sender, base.conversation)) {
        const t = performance.now();
        await searchMessages(ctx, { query: q, limit: 50, offset: 0 });
        first.set(q, performance.now() - t);
      }
      for (const [label, q, like] of queries(base.sender, base.conversation)) {
        const times: number[] = [];
        let total = 0;
        for (let i = 0; i < RUNS; i++) {
          const t = performance.now();
          total = (await searchMessages(ctx, { query: q, limit: 50, offset: 0 })).total;
          times.push(performance.now() - t);
        }
        let likeMs = '–';
        if (like) {
          const t = performance.now();
          base.db.prepare('SELECT count(*) AS n FROM m WHERE text LIKE ?').get(`%${like}%`);
          likeMs = (performance.now() - t).toFixed(0);
        }
        say(`| ${label}: \`${q}\` | ${total.toLocaleString('en')} | ${first.get(q)!.toFixed(1)} | ${pct(times, 50).toFixed(1)} | ${pct(times, 95).toFixed(1)} | ${likeMs} | ≤ 20 |`);
      }
    } finally {
      await ctx.close();
      base.db.close();
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
