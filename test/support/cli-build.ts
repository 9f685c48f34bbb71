import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { processAlive as alive } from '../../src/file-system.js';

/**
 * Vitest globalSetup: compiles src/ once per test run (`tsc -p tsconfig.build.json`, without the
 * type check `npm test` has already done) into a fresh directory of its own, so that the tests
 * spawn the CLI as `node <build>/main.js` instead of through tsx: a command then starts in under a
 * second (two to three through tsx). The build comes from the sources as they are when the run starts
 * (and again before each re-run in watch mode); it is never shared with another run and is removed
 * at the end. It runs in the background: a test that spawns the CLI waits for it (support/cli.ts),
 * other tests do not.
 *
 * The directory sits directly in the repository root, at the depth of src/ and dist/: the compiled
 * code finds node_modules and package.json ("type": "module") above it, and its paths relative to
 * the package root (web/dist, bin/) resolve as they do from dist/.
 */

/** Written into the build directory when the build succeeded / failed (with the compiler's output). */
export const BUILD_OK = '.build-ok';
export const BUILD_FAILED = '.build-failed';
const PREFIX = '.test-build-';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The directory the CLI is compiled into for this run (see test/support/cli-build.ts). */
    wekeepCliBuild: string;
  }
}

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Removes the build directories of runs that ended without cleaning up (killed): their process is gone. */
function removeAbandoned(): void {
  for (const name of readdirSync(ROOT)) {
    const pid = Number(/^\.test-build-(\d+)-/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) rmSync(join(ROOT, name), { recursive: true, force: true });
  }
}

export default function setup(project: TestProject): () => Promise<void> {
  removeAbandoned();
  const dir = mkdtempSync(join(ROOT, `${PREFIX}${process.pid}-`));
  let compiler: ChildProcess | undefined;
  let built: Promise<void> = Promise.resolve();

  const build = (): Promise<void> => {
    rmSync(join(dir, BUILD_OK), { force: true });
    rmSync(join(dir, BUILD_FAILED), { force: true });
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const child = spawn(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--noCheck', '--outDir', dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    compiler = child;
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    return new Promise((done) => {
      child.on('close', (code, signal) => {
        compiler = undefined;
        if (code === 0) writeFileSync(join(dir, BUILD_OK), '');
        else writeFileSync(join(dir, BUILD_FAILED), `tsc exited ${code ?? signal}\n${output}`);
        done();
      });
    });
  };

  built = build();
  project.provide('wekeepCliBuild', dir);
  // Watch mode: the sources changed; the re-run's CLI is built from them first.
  project.onTestsRerun(async () => {
    await built;
    built = build();
    await built;
  });

  return async () => {
    compiler?.kill();
    await built;
    rmSync(dir, { recursive: true, force: true });
  };
}
