import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { TestRecord } from './support/records.js';
import { runCli, runCliJson, startCli, tempDir } from './support/cli.js';
import { toNdjson } from './support/records.js';

/**
 * `wekeep work`: the background jobs without the web server, as an operator runs it (systemd, a
 * terminal). It must stay up until stopped, and its hourly retention job must do what the server's
 * does: the daily disposition, and the erasure follow-ups also on a store without ceilings.
 */

const dir = tempDir('work-cli');
afterAll(() => dir.cleanup());

const record = (id: string, time: string, from: string, to: string, text: string): TestRecord => ({
  source: 't', id, time, conversation: { id: `${from}|${to}`, type: 'direct' }, from: { id: from }, to: [{ id: to }], type: 'text', text,
});

/** Starts `work`, waits until `done()` holds (or 90 s), stops it with SIGTERM, and returns its exit code. */
async function runWorkUntil(data: string, done: () => boolean): Promise<{ code: number | null; exitedEarly: boolean; met: boolean }> {
  const child: ChildProcess = startCli(['--data', data, 'work']);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  let exited = false;
  const exit = new Promise<number | null>((resolveExit) => child.on('exit', (c) => {
    exited = true;
    resolveExit(c);
  }));
  let met = false;
  const deadline = Date.now() + 90_000;
  try {
    while (!exited && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1_000));
      if (done()) {
        met = true;
        break;
      }
    }
  } catch (e) {
    // `work` runs until stopped: a failing check must not leave it running after the test.
    child.kill('SIGKILL');
    throw e;
  }
  const exitedEarly = exited;
  child.kill('SIGTERM');
  const code = await exit;
  if (!met || code !== 0) process.stderr.write(`wekeep work said: ${stderr}\n`);
  return { code, exitedEarly, met };
}

describe('wekeep work', () => {
  it('stays up, runs the daily disposition when a ceiling is due, and stops cleanly on SIGTERM', async () => {
    const data = join(dir.path, 'ceiling');
    const file = join(dir.path, 'ceiling.ndjson');
    writeFileSync(file, toNdjson([record('old-1', '2019-03-01T10:00:00+08:00', 'ann', 'bo', 'old'), record('new-1', new Date().toISOString(), 'ann', 'bo', 'new')]));
    expect(runCli(['--data', data, 'init']).status).toBe(0);
    expect(runCli(['--data', data, 'import', file]).status).toBe(0);
    expect(runCli(['--data', data, 'policies', 'add', '--name', 'all-1y', '--max', '1y', '--action', 'delete', '--purpose', 'p', '--basis', 'b']).status).toBe(0);
    const runs = (): { trigger: string; status: string; counts: { disposed: number } }[] =>
      runCliJson<{ trigger: string; status: string; counts: { disposed: number } }[]>(['--data', data, 'retention', 'runs']);
    const r = await runWorkUntil(data, () => runs().some((x) => x.trigger === 'schedule' && x.status === 'completed'));
    expect(r).toEqual({ code: 0, exitedEarly: false, met: true });
    expect(runs().find((x) => x.trigger === 'schedule')!.counts.disposed).toBe(1);
  }, 150_000);

  it('on a store with floors only, erases what a released hold kept, as promised to the requester', async () => {
    const data = join(dir.path, 'floors');
    const file = join(dir.path, 'floors.ndjson');
    writeFileSync(file, toNdjson([record('c-1', '2024-05-01T10:00:00+08:00', 'cust', 'ann', 'held'), record('c-2', '2025-06-01T10:00:00+08:00', 'cust', 'ann', 'free')]));
    const cli = (args: string[]) => runCli(['--data', data, ...args]);
    expect(cli(['init']).status).toBe(0);
    expect(cli(['import', file]).status).toBe(0);
    expect(cli(['policies', 'add', '--name', 'files-10y', '--scope', 'type:file', '--min', '10y', '--purpose', 'p', '--basis', 'b']).status).toBe(0);
    expect(cli(['matters', 'add', 'm1']).status).toBe(0);
    expect(cli(['holds', 'add', '--matter', 'm1', '--custodian', 'cust', '--before', '2025-01-01', '--reason', 'r']).status).toBe(0);
    expect(cli(['privacy', 'open', '--kind', 'erasure', '--subject', 'cust', '--requester', 'c']).status).toBe(0);
    const executed = runCliJson<{ response: { erased: number; restricted: number } }>(['--data', data, 'privacy', 'execute', '1']);
    expect(executed.response).toMatchObject({ erased: 1, restricted: 1 });
    expect(cli(['holds', 'release', '1', '--reason', 'done']).status).toBe(0);
    const restricted = (): number => runCliJson<{ request: { records: { restricted: number } } }>(['--data', data, 'privacy', 'show', '1']).request.records.restricted;
    const r = await runWorkUntil(data, () => restricted() === 0);
    expect(r).toEqual({ code: 0, exitedEarly: false, met: true });
    expect(runCliJson<{ total: number }>(['--data', data, 'search', 'from:cust']).total).toBe(0);
  }, 150_000);
});
