import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createContext, type Context } from '../src/context.js';
import { verifyAuditLog } from '../src/services/audit.js';
import { readAttachment } from '../src/services/conversations.js';
import { searchMessages } from '../src/services/search.js';
import { runCli, runCliJson, startCli, tempDir } from './support/cli.js';
import { tryBuildFakeSdk } from './support/wecom-sdk/build.js';
import { FakeSdkScenario, generateTestKeyPair, md5Hex } from './support/wecom-sdk/scenario.js';

/**
 * kill -9 during a WeCom sync — between batches and in the middle of a chunked media download —
 * then sync again: every message exactly once, the cursor at the end, the media complete and
 * byte-identical (the download resumed from its persisted index buffer), the audit log valid.
 */

const build = tryBuildFakeSdk();
const MESSAGES = 240;
const VIDEO_SEQ = 150;

describe.skipIf(!build.available)('WeCom sync survives kill -9', () => {
  const tmp = tempDir('wecom-crash');
  const data = join(tmp.path, 'data');
  const video = Buffer.concat(Array.from({ length: 200 }, (_, i) => Buffer.from(`frame ${i} `.padEnd(1024, '#'))));
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    const key = generateTestKeyPair(1);
    const s = new FakeSdkScenario({ keyPairs: [key], chunkSize: 2048, latencyMs: 15 });
    for (let i = 1; i <= MESSAGES; i++) {
      const msg = i === VIDEO_SEQ
        ? { action: 'send', from: 'zhangsan', tolist: ['lisi'], roomid: '', msgtime: 1_760_000_000_000 + i * 1000, msgtype: 'video', video: { md5sum: md5Hex(video), filesize: video.length, play_length: 12, sdkfileid: 'VIDEOFILE1' } }
        : { action: 'send', from: 'zhangsan', tolist: ['lisi'], roomid: '', msgtime: 1_760_000_000_000 + i * 1000, msgtype: 'text', text: { content: `第${i}条 crash-test` } };
      s.addMessage({ seq: i, publickeyVer: 1, message: msg, msgid: `crash${i}` });
    }
    s.addMedia('VIDEOFILE1', video);
    env = { WECOM_FAKE_DIR: s.write(join(tmp.path, 'scenario')).dir };
    writeFileSync(join(tmp.path, 'secret'), 'secret');
    writeFileSync(join(tmp.path, 'k1.pem'), key.privateKeyPem);
    expect(runCli(['--data', data, 'init']).status).toBe(0);
    const add = runCli(['--data', data, 'sources', 'add', 'wecom', '--name', 'crash', '--corp-id', 'ww-crash', '--secret-file', join(tmp.path, 'secret'), '--private-key', `1=${join(tmp.path, 'k1.pem')}`, '--sdk', build.available ? build.libraryPath : '']);
    expect(add.status, add.stderr).toBe(0);
  });
  afterAll(() => tmp.cleanup());

  /** Runs a sync and kills it with SIGKILL as soon as `when` (polled in this process, read-only) holds. */
  async function syncKilledWhen(when: (ctx: Context) => Promise<boolean>): Promise<boolean> {
    const child = startCli(['--data', data, 'sources', 'sync', 'crash', '--limit', '20', '--json'], env);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const ctx = await createContext(loadConfig({ data }, {}));
    let killed = false;
    try {
      const deadline = Date.now() + 90_000;
      while (child.exitCode === null && Date.now() < deadline) {
        if (await when(ctx).catch(() => false)) {
          killed = child.kill('SIGKILL');
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      await exited;
    } finally {
      await ctx.close();
    }
    return killed;
  }

  const cursor = async (ctx: Context): Promise<number> => Number((await sql<{ c: number }>`SELECT cursor_seq AS c FROM source_settings`.execute(ctx.db)).rows[0]?.c ?? 0);

  it('resumes after kills between batches and mid-download, archiving everything exactly once', async () => {
    expect(await syncKilledWhen(async (ctx) => (await cursor(ctx)) >= 40)).toBe(true);
    expect(await syncKilledWhen(async (ctx) => {
      const r = await sql<{ received: number }>`SELECT received FROM connector_media WHERE file_id = 'VIDEOFILE1' AND status = 'downloading'`.execute(ctx.db);
      return Number(r.rows[0]?.received ?? 0) >= 40 * 2048;
    })).toBe(true);

    const last = runCli(['--data', data, 'sources', 'sync', 'crash', '--json'], { env });
    expect(last.status, last.stderr).toBe(0);
    const summary = JSON.parse(last.stdout) as { toSeq: number; media: { resumed: number; downloaded: number } };
    expect(summary.toSeq).toBe(MESSAGES);
    expect(summary.media.resumed).toBe(1);

    const ctx = await createContext(loadConfig({ data }, {}));
    try {
      const counts = await sql<{ n: number; distinct_ids: number }>`SELECT count(*) AS n, count(DISTINCT ext_id) AS distinct_ids FROM messages`.execute(ctx.db);
      expect(counts.rows[0]).toEqual({ n: MESSAGES, distinct_ids: MESSAGES });
      const fts = await sql<{ n: number }>`SELECT count(*) AS n FROM message_fts WHERE message_fts MATCH 'meta : allrows'`.execute(ctx.db);
      expect(Number(fts.rows[0]!.n)).toBe(MESSAGES);
      expect((await searchMessages(ctx, { query: 'crash test', limit: 1, offset: 0 })).total).toBe(MESSAGES - 1);
      const v = (await searchMessages(ctx, { query: 'type:video', limit: 1, offset: 0 })).messages[0]!;
      const att = await readAttachment(ctx, v.key, 0, { kind: 'all' });
      const parts: Buffer[] = [];
      for await (const c of att.body) parts.push(c);
      expect(md5Hex(Buffer.concat(parts))).toBe(md5Hex(video));
      expect((await verifyAuditLog(ctx)).ok).toBe(true);
    } finally {
      await ctx.close();
    }
  }, 240_000);

  it('a sync whose SDK cannot be loaded exits 1 at once (no thread left running) and records why', async () => {
    const add = runCli(['--data', data, 'sources', 'add', 'wecom', '--name', 'nosdk', '--corp-id', 'ww-nosdk', '--secret-file', join(tmp.path, 'secret'), '--private-key', `1=${join(tmp.path, 'k1.pem')}`, '--sdk', join(tmp.path, 'no-such-sdk.so')]);
    expect(add.status, add.stderr).toBe(0);
    expect(add.stderr).toContain(`wekeep: warning: --sdk: ${join(tmp.path, 'no-such-sdk.so')} is not a file here; \`sources sync\` fails until the WeCom SDK library is there`);
    const child = startCli(['--data', data, 'sources', 'sync', 'nosdk', '--json'], env);
    const code = await new Promise<number | null>((resolveExit) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolveExit(-1);
      }, 30_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolveExit(c);
      });
    });
    expect(code).toBe(1); // -1: it did not exit within 30 s
    const status = runCliJson<{ connectors: { name: string; lastSyncStatus: string | null; lastError: string | null; lastSuccessAt: string | null; lagMs: number | null; lagLevel: string }[] }>(['--data', data, 'sources', '--json']);
    // Tried, but never synced: not "ok".
    expect(status.connectors.find((c) => c.name === 'wecom:nosdk')).toMatchObject({ lastSyncStatus: 'failed', lastError: expect.stringMatching(/sdk/u), lastSuccessAt: null, lagMs: null, lagLevel: 'never_synced' });
  }, 60_000);
});
