import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { initializeContext, type Context } from '../src/context.js';
import { writeDemo } from '../src/demo/generate.js';
import { isRecordType, parseRecordTime } from '../src/domain/record.js';
import { parseSearchQuery } from '../src/domain/search-query.js';
import { importNdjson } from '../src/services/import.js';
import { searchMessages } from '../src/services/search.js';
import { matchesQuery, type PlainMessage } from './support/brute-force-search.js';
import { tempDir } from './support/cli.js';

// The whole pipeline (NDJSON → import → index → search) against a brute-force scan of the same
// NDJSON file, on the realistic demo corpus: every total and every hit must agree.

interface Line {
  source: string;
  id: string;
  time: number | string;
  conversation: { id: string };
  from: { id: string; name?: string };
  to?: { id: string; name?: string }[];
  type: string;
  text?: string;
  attachments?: { name: string }[];
  recalls?: string;
}

describe('search over the imported demo corpus agrees with a brute-force scan', () => {
  const tmp = tempDir('demo-search');
  let ctx: Context;
  let messages: (PlainMessage & { ref: string })[];

  beforeAll(async () => {
    const file = join(tmp.path, 'demo.ndjson');
    const out = createWriteStream(file);
    await writeDemo({ messages: 4000, seed: 'brute', media: 'normal', days: 60, end: '2026-10-31' }, out);
    out.end();
    await once(out, 'finish');
    ctx = await initializeContext(loadConfig({ data: join(tmp.path, 'data') }), randomBytes(32));
    const summary = await importNdjson(ctx, { file });
    expect(summary.quarantined).toBe(0);

    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
    const recalled = new Set(lines.filter((l) => l.type === 'recall' && l.recalls).map((l) => `${l.source}/${l.recalls}`));
    messages = lines.map((l, i) => ({
      id: i,
      ref: `${l.source}/${l.id}`,
      timeMs: parseRecordTime(l.time) as number,
      text: [l.text ?? '', ...(l.attachments ?? []).map((a) => a.name)].filter(Boolean).join('\n'),
      source: l.source,
      conversationId: l.conversation.id,
      fromId: l.from.id,
      ...(l.from.name ? { fromName: l.from.name } : {}),
      to: (l.to ?? []).map((t) => (t.name ? { id: t.id, name: t.name } : { id: t.id })),
      type: isRecordType(l.type) ? l.type : 'other',
      hasAttachment: (l.attachments ?? []).length > 0,
      recalled: recalled.has(`${l.source}/${l.id}`),
    }));
  }, 120_000);
  afterAll(async () => {
    await ctx?.close();
    tmp.cleanup();
  });

  it('for terms of every length, words, filters, recalls and dates', async () => {
    const texts = messages.map((m) => m.text ?? '').filter((t) => /\p{Script=Han}{4}/u.test(t));
    const queries = new Set<string>(['invoice', 'pdf', 'ok', 'is:recalled', 'has:attachment', 'type:image', 'type:call', 'type:other', '-type:text', 'after:2026-10-01', 'before:2026-09-15 合同']);
    let k = 7;
    const next = (n: number): number => (k = (k * 48271) % 2147483647) % n;
    for (let i = 0; i < 40; i++) {
      const t = texts[next(texts.length)]!;
      const han = [...t.matchAll(/\p{Script=Han}+/gu)].map((m) => m[0]).filter((r) => r.length >= 4);
      if (han.length === 0) continue;
      const run = han[next(han.length)]!;
      const len = 1 + (i % 4);
      const start = next(run.length - len + 1);
      queries.add(run.slice(start, start + len));
    }
    for (let i = 0; i < 10; i++) {
      const m = messages[next(messages.length)]!;
      queries.add(`from:${m.fromId}`);
      if (m.fromName) queries.add(`from:"${m.fromName}"`);
      queries.add(`in:"${m.conversationId}"`);
      if (m.to[0]) queries.add(`to:${m.to[0].id}`);
      queries.add(`source:${m.source} 款`);
    }
    expect(queries.size).toBeGreaterThan(60);
    let withHits = 0;
    for (const q of queries) {
      const parsed = parseSearchQuery(q, { timeZone: 'Asia/Shanghai' });
      const expected = messages.filter((m) => matchesQuery(m, parsed)).map((m) => m.ref).sort();
      const got = await searchMessages(ctx, { query: q, limit: 100_000, offset: 0 });
      expect(got.total, q).toBe(expected.length);
      expect(got.hits.map((h) => `${h.source}/${h.id}`).sort(), q).toEqual(expected);
      if (expected.length > 0) withHits++;
    }
    // the queries are drawn from the corpus, so nearly all find something
    expect(withHits).toBeGreaterThan(queries.size * 0.8);
  }, 300_000);
});
