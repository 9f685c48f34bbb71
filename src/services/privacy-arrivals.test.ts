import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/cli.js';
import { textRecord, toNdjson, type TestRecord } from '../../test/support/records.js';
import { loadConfig } from '../config.js';
import { createContext, type Context } from '../context.js';
import { FakeClock } from '../../test/support/http.js';
import { importNdjson } from './import.js';
import { verifyCertificate } from './disposition-certificates.js';
import { executePrivacyRequest, liftRestriction, openPrivacyRequest, showPrivacyRequest } from './privacy-requests.js';
import { searchMessages } from './search.js';
import { collectStats } from './stats.js';
import { initStore } from './store.js';

// Records that arrive (import, WeChat import, WeCom sync: one writer) after a privacy request took
// effect (issue 5): a restriction in force restricts its subject's new records as they arrive, and an
// executed erasure keeps its subject's late-arriving older records restricted until it is executed
// again. Otherwise an old export imported later would bring restricted or erased data back into search.

const tmp = tempDir('privacy-arrivals');
const clock = new FakeClock(Date.UTC(2026, 5, 1));
let ctx: Context;
let n = 0;

beforeAll(async () => {
  const config = loadConfig({ data: join(tmp.path, 'data') }, {});
  await (await initStore(config)).ctx.close();
  ctx = await createContext(config, { clock });
});
afterAll(async () => {
  await ctx.close();
  tmp.cleanup();
});

async function importRecords(records: TestRecord[]) {
  const file = join(tmp.path, `batch-${n++}.ndjson`);
  writeFileSync(file, toNdjson(records));
  return importNdjson(ctx, { file });
}
const restricted = (id: string): { at: number | null; reason: string | null } => {
  const r = ctx.sqlite.prepare('SELECT restricted_at AS at, restricted_reason AS reason FROM messages WHERE ext_id = ?').get(id) as { at: number | null; reason: string | null };
  return { at: r.at === null ? null : Number(r.at), reason: r.reason };
};
const found = async (word: string): Promise<string[]> => (await searchMessages(ctx, { query: word, limit: 100, offset: 0 })).hits.map((h) => h.id).sort();
const disposed = (id: string): boolean => ctx.sqlite.prepare('SELECT 1 FROM tombstones WHERE ext_id = ?').get(id) !== undefined;
/** Whether the full-text index still holds a body term (fts5vocab: deleted rows keep their tokens until the segments are merged). */
const indexHas = (term: string): boolean => {
  ctx.sqlite.exec('CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_terms USING fts5vocab(main, message_fts, row)');
  return ctx.sqlite.prepare('SELECT 1 FROM temp.fts_terms WHERE term = ?').get(term) !== undefined;
};
const auditOf = (action: string): Record<string, unknown>[] =>
  (ctx.sqlite.prepare('SELECT details FROM audit_events WHERE action = ? ORDER BY seq').pluck().all(action) as string[]).map((d) => JSON.parse(d) as Record<string, unknown>);

describe('privacy requests in force when records arrive', () => {
  it('a restriction in force restricts the subject\'s new records on arrival (sent and received); lifting it releases them', async () => {
    const sun = { id: 'sunqi', name: '孙七' };
    await importRecords([textRecord({ id: 'r-old', from: sun, text: '旧的报价单' })]);
    const request = await openPrivacyRequest(ctx, { kind: 'restriction', subjects: ['sunqi'], requester: 'Sun Qi' });
    await executePrivacyRequest(ctx, request.id);
    expect(restricted('r-old').at).not.toBeNull();

    const s = await importRecords([
      textRecord({ id: 'r-sent', from: sun, text: '新的报价单' }),
      textRecord({ id: 'r-received', from: { id: 'zhangsan', name: '张三' }, to: [sun], text: '回复报价单' }),
      textRecord({ id: 'r-other', from: { id: 'zhangsan', name: '张三' }, to: [{ id: 'wangwu', name: '王五' }], text: '别人的报价单' }),
    ]);
    expect(s).toMatchObject({ imported: 3, restrictedOnArrival: 2 });
    expect(restricted('r-sent')).toEqual({ at: clock.now(), reason: JSON.stringify({ requestId: request.id, kind: 'restriction' }) });
    expect(restricted('r-received').at).toBe(clock.now());
    expect(restricted('r-other').at).toBeNull();
    expect(await found('报价单')).toEqual(['r-other']);
    expect(auditOf('privacy.restricted_on_arrival').at(-1)).toEqual({ count: 2, requests: [{ requestId: request.id, kind: 'restriction', records: 2 }] });
    const view = await showPrivacyRequest(ctx, request.id);
    expect(view.records).toMatchObject({ total: 3, restricted: 3 });
    expect(view.outcomes.restricted).toBe(3);

    // Statistics count the restricted subject but do not list them by name.
    const listed = async (): Promise<string[]> => (await collectStats(ctx, { topPersons: 100 })).byPerson.map((p) => p.key);
    expect(await listed()).not.toContain('sunqi');
    expect(await listed()).toContain('zhangsan');
    const lifted = await liftRestriction(ctx, request.id, 'accuracy confirmed');
    expect(lifted).toMatchObject({ lifted: 3, stillRestricted: 0 });
    expect(await found('报价单')).toEqual(['r-old', 'r-other', 'r-received', 'r-sent']);
    expect(await listed()).toContain('sunqi');
    // Lifted: later records arrive as usual.
    expect(await importRecords([textRecord({ id: 'r-after-lift', from: sun, text: '解除后报价单' })])).toMatchObject({ imported: 1, restrictedOnArrival: 0 });
  });

  it('an executed erasure keeps older records that arrive later restricted until it is executed again; newer communications arrive as usual', async () => {
    const zhou = { id: 'zhouba', name: '周八' };
    clock.t = Date.UTC(2026, 6, 1);
    await importRecords([textRecord({ id: 'e-first', from: zhou, time: Date.UTC(2026, 0, 5), text: '第一份名单' })]);
    expect(indexHas('一份')).toBe(true);
    const request = await openPrivacyRequest(ctx, { kind: 'erasure', subjects: ['zhouba'], requester: 'Zhou Ba' });
    const first = await executePrivacyRequest(ctx, request.id);
    expect(first.response).toMatchObject({ kind: 'erasure', erased: 1, restricted: 0 });
    expect(disposed('e-first')).toBe(true);
    // Certified like the sweep's disposals: a run of its own (trigger erasure) whose certificate verifies.
    const runId = Number(ctx.sqlite.prepare('SELECT run_id FROM tombstones WHERE ext_id = ?').pluck().get('e-first'));
    expect(ctx.sqlite.prepare('SELECT trigger FROM disposition_runs WHERE id = ?').pluck().get(runId)).toBe('erasure');
    expect(await verifyCertificate(ctx, runId)).toMatchObject({ ok: true, tombstones: { certified: 1, recomputed: 1 } });
    // Erased means gone from the index too: no token of it is left (not only at the next sweep).
    expect(indexHas('一份')).toBe(false);
    expect(ctx.sqlite.prepare(`SELECT value FROM meta WHERE key = 'retention.index_purge_pending'`).get()).toBeUndefined();
    expect(auditOf('search.index_purged').length).toBeGreaterThan(0);

    clock.t = Date.UTC(2026, 6, 10);
    // An older phone export imported after the erasure: its records predate the decision.
    const s = await importRecords([
      textRecord({ id: 'e-late-old', from: { id: 'zhangsan', name: '张三' }, to: [zhou], time: Date.UTC(2026, 1, 3), text: '第二份名单' }),
      textRecord({ id: 'e-new', from: zhou, time: Date.UTC(2026, 6, 9), text: '第三份名单' }),
    ]);
    expect(s).toMatchObject({ imported: 2, restrictedOnArrival: 1 });
    expect(restricted('e-late-old')).toEqual({ at: Date.UTC(2026, 6, 10), reason: JSON.stringify({ requestId: request.id, kind: 'erasure' }) });
    expect(restricted('e-new').at).toBeNull();
    expect(await found('名单')).toEqual(['e-new']);
    // A subject who asked for erasure is not listed by name in the statistics (as under a restriction).
    expect((await collectStats(ctx, { topPersons: 100 })).byPerson.map((p) => p.key)).not.toContain('zhouba');
    const waiting = await showPrivacyRequest(ctx, request.id);
    expect(waiting.awaitingExecution).toBe(1);

    // The follow-up decides it (nothing protects it: erased) — and the communication after the
    // decision, which belongs to the subject too, with it: execution covers all their records.
    const again = await executePrivacyRequest(ctx, request.id);
    expect(disposed('e-late-old')).toBe(true);
    expect(again.response).toMatchObject({ kind: 'erasure', restricted: 0 });
    expect((await showPrivacyRequest(ctx, request.id)).awaitingExecution).toBe(0);
    expect(await found('名单')).toEqual([]);
  });
});
