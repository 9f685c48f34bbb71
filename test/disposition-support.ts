import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { expect } from 'vitest';
import { loadConfig, type Config } from '../src/config.js';
import { createContext, type Context } from '../src/context.js';
import { verifyAuditLog } from '../src/services/audit.js';
import { importNdjson, type ImportSummary } from '../src/services/import.js';
import { initStore } from '../src/services/store.js';
import { BLOB_DIR } from '../src/context.js';
import { toNdjson, type TestRecord } from './support/records.js';

/** Shared by the disposition tests: a small archive spanning 2020, and the store's invariants after disposals. */

export const DAY = 86_400_000;
export const T0 = Date.UTC(2020, 0, 1, 4, 0, 0);
const att = (text: string): { name: string; mime: string; data: string } => ({ name: 'note.txt', mime: 'text/plain', data: Buffer.from(text).toString('base64') });

/**
 * 60 records, one every 6 days of 2020: zhangsan ↔ lisi in `room-sales` (group) and zhangsan ↔ wangwu
 * in `dm-wangwu` (direct); every fifth is a voice note; record 0 and 59 share an attachment, record 3
 * has its own, record 10 and 11 share another.
 */
export function corpusRecords(): TestRecord[] {
  const out: TestRecord[] = [];
  for (let i = 0; i < 60; i++) {
    const direct = i % 3 === 0;
    const r: TestRecord = {
      source: 'test',
      id: `r${i}`,
      seq: i,
      time: T0 + i * 6 * DAY,
      conversation: direct ? { id: 'dm-wangwu', type: 'direct' } : { id: 'room-sales', type: 'group', title: '销售部项目群' },
      from: { id: 'zhangsan', name: '张三' },
      to: [direct ? { id: 'wangwu', name: '王五' } : { id: 'lisi', name: '李四' }],
      type: i % 5 === 0 ? 'voice' : 'text',
      text: `合同 第${i}号 invoice${i}`,
    };
    if (i === 0 || i === 59) r.attachments = [att('shared by 0 and 59')];
    if (i === 3) r.attachments = [att('only record 3')];
    if (i === 10 || i === 11) r.attachments = [att('shared by 10 and 11')];
    out.push(r);
  }
  return out;
}

export interface Store {
  config: Config;
  ctx: Context;
  file: string;
  records: TestRecord[];
  imported: ImportSummary;
}

export async function makeStore(dir: string, records: TestRecord[] = corpusRecords(), env: Record<string, string> = {}): Promise<Store> {
  const config = loadConfig({ data: join(dir, 'data') }, { WEKEEP_TZ: 'Asia/Shanghai', ...env });
  await (await initStore(config)).ctx.close();
  const ctx = await createContext(config);
  const file = join(dir, 'in.ndjson');
  writeFileSync(file, toNdjson(records));
  const imported = await importNdjson(ctx, { file });
  return { config, ctx, file, records, imported };
}

const num = (v: unknown): number => Number(v ?? 0);

/**
 * After any disposals: every original record is either archived or tombstoned (never both), the
 * index holds exactly the archived ones, the usage rollups and source counts equal a scan of what
 * is archived, blob reference counts equal the attachment rows, every blob row has its file, and no
 * purge is pending. The audit log verifies.
 */
export async function expectConsistent(ctx: Context, originalKeys: ReadonlySet<number>): Promise<{ archived: Set<number>; tombstoned: Set<number> }> {
  const archived = new Set((await ctx.db.selectFrom('messages').select('id').execute()).map((r) => Number(r.id)));
  const tombstoned = new Set((await ctx.db.selectFrom('tombstones').select('message_key').execute()).map((r) => Number(r.message_key)));
  for (const k of archived) expect(tombstoned.has(k), `key ${k} both archived and tombstoned`).toBe(false);
  expect(new Set([...archived, ...tombstoned])).toEqual(new Set(originalKeys));

  const indexed = new Set((await sql<{ id: number }>`SELECT rowid AS id FROM message_fts WHERE message_fts MATCH 'meta : "allrows"'`.execute(ctx.db)).rows.map((r) => Number(r.id)));
  expect(indexed).toEqual(archived);

  const perMessage = sql`
    SELECT m.id, m.source_id, m.type, m.from_person_id, m.conversation_id,
           strftime('%Y-%m-%d', (m.time_ms + 28800000) / 1000, 'unixepoch') AS day,
           coalesce(length(CAST(m.text AS BLOB)), 0) + coalesce(length(CAST(m.raw AS BLOB)), 0) AS text_bytes,
           (SELECT count(*) FROM attachments a WHERE a.message_id = m.id) AS atts,
           (SELECT coalesce(sum(b.size), 0) FROM attachments a JOIN blobs b ON b.id = a.blob_id WHERE a.message_id = m.id) AS att_bytes
    FROM messages m`;
  const norm = (rows: Record<string, unknown>[]): string[] => rows.filter((r) => num(r.n) > 0).map((r) => `${String(r.k)}|${num(r.n)}|${num(r.tb)}|${num(r.a)}|${num(r.ab)}`).sort();
  const q = async (s: ReturnType<typeof sql>): Promise<string[]> => norm((await s.execute(ctx.db)).rows as Record<string, unknown>[]);
  expect(await q(sql`SELECT day || '/' || source_id || '/' || type AS k, messages AS n, text_bytes AS tb, attachments AS a, attachment_bytes AS ab FROM usage_daily`))
    .toEqual(await q(sql`SELECT day || '/' || source_id || '/' || type AS k, count(*) AS n, sum(text_bytes) AS tb, sum(atts) AS a, sum(att_bytes) AS ab FROM (${perMessage}) GROUP BY day, source_id, type`));
  expect(await q(sql`SELECT person_id AS k, messages AS n, text_bytes AS tb, attachments AS a, attachment_bytes AS ab FROM usage_person`))
    .toEqual(await q(sql`SELECT from_person_id AS k, count(*) AS n, sum(text_bytes) AS tb, sum(atts) AS a, sum(att_bytes) AS ab FROM (${perMessage}) GROUP BY from_person_id`));
  expect(await q(sql`SELECT conversation_id AS k, messages AS n, text_bytes AS tb, attachments AS a, attachment_bytes AS ab FROM usage_conversation`))
    .toEqual(await q(sql`SELECT conversation_id AS k, count(*) AS n, sum(text_bytes) AS tb, sum(atts) AS a, sum(att_bytes) AS ab FROM (${perMessage}) GROUP BY conversation_id`));
  const sources = (await sql<{ id: number; record_count: number; n: number }>`SELECT s.id, s.record_count, (SELECT count(*) FROM messages m WHERE m.source_id = s.id) AS n FROM sources s`.execute(ctx.db)).rows;
  for (const s of sources) expect(num(s.record_count), `source ${s.id}`).toBe(num(s.n));

  const blobs = (await sql<{ id: string; ref_count: number; refs: number }>`SELECT b.id, b.ref_count, (SELECT count(*) FROM attachments a WHERE a.blob_id = b.id) AS refs FROM blobs b`.execute(ctx.db)).rows;
  for (const b of blobs) {
    expect(num(b.ref_count), `blob ${b.id}`).toBe(num(b.refs));
    expect(num(b.ref_count)).toBeGreaterThan(0);
    expect(existsSync(join(ctx.config.dataDir, BLOB_DIR, b.id.slice(0, 2), b.id.slice(2, 4), b.id)), `file of blob ${b.id}`).toBe(true);
  }
  const dangling = (await sql<{ n: number }>`SELECT count(*) AS n FROM attachments a WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.id = a.blob_id)`.execute(ctx.db)).rows[0]!;
  expect(num(dangling.n)).toBe(0);
  expect(num((await sql<{ n: number }>`SELECT count(*) AS n FROM blob_purges`.execute(ctx.db)).rows[0]!.n)).toBe(0);
  const audit = await verifyAuditLog(ctx);
  expect(audit.problems).toEqual([]);
  expect(audit.ok).toBe(true);
  return { archived, tombstoned };
}

export async function allKeys(ctx: Context): Promise<Set<number>> {
  return new Set((await ctx.db.selectFrom('messages').select('id').execute()).map((r) => Number(r.id)));
}

export async function keyOf(ctx: Context, extId: string): Promise<number> {
  const r = await ctx.db.selectFrom('messages').select('id').where('ext_id', '=', extId).executeTakeFirstOrThrow();
  return Number(r.id);
}
