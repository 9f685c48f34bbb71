import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusRecords } from './disposition-support.js';
import { enrollAccount } from './support/accounts.js';
import { totpCode } from './support/http.js';
import { runCli, runCliJson, tempDir } from './support/cli.js';
import { toNdjson } from './support/records.js';

/** The retention and settings commands as a user runs them: real processes, exit statuses, --json shapes. */

const dir = tempDir('retention-cli');
afterAll(() => dir.cleanup());

describe('wekeep retention / settings', () => {
  it('runs, lists and verifies certificates, works the review queue with two signed-in users, and enables WORM irreversibly', async () => {
    const data = join(dir.path, 'data');
    const file = join(dir.path, 'in.ndjson');
    writeFileSync(file, toNdjson(corpusRecords()));
    const env = { WEKEEP_ACTOR: 'alice', WEKEEP_TZ: 'Asia/Shanghai' };
    const cli = (args: string[], actor = 'alice') => runCli(['--data', data, ...args], { env: { ...env, WEKEEP_ACTOR: actor } });
    const json = <T>(args: string[], expectStatus = 0) => runCliJson<T>(['--data', data, ...args], { env, expectStatus });

    expect(cli(['init', '--worm']).stdout).toMatch(/WORM mode is enabled/);
    expect(cli(['import', file]).status).toBe(0);
    expect(cli(['policies', 'add', '--name', 'all-1y', '--max', '1y', '--action', 'delete', '--purpose', 'p', '--basis', 'b']).status).toBe(0);
    expect(cli(['policies', 'add', '--name', 'voice-review', '--scope', 'type:voice', '--max', '90d', '--action', 'review', '--purpose', 'p', '--basis', 'b']).status).toBe(0);

    // Under WORM, deciding in the future is refused (usage error).
    expect(cli(['retention', 'run', '--now', '2100-01-01T00:00:00Z']).status).toBe(2);
    const dry = json<{ id: number; dryRun: boolean; counts: { disposed: number; queued: number } }>(['retention', 'run', '--dry-run']);
    expect(dry.dryRun).toBe(true);
    // A dry run has no certificate: said as such, not as a failed verification.
    const dryVerify = cli(['retention', 'verify', String(dry.id)]);
    expect(dryVerify.status).toBe(1);
    expect(dryVerify.stderr).toMatch(/was a dry run: it disposed of nothing, so it has no certificate to verify \[retention\.dry_run\]/);
    const run = json<{ id: number; status: string; counts: { disposed: number; queued: number }; certificate: { tombstones: number } }>(['retention', 'run']);
    expect(run).toMatchObject({ status: 'completed', counts: { disposed: dry.counts.disposed, queued: dry.counts.queued } });
    expect(run.counts.disposed).toBe(48);
    expect(run.counts.queued).toBe(12);
    const human = cli(['retention', 'status']);
    expect(human.stdout).toMatch(/WORM mode: enabled/);
    expect(human.stdout).toMatch(/Review queue: 12 open items/);

    const certs = json<{ runId: number; details: { worm: boolean; tombstones: number } }[]>(['retention', 'certificates']);
    expect(certs).toHaveLength(1);
    expect(certs[0]).toMatchObject({ runId: run.id, details: { worm: true, tombstones: 48 } });
    expect(json<{ ok: boolean }>(['retention', 'verify', String(run.id)]).ok).toBe(true);
    expect(cli(['retention', 'verify', String(run.id)]).stdout).toMatch(/VERIFIED/);
    expect(cli(['retention', 'verify', '999']).status).toBe(1);
    // The same under `certificates`: `certificates list` is its default, `certificates verify` checks one.
    expect(json<{ runId: number }[]>(['retention', 'certificates', 'list', '--limit', '1'])).toEqual([expect.objectContaining({ runId: run.id })]);
    expect(json<{ ok: boolean }>(['retention', 'certificates', 'verify', String(run.id)]).ok).toBe(true);
    expect(cli(['retention', 'certificates', 'verify', '999']).status).toBe(1);

    const list = json<{ total: number; items: { id: number; record: string | null }[] }>(['retention', 'reviews', 'list']);
    expect(list.total).toBe(12);
    expect(list.items[0]!.record).toMatch(/^[^/]+\/.+/);
    expect(cli(['retention', 'reviews', 'list']).stdout).toContain(list.items[0]!.record!);
    const id = String(list.items[0]!.id);

    // Four eyes: each step is signed in as a WeKeep account with the review permission.
    const alice = await enrollAccount(data, { username: 'alice', role: 'compliance' });
    const bob = await enrollAccount(data, { username: 'bob', role: 'compliance' });
    const eve = await enrollAccount(data, { username: 'eve', role: 'auditor' });
    const as = (who: { username: string; password: string }, args: string[], code: string) =>
      runCli(['--data', data, ...args, '--as', who.username, '--code', code], { env: { ...env, WEKEEP_PASSWORD: who.password } });
    expect(cli(['retention', 'reviews', 'propose', id, '--dispose']).status).toBe(2); // no --as
    expect(as(alice, ['retention', 'reviews', 'propose', id, '--dispose', '--retain'], alice.recoveryCodes[0]!).status).toBe(2);
    const wrong = runCli(['--data', data, 'retention', 'reviews', 'propose', id, '--retain', '--as', 'alice', '--code', alice.recoveryCodes[1]!], { env: { ...env, WEKEEP_PASSWORD: 'not her password' } });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/auth\.invalid_credentials/);
    const notReviewer = as(eve, ['retention', 'reviews', 'propose', id, '--retain'], totpCode(eve.secret, Date.now()));
    expect(notReviewer.status).toBe(1);
    expect(notReviewer.stderr).toMatch(/may not do this \(disposition\.review\)/);
    expect(as(alice, ['retention', 'reviews', 'propose', id, '--retain', '--note', 'keep it'], totpCode(alice.secret, Date.now())).status).toBe(0);
    const same = as(alice, ['retention', 'reviews', 'approve', id], alice.recoveryCodes[2]!);
    expect(same.status).toBe(1);
    expect(same.stderr).toMatch(/review\.same_person/);
    const ok = as(bob, ['retention', 'reviews', 'approve', id, '--json'], totpCode(bob.secret, Date.now()));
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ status: 'approved', proposedBy: 'user:alice', decidedBy: 'user:bob' });
    // A long queue: every pending item of a policy at once, then every proposal decided at once; still one person per step.
    expect(cli(['retention', 'reviews', 'propose', '--all', '--retain', '--as', 'alice']).status).toBe(2); // --all needs --policy
    const proposed = JSON.parse(as(alice, ['retention', 'reviews', 'propose', '--all', '--policy', 'voice-review', '--retain', '--json'], alice.recoveryCodes[3]!).stdout) as { done: number; failed: number };
    expect(proposed).toMatchObject({ done: 11, failed: 0 });
    expect(json<{ total: number }>(['retention', 'reviews', 'list', '--policy', 'voice-review', '--status', 'proposed']).total).toBe(11);
    const selfBulk = as(alice, ['retention', 'reviews', 'approve', '--all', '--policy', 'voice-review', '--json'], alice.recoveryCodes[4]!);
    expect(selfBulk.status).toBe(3);
    expect(JSON.parse(selfBulk.stdout)).toMatchObject({ done: 0, failed: 11, results: expect.arrayContaining([expect.objectContaining({ ok: false, error: expect.stringMatching(/review\.same_person/) })]) });
    const approved = JSON.parse(as(bob, ['retention', 'reviews', 'approve', '--all', '--policy', 'voice-review', '--json'], bob.recoveryCodes[0]!).stdout) as { done: number; failed: number };
    expect(approved).toMatchObject({ done: 11, failed: 0 });
    const page = json<{ total: number; items: { id: number }[] }>(['retention', 'reviews', 'list', '--status', 'approved', '--limit', '5', '--offset', '10']);
    expect([page.total, page.items.length]).toEqual([12, 2]);
    // The runs with their triggers: the dry run and the sweep (the approved review retained its record: no run).
    const runs = json<{ id: number; trigger: string; status: string; dryRun: boolean }[]>(['retention', 'runs']);
    expect(runs.map((r) => [r.trigger, r.dryRun])).toEqual([['cli', false], ['cli', true]]);
    expect(runs[0]).toMatchObject({ id: run.id, status: 'completed' });
    expect(cli(['retention', 'runs', '--limit', '1']).stdout).toMatch(/completed\s+real\s+cli/);
    // The sign-ins (and the failed one) are in the audit log, as the console's.
    const events = json<{ action: string; actor: string }[]>(['audit', 'list', '--action', 'auth.*', '--limit', '100']);
    expect(events.some((e) => e.action === 'auth.login.failed')).toBe(true);
    expect(events.filter((e) => e.action === 'auth.login.succeeded' && e.actor === 'user:bob').length).toBeGreaterThan(0);

    expect(cli(['settings', 'worm', 'enable']).status).toBe(2);
    expect(json<{ enabled: boolean; changed: boolean }>(['settings', 'worm', 'enable', '--yes'])).toMatchObject({ enabled: true, changed: false });
    expect(json<{ enabled: boolean; enabledBy: string }>(['settings', 'worm', 'status'])).toMatchObject({ enabled: true, enabledBy: 'cli:alice' });
    const audit = json<{ ok: boolean; worm: boolean }>(['audit', 'verify']);
    expect(audit).toMatchObject({ ok: true, worm: true });
    expect(cli(['audit', 'verify']).stdout).toMatch(/Mode: WORM/);
  }, 300_000);
});
