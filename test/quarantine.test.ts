import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { importNdjson } from '../src/services/import.js';
import { listQuarantined, purgeQuarantined, showQuarantined } from '../src/services/quarantine.js';
import { addPolicy } from '../src/services/policies.js';
import { runDisposition } from '../src/services/disposition-run.js';
import { listAuditEvents } from '../src/services/audit.js';
import { initStore } from '../src/services/store.js';
import { tempDir } from './support/cli.js';
import { textRecord, toNdjson } from './support/records.js';

const dir = tempDir('quarantine');
afterAll(() => dir.cleanup());

describe('quarantine', () => {
  it('keeps every distinct bad line of a file rewritten at the same path, and each only once', async () => {
    const { ctx } = await initStore(loadConfig({ data: join(dir.path, 'data') }, {}));
    try {
      const file = join(dir.path, 'daily.ndjson');
      writeFileSync(file, toNdjson(['garbage line one', textRecord({ id: 'ok-1' })]));
      expect((await importNdjson(ctx, { file })).quarantined).toBe(1);
      // The same file again: nothing new.
      expect((await importNdjson(ctx, { file })).quarantined).toBe(1);
      expect((await listQuarantined(ctx, { limit: 10, offset: 0 })).total).toBe(1);
      // Rewritten: another bad line at line 1 (an impossible date), and the first one's text at line 2.
      writeFileSync(file, toNdjson([textRecord({ id: 'bad-date', time: '2026-02-30T10:00:00+08:00' }), 'garbage line one']));
      await importNdjson(ctx, { file });
      const all = await listQuarantined(ctx, { limit: 10, offset: 0 });
      expect(all.total).toBe(3);
      const contents = await Promise.all(all.entries.map(async (e) => [e.line, (await showQuarantined(ctx, e.id)).content] as const));
      expect(contents).toEqual([
        [1, 'garbage line one'],
        [1, expect.stringContaining('"bad-date"')],
        [2, 'garbage line one'],
      ]);
      expect(all.entries[1]!.reason).toMatch(/time.*no such day/);
    } finally {
      await ctx.close();
    }
  });

  it('quarantines a record that calls an archived group a 1:1 chat (or the reverse), in the same batch or a later one', async () => {
    const { ctx } = await initStore(loadConfig({ data: join(dir.path, 'data-kind') }, {}));
    try {
      const room = { id: 'wrRoom01', type: 'group' as const, title: '项目群' };
      const first = join(dir.path, 'kind-1.ndjson');
      writeFileSync(first, toNdjson([textRecord({ id: 'k1', conversation: room }), textRecord({ id: 'k2', conversation: { ...room, type: 'direct' } })]));
      expect(await importNdjson(ctx, { file: first })).toMatchObject({ imported: 1, quarantined: 1 });
      const second = join(dir.path, 'kind-2.ndjson');
      writeFileSync(second, toNdjson([textRecord({ id: 'k3', conversation: { id: 'wrRoom01', type: 'direct' } }), textRecord({ id: 'k4', conversation: room })]));
      expect(await importNdjson(ctx, { file: second })).toMatchObject({ imported: 1, quarantined: 1 });
      const entries = (await listQuarantined(ctx, { limit: 10, offset: 0 })).entries;
      expect(entries.map((e) => [e.file.endsWith('kind-1.ndjson') ? 1 : 2, e.line, e.reason]).sort()).toEqual([
        [1, 2, 'invalid record: conversation.type: "direct", but conversation "wrRoom01" of source "test" is archived as "group"'],
        [2, 1, 'invalid record: conversation.type: "direct", but conversation "wrRoom01" of source "test" is archived as "group"'],
      ]);
    } finally {
      await ctx.close();
    }
  });

  it('deletes the quarantined lines of a record when it is disposed of; purges the others on request, audited', async () => {
    const { ctx } = await initStore(loadConfig({ data: join(dir.path, 'data-dispose') }, {}));
    try {
      const old = Date.now() - 3 * 365 * 86_400_000;
      const original = textRecord({ source: 'qd', id: 'secret-1', time: old, text: 'my home address is 12 Secret Road' });
      const first = join(dir.path, 'first.ndjson');
      writeFileSync(first, toNdjson([original]));
      await importNdjson(ctx, { file: first });
      // A conflicting re-send of it, and an invalid line naming a record never archived.
      const second = join(dir.path, 'second.ndjson');
      writeFileSync(second, toNdjson([{ ...original, text: 'my home address is 12 Secret Road, edited' }, textRecord({ source: 'qd', id: 'never', time: '2019-02-30T10:00:00+08:00', text: 'passport E12345678' })]));
      expect(await importNdjson(ctx, { file: second })).toMatchObject({ conflicts: 1, quarantined: 2 });
      const before = await listQuarantined(ctx, { limit: 10, offset: 0 });
      expect(before.total).toBe(2);

      await addPolicy(ctx, { name: 'qd-1y', scope: 'source:qd', max: '1y', action: 'delete', purpose: 'test', basis: 'test' });
      const run = await runDisposition(ctx, { dryRun: false, trigger: 'cli' });
      expect(run.counts?.disposed).toBe(1);
      const after = await listQuarantined(ctx, { limit: 10, offset: 0 });
      expect(after.entries.map((e) => e.reason)).toEqual([expect.stringMatching(/time/)]);
      const disposed = (await listAuditEvents(ctx, { action: 'record.disposed', limit: 5 }))[0];
      expect(disposed?.details).toMatchObject({ quarantinedLinesDeleted: 1 });

      await expect(purgeQuarantined(ctx, { ids: [after.entries[0]!.id], reason: ' ' })).rejects.toMatchObject({ code: 'quarantine.reason_required' });
      await expect(purgeQuarantined(ctx, { ids: [999], reason: 'erasure request 7' })).rejects.toMatchObject({ code: 'quarantine.not_found' });
      expect(await purgeQuarantined(ctx, { ids: [after.entries[0]!.id], reason: 'erasure request 7' })).toEqual({ purged: 1, ids: [after.entries[0]!.id] });
      expect((await listQuarantined(ctx, { limit: 10, offset: 0 })).total).toBe(0);
      const purged = (await listAuditEvents(ctx, { action: 'quarantine.purged', limit: 5 }))[0];
      expect(purged?.details).toEqual({ count: 1, ids: [after.entries[0]!.id], reason: 'erasure request 7' });
    } finally {
      await ctx.close();
    }
  });
});
