/**
 * WeCom connector throughput with the SDK test double (issue 4's target: ≥ 5,000 messages/s for
 * pull + unwrap + decrypt + normalize + store + index):
 *
 *   BENCH_WECOM_MESSAGES=100000 node --import tsx bench/wecom-sync.ts   (default 100,000: the worker
 *   threads compile their TypeScript through tsx at start, ~0.4 s of CPU, which a short run would count)
 *
 * In one run: (1) baseline — plain better-sqlite3 inserts of the same decrypted messages into an
 * unencrypted, unindexed table; (2) the RSA-2048 PKCS#1 v1.5 unwrap of every encrypt_random_key
 * alone (the one step no design can skip); (3) the full sync through the koffi client and the
 * compiled double into a fresh encrypted store. Prints a Markdown section for docs/benchmarks.md.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Sqlite from 'better-sqlite3-multiple-ciphers';
import { loadConfig } from '../src/config.js';
import { createContext } from '../src/context.js';
import { openConfiguredSdk } from '../src/connectors/wecom/open-configured.js';
import { createRandomKeyUnwrapper } from '../src/connectors/wecom/random-key.js';
import { addWeComSource } from '../src/services/connectors/wecom-source.js';
import { syncWeComSource } from '../src/services/connectors/wecom-sync.js';
import { initStore } from '../src/services/store.js';
import { buildFakeSdk } from '../test/support/wecom-sdk/build.js';
import { FakeSdkScenario, generateTestKeyPair } from '../test/support/wecom-sdk/scenario.js';
import { writeFileSync } from 'node:fs';

const ROOT = resolve(import.meta.dirname, '..');
const WORK = join(ROOT, '.bench-tmp', 'wecom');
const N = Number(process.env.BENCH_WECOM_MESSAGES ?? 100_000);
const say = (s = ''): void => void process.stdout.write(`${s}\n`);

rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
const fixtures = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'wecom', 'messages.json'), 'utf8')) as Record<string, Record<string, unknown>>;
const texts = ['合同已经发给客户，请查收', '明天下午三点开会讨论报价', 'Please confirm the invoice by Friday', '发票抬头写公司全称，税号在附件里', '好的，收到'];
const key = generateTestKeyPair(1);
const scenario = new FakeSdkScenario({ keyPairs: [key] });
const messages: Record<string, unknown>[] = [];
for (let i = 0; i < N; i++) {
  const base = fixtures.text!;
  const m = { ...base, msgid: `bench${i}_external`, msgtime: 1_760_000_000_000 + i * 1000, from: `user${i % 50}`, tolist: [`user${(i + 1) % 50}`], text: { content: `${texts[i % texts.length]} #${i}` } };
  messages.push(m);
  scenario.addMessage({ seq: i + 1, publickeyVer: 1, message: m, msgid: String(m.msgid) });
}
const dir = scenario.write(join(WORK, 'scenario')).dir;
process.env.WECOM_FAKE_DIR = dir;

// 1. Baseline: raw inserts of the decrypted messages.
const raw = new Sqlite(join(WORK, 'baseline.db'));
raw.pragma('journal_mode = WAL');
raw.pragma('synchronous = NORMAL');
raw.exec('CREATE TABLE m (msgid TEXT, seq INTEGER, time INTEGER, sender TEXT, json TEXT)');
const ins = raw.prepare('INSERT INTO m VALUES (?, ?, ?, ?, ?)');
let t = performance.now();
raw.transaction(() => messages.forEach((m, i) => ins.run(m.msgid, i + 1, m.msgtime, m.from, JSON.stringify(m))))();
const baselinePerS = N / ((performance.now() - t) / 1000);
raw.close();

// 2. The RSA step alone.
const unwrap = createRandomKeyUnwrapper(key.privateKeyPem);
t = performance.now();
for (const item of scenario.items) unwrap(item.encryptRandomKey);
const rsaPerS = N / ((performance.now() - t) / 1000);

// 3. The whole sync.
const config = loadConfig({ data: join(WORK, 'data') }, {});
await (await initStore(config)).ctx.close();
const ctx = await createContext(config);
writeFileSync(join(WORK, 'secret'), 'bench-secret');
writeFileSync(join(WORK, 'key1.pem'), key.privateKeyPem);
await addWeComSource(ctx, { name: 'bench', corpId: 'ww-bench', secretFile: join(WORK, 'secret'), privateKeys: [`1=${join(WORK, 'key1.pem')}`], sdkPath: buildFakeSdk() });
t = performance.now();
const cpu0 = process.cpuUsage();
const r = await syncWeComSource(ctx, 'bench', { openClient: openConfiguredSdk });
const syncS = (performance.now() - t) / 1000;
const cpu = process.cpuUsage(cpu0);
// CPU of every thread of this process during the sync (main, unwrap workers, koffi's), per message:
// steadier than the wall-clock rate on a shared machine, and what bounds the rate on 2 cores.
const cpuPerMsgUs = (cpu.user + cpu.system) / N;
await ctx.close();
const syncPerS = r.fetched / syncS;

say(`### WeCom sync with the SDK double (${N.toLocaleString('en')} text messages, one key version)`);
say();
say('| measure | value |');
say('|---|---|');
say(`| baseline: plain better-sqlite3 inserts of the decrypted messages | ${Math.round(baselinePerS).toLocaleString('en')} msg/s |`);
say(`| RSA-2048 PKCS#1 v1.5 unwrap of encrypt_random_key alone (OpenSSL, one core) | ${Math.round(rsaPerS).toLocaleString('en')} msg/s |`);
say(`| WeKeep sync end to end (pull, unwrap, decrypt, normalize, store, index, audit; ${r.batches} batches) | ${Math.round(syncPerS).toLocaleString('en')} msg/s (${syncS.toFixed(1)} s) |`);
say(`| CPU time of the sync per message, all threads (of which one RSA unwrap: ${Math.round(1e6 / rsaPerS)} µs) | ${Math.round(cpuPerMsgUs)} µs |`);
say(`| ratio sync / baseline | ${(syncPerS / baselinePerS).toFixed(3)} |`);
say(`| one core's RSA time for all keys / the sync's wall time (the unwraps run on every core) | ${((N / rsaPerS / syncS) * 100).toFixed(0)} % |`);
say(`| imported / duplicates / quarantined | ${r.imported} / ${r.duplicates} / ${r.quarantined} |`);
