/**
 * PC WeChat 3.x import throughput (issue 6's target: ≥ 20,000 messages/s for the text part of a
 * PC 3.x database):
 *
 *   node --import tsx bench/wechat-pc3.ts                     300,000 text messages
 *   BENCH_WECHAT_MESSAGES=100000 node --import tsx bench/wechat-pc3.ts
 *
 * The export is the PC 3.x fixture (test/support/wechat-fixtures/pc3.ts: every message type, media,
 * contacts) with BENCH_WECHAT_MESSAGES text messages added to MSG1.db. In one run:
 *   1. baseline A — the same MSG rows read with better-sqlite3 and inserted with plain prepared
 *      statements into an unencrypted, unindexed table, 5000 rows per transaction (the physical
 *      limit of "read a row, write a row");
 *   2. the reader alone (open, stream, map every row to a record; nothing stored);
 *   3. WeKeep — `importWeChat` into a fresh encrypted store (prepare, dedupe, store, index, audit);
 *   4. baseline B — the NDJSON import (`importNdjson`) of exactly the records the reader produced,
 *      into another fresh store: the same archive pipeline without the WeChat reader.
 * Prints a Markdown section for docs/benchmarks.md. Work files go to .bench-tmp/wechat-pc3/.
 */
import { createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import Sqlite from 'better-sqlite3-multiple-ciphers';
import { loadConfig } from '../src/config.js';
import { createContext } from '../src/context.js';
import { openPc3Reader } from '../src/connectors/wechat/pc3/index.js';
import { importNdjson } from '../src/services/import.js';
import { initStore } from '../src/services/store.js';
import { importWeChat } from '../src/services/wechat-import.js';
import { buildPc3Export, PC3 } from '../test/support/wechat-fixtures/pc3.js';

const ROOT = resolve(import.meta.dirname, '..');
const WORK = join(ROOT, '.bench-tmp', 'wechat-pc3');
const N = Number(process.env.BENCH_WECHAT_MESSAGES ?? 300_000);
const CUSTODIAN = 'P-bench';
const say = (s = ''): void => void process.stdout.write(`${s}\n`);
const fmt = (n: number): string => Math.round(n).toLocaleString('en');

rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
let t = performance.now();
const exp = await buildPc3Export(join(WORK, 'export'), { filler: N });
const buildS = (performance.now() - t) / 1000;
const msgBytes = statSync(exp.msg0).size + statSync(exp.msg1).size;

// 1. Baseline A: read the MSG rows, insert them into a plain table.
const base = new Sqlite(join(WORK, 'baseline.db'));
base.pragma('journal_mode = WAL');
base.pragma('synchronous = NORMAL');
base.exec('CREATE TABLE m (svr TEXT, type INTEGER, sub INTEGER, sender INTEGER, time INTEGER, talker TEXT, content TEXT, extra BLOB)');
const insert = base.prepare('INSERT INTO m VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
const flush = base.transaction((rows: unknown[][]) => {
  for (const r of rows) insert.run(...r);
});
let baseRows = 0;
t = performance.now();
for (const file of [exp.msg0, exp.msg1]) {
  const db = new Sqlite(file, { readonly: true });
  let rows: unknown[][] = [];
  for (const r of db.prepare('SELECT MsgSvrID, Type, SubType, IsSender, CreateTime, StrTalker, StrContent, BytesExtra FROM MSG').safeIntegers(true).raw().iterate() as IterableIterator<unknown[]>) {
    rows.push([String(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7]]);
    baseRows++;
    if (rows.length === 5000) {
      flush(rows);
      rows = [];
    }
  }
  flush(rows);
  db.close();
}
const baselinePerS = baseRows / ((performance.now() - t) / 1000);
base.close();

// 2. The reader alone; its records become the NDJSON input of baseline B.
const ndjson = join(WORK, 'records.ndjson');
const out = createWriteStream(ndjson);
const reader = openPc3Reader({ path: exp.account, custodian: CUSTODIAN, tz: 'Asia/Shanghai' });
let readerRows = 0;
let readerMessages = 0;
let buffered: string[] = [];
let readerMs = 0;
t = performance.now();
for await (const item of reader.items()) {
  readerRows++;
  if (item.kind !== 'message' || item.media.length > 0) continue; // baseline B: text and media-less records
  readerMessages++;
  buffered.push(JSON.stringify({ ...item.record, custodian: CUSTODIAN }));
  if (buffered.length === 5000) {
    readerMs += performance.now() - t;
    if (!out.write(`${buffered.join('\n')}\n`)) await once(out, 'drain');
    buffered = [];
    t = performance.now();
  }
}
readerMs += performance.now() - t;
out.end(`${buffered.join('\n')}\n`);
await once(out, 'finish');
reader.close();
const readerPerS = readerRows / (readerMs / 1000);

async function freshContext(name: string) {
  const config = loadConfig({ data: join(WORK, name) }, {});
  await (await initStore(config)).ctx.close();
  return createContext(config);
}

// 3. WeKeep: the WeChat import.
let ctx = await freshContext('data-wechat');
t = performance.now();
const summary = await importWeChat(ctx, { format: 'wechat-pc3', path: exp.account, custodian: CUSTODIAN, tz: 'Asia/Shanghai' });
const wechatS = (performance.now() - t) / 1000;
await ctx.close();
const wechatPerS = summary.rows / wechatS;
const mem = process.memoryUsage().rss;

// 4. Baseline B: the NDJSON import of the same records.
ctx = await freshContext('data-ndjson');
t = performance.now();
const nd = await importNdjson(ctx, { file: ndjson });
const ndS = (performance.now() - t) / 1000;
await ctx.close();
const ndPerS = nd.imported / ndS;

const date = new Date().toISOString().slice(0, 10);
say(`### PC WeChat 3.x import, ${fmt(summary.rows)} rows (${fmt(N)} text messages + the fixture's ${summary.rows - N} of every type) (${date})`);
say();
say(`Command: \`BENCH_WECHAT_MESSAGES=${N} node --import tsx bench/wechat-pc3.ts\` (export built in ${buildS.toFixed(1)} s; MSG0.db + MSG1.db ${(msgBytes / 1048576).toFixed(1)} MiB)`);
say();
say('| measure | value | target |');
say('|---|---|---|');
say(`| baseline A: the MSG rows read and inserted with plain better-sqlite3, unencrypted, unindexed | ${fmt(baselinePerS)} rows/s | – |`);
say(`| the pc3 reader alone (stream, BytesExtra, LZ4, map, build records; nothing stored) | ${fmt(readerPerS)} rows/s | – |`);
say(`| **WeKeep \`importWeChat\`, end to end** (${fmt(summary.imported)} archived, ${summary.quarantined} quarantined, ${summary.attachments.stored} attachments; ${wechatS.toFixed(1)} s) | **${fmt(wechatPerS)} messages/s** | ≥ 20,000 |`);
say(`| baseline B: \`importNdjson\` of the same ${fmt(readerMessages)} records (no reader, no media) | ${fmt(ndPerS)} records/s | – |`);
say(`| ratio WeKeep / baseline A | ${(wechatPerS / baselinePerS).toFixed(2)} | – |`);
say(`| ratio WeKeep / baseline B (the NDJSON pipeline) | ${(wechatPerS / ndPerS).toFixed(2)} | – |`);
say(`| resident memory after the run (this process) | ${(mem / 1048576).toFixed(0)} MiB | – |`);
say();
say(`Owner ${PC3.owner}; ${summary.conversations.length} conversations; status ${summary.status}.`);
