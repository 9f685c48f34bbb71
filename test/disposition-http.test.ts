import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPolicy } from '../src/services/policies.js';
import { createUser, startTestServer, type TestServer, type TestUser } from './support/http.js';

/** Disposition over the API: a run, the status, the four-eyes queue with two signed-in users, a certificate. */

let server: TestServer;
let first: TestUser;
let second: TestUser;

beforeAll(async () => {
  server = await startTestServer();
  first = await createUser(server, { username: 'officer1', role: 'compliance' });
  second = await createUser(server, { username: 'officer2', role: 'compliance' });
  await addPolicy(server.ctx, { name: 'voice-review', scope: 'type:voice', max: '30d', action: 'review', purpose: 'minimum necessary', basis: 'PIPL Art. 19' });
  await addPolicy(server.ctx, { name: 'files-delete', scope: 'type:file', max: '30d', action: 'delete', purpose: 'minimum necessary', basis: 'PIPL Art. 19' });
});
afterAll(async () => {
  await server.close();
});

describe('retention runs and reviews over the API', () => {
  it('runs, shows the status, and lets only a second user decide a proposal', async () => {
    const status0 = await first.client.get('/retention/status');
    expect(status0.status).toBe(200);
    // Policies with a maximum, no run yet: the hourly job has 2 h before that is an alert.
    expect(status0.json).toMatchObject({ overdue: false, alert: null, policiesWithMaximum: 2 });

    const dry = await first.client.post('/retention/runs', { dryRun: true });
    expect(dry.status, dry.body).toBe(200);
    expect(dry.json).toMatchObject({ dryRun: true, status: 'completed', counts: { disposed: 1, queued: 1 } });

    const run = await first.client.post('/retention/runs', { dryRun: false });
    expect(run.status, run.body).toBe(200);
    expect(run.json).toMatchObject({ dryRun: false, status: 'completed', trigger: 'api', actor: 'user:officer1', counts: { disposed: 1, queued: 1 }, certificate: { tombstones: 1 } });
    expect((await first.client.get('/retention/status')).json.overdue).toBe(false);

    const list = await first.client.get('/retention/reviews');
    expect(list.json.total).toBe(1);
    const id = list.json.items[0].id as number;
    const proposed = await first.client.post(`/retention/reviews/${id}/propose`, { proposal: 'dispose', note: 'voice past 30 days' });
    expect(proposed.status, proposed.body).toBe(200);
    expect(proposed.json).toMatchObject({ status: 'proposed', proposedBy: 'user:officer1' });
    const self = await first.client.post(`/retention/reviews/${id}/decide`, { approve: true });
    expect(self.status).toBe(409);
    expect(self.json.error.code).toBe('review.same_person');
    const decided = await second.client.post(`/retention/reviews/${id}/decide`, { approve: true, note: 'agreed' });
    expect(decided.status, decided.body).toBe(200);
    expect(decided.json).toMatchObject({ status: 'approved', decidedBy: 'user:officer2', disposed: true });

    // Two certificates: the sweep's, and the approved review's disposal (a run of its own, trigger review).
    const certs = await first.client.get('/retention/certificates');
    expect(certs.json.certificates.map((c: { details: { trigger: string; tombstones: number } }) => [c.details.trigger, c.details.tombstones])).toEqual([['review', 1], ['api', 1]]);
    const verify = await first.client.get(`/retention/certificates/${run.json.id as number}/verify`);
    expect(verify.json).toMatchObject({ ok: true, problems: [], tombstones: { recomputed: 1, certified: 1 } });
    const runs = await first.client.get('/retention/runs');
    expect(runs.json.runs.map((r: { dryRun: boolean; trigger: string }) => [r.trigger, r.dryRun])).toEqual([['review', false], ['api', false], ['api', true]]);
    // The disposed file and voice note are gone from search.
    const search = await first.client.get('/search?q=type:voice OR type:file');
    expect(search.json.total).toBe(0);
  });
});
