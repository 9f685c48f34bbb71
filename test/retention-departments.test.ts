import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { upsertDirectoryPersons, type DirectoryPerson } from '../src/repositories/directory.js';
import { runDisposition } from '../src/services/disposition-run.js';
import { addMatter, placeHold, showHold } from '../src/services/holds.js';
import { importNdjson } from '../src/services/import.js';
import { addPolicy } from '../src/services/policies.js';
import { executePrivacyRequest, openPrivacyRequest } from '../src/services/privacy-requests.js';
import { forecastRetention } from '../src/services/retention-forecast.js';
import { initStore } from '../src/services/store.js';
import { tempDir } from './support/cli.js';

/**
 * `dept:NAME` means the department the sender or recipient was in when the record was made: a person
 * who moves from 法务 to 销售 keeps their earlier records under a `dept:法务` hold, and a `dept:销售`
 * ceiling reaches only what they wrote after the move (before, a move silently released a hold's
 * records and the next sweep deleted them).
 */

const dir = tempDir('dept');
afterAll(() => dir.cleanup());

const line = (id: string, time: string, from: string, conversation: string, text: string): string =>
  JSON.stringify({ source: 'wecom:ww1', id, time, conversation: { id: conversation, type: 'group' }, from: { id: from }, type: 'text', text });
const member = (extId: string, name: string, departments: string[]): DirectoryPerson => ({ extId, name, kind: 'member', departments, position: undefined, company: undefined });

describe('dept: scope over time', () => {
  it('a move between departments changes neither which old records a dept: hold covers nor which a dept: ceiling disposes', async () => {
    const { ctx } = await initStore(loadConfig({ data: join(dir.path, 'data') }, {}));
    try {
      const first = join(dir.path, 'first.ndjson');
      writeFileSync(first, `${[
        line('l1', '2018-03-01T10:00:00+08:00', 'liwei', 'wrLegal', '法务意见一'),
        line('l2', '2019-03-01T10:00:00+08:00', 'liwei', 'wrLegal', '法务意见二'),
        line('l3', '2020-03-01T10:00:00+08:00', 'liwei', 'wrLegal', '法务意见三'),
        line('s1', '2019-06-01T10:00:00+08:00', 'zhaomin', 'wrSales', '报价单'),
      ].join('\n')}\n`);
      await importNdjson(ctx, { file: first });
      // The first directory sync: 李伟 in 法务, 赵敏 in 销售. Nothing earlier is known, so this applies to every older record.
      await ctx.db.transaction().execute((trx) => upsertDirectoryPersons(trx, [member('liwei', '李伟', ['法务']), member('zhaomin', '赵敏', ['销售'])], Date.parse('2021-01-01T00:00:00Z')));

      await addMatter(ctx, { name: 'contract-dispute' });
      const hold = await placeHold(ctx, { matter: 'contract-dispute', scope: 'dept:法务', reason: 'litigation' });
      expect(hold.coveredAtPlacement).toBe(3);
      await addPolicy(ctx, { name: 'all-5y', scope: '', max: '5y', action: 'delete', purpose: 'p', basis: 'b' });
      const sales = await addPolicy(ctx, { name: 'sales-1y', scope: 'dept:销售', max: '1y', action: 'delete', purpose: 'p', basis: 'b' });

      // 李伟 moves to 销售; a later sync sees it, and they write there.
      await ctx.db.transaction().execute((trx) => upsertDirectoryPersons(trx, [member('liwei', '李伟', ['销售']), member('zhaomin', '赵敏', ['销售'])], Date.parse('2026-01-01T00:00:00Z')));
      const later = join(dir.path, 'later.ndjson');
      writeFileSync(later, `${line('l4', '2026-06-01T10:00:00+08:00', 'liwei', 'wrSales', '新报价')}\n`);
      await importNdjson(ctx, { file: later });
      expect((await showHold(ctx, hold.id, { count: true })).covered).toBe(3);

      // The forecast, grouped by shape or record by record, and the sweep agree: the three 法务 records are held;
      // 赵敏's is due under the shorter ceiling; 李伟's 销售 record is not due yet.
      const now = Date.parse('2026-11-25T00:00:00Z');
      for (const perRecord of [false, true]) {
        const forecast = await forecastRetention(ctx, { now, perRecord });
        expect(forecast.policies.map((p) => [p.name, p.dueNow.records]), `perRecord ${perRecord}`).toEqual([['all-5y', 0], ['sales-1y', 1]]);
        expect(forecast.held.records).toBe(3);
      }
      const run = await runDisposition(ctx, { dryRun: false, now, trigger: 'cli' });
      expect(run.counts).toMatchObject({ disposed: 1, keptByHold: 3 });
      expect(run.counts?.perPolicy[String(sales.id)]?.disposed).toBe(1);

      // A year after the move, the record written in 销售 is due under sales-1y; the 法务 ones stay held.
      const next = await runDisposition(ctx, { dryRun: true, now: Date.parse('2027-07-01T00:00:00Z'), trigger: 'cli' });
      expect(next.counts).toMatchObject({ disposed: 1, keptByHold: 3 });
      expect(next.counts?.perPolicy[String(sales.id)]?.disposed).toBe(1);

      // The history is the person's data: an access export gives it.
      const access = await openPrivacyRequest(ctx, { kind: 'access', subjects: ['liwei'], requester: '李伟' });
      const out = join(dir.path, 'access');
      await executePrivacyRequest(ctx, access.id, { out });
      const subject = JSON.parse(readFileSync(join(out, 'subject.json'), 'utf8')) as { persons: { id: string; departments: string[]; departmentHistory: { until: string; departments: string[] }[] }[] };
      expect(subject.persons.find((p) => p.id === 'liwei')).toMatchObject({ departments: ['销售'], departmentHistory: [{ until: '2026-01-01T00:00:00.000Z', departments: ['法务'] }] });
    } finally {
      await ctx.close();
    }
  });
});
