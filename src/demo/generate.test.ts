import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeIssues, recordInputSchema } from '../domain/record.js';
import { checkAttachment } from './file-checks.js';
import { DemoGenerator, writeDemo, type DemoOptions } from './generate.js';

interface Line {
  source: string;
  id: string;
  seq: number;
  time: string | number;
  conversation: { id: string; type: string; title?: string };
  from: { id: string; name?: string };
  to: { id: string }[];
  type: string;
  text?: string;
  attachments?: { name: string; mime: string; data?: string; path?: string }[];
  recalls?: string;
  call?: { media: string; durationSeconds: number };
  raw?: unknown;
}

const base: DemoOptions = { messages: 20_000, seed: 'test-seed', media: 'normal', days: 180, end: '2026-03-01' };

function collector(): { sink: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  return { sink, bytes: () => Buffer.concat(chunks) };
}

async function generate(opts: DemoOptions): Promise<Buffer> {
  const c = collector();
  await writeDemo(opts, c.sink);
  return c.bytes();
}

const timeMs = (t: string | number): number => (typeof t === 'number' ? t : Date.parse(t));

/** Traditional-only characters (their simplified forms differ) — a message with one is traditional. */
const TRADITIONAL = /[們這個來時會對說過還與發報價單據貨訂請謝問題產數應該議預機關帳戶號碼開給麼嗎為後經確認運約樣東車見間話資務業長門電網線實現財買賣進聯絡淨體錄]/;
const HAN = /[\u4e00-\u9fff]/;
const isEnglish = (t: string): boolean => !HAN.test(t) && /[A-Za-z]{2,}/.test(t);

let lines: Line[] = [];
let raw = '';

beforeAll(async () => {
  raw = (await generate(base)).toString('utf8');
  lines = raw
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
}, 120_000);

describe('demo generate: format', () => {
  it('writes exactly --messages lines, one JSON object each, ending in a newline', () => {
    expect(lines.length).toBe(base.messages);
    expect(raw.endsWith('}\n')).toBe(true);
  });

  it('every line passes the NDJSON import schema', () => {
    const problems: string[] = [];
    for (const [i, l] of lines.entries()) {
      const r = recordInputSchema.safeParse(l);
      if (!r.success) problems.push(`line ${i + 1}: ${describeIssues(r.error.issues)}`);
    }
    expect(problems.slice(0, 5)).toEqual([]);
  });

  it('ids are unique per source and seq is strictly increasing per source in file order', () => {
    const lastSeq = new Map<string, number>();
    const ids = new Set<string>();
    for (const l of lines) {
      const prev = lastSeq.get(l.source) ?? 0;
      expect(l.seq).toBeGreaterThan(prev);
      lastSeq.set(l.source, l.seq);
      const key = `${l.source}\u0000${l.id}`;
      expect(ids.has(key)).toBe(false);
      ids.add(key);
    }
    expect([...lastSeq.keys()].sort()).toEqual(expect.arrayContaining(['demo:wecom', 'demo:wecom-hk']));
    expect([...lastSeq.keys()].some((s) => s.startsWith('demo:wechat-'))).toBe(true);
  });

  it('times fall inside the requested days and each conversation is in time order (apart from held-back recalled originals)', () => {
    const start = Date.parse('2025-09-03T00:00:00+08:00');
    const end = Date.parse('2026-03-02T00:00:00+08:00');
    const recalledEarly = new Set<string>();
    const seen = new Set<string>();
    for (const l of lines) {
      if (l.recalls !== undefined && !seen.has(`${l.source}\u0000${l.recalls}`)) recalledEarly.add(`${l.source}\u0000${l.recalls}`);
      seen.add(`${l.source}\u0000${l.id}`);
    }
    const lastTime = new Map<string, number>();
    for (const l of lines) {
      const t = timeMs(l.time);
      expect(t).toBeGreaterThanOrEqual(start);
      expect(t).toBeLessThan(end);
      if (recalledEarly.has(`${l.source}\u0000${l.id}`)) continue;
      const key = `${l.source}\u0000${l.conversation.id}`;
      expect(t).toBeGreaterThanOrEqual(lastTime.get(key) ?? 0);
      lastTime.set(key, t);
    }
  });

  it('direct chats address the peer, groups list the other members, and calls carry call details', () => {
    for (const l of lines.slice(0, 5000)) {
      if (l.conversation.type === 'direct') {
        expect(l.to.length).toBe(1);
        expect(l.to[0]?.id).not.toBe(l.from.id);
      } else {
        expect(l.conversation.title).toBeTruthy();
        expect(l.to.length).toBeGreaterThan(0);
        expect(l.to.some((p) => p.id === l.from.id)).toBe(false);
      }
      if (l.type === 'call') expect(['voice', 'video']).toContain(l.call?.media);
    }
  });

  it('most messages are sent in working hours (Asia/Shanghai) and weekdays carry more', () => {
    let work = 0;
    let weekday = 0;
    for (const l of lines) {
      const d = new Date(timeMs(l.time) + 8 * 3_600_000);
      const h = d.getUTCHours();
      if (h >= 9 && h < 18) work++;
      const wd = d.getUTCDay();
      if (wd >= 1 && wd <= 5) weekday++;
    }
    expect(work / lines.length).toBeGreaterThan(0.7);
    expect(weekday / lines.length).toBeGreaterThan(0.82);
  });
});

describe('demo generate: content', () => {
  it('has realistic type rates', () => {
    const count = new Map<string, number>();
    for (const l of lines) count.set(l.type, (count.get(l.type) ?? 0) + 1);
    const rate = (t: string): number => (count.get(t) ?? 0) / lines.length;
    expect(rate('text')).toBeGreaterThan(0.77);
    expect(rate('text')).toBeLessThan(0.84);
    expect(rate('image')).toBeGreaterThan(0.05);
    expect(rate('image')).toBeLessThan(0.07);
    expect(rate('voice')).toBeGreaterThan(0.032);
    expect(rate('voice')).toBeLessThan(0.048);
    expect(rate('file')).toBeGreaterThan(0.024);
    expect(rate('file')).toBeLessThan(0.036);
    expect(rate('recall')).toBeGreaterThan(0.007);
    expect(rate('recall')).toBeLessThan(0.013);
    for (const t of ['video', 'emoji', 'link', 'card', 'location', 'call', 'system', 'other', 'markdown']) expect(count.get(t) ?? 0, t).toBeGreaterThan(0);
    const calls = lines.filter((l) => l.type === 'call');
    expect(calls.some((c) => c.call?.media === 'video')).toBe(true);
    expect(calls.some((c) => c.call?.durationSeconds === 0)).toBe(true);
    expect(lines.filter((l) => l.type === 'other').every((l) => l.raw !== undefined)).toBe(true);
    expect(lines.filter((l) => l.raw !== undefined).length).toBeGreaterThan(lines.length * 0.1);
  });

  it('recalls point at real earlier messages of the same conversation, and a few come before their original', () => {
    const byId = new Map<string, { line: Line; index: number }>();
    lines.forEach((l, index) => byId.set(`${l.source}\u0000${l.id}`, { line: l, index }));
    const recalls = lines.map((l, index) => ({ l, index })).filter((x) => x.l.type === 'recall');
    expect(recalls.length).toBeGreaterThan(100);
    let before = 0;
    for (const { l, index } of recalls) {
      const target = byId.get(`${l.source}\u0000${l.recalls ?? ''}`);
      expect(target, `recall ${l.id} → ${l.recalls}`).toBeDefined();
      if (!target) continue;
      expect(target.line.conversation.id).toBe(l.conversation.id);
      expect(target.line.from.id).toBe(l.from.id);
      expect(timeMs(target.line.time)).toBeLessThanOrEqual(timeMs(l.time));
      expect(['recall', 'system', 'call']).not.toContain(target.line.type);
      if (target.index > index) before++;
    }
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(recalls.length * 0.2);
  });

  it('mixes simplified Chinese with about 8 % traditional Chinese and about 8 % English', () => {
    const texts = lines.filter((l) => l.type === 'text').map((l) => l.text ?? '');
    const trad = texts.filter((t) => TRADITIONAL.test(t)).length / texts.length;
    const en = texts.filter(isEnglish).length / texts.length;
    expect(trad).toBeGreaterThan(0.05);
    expect(trad).toBeLessThan(0.11);
    expect(en).toBeGreaterThan(0.05);
    expect(en).toBeLessThan(0.11);
    const all = texts.join('\n');
    expect(all).toMatch(/¥\d{1,3}(,\d{3})*\.\d{2}/); // amounts
    expect(all).toMatch(/SO\d{8}-\d{4}/); // order numbers
    expect(all).toMatch(/1[3-9]\d[ -]?\d{4}[ -]?\d{4}/); // mobile numbers
    expect(all).toMatch(/https:\/\/\S+/); // links
    expect(all).toMatch(/[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]/); // full-width Latin/digits
    expect(all).toMatch(/\p{Extended_Pictographic}/u); // emoji
    expect(all).toMatch(/PDF|Excel|OK/); // mixed-language business words
  });

  it('attachments are small real files that pass structure checks, and some are identical (deduplicable)', () => {
    const withAtt = lines.filter((l) => l.attachments !== undefined);
    expect(withAtt.length).toBeGreaterThan(lines.length * 0.1);
    const counts = new Map<string, number>();
    const mimes = new Set<string>();
    const problems: string[] = [];
    for (const l of withAtt) {
      for (const a of l.attachments ?? []) {
        expect(a.data).toBeDefined();
        const bytes = Buffer.from(a.data ?? '', 'base64');
        mimes.add(a.mime);
        for (const p of checkAttachment(a.mime, bytes)) problems.push(`${l.id} ${a.name}: ${p}`);
        counts.set(a.data ?? '', (counts.get(a.data ?? '') ?? 0) + 1);
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
    for (const m of ['image/jpeg', 'image/png', 'audio/amr', 'audio/silk', 'application/pdf', 'video/mp4']) expect(mimes.has(m), m).toBe(true);
    expect([...mimes].some((m) => m.includes('spreadsheetml'))).toBe(true);
    expect([...mimes].some((m) => m.includes('wordprocessingml'))).toBe(true);
    expect([...counts.values()].some((n) => n >= 5)).toBe(true);
    expect(counts.size).toBeLessThan(withAtt.length);
  });
});

describe('demo generate: determinism and modes', () => {
  const small: DemoOptions = { ...base, messages: 3000 };

  it('the same seed and options give byte-identical output; another seed gives different output', async () => {
    const a = await generate(small);
    const b = await generate(small);
    expect(a.equals(b)).toBe(true);
    const c = await generate({ ...small, seed: 'another-seed' });
    expect(c.equals(a)).toBe(false);
    const d = await generate({ ...small, end: '2026-02-28' });
    expect(d.equals(a)).toBe(false);
  });

  it('--media none writes no attachments and otherwise the same records', async () => {
    const none = (await generate({ ...small, media: 'none' })).toString('utf8').trim().split('\n');
    const normal = (await generate(small)).toString('utf8').trim().split('\n');
    expect(none.length).toBe(3000);
    for (const [i, l] of none.entries()) {
      const rec = JSON.parse(l) as Line;
      expect(rec.attachments).toBeUndefined();
      const withMedia = JSON.parse(normal[i] as string) as Line;
      delete withMedia.attachments;
      expect(rec).toEqual(withMedia);
    }
  });

  it('--attachments-dir writes files and references them by a path relative to the output file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wekeep-demo-'));
    try {
      const out = join(dir, 'out');
      const att = join(dir, 'out', 'files');
      const text = (await generate({ ...small, messages: 1500, attachmentsDir: att, pathsRelativeTo: out })).toString('utf8');
      const recs = text.trim().split('\n').map((l) => JSON.parse(l) as Line);
      const atts = recs.flatMap((r) => r.attachments ?? []);
      expect(atts.length).toBeGreaterThan(100);
      for (const a of atts) {
        expect(a.data).toBeUndefined();
        expect(a.path).toMatch(/^files\//);
        const file = join(out, a.path ?? '');
        expect(existsSync(file), file).toBe(true);
        expect(checkAttachment(a.mime, readFileSync(file))).toEqual([]);
        expect(recordInputSchema.safeParse(recs[0]).success).toBe(true);
      }
      expect(atts.some((a) => a.path?.startsWith('files/pool/'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('handles tiny runs and one-day ranges', async () => {
    expect((await generate({ ...small, messages: 0 })).length).toBe(0);
    const one = (await generate({ ...small, messages: 7, days: 1 })).toString('utf8').trim().split('\n');
    expect(one.length).toBe(7);
    const lo = Date.parse('2026-03-01T00:00:00+08:00');
    for (const l of one) {
      const t = timeMs((JSON.parse(l) as Line).time);
      expect(t).toBeGreaterThanOrEqual(lo);
      expect(t).toBeLessThan(lo + 86_400_000);
    }
  });
});

describe('demo generate: memory', () => {
  it('memory stays flat: the heap does not grow with the number of messages written', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const gen = new DemoGenerator({ ...base, media: 'none', messages: 250_000, seed: 'memory' });
    let written = 0;
    let heapAt50k = 0;
    let maxAfter = 0;
    for (let i = 1, l = gen.next(); l !== undefined; i++, l = gen.next()) {
      written += l.length;
      if (i === 50_000) {
        gc();
        heapAt50k = process.memoryUsage().heapUsed;
      } else if (i > 50_000 && i % 50_000 === 0) {
        gc();
        maxAfter = Math.max(maxAfter, process.memoryUsage().heapUsed);
      }
    }
    expect(written).toBeGreaterThan(80_000_000); // chars produced, far more than the heap growth allowed
    expect(maxAfter - heapAt50k).toBeLessThan(16 * 1024 * 1024);
  }, 120_000);
});
