import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createContext } from '../src/context.js';
import { runDisposition } from '../src/services/disposition-run.js';
import { addMatter, placeHold, showHold } from '../src/services/holds.js';
import { importNdjson } from '../src/services/import.js';
import { addPolicy } from '../src/services/policies.js';
import { dryRunPolicy, forecastRetention } from '../src/services/retention-forecast.js';
import { initStore } from '../src/services/store.js';
import { tempDir } from './support/cli.js';

/**
 * `party:internal|external` is fixed by the records' own time: an external contact who posts in a
 * group later does not turn its older, internal records external (a `party:internal` hold or floor
 * would lose them, and a ceiling dispose of them).
 */

const dir = tempDir('party');
afterAll(() => dir.cleanup());

const YEAR = 365 * 86_400_000;
const line = (id: string, time: string, from: string, text: string): string =>
  JSON.stringify({ source: 'wecom:ww1', id, time, conversation: { id: 'wrG', type: 'group', title: '项目群' }, from: { id: from }, type: 'text', text });

describe('party: scope over time', () => {
  it('a party:internal hold keeps covering a group\'s old records after an external contact joins it', async () => {
    const { ctx } = await initStore(loadConfig({ data: join(dir.path, 'data') }, {}));
    try {
      const first = join(dir.path, 'first.ndjson');
      writeFileSync(first, `${[line('g1', '2018-03-01T10:00:00+08:00', 'alice', '内部一'), line('g2', '2019-03-01T10:00:00+08:00', 'bob', '内部二'), line('g3', '2020-03-01T10:00:00+08:00', 'alice', '内部三')].join('\n')}\n`);
      await importNdjson(ctx, { file: first });
      await addMatter(ctx, { name: 'board' });
      const hold = await placeHold(ctx, { matter: 'board', scope: 'party:internal', reason: 'board inquiry' });
      expect(hold.coveredAtPlacement).toBe(3);
      const external = await addPolicy(ctx, { name: 'external-1y', scope: 'party:external', max: '1y', action: 'delete', purpose: 'p', basis: 'b' });
      await addPolicy(ctx, { name: 'all-1y', scope: '', max: '1y', action: 'delete', purpose: 'p', basis: 'b' });

      // An external contact (WeCom external userid) posts in the group, years later.
      const later = join(dir.path, 'later.ndjson');
      writeFileSync(later, `${[line('g4', '2026-11-24T10:00:00+08:00', 'wmExtJoiner01', '外部'), line('g5', '2026-11-24T11:00:00+08:00', 'alice', '之后')].join('\n')}\n`);
      await importNdjson(ctx, { file: later });
      expect((await showHold(ctx, hold.id, { count: true })).covered).toBe(3);

      // The forecast (grouped by shape) and the sweep agree: the three old records are held; the two new ones are not due yet.
      const now = Date.parse('2026-11-25T00:00:00Z');
      const forecast = await forecastRetention(ctx, { now });
      expect(forecast.policies.map((p) => [p.name, p.dueNow.records])).toEqual([['external-1y', 0], ['all-1y', 0]]);
      expect(forecast.held.records).toBe(3);
      const run = await runDisposition(ctx, { dryRun: false, now, trigger: 'cli' });
      expect(run.counts).toMatchObject({ disposed: 0, keptByHold: 3 });

      // A year on (a dry run looks ahead), the external contact's record and the one after it are external and due; the old three stay held.
      const yearOn = now + YEAR + 86_400_000;
      const next = await runDisposition(ctx, { dryRun: true, now: yearOn, trigger: 'cli' });
      expect(next.counts).toMatchObject({ disposed: 2, keptByHold: 3 });
      expect(next.counts?.perPolicy[String(external.id)]?.disposed).toBe(2);
    } finally {
      await ctx.close();
    }
  });

  it('a scope\'s dates keep the zone they were written in, whatever WEKEEP_TZ a later run has', async () => {
    const data = join(dir.path, 'data-tz');
    const { ctx } = await initStore(loadConfig({ data }, { WEKEEP_TZ: 'Asia/Shanghai' }));
    try {
      const file = join(dir.path, 'tz.ndjson');
      // 2019-12-31T20:00Z is 2020-01-01 04:00 in Shanghai: after 2020-01-01 there, before it in UTC.
      writeFileSync(file, `${[line('a', '2019-12-31T20:00:00Z', 'alice', 'a'), line('b', '2020-03-01T00:00:00Z', 'bob', 'b')].join('\n')}\n`);
      await importNdjson(ctx, { file });
      const floor = await addPolicy(ctx, { name: 'floor2020', scope: 'after:2020-01-01', min: '20y', locked: true, action: 'delete', purpose: 'p', basis: 'b' });
      expect(floor.timeZone).toBe('Asia/Shanghai');
      await addPolicy(ctx, { name: 'all-1y', scope: '', max: '1y', action: 'delete', purpose: 'p', basis: 'b' });
      await addMatter(ctx, { name: 'm' });
      await placeHold(ctx, { matter: 'm', scope: 'before:2020-01-01', reason: 'r' });
    } finally {
      await ctx.close();
    }
    // A scheduled run under UTC: the floor and the hold still mean Shanghai dates (a: held — before
    // 2020-01-01 is false in Shanghai, so the floor covers it; b: floor).
    const utc = await createContext(loadConfig({ data }, { WEKEEP_TZ: 'UTC' }));
    try {
      const run = await runDisposition(utc, { dryRun: true, now: Date.parse('2026-11-25T00:00:00Z'), trigger: 'cli' });
      expect(run.counts).toMatchObject({ disposed: 0, conflicts: 2, keptByHold: 0 });
      // A dry run of a change that keeps the scope reads it in the same saved zone: nothing changes fate.
      const dry = await dryRunPolicy(utc, { ref: 'floor2020', changes: { purpose: 'records of the 2020 audit' } }, { now: Date.parse('2026-11-25T00:00:00Z') });
      expect(dry.changedNow).toBe(0);
    } finally {
      await utc.close();
    }
  });
});
