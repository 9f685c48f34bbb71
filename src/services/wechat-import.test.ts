import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/cli.js';
import { writeCsvFile, writeWeChatMsgCsv, type CsvFixture } from '../../test/support/wechat-fixtures/csv.js';
import { BASE_TIME, OWNER, PEER, PEER_REMARK } from '../../test/support/wechat-fixtures/sample-messages.js';
import { loadConfig } from '../config.js';
import { createContext, type Context } from '../context.js';
import { initStore } from './store.js';
import { describeLocation, importWeChat, type WeChatImportProgress } from './wechat-import.js';
import { buildPc3Export, FILES, SVR } from '../../test/support/wechat-fixtures/pc3.js';

// The service on its own, in-process, with a real store: batching and progress, per-conversation
// accounting of duplicates and conflicts, a newer export whose details changed, and the audit trail.

const tmp = tempDir('wechat-import');
let ctx: Context;
let fx: CsvFixture;

beforeAll(async () => {
  const config = loadConfig({ data: join(tmp.path, 'data') }, {});
  await (await initStore(config)).ctx.close();
  ctx = await createContext(config);
  fx = writeWeChatMsgCsv(join(tmp.path, 'export'));
});
afterAll(async () => {
  await ctx.close();
  tmp.cleanup();
});

const run = (path: string, batchSize = 4, onProgress?: (p: WeChatImportProgress) => void) =>
  importWeChat(ctx, { format: 'wechatmsg-csv', path, custodian: 'P7', tz: 'Asia/Shanghai', batchSize, onProgress });

describe('importWeChat', () => {
  it('archives in batches, reports progress up to the total, and audits who and whose', async () => {
    const progress: WeChatImportProgress[] = [];
    const s = await run(fx.root, 4, (p) => progress.push(p));
    expect(s).toMatchObject({ status: 'completed', rows: 23, totalRows: 23, imported: 23, duplicates: 0, quarantined: 0, lines: 23 });
    expect(progress.length).toBeGreaterThanOrEqual(6); // 23 rows in batches of 4
    expect(progress.map((p) => p.rows)).toEqual([...progress.map((p) => p.rows)].sort((a, b) => a - b));
    expect(progress.at(-1)).toEqual({ rows: 23, totalRows: 23, imported: 23, duplicates: 0, quarantined: 0 });
    const started = await sql<{ details: string }>`SELECT details FROM audit_events WHERE action = 'import.started' ORDER BY seq DESC LIMIT 1`.execute(ctx.db);
    expect(JSON.parse(started.rows[0]!.details)).toMatchObject({ format: 'wechatmsg-csv', custodian: 'P7', owner: OWNER, rows: 23 });
    const custodians = await sql<{ n: number }>`SELECT count(*) AS n FROM messages WHERE json_extract(fields, '$.custodian') = 'P7'`.execute(ctx.db);
    expect(Number(custodians.rows[0]!.n)).toBe(23);
  });

  it('counts per conversation: repeated rows as duplicates, changed content as conflicts, changed names as duplicates with changed details', async () => {
    const dir = join(tmp.path, 'newer');
    const file = join(dir, `${PEER_REMARK}_utf8.csv`);
    const row = { talkerId: 5, subType: 0, isSender: 0 as const, content: '', remark: PEER_REMARK, nickname: '张三', sender: PEER };
    // 101: same content, the sender's remark changed; 102: the owner's text edited (a conflict);
    // 401: new, and repeated in the same export.
    const text = readFileSync(fx.direct, 'utf8');
    const first = text.split('\r\n')[1]!.replace(PEER_REMARK, '张三（已离职）');
    mkdirSync(dir, { recursive: true });
    writeCsvFile(file, [
      first,
      { ...row, localId: 102, type: 1, isSender: 1, createTime: BASE_TIME + 60, content: '收到，谢谢（改过）', remark: '周经理', nickname: '周经理', sender: OWNER },
      { ...row, localId: 401, type: 1, createTime: BASE_TIME + 5000, content: '新消息' },
      { ...row, localId: 401, type: 1, createTime: BASE_TIME + 5000, content: '新消息' },
    ]);
    const s = await run(dir, 2);
    expect(s).toMatchObject({ rows: 4, imported: 1, duplicates: 2, duplicatesWithChangedDetails: 1, conflicts: 1, quarantined: 1, status: 'partial' });
    expect(s.conversations).toEqual([{ id: PEER, title: '张三（已离职）', type: 'direct', rows: 4, archived: 1, duplicates: 2, quarantined: 1, missingMedia: 0 }]);
    const q = await sql<{ reason: string }>`SELECT reason FROM quarantine ORDER BY id DESC LIMIT 1`.execute(ctx.db);
    // The reason names the CSV file and line, not only the export and an item number.
    expect(q.rows[0]!.reason).toBe(`${PEER_REMARK}_utf8.csv line 3: conflict: wechat:${OWNER}/csv:5:102:${BASE_TIME + 60} is already archived with different content; the archived record is kept`);
  });

  it('names the row in quarantine reasons', () => {
    expect(describeLocation({ file: 'db_storage/message/message_0.db', table: 'Msg_ab', row: 12 })).toBe('db_storage/message/message_0.db table Msg_ab row 12');
    expect(describeLocation({ file: 'MSG0.db', table: 'MSG' })).toBe('MSG0.db table MSG');
    expect(describeLocation({ file: 'a_utf8.csv', row: 7 })).toBe('a_utf8.csv line 7');
  });

  it('leaves nothing locked or half-done when the reader fails', async () => {
    const broken = join(tmp.path, 'broken_utf8.csv');
    writeFileSync(broken, 'not,a,wechatmsg,header\n');
    await expect(run(broken)).rejects.toThrow(/not a WeChatMsg CSV export/);
    const again = await run(fx.direct);
    expect(again.imported).toBe(0);
  });

  it('streams a video larger than what is read into memory from the export into the archive, byte for byte', async () => {
    const dir = join(tmp.path, 'pc3-large');
    const exp = await buildPc3Export(dir);
    // The fixture's video, replaced by 70 MiB (over the 64 MiB read into memory), an MP4 header first.
    const path = join(exp.account, ...FILES.video);
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + 7) & 0xff;
    chunk.write('\u0000\u0000\u0000\u0018ftypmp42', 0, 'latin1');
    const sha = createHash('sha256');
    const fd = openSync(path, 'w');
    for (let i = 0; i < 70; i++) {
      writeSync(fd, chunk);
      sha.update(chunk);
    }
    closeSync(fd);
    const s = await importWeChat(ctx, { format: 'wechat-pc3', path: exp.account, custodian: 'P7', tz: 'Asia/Shanghai' });
    expect(s.imported).toBeGreaterThan(0);
    const att = (await sql<{ size: number; sha256: string; mime: string | null; blob_id: string; compression: 'none' | 'gzip'; bucket: string; wrapped_dek: Buffer }>`
      SELECT b.size, b.sha256, a.mime, a.blob_id, b.compression, b.bucket, b.wrapped_dek FROM attachments a JOIN blobs b ON b.id = a.blob_id
      JOIN messages m ON m.id = a.message_id WHERE m.ext_id = ${String(SVR.video)} AND a.name LIKE '%.mp4'`.execute(ctx.db)).rows;
    expect(att).toHaveLength(1);
    const a = att[0]!;
    expect(Number(a.size)).toBe(70 * 1024 * 1024);
    expect(a.sha256).toBe(sha.digest('hex'));
    expect(a.mime).toBe('video/mp4');
    // What the blob store gives back is the file, byte for byte.
    const back = createHash('sha256');
    for await (const part of ctx.blobs.read({ id: a.blob_id, sha256: a.sha256, size: Number(a.size), compression: a.compression, bucket: a.bucket, wrappedDek: a.wrapped_dek })) back.update(part);
    expect(back.digest('hex')).toBe(a.sha256);
  });
});

