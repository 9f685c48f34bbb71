import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/cli.js';
import { prng } from '../../test/support/prng.js';
import { toNdjson, type TestRecord } from '../../test/support/records.js';
import { loadConfig } from '../config.js';
import { createContext, type Context } from '../context.js';
import { holdMatches } from '../domain/retention.js';
import { createFactsReader, type FactsRow } from '../repositories/retention-facts.js';
import { addMatter, placeHold } from './holds.js';
import { importNdjson } from './import.js';
import { addPolicy, disablePolicy } from './policies.js';
import { openPrivacyRequest } from './privacy-requests.js';
import { countHoldCoverage, dryRunPolicy, forecastRetention } from './retention-forecast.js';
import { loadRetentionRules, resolveHoldText } from './retention-rules.js';
import { initStore } from './store.js';

// The grouped forecast, dry run and hold count (one SQLite GROUP BY per pass, a decision per shape
// and interval) must answer exactly what deciding every record on its own answers. A corpus whose
// times crowd month ends and leap days, with attachments, recalls, external parties, a frozen
// subject and holds of every kind, is checked under many policy sets and `now`s against the
// record-by-record pass and against a brute-force hold count.

const DAY = 86_400_000;
const tmp = tempDir('retention-forecast');
let ctx: Context;

function corpus(n: number): TestRecord[] {
  const rnd = prng(20261124);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const people = ['zhangsan', 'lisi', 'wangwu', 'wmEXTcustomer01', 'wmEXTsupplier02', 'zhaoliu'];
  const rooms = [{ id: 'room-sales', type: 'group' as const }, { id: 'room-ops', type: 'group' as const }, { id: 'dm-1', type: 'direct' as const }, { id: 'dm-2', type: 'direct' as const }];
  const out: TestRecord[] = [];
  for (let i = 0; i < n; i++) {
    // Half the records sit within two days of a month's end (the calendar clamp), the rest anywhere in 2018–2026.
    const year = 2018 + Math.floor(rnd() * 9);
    const month = Math.floor(rnd() * 12);
    const time = rnd() < 0.5
      ? Date.UTC(year, month + 1, 1) - Math.floor(rnd() * 2 * DAY)
      : Date.UTC(year, 0, 1) + Math.floor(rnd() * 365 * DAY);
    const conversation = pick(rooms);
    const from = pick(people);
    const type = pick(['text', 'text', 'text', 'voice', 'image', 'file']);
    const record: TestRecord = {
      source: pick(['wecom:ww1', 'wechat:wxid_owner']), id: `r${i}`, time, conversation, from: { id: from },
      to: conversation.type === 'direct' ? [{ id: pick(people.filter((p) => p !== from)) }] : undefined,
      type, text: rnd() < 0.2 ? `关于合同的第${i}条` : `消息 ${i}`,
    };
    if (type !== 'text') record.attachments = [{ name: `${type}-${i}.bin`, data: Buffer.from(`attachment ${i} ${'x'.repeat(i % 50)}`).toString('base64') }];
    out.push(record);
    if (rnd() < 0.03) out.push({ source: record.source, id: `recall-${i}`, time: time + 60_000, conversation, from: { id: from }, type: 'recall', recalls: `r${i}` });
  }
  return out;
}

beforeAll(async () => {
  const config = loadConfig({ data: join(tmp.path, 'data') }, {});
  await (await initStore(config)).ctx.close();
  ctx = await createContext(config);
  const file = join(tmp.path, 'corpus.ndjson');
  writeFileSync(file, toNdjson(corpus(2500)));
  const s = await importNdjson(ctx, { file });
  expect(s.quarantined).toBe(0);
}, 120_000);
afterAll(async () => {
  await ctx.close();
  tmp.cleanup();
});

const withoutTiming = <T extends { durationMs: number }>(x: T): Omit<T, 'durationMs'> => {
  const { durationMs: _, ...rest } = x;
  return rest;
};

/** Month ends, leap days, and ordinary days. */
const NOWS = [
  Date.UTC(2026, 10, 24, 8), Date.UTC(2024, 1, 29, 12), Date.UTC(2025, 1, 28, 23, 59), Date.UTC(2026, 0, 31, 0, 0),
  Date.UTC(2023, 2, 31, 18), Date.UTC(2027, 5, 30, 6),
];

async function expectSameAsRecordByRecord(label: string): Promise<void> {
  for (const now of NOWS) {
    const grouped = await forecastRetention(ctx, { now });
    const exact = await forecastRetention(ctx, { now, perRecord: true });
    expect(withoutTiming(grouped), `${label}, now ${new Date(now).toISOString()}`).toEqual(withoutTiming(exact));
  }
}

describe('the grouped forecast', () => {
  it('equals the record-by-record pass under policies in days, weeks, months and years', async () => {
    await addPolicy(ctx, { name: 'voice-90d', scope: 'type:voice', max: '90d', action: 'delete', purpose: 't', basis: 't' });
    await addPolicy(ctx, { name: 'texts-18m', scope: 'type:text', max: '18m', action: 'review', purpose: 't', basis: 't' });
    await addPolicy(ctx, { name: 'direct-floor-2y', scope: 'kind:direct', min: '2y', purpose: 't', basis: 't' });
    await addPolicy(ctx, { name: 'external-3y', scope: 'party:external', max: '3y', action: 'delete', purpose: 't', basis: 't' });
    await addPolicy(ctx, { name: 'files-10w', scope: 'type:file has:attachment', max: '10w', min: '5w', action: 'delete', purpose: 't', basis: 't' });
    await expectSameAsRecordByRecord('five policies');
    const f = await forecastRetention(ctx, { now: NOWS[0] });
    // The corpus makes every kind of count non-trivial.
    expect(f.policies.find((p) => p.name === 'voice-90d')!.dueNow.records).toBeGreaterThan(100);
    expect(f.policies.find((p) => p.name === 'voice-90d')!.dueNow.bytes).toBeGreaterThan(0);
    expect(f.conflicts.records).toBeGreaterThan(0);
  });

  it('stays equal with dated scopes, holds of every kind, recalled records and a frozen subject', async () => {
    await addPolicy(ctx, { name: 'recalled-1y', scope: 'is:recalled', max: '1y', action: 'delete', purpose: 't', basis: 't' });
    await addPolicy(ctx, { name: 'old-sales-6m', scope: 'in:room-sales before:2021-03-01', max: '6m', action: 'review', purpose: 't', basis: 't' });
    await addMatter(ctx, { name: 'm1' });
    await placeHold(ctx, { matter: 'm1', custodians: ['wangwu'], after: '2019-02-27', before: '2020-03-01', reason: 't' });
    await placeHold(ctx, { matter: 'm1', conversations: ['dm-2'], reason: 't' });
    await placeHold(ctx, { matter: 'm1', scope: '合同 from:lisi', reason: 't' });
    await placeHold(ctx, { matter: 'm1', scope: 'type:voice after:2025-01-31', reason: 't' });
    await openPrivacyRequest(ctx, { kind: 'erasure', subjects: ['zhaoliu'], requester: 'zhaoliu' });
    await expectSameAsRecordByRecord('holds and a freeze');
    const f = await forecastRetention(ctx, { now: NOWS[0] });
    expect(f.held.records).toBeGreaterThan(0);
    expect(f.frozen).toBeGreaterThan(0);
  });

  it('falls back to deciding record by record when a month and thirty days compare differently by month', async () => {
    await addPolicy(ctx, { name: 'images-1m', scope: 'type:image', max: '1m', action: 'delete', purpose: 't', basis: 't' });
    await addPolicy(ctx, { name: 'images-floor-30d', scope: 'type:image', min: '30d', purpose: 't', basis: 't' });
    await expectSameAsRecordByRecord('ambiguous durations');
    await disablePolicy(ctx, 'images-1m');
    await disablePolicy(ctx, 'images-floor-30d');
  });

  it('dry-runs a new policy with the counts of the record-by-record pass, and real examples', async () => {
    for (const now of NOWS.slice(0, 3)) {
      for (const input of [{ name: 'pipl', scope: '', max: '2y' }, { name: 'shorter-voice', scope: 'type:voice', max: '30d' }, { name: 'floor', scope: 'party:external', min: '4y' }]) {
        const grouped = await dryRunPolicy(ctx, { input: { ...input, action: 'delete', purpose: 't', basis: 't' } }, { now });
        const exact = await dryRunPolicy(ctx, { input: { ...input, action: 'delete', purpose: 't', basis: 't' } }, { now, perRecord: true });
        const counts = (d: typeof grouped) => ({ ...withoutTiming(d), examples: d.examples.length });
        expect(counts(grouped), `${input.name} at ${new Date(now).toISOString()}`).toEqual(counts(exact));
        for (const e of grouped.examples) expect(JSON.stringify(e.before) === JSON.stringify(e.after)).toBe(false);
      }
    }
  });

  it('counts what a hold covers like a brute-force pass over every record', async () => {
    const rules = await loadRetentionRules(ctx.db, 'UTC');
    const reader = createFactsReader(ctx, { metadataOnly: true });
    const all: FactsRow[] = [];
    for (let after = -1; ;) {
      const rows = await reader.read(after, 1000);
      if (rows.length === 0) break;
      all.push(...rows);
      after = rows[rows.length - 1]!.key;
    }
    expect(rules.holds.length).toBe(4);
    for (const hold of rules.holds) {
      const [resolved] = await resolveHoldText(ctx.db, [hold], all[0]!.key, all[all.length - 1]!.key);
      const brute = all.filter((r) => holdMatches(resolved!, r)).length;
      expect(brute).toBeGreaterThan(0);
      expect(await countHoldCoverage(ctx, hold)).toBe(brute);
    }
  });
});
