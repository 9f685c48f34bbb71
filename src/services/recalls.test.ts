import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/cli.js';
import { textRecord, toNdjson } from '../../test/support/records.js';
import { loadConfig } from '../config.js';
import { createContext, type Context } from '../context.js';
import { addMatter, placeHold } from './holds.js';
import { importNdjson } from './import.js';
import { executePrivacyRequest, openPrivacyRequest, rejectPrivacyRequest } from './privacy-requests.js';
import { searchMessages } from './search.js';
import { initStore } from './store.js';

// An open erasure request freezes its subject's records (issue 5): a recall that arrives for one of
// them must not mark it until the request is decided; then it applies, and the index follows.

const tmp = tempDir('recalls');
let ctx: Context;
let n = 0;

beforeAll(async () => {
  const config = loadConfig({ data: join(tmp.path, 'data') }, {});
  await (await initStore(config)).ctx.close();
  ctx = await createContext(config);
});
afterAll(async () => {
  await ctx.close();
  tmp.cleanup();
});

async function importRecords(records: unknown[]) {
  const file = join(tmp.path, `batch-${n++}.ndjson`);
  writeFileSync(file, toNdjson(records));
  return importNdjson(ctx, { file });
}

const recalledAt = (id: string): number | null => {
  const v = ctx.sqlite.prepare('SELECT recalled_at FROM messages WHERE ext_id = ?').pluck().get(id) as number | bigint | null;
  return v === null ? null : Number(v);
};
const waiting = (): number => Number(ctx.sqlite.prepare('SELECT count(*) FROM pending_recalls').pluck().get());
const foundAsRecalled = async (id: string): Promise<boolean> =>
  (await searchMessages(ctx, { query: 'is:recalled', limit: 100, offset: 0 })).hits.some((h) => h.id === id);

describe('recalls of records frozen by an erasure request', () => {
  it('wait while the request is open and apply when it is rejected', async () => {
    const original = textRecord({ id: 'frozen-1', from: { id: 'wangwu', name: '王五' } });
    await importRecords([original]);
    const request = await openPrivacyRequest(ctx, { kind: 'erasure', subjects: ['wangwu'], requester: 'wangwu' });
    const s = await importRecords([{ ...textRecord({ from: { id: 'wangwu' } }), id: 'recall-1', type: 'recall', recalls: 'frozen-1', text: undefined }]);
    expect(s).toMatchObject({ imported: 1, recallsLinked: 0, recallsPending: 1 });
    expect(recalledAt('frozen-1')).toBeNull();
    expect(await foundAsRecalled('frozen-1')).toBe(false);
    expect(waiting()).toBe(1);

    await rejectPrivacyRequest(ctx, request.id, 'not the data subject');
    expect(recalledAt('frozen-1')).not.toBeNull();
    expect(await foundAsRecalled('frozen-1')).toBe(true);
    expect(waiting()).toBe(0);
  });

  it('wait while the request is open and apply when it completes with the record kept (held)', async () => {
    await importRecords([textRecord({ id: 'frozen-2', from: { id: 'zhaoliu', name: '赵六' } })]);
    await addMatter(ctx, { name: 'm-recalls' });
    await placeHold(ctx, { matter: 'm-recalls', custodians: ['zhaoliu'], reason: 'dispute' });
    const request = await openPrivacyRequest(ctx, { kind: 'erasure', subjects: ['zhaoliu'], requester: 'zhaoliu' });
    await importRecords([{ ...textRecord({ from: { id: 'zhaoliu' } }), id: 'recall-2', type: 'recall', recalls: 'frozen-2', text: undefined }]);
    expect(recalledAt('frozen-2')).toBeNull();

    const done = await executePrivacyRequest(ctx, request.id);
    expect(done.request.status).toBe('completed');
    // The hold kept (and the request restricted) the original; the held-back recall now marks it.
    expect(recalledAt('frozen-2')).not.toBeNull();
    expect(waiting()).toBe(0);
    const audit = ctx.sqlite.prepare(`SELECT details FROM audit_events WHERE action = 'privacy.completed' ORDER BY seq DESC LIMIT 1`).pluck().get() as string;
    expect(JSON.parse(audit)).toMatchObject({ recallsLinked: 1 });
  });
});
