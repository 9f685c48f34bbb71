import { createHash } from 'node:crypto';
import { loadConfig } from '../../src/config.js';
import type { Context } from '../../src/context.js';
import { firstKeyOf, preferredSlot } from '../../src/domain/message-key.js';
import { zoneOffsetMs } from '../../src/domain/time-zone.js';
import { ftsRow } from '../../src/search/fts-document.js';
import { appendAudit } from '../../src/services/audit.js';
import { initStore } from '../../src/services/store.js';

/**
 * A large archive, fast: a real data dir (`initStore`: keys, encrypted database, audit log) filled
 * by direct prepared inserts of what the import writes for text records — messages, their index
 * rows (the same ftsRow the import uses), persons, conversations and memberships, the usage
 * rollups and source counters — one transaction per 50,000 records, and one audit event. Used by
 * the hold-vs-sweep race test and bench/disposition.ts, where a 1,000,000-record NDJSON import
 * (~90 s) would dominate the run. Record i has time `startMs + i * stepMs` (one per millisecond slot
 * at most, so its key is firstKeyOf(time) + preferredSlot).
 */

export interface CorpusOptions {
  records: number;
  startMs: number;
  stepMs: number;
  source?: string;
  persons?: number;
  conversations?: number;
}

export interface Corpus {
  ctx: Context;
  source: string;
  keyOf(i: number): number;
  timeOf(i: number): number;
}

const WORDS = ['合同', '发票', '会议纪要', '报价', '采购订单', 'invoice', '付款', '项目进度', '客户', '审批'];

export async function buildCorpus(dataDir: string, options: CorpusOptions): Promise<Corpus> {
  const { ctx } = await initStore(loadConfig({ data: dataDir }));
  const source = options.source ?? 'bulk:corpus';
  const P = options.persons ?? 200;
  const C = options.conversations ?? 400;
  const db = ctx.sqlite;
  const now = ctx.clock.now();
  const timeOf = (i: number): number => options.startMs + i * options.stepMs;
  const keyOf = (i: number): number => firstKeyOf(timeOf(i)) + preferredSlot(source, `m${i}`);
  if (options.stepMs < 1) throw new Error('stepMs must be at least 1 (one record per millisecond)');

  const sourceId = Number(db.prepare('INSERT INTO sources (name, created_at, record_count, last_seq, last_time_ms) VALUES (?, ?, 0, NULL, NULL) RETURNING id').pluck().get(source, now));
  const insPerson = db.prepare('INSERT INTO persons (ext_id, name) VALUES (?, ?) RETURNING id').pluck();
  const personIds: number[] = [];
  for (let p = 0; p < P; p++) personIds.push(Number(insPerson.get(`u${p}`, `用户${p}`)));
  const insConv = db.prepare('INSERT INTO conversations (source_id, ext_id, kind, title) VALUES (?, ?, ?, ?) RETURNING id').pluck();
  const convIds: number[] = [];
  for (let c = 0; c < C; c++) convIds.push(Number(insConv.get(sourceId, `c${c}`, c % 3 === 0 ? 'group' : 'direct', `群${c}`)));
  const insMember = db.prepare('INSERT OR IGNORE INTO conversation_members (conversation_id, person_id) VALUES (?, ?)');

  const insMsg = db.prepare(`INSERT INTO messages (id, source_id, ext_id, seq, time_ms, conversation_id, from_person_id, to_person_ids, type, text, fields, raw,
    recalled_at, recalled_by, attachment_count, record_hash, import_id, archived_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'text', ?, NULL, NULL, NULL, NULL, 0, ?, NULL, ?)`);
  const insFts = db.prepare('INSERT OR REPLACE INTO message_fts (rowid, body, meta, uni) VALUES (?, ?, ?, ?)');
  const daily = db.prepare(`INSERT INTO usage_daily (day, source_id, type, messages, text_bytes, attachments, attachment_bytes) VALUES (?, ?, 'text', ?, ?, 0, 0)
    ON CONFLICT (day, source_id, type) DO UPDATE SET messages = messages + excluded.messages, text_bytes = text_bytes + excluded.text_bytes`);
  const person = db.prepare(`INSERT INTO usage_person (person_id, messages, text_bytes, attachments, attachment_bytes) VALUES (?, ?, ?, 0, 0)
    ON CONFLICT (person_id) DO UPDATE SET messages = messages + excluded.messages, text_bytes = text_bytes + excluded.text_bytes`);
  const conv = db.prepare(`INSERT INTO usage_conversation (conversation_id, messages, text_bytes, attachments, attachment_bytes) VALUES (?, ?, ?, 0, 0)
    ON CONFLICT (conversation_id) DO UPDATE SET messages = messages + excluded.messages, text_bytes = text_bytes + excluded.text_bytes`);
  const bump = db.prepare('UPDATE sources SET record_count = record_count + ?, last_seq = ?, last_time_ms = ? WHERE id = ?');
  const seqRange = db.prepare('INSERT INTO source_seq_ranges (source_id, lo, hi) VALUES (?, 0, ?)');
  const offsets = new Map<number, number>();
  const dayOf = (t: number): string => {
    const h = Math.floor(t / 3_600_000);
    let o = offsets.get(h);
    if (o === undefined) offsets.set(h, (o = zoneOffsetMs(ctx.config.timeZone, t)));
    return new Date(t + o).toISOString().slice(0, 10);
  };

  const members = new Set<string>();
  const CHUNK = 50_000;
  for (let lo = 0; lo < options.records; lo += CHUNK) {
    const hi = Math.min(options.records, lo + CHUNK);
    const days = new Map<string, [number, number]>();
    const persons = new Map<number, [number, number]>();
    const convs = new Map<number, [number, number]>();
    const add = <K>(m: Map<K, [number, number]>, k: K, bytes: number): void => {
      const cur = m.get(k);
      if (cur) {
        cur[0]++;
        cur[1] += bytes;
      } else m.set(k, [1, bytes]);
    };
    db.transaction(() => {
      for (let i = lo; i < hi; i++) {
        const t = timeOf(i);
        const c = i % C;
        const from = (i * 7) % P;
        const to = (from + 1 + (i % 5)) % P;
        const text = `${WORDS[i % WORDS.length]} 第${i}号 ${WORDS[(i * 3) % WORDS.length]}`;
        const key = keyOf(i);
        insMsg.run(key, sourceId, `m${i}`, i, t, convIds[c], personIds[from], JSON.stringify([personIds[to]]), text, createHash('sha256').update(`m${i}`).digest(), now);
        const r = ftsRow({ text, source, conversationId: `c${c}`, fromId: `u${from}`, fromName: `用户${from}`, to: [{ id: `u${to}`, name: `用户${to}` }], type: 'text', hasAttachment: false, recalled: false });
        insFts.run(key, r.body, r.meta, r.uni);
        for (const p of [from, to]) {
          const pair = `${c}:${p}`;
          if (!members.has(pair)) {
            members.add(pair);
            insMember.run(convIds[c], personIds[p]);
          }
        }
        const bytes = Buffer.byteLength(text);
        add(days, dayOf(t), bytes);
        add(persons, personIds[from]!, bytes);
        add(convs, convIds[c]!, bytes);
      }
      for (const [d, [n, b]] of days) daily.run(d, sourceId, n, b);
      for (const [p, [n, b]] of persons) person.run(p, n, b);
      for (const [cv, [n, b]] of convs) conv.run(cv, n, b);
      bump.run(hi - lo, hi - 1, timeOf(hi - 1), sourceId);
    })();
  }
  if (options.records > 0) seqRange.run(sourceId, options.records - 1);
  await appendAudit(ctx, ctx.db, { action: 'test.corpus_built', details: { records: options.records } });
  return { ctx, source, keyOf, timeOf };
}
