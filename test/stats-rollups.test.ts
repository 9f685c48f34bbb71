import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createContext, type Context } from '../src/context.js';
import { writeDemo } from '../src/demo/generate.js';
import { importNdjson } from '../src/services/import.js';
import { collectStats } from '../src/services/stats.js';
import { initStore } from '../src/services/store.js';
import { tempDir } from './support/cli.js';

/** The usage rollups kept by the import agree with a scan of the archive, across re-imports. */

let ctx: Context;
const dir = tempDir('rollups');
beforeAll(async () => {
  const config = loadConfig({ data: join(dir.path, 'data') }, { WEKEEP_TZ: 'Asia/Shanghai' });
  await (await initStore(config)).ctx.close();
  ctx = await createContext(config);
  const more = join(dir.path, 'more.ndjson');
  const out = createWriteStream(more);
  await writeDemo({ messages: 3500, seed: 'rollups', media: 'normal', days: 20, end: '2026-11-01' }, out);
  await new Promise((r) => out.end(r));
  const file = join(dir.path, 'demo.ndjson');
  writeFileSync(file, `${readFileSync(more, 'utf8').split('\n').slice(0, 3000).join('\n')}\n`);
  await importNdjson(ctx, { file, batchSize: 700 });
  // A re-import adds nothing; a second file overlapping the first adds only its new records.
  await importNdjson(ctx, { file });
  await importNdjson(ctx, { file: more, batchSize: 900 });
}, 120_000);
afterAll(async () => {
  await ctx.close();
  dir.cleanup();
});

interface Row { key: string; count: number; textBytes: number; attachments: number; attachmentBytes: number }

async function scan(keyExpr: ReturnType<typeof sql>, joins = sql``): Promise<Row[]> {
  const r = await sql<{ key: string; count: number; text_bytes: number; atts: number; att_bytes: number }>`
    SELECT ${keyExpr} AS key, count(*) AS count,
           sum(coalesce(length(CAST(m.text AS BLOB)), 0) + coalesce(length(CAST(m.raw AS BLOB)), 0)) AS text_bytes,
           sum((SELECT count(*) FROM attachments a WHERE a.message_id = m.id)) AS atts,
           sum((SELECT coalesce(sum(b.size), 0) FROM attachments a JOIN blobs b ON b.id = a.blob_id WHERE a.message_id = m.id)) AS att_bytes
    FROM messages m ${joins} GROUP BY key ORDER BY key`.execute(ctx.db);
  return r.rows.map((x) => ({ key: String(x.key), count: Number(x.count), textBytes: Number(x.text_bytes), attachments: Number(x.atts), attachmentBytes: Number(x.att_bytes) }));
}

const byKey = (rows: Row[]): Row[] => rows.map((r) => ({ key: r.key, count: r.count, textBytes: r.textBytes, attachments: r.attachments, attachmentBytes: r.attachmentBytes })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

describe('usage rollups', () => {
  it('match a full scan by type, source, day, person and conversation', async () => {
    const s = await collectStats(ctx, { topPersons: 100_000, topConversations: 100_000 });
    expect(s.totals.messages).toBe(3500);
    expect(byKey(s.byType)).toEqual(byKey(await scan(sql`m.type`)));
    expect(byKey(s.bySource)).toEqual(byKey(await scan(sql`s.name`, sql`JOIN sources s ON s.id = m.source_id`)));
    expect(byKey(s.byDay)).toEqual(byKey(await scan(sql`strftime('%Y-%m-%d', (m.time_ms + 28800000) / 1000, 'unixepoch')`)));
    expect(byKey(s.byPerson)).toEqual(byKey(await scan(sql`p.ext_id`, sql`JOIN persons p ON p.id = m.from_person_id`)));
    expect(byKey(s.byConversation)).toEqual(byKey(await scan(sql`c.ext_id`, sql`JOIN conversations c ON c.id = m.conversation_id`)));
    // A conversation without a title is labelled by its members, as on its own page.
    const untitled = s.byConversation.filter((c) => !c.title);
    expect(untitled.length).toBeGreaterThan(0);
    for (const c of untitled) expect(c.label).toMatch(/ · /u);
    for (const c of s.byConversation.filter((x) => x.title)) expect(c.label).toBe(c.title);
    expect(s.byDayType.reduce((n, r) => n + r.count, 0)).toBe(3500);
    expect(s.attachments.references).toBe(s.byType.reduce((n, r) => n + r.attachments, 0));
  });
});
