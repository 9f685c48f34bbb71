import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusRecords } from './disposition-support.js';
import { runCli, runCliJson, tempDir } from './support/cli.js';
import { toNdjson } from './support/records.js';

/** The retention and settings commands as a user runs them: real processes, exit statuses, --json shapes. */

const dir = tempDir('retention-cli');
afterAll(() => dir.cleanup());

describe('wekeep retention / settings', () => {
  it('runs, lists and verifies certificates, works the review queue with two users, and enables WORM irreversibly', () => {
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
    const dry = json<{ dryRun: boolean; counts: { disposed: number; queued: number } }>(['retention', 'run', '--dry-run']);
    expect(dry.dryRun).toBe(true);
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

    const list = json<{ total: number; items: { id: number }[] }>(['retention', 'reviews', 'list']);
    expect(list.total).toBe(12);
    const id = String(list.items[0]!.id);
    expect(cli(['retention', 'reviews', 'propose', id, '--dispose', '--retain']).status).toBe(2);
    expect(cli(['retention', 'reviews', 'propose', id, '--retain', '--note', 'keep it']).status).toBe(0);
    const same = cli(['retention', 'reviews', 'approve', id]);
    expect(same.status).toBe(1);
    expect(same.stderr).toMatch(/review\.same_person/);
    const ok = runCliJson<{ status: string; decidedBy: string }>(['--data', data, 'retention', 'reviews', 'approve', id], { env: { ...env, WEKEEP_ACTOR: 'bob' } });
    expect(ok).toMatchObject({ status: 'approved', decidedBy: 'cli:bob' });

    expect(cli(['settings', 'worm', 'enable']).status).toBe(2);
    expect(json<{ enabled: boolean; changed: boolean }>(['settings', 'worm', 'enable', '--yes'])).toMatchObject({ enabled: true, changed: false });
    expect(json<{ enabled: boolean; enabledBy: string }>(['settings', 'worm', 'status'])).toMatchObject({ enabled: true, enabledBy: 'cli:alice' });
    const audit = json<{ ok: boolean; worm: boolean }>(['audit', 'verify']);
    expect(audit).toMatchObject({ ok: true, worm: true });
    expect(cli(['audit', 'verify']).stdout).toMatch(/Mode: WORM/);
  }, 300_000);
});
