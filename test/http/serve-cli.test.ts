import type { ChildProcess } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, runCliJson, startCli, tempDir } from '../support/cli.js';

/** `wekeep serve` and `wekeep users` as real processes. */

const children: ChildProcess[] = [];
const dirs: { cleanup(): void }[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGTERM');
  for (const d of dirs.splice(0)) d.cleanup();
});

function newStore(): string {
  const dir = tempDir('serve');
  dirs.push(dir);
  const data = join(dir.path, 'data');
  expect(runCli(['init', '--data', data]).status).toBe(0);
  return data;
}

/** Starts `wekeep serve` and resolves with everything it printed once it listens. */
async function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ url: string; output: () => string; child: ChildProcess }> {
  const child = startCli(['serve', '--port', '0', ...args], env);
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const deadline = Date.now() + 60_000;
  while (!/WeKeep console: (\S+)\//u.test(out)) {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${err}`);
    if (Date.now() > deadline) throw new Error(`serve did not start: ${out} ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 300));
  return { url: /WeKeep console: (\S+)\//u.exec(out)![1]!, output: () => out + err, child };
}

describe('wekeep serve', () => {
  it('serves the API on loopback over HTTP and writes setup links for the first accounts to a 0600 file', async () => {
    const data = newStore();
    const s = await serve(['--data', data]);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/u);
    const health = await fetch(`${s.url}/api/v1/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    // Not a terminal: the setup link goes to a 0600 file in the data dir, never into the output (a log).
    expect(s.output()).not.toMatch(/#\/setup\//u);
    expect(s.output()).toContain(join(data, 'setup-links.txt'));
    expect(statSync(join(data, 'setup-links.txt')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(data, 'setup-links.txt'), 'utf8')).toMatch(/admin\s+\(admin\): http:\/\/127\.0\.0\.1:\d+\/#\/setup\/[A-Za-z0-9_-]{43}/u);
    const session = await fetch(`${s.url}/api/v1/auth/session`);
    expect(session.headers.get('set-cookie')).toMatch(/wekeep_session=.*HttpOnly.*SameSite=Strict/u);
    // The access log carries the route pattern, never the URL with its query.
    await fetch(`${s.url}/api/v1/search?q=${encodeURIComponent('机密合同')}`);
    expect(s.output()).not.toContain('机密');
    // A request line too large for Node's parser is answered in the API's error format, the URL not echoed.
    const huge = await fetch(`${s.url}/api/v1/search?q=${'秘'.repeat(20_000)}`);
    expect(huge.status).toBe(431);
    const body = (await huge.json()) as { error: { code: string; requestId: string } };
    expect(body.error.code).toBe('http.headers_too_large');
    expect(body.error.requestId).toMatch(/^[0-9a-f-]{36}$/u);
    expect(s.output()).not.toContain('%E7%A7%98');
  });

  it('serves HTTPS with a self-signed certificate (TLS ≥ 1.2, HSTS) on a non-loopback address', async () => {
    const data = newStore();
    const s = await serve(['--data', data, '--host', '0.0.0.0']);
    expect(s.url).toMatch(/^https:\/\//u);
    expect(s.output()).toMatch(/WARNING: serving HTTPS with a self-signed certificate/u);
    const port = Number(/:(\d+)$/u.exec(s.url)![1]);
    const res = await new Promise<{ status: number; hsts: string | undefined; protocol: string | null }>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/api/v1/health', rejectUnauthorized: false, maxVersion: 'TLSv1.2' }, (r) => {
        r.resume();
        resolve({ status: r.statusCode ?? 0, hsts: r.headers['strict-transport-security'], protocol: (r.socket as TLSSocket).getProtocol() });
      });
      req.on('error', reject);
      req.end();
    });
    expect(res).toMatchObject({ status: 200, protocol: 'TLSv1.2' });
    expect(res.hsts).toContain('max-age=31536000');
    const old = await new Promise<string>((resolve) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/api/v1/health', rejectUnauthorized: false, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }, () => resolve('connected'));
      req.on('error', (e) => resolve(`refused: ${e.message}`));
      req.end();
    });
    expect(old).toMatch(/^refused/u);
  });

  it('refuses bad serving options with a usage error', () => {
    const data = newStore();
    expect(runCli(['serve', '--data', data, '--behind-proxy', 'not-an-ip']).status).toBe(2);
    expect(runCli(['serve', '--data', data, '--tls-cert', 'only-cert.pem']).status).toBe(2);
  });
});

describe('wekeep users', () => {
  it('adds, lists, disables, re-roles and resets accounts, each change audited', () => {
    const data = newStore();
    const env = { WEKEEP_PUBLIC_URL: 'https://archive.example.com' };
    const added = runCliJson<{ user: { username: string; role: string; status: string }; setupLink: string }>(['users', 'add', '--data', data, '--username', 'Alice', '--role', 'compliance'], { env });
    expect(added.user).toMatchObject({ username: 'alice', role: 'compliance', status: 'pending_setup' });
    expect(added.setupLink).toMatch(/^https:\/\/archive\.example\.com\/#\/setup\/[A-Za-z0-9_-]{43}$/u);
    expect(runCli(['users', 'add', '--data', data, '--username', 'bob', '--role', 'employee']).status).toBe(2); // needs --person
    expect(runCli(['users', 'add', '--data', data, '--username', 'bob', '--role', 'boss']).status).toBe(2);
    expect(runCli(['users', 'add', '--data', data, '--username', 'alice', '--role', 'auditor']).status).toBe(2);
    runCliJson(['users', 'add', '--data', data, '--username', 'bob', '--role', 'employee', '--person', 'zhangsan']);
    expect(runCliJson<{ user: { status: string } }>(['users', 'disable', '--data', data, 'bob']).user.status).toBe('disabled');
    expect(runCliJson<{ user: { role: string } }>(['users', 'set-role', '--data', data, 'alice', 'auditor']).user.role).toBe('auditor');
    const reset = runCliJson<{ setupLink: string }>(['users', 'reset', '--data', data, 'alice']);
    expect(reset.setupLink).not.toBe(added.setupLink);
    const list = runCliJson<{ users: { username: string }[] }>(['users', 'list', '--data', data]);
    expect(list.users.map((u) => u.username)).toEqual(['alice', 'bob']);
    expect(runCli(['users', 'disable', '--data', data, 'nobody']).status).toBe(1);
    const events = runCliJson<{ action: string }[]>(['audit', 'list', '--data', data, '--limit', '50']);
    const actions = (Array.isArray(events) ? events : (events as unknown as { events: { action: string }[] }).events).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['user.created', 'user.disabled', 'user.role_changed', 'user.reset']));
  }, 240_000); // a dozen CLI processes: slow on a loaded 2-core machine
});
