import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createContext, type Context } from '../../src/context.js';
import { parseMessageRef, showMessage } from '../../src/services/show.js';
import { searchMessages } from '../../src/services/search.js';
import type { TestRecord } from './records.js';

/** Builders and comparisons for the backup tests (our own fixtures). */

export const SECRET_PHRASE = '绝密备份测试青龙计划';
export const SECRET_NAME = '欧阳备份';
export const ATTACHMENT_CANARY = Buffer.from('BACKUP-ATTACHMENT-PLAINTEXT-CANARY-91c4 '.repeat(40));

const b64 = (b: Buffer): string => b.toString('base64');

/** A small archive spread over 3 conversations and 2 months (5 buckets), with attachments, one shared by two buckets, recipients and a recall. */
export function smallArchive(): TestRecord[] {
  const base = { source: 'bk', type: 'text', to: [{ id: 'lisi', name: '李四' }] };
  const jan = (d: number, h = 1): string => `2026-01-${String(d).padStart(2, '0')}T0${h}:00:00+00:00`;
  const feb = (d: number, h = 1): string => `2026-02-${String(d).padStart(2, '0')}T0${h}:00:00+00:00`;
  const sales = { id: 'room-sales', type: 'group' as const, title: '销售部项目群' };
  const hr = { id: 'room-hr', type: 'group' as const, title: '人事部' };
  const dm = { id: 'dm-ouyang', type: 'direct' as const };
  const shared = Buffer.from('shared attachment bytes, stored once '.repeat(20));
  return [
    { ...base, id: 's1', time: jan(3), conversation: sales, from: { id: 'zhangsan', name: '张三' }, text: `关于${SECRET_PHRASE}的合同草稿` },
    { ...base, id: 's2', time: jan(4), conversation: sales, from: { id: 'lisi', name: '李四' }, text: '合同第二版', attachments: [{ name: '合同.txt', mime: 'text/plain', data: b64(ATTACHMENT_CANARY) }] },
    { ...base, id: 's3', time: jan(5), conversation: sales, from: { id: 'zhangsan', name: '张三' }, text: 'invoice for January', attachments: [{ name: 'shared.bin', data: b64(shared) }] },
    { ...base, id: 's4', time: feb(2), conversation: sales, from: { id: 'zhangsan', name: '张三' }, text: '二月的发票已经开好了' },
    { ...base, id: 's5', time: feb(3), conversation: sales, from: { id: 'lisi', name: '李四' }, text: 'payment terms confirmed' },
    { ...base, id: 'h1', time: jan(10), conversation: hr, from: { id: 'wangwu', name: '王五' }, text: '面试安排 合同 offer' },
    { ...base, id: 'h2', time: jan(11), conversation: hr, from: { id: 'wangwu', name: '王五' }, text: 'shared file again', attachments: [{ name: 'shared-copy.bin', data: b64(shared) }] },
    { ...base, id: 'h3', time: feb(12), conversation: hr, from: { id: 'zhaoliu', name: '赵六' }, text: '二月人事会议' },
    { ...base, id: 'd1', time: jan(20), conversation: dm, from: { id: 'ouyang', name: SECRET_NAME }, to: [{ id: 'zhangsan', name: '张三' }], text: '私聊合同细节' },
    { ...base, id: 'd2', time: jan(21), conversation: dm, from: { id: 'zhangsan', name: '张三' }, to: [{ id: 'ouyang', name: SECRET_NAME }], type: 'recall', text: undefined, recalls: 'd1' },
  ];
}

/** Every file below a directory. */
export function filesBelow(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** Files below `dir` that contain any of the needles in plain text. */
export function plaintextLeaks(dir: string, needles: readonly (string | Buffer)[]): string[] {
  const bufs = needles.map((n) => (typeof n === 'string' ? Buffer.from(n, 'utf8') : n.subarray(0, 48)));
  return filesBelow(dir).filter((f) => {
    const data = readFileSync(f);
    return bufs.some((b) => data.includes(b));
  });
}

export async function openStore(data: string, keyFile?: string): Promise<Context> {
  return createContext(loadConfig({ data, keyFile }));
}

/** What a reader sees of a store, for comparing two stores: search results and shown messages (with context). */
export async function viewOf(ctx: Context, queries: readonly string[], refs: readonly string[]): Promise<unknown> {
  const searches: unknown[] = [];
  for (const query of queries) {
    const r = await searchMessages(ctx, { query, limit: 1000, offset: 0 });
    searches.push({ query, total: r.total, hits: r.hits });
  }
  const shown: unknown[] = [];
  for (const ref of refs) {
    try {
      shown.push(await showMessage(ctx, parseMessageRef(ref), { context: 3 }));
    } catch (e) {
      shown.push({ ref, error: (e as { code?: string }).code });
    }
  }
  return { searches, shown };
}

/** All (source/id) refs of the archived messages, sorted. */
export async function allRefs(ctx: Context): Promise<string[]> {
  const rows = await ctx.db.selectFrom('messages as m').innerJoin('sources as s', 's.id', 'm.source_id').select(['s.name', 'm.ext_id']).execute();
  return rows.map((r) => `${r.name}/${r.ext_id}`).sort();
}

/** Every attachment's bytes (decrypted and verified by the blob store), by `source/id#ordinal`. */
export async function attachmentBytes(ctx: Context): Promise<Map<string, Buffer>> {
  const rows = await ctx.db
    .selectFrom('attachments as a')
    .innerJoin('blobs as b', 'b.id', 'a.blob_id')
    .innerJoin('messages as m', 'm.id', 'a.message_id')
    .innerJoin('sources as s', 's.id', 'm.source_id')
    .select(['s.name', 'm.ext_id', 'a.ordinal', 'b.id', 'b.sha256', 'b.size', 'b.compression', 'b.bucket', 'b.wrapped_dek'])
    .execute();
  const out = new Map<string, Buffer>();
  for (const r of rows) {
    out.set(`${r.name}/${r.ext_id}#${r.ordinal}`, await ctx.blobs.get({ id: r.id, sha256: r.sha256, size: r.size, compression: r.compression, bucket: r.bucket, wrappedDek: r.wrapped_dek }));
  }
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}
