import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAuditEvents } from '../src/services/audit.js';
import { addPolicy } from '../src/services/policies.js';
import { createUser, startTestServer, type TestServer, type TestUser } from './support/http.js';

/**
 * The review queue's bulk steps over the API (what the console's bulk bar sends): each item is
 * handled and audited on its own, an item that cannot take the step is reported with its code, and
 * four eyes hold item by item.
 */

let server: TestServer;
let first: TestUser;
let second: TestUser;

const voice = (id: string, day: number) => ({
  source: 'test', id, time: Date.UTC(2026, 0, day, 2, 0, 0), conversation: { id: 'room-ops', type: 'group' as const, title: '运营群' },
  from: { id: 'zhangsan', name: '张三' }, type: 'voice', text: `语音 ${id}`,
});

beforeAll(async () => {
  server = await startTestServer({}, [voice('v1', 5), voice('v2', 6), voice('v3', 7), voice('v4', 8)]);
  first = await createUser(server, { username: 'officer1', role: 'compliance' });
  second = await createUser(server, { username: 'officer2', role: 'compliance' });
  await addPolicy(server.ctx, { name: 'voice-review', scope: 'type:voice', max: '30d', action: 'review', purpose: 'minimum necessary', basis: 'PIPL Art. 19' });
});
afterAll(async () => {
  await server?.close();
});

describe('bulk review steps', () => {
  it('proposes and decides several items at once, each on its own, reporting those that cannot take the step', async () => {
    expect((await first.client.post('/retention/runs', { dryRun: false })).json.counts).toMatchObject({ queued: 4 });
    const ids = ((await first.client.get('/retention/reviews')).json.items as { id: number }[]).map((r) => r.id).sort((a, b) => a - b);
    expect(ids).toHaveLength(4);

    // Three proposed to dispose of, one to retain; an unknown id is reported, the rest goes on.
    const proposed = await first.client.post('/retention/reviews/propose', { ids: [ids[0], ids[1], ids[2], 99_999], proposal: 'dispose', note: 'past 30 days' });
    expect(proposed.status, proposed.body).toBe(200);
    expect(proposed.json).toMatchObject({ done: 3, failed: 1 });
    expect(proposed.json.results.at(-1)).toMatchObject({ id: 99_999, ok: false, code: 'review.not_found' });
    expect((await first.client.post('/retention/reviews/propose', { ids: [ids[3]], proposal: 'retain' })).json.done).toBe(1);
    // Proposing again is refused item by item.
    expect((await first.client.post('/retention/reviews/propose', { ids: [ids[0]], proposal: 'retain' })).json.results[0]).toMatchObject({ ok: false, code: 'review.not_pending' });

    // The proposer cannot decide any of them: four eyes, per item.
    const own = await first.client.post('/retention/reviews/decide', { ids, approve: true });
    expect(own.json).toMatchObject({ done: 0, failed: 4 });
    expect(own.json.results.every((r: { code: string }) => r.code === 'review.same_person')).toBe(true);

    // The second officer approves three (two disposals, the retention) and rejects one.
    const approved = await second.client.post('/retention/reviews/decide', { ids: [ids[0], ids[1], ids[3]], approve: true, note: 'agreed' });
    expect(approved.json).toMatchObject({ done: 3, failed: 0 });
    expect(approved.json.results.map((r: { review: { status: string; disposed: boolean } }) => [r.review.status, r.review.disposed])).toEqual([['approved', true], ['approved', true], ['approved', false]]);
    expect((await second.client.post('/retention/reviews/decide', { ids: [ids[2]], approve: false })).json.results[0].review.status).toBe('rejected');

    // Each item has its own audit events, and each disposal its own certified run.
    const events = await listAuditEvents(server.ctx, { limit: 500 });
    expect(events.filter((e) => e.action === 'review.proposed')).toHaveLength(4);
    expect(events.filter((e) => e.action === 'review.approved')).toHaveLength(3);
    expect(events.filter((e) => e.action === 'review.rejected')).toHaveLength(1);
    const certs = await first.client.get('/retention/certificates');
    expect(certs.json.certificates.filter((c: { details: { trigger: string } }) => c.details.trigger === 'review')).toHaveLength(2);

    // Limits: ids are required, at most 1000, positive integers.
    expect((await first.client.post('/retention/reviews/propose', { ids: [], proposal: 'dispose' })).status).toBe(400);
    expect((await first.client.post('/retention/reviews/decide', { ids: Array.from({ length: 1001 }, (_, i) => i + 1), approve: true })).status).toBe(400);
    expect((await first.client.post('/retention/reviews/decide', { ids: [1.5], approve: true })).status).toBe(400);
  });
});
