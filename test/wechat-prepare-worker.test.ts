import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createContext, type Context } from '../src/context.js';
import { WECHAT_READERS } from '../src/connectors/wechat/readers.js';
import type { WeChatFormat, WeChatImportOptions } from '../src/connectors/wechat/types.js';
import { AppError } from '../src/errors.js';
import { initStore } from '../src/services/store.js';
import { importWeChat, type WeChatImportSummary } from '../src/services/wechat-import.js';
import { preparedInWorker, runPrepareWorker, type PrepareWorkerMessage } from '../src/services/wechat-prepare.js';
import { decodeItem } from '../src/services/wechat-transfer.js';
import { tempDir } from './support/cli.js';
import { ANDROID, buildAndroidExport } from './support/wechat-fixtures/android.js';
import { writeWeChatMsgCsv } from './support/wechat-fixtures/csv.js';
import { writeIosExport } from './support/wechat-fixtures/ios.js';
import { buildPc3Export } from './support/wechat-fixtures/pc3.js';
import { fixtureMedia, writePc4Export } from './support/wechat-fixtures/pc4.js';

/**
 * Large WeChat exports are read and prepared in a worker thread (services/wechat-prepare.ts). The
 * archive it produces must be the one the import's own thread produces: same records and hashes,
 * same attachments (their bytes cross the threads), same index, names and titles, same quarantine,
 * same summary.
 */

const tmp = tempDir('wechat-worker');
type Mode = 'thread' | 'worker';
interface Case { format: WeChatFormat; options: Omit<WeChatImportOptions, 'custodian' | 'tz'> }
const cases: Case[] = [];
const stores = new Map<string, { ctx: Context; summary: WeChatImportSummary }>();

async function importInto(c: Case, mode: Mode): Promise<void> {
  const config = loadConfig({ data: join(tmp.path, `data-${c.format}-${mode}`) }, {});
  await (await initStore(config)).ctx.close();
  const ctx = await createContext(config);
  const summary = await importWeChat(ctx, { format: c.format, ...c.options, custodian: 'P0007', tz: 'Asia/Shanghai', prepareIn: mode, batchSize: 7 });
  stores.set(`${c.format}-${mode}`, { ctx, summary });
}

beforeAll(async () => {
  const media = await fixtureMedia();
  cases.push(
    { format: 'wechat-pc3', options: { path: (await buildPc3Export(join(tmp.path, 'pc3'))).account } },
    { format: 'wechat-pc4', options: { path: writePc4Export(join(tmp.path, 'pc4'), media).account } },
    { format: 'wechat-android', options: { path: (await buildAndroidExport(join(tmp.path, 'android'))).root, imei: ANDROID.imei, uin: ANDROID.uin } },
    { format: 'wechat-ios', options: { path: writeIosExport(join(tmp.path, 'ios'), media).app } },
    { format: 'wechatmsg-csv', options: { path: writeWeChatMsgCsv(join(tmp.path, 'csv')).root } },
  );
  for (const c of cases) for (const mode of ['thread', 'worker'] as const) await importInto(c, mode);
}, 180_000);
afterAll(async () => {
  for (const s of stores.values()) await s.ctx.close();
  tmp.cleanup();
});

const messagesOf = async (ctx: Context) =>
  (await sql<{ ext_id: string; time_ms: number; type: string; text: string | null; fields: string | null; raw: string | null; hash: string; attachment_count: number; recalled_at: number | null }>`
    SELECT ext_id, time_ms, type, text, fields, raw, hex(record_hash) AS hash, attachment_count, recalled_at FROM messages ORDER BY ext_id`.execute(ctx.db)).rows;
const attachmentsOf = async (ctx: Context) =>
  (await sql<{ ext_id: string; ordinal: number; name: string; mime: string | null; sha256: string }>`
    SELECT m.ext_id, a.ordinal, a.name, a.mime, b.sha256 FROM attachments a JOIN messages m ON m.id = a.message_id JOIN blobs b ON b.id = a.blob_id ORDER BY m.ext_id, a.ordinal`.execute(ctx.db)).rows;
/** The index as terms per message key (keys are time-ordered, the same in both stores), names, titles. */
const indexOf = async (ctx: Context) => {
  await sql`CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_terms USING fts5vocab(main, message_fts, instance)`.execute(ctx.db);
  return (await sql<{ term: string; doc: number; col: string; offset: number }>`SELECT term, doc, col, offset FROM temp.fts_terms ORDER BY doc, col, offset, term`.execute(ctx.db)).rows;
};
const directoryOf = async (ctx: Context) => ({
  persons: (await sql<{ ext_id: string; name: string | null }>`SELECT ext_id, name FROM persons ORDER BY ext_id`.execute(ctx.db)).rows,
  conversations: (await sql<{ ext_id: string; kind: string; title: string | null }>`SELECT ext_id, kind, title FROM conversations ORDER BY ext_id`.execute(ctx.db)).rows,
});
const quarantineOf = async (ctx: Context) => (await sql<{ line: number; reason: string }>`SELECT line, reason FROM quarantine ORDER BY line`.execute(ctx.db)).rows;

describe('reading and preparing a WeChat export in a worker thread', () => {
  it.each(['wechat-pc3', 'wechat-pc4', 'wechat-android', 'wechat-ios', 'wechatmsg-csv'] as const)('archives from %s exactly what the import thread archives', async (format) => {
    const thread = stores.get(`${format}-thread`)!;
    const worker = stores.get(`${format}-worker`)!;
    const strip = (s: WeChatImportSummary) => ({ ...s, importId: 0, durationMs: 0, recordsPerSecond: 0 });
    expect(strip(worker.summary)).toEqual(strip(thread.summary));
    expect(worker.summary.imported).toBeGreaterThan(10);
    const rows = await messagesOf(worker.ctx);
    expect(rows.length).toBe(worker.summary.imported);
    expect(rows).toEqual(await messagesOf(thread.ctx));
    expect(await attachmentsOf(worker.ctx)).toEqual(await attachmentsOf(thread.ctx));
    expect(await quarantineOf(worker.ctx)).toEqual(await quarantineOf(thread.ctx));
    const index = await indexOf(worker.ctx);
    expect(index.length).toBeGreaterThan(rows.length);
    expect(index).toEqual(await indexOf(thread.ctx));
    expect(await directoryOf(worker.ctx)).toEqual(await directoryOf(thread.ctx));
  });

  it('carries attachment bytes across the threads (PC 3.x: images, voice with its WAV)', async () => {
    const atts = await attachmentsOf(stores.get('wechat-pc3-worker')!.ctx);
    expect(atts.length).toBeGreaterThan(3);
    expect(atts.some((a) => a.mime === 'audio/wav')).toBe(true);
  });

  it('re-imports nothing new', async () => {
    const { ctx, summary } = stores.get('wechat-pc3-worker')!;
    const again = await importWeChat(ctx, { format: 'wechat-pc3', ...cases[0]!.options, custodian: 'P0007', tz: 'Asia/Shanghai', prepareIn: 'worker' });
    expect(again).toMatchObject({ imported: 0, duplicates: summary.imported });
  });

  it('ends a chunk early once its media reach the byte bound, and loses no row', async () => {
    // The worker's side, run on this thread with a port that grants every chunk at once.
    const sent: PrepareWorkerMessage[] = [];
    let grant: (() => void) | undefined;
    const port = {
      postMessage: (m: PrepareWorkerMessage) => {
        sent.push(m);
        grant?.();
      },
      on: (_event: 'message', f: () => void) => {
        grant = f;
        f();
      },
    };
    await runPrepareWorker({ format: 'wechat-pc3', options: { ...cases[0]!.options, custodian: 'P0007', tz: 'Asia/Shanghai' }, dedupKey: Buffer.alloc(32, 1), chunk: 1000, chunkBytes: 1 }, port);
    expect(sent.at(-1)).toEqual({ done: true });
    const chunks = sent.filter((m): m is { items: unknown[][] } => 'items' in m).map((m) => m.items.map((t) => decodeItem(t as never)));
    const withMedia = (item: ReturnType<typeof decodeItem>) => item.kind === 'message' && !('reason' in item.prepared) && item.prepared.attachments.some((a) => (a.data?.length ?? 0) > 0);
    // Every row with media bytes ends its chunk (the bound is 1 byte); rows without media share chunks.
    expect(chunks.flat().filter(withMedia).length).toBeGreaterThan(3);
    for (const c of chunks) expect(c.slice(0, -1).some(withMedia)).toBe(false);
    expect(chunks.length).toBeLessThan(chunks.flat().length);
    expect(chunks.flat().length).toBe(stores.get('wechat-pc3-worker')!.summary.rows);
  });

  it("rethrows the reader's error from the worker as the same AppError", async () => {
    const options = { path: join(tmp.path, 'no-such-export'), custodian: 'P0007', tz: 'Asia/Shanghai' };
    const direct = await (async () => WECHAT_READERS['wechat-pc3'](options))().then(() => undefined, (e: unknown) => e);
    expect(direct).toBeInstanceOf(AppError);
    let caught: unknown;
    try {
      for await (const _ of preparedInWorker('wechat-pc3', options, Buffer.alloc(32, 1))) throw new Error('no item expected');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(AppError);
    const { code, message, exitCode } = direct as AppError;
    expect(caught).toMatchObject({ code, message, exitCode });
    expect(message).toContain('no-such-export');
  });
});
