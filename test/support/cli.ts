import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inject } from 'vitest';
import { BUILD_FAILED, BUILD_OK } from './cli-build.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'src', 'main.ts');
/** How long a test waits for the run's CLI build (cli-build.ts; it takes ~10 s, competing with running tests). */
const BUILD_WAIT_MS = 300_000;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * The node arguments that run the CLI: the compiled build of this test run (test/support/cli-build.ts,
 * the vitest globalSetup), waiting for it if it is still being compiled; from the sources through tsx
 * when there is none (a vitest config without that globalSetup).
 */
export function cliEntry(): string[] {
  const dir = inject('wekeepCliBuild');
  if (dir === undefined) return ['--import', 'tsx', MAIN];
  for (const deadline = Date.now() + BUILD_WAIT_MS; !existsSync(join(dir, BUILD_OK)); Atomics.wait(pause, 0, 0, 50)) {
    if (existsSync(join(dir, BUILD_FAILED))) throw new Error(`compiling the CLI for the tests failed: ${readFileSync(join(dir, BUILD_FAILED), 'utf8')}`);
    if (Date.now() > deadline) throw new Error(`the CLI build in ${dir} did not finish within ${BUILD_WAIT_MS / 1000} s`);
  }
  return [join(dir, 'main.js')];
}

/**
 * The environment of a CLI child: the test's, without a master key, data dir or key file from the
 * developer's shell. In-process setup of a store the CLI then uses should load its config with it.
 */
export function cliEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, WEKEEP_MASTER_KEY: '', WEKEEP_DATA: '', WEKEEP_KEY_FILE: '', ...env };
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (this run's build of the sources, see cliEntry) in a child process. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [...cliEntry(), ...args], {
    cwd: options.cwd ?? ROOT,
    env: cliEnv(options.env),
    encoding: 'utf8',
    input: options.input,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function runCliJson<T = unknown>(args: string[], options: { env?: NodeJS.ProcessEnv; expectStatus?: number } = {}): T {
  const r = runCli([...args, '--json'], options);
  const expected = options.expectStatus ?? 0;
  if (r.status !== expected) throw new Error(`wekeep ${args.join(' ')} exited ${r.status} (expected ${expected}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Starts the CLI without waiting (for kill -9 tests). */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [...cliEntry(), ...args], {
    cwd: ROOT,
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function tempDir(prefix: string): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), `wekeep-${prefix}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
