import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';

/**
 * Compiles the C test double of Tencent's WeCom SDK (fake_sdk.c) into a shared library that koffi
 * loads exactly like libWeWorkFinanceSdk_C.so. The result is cached in the OS temp directory by a
 * hash of the source, the flags and the platform, so it is built once and reused by every test
 * process (parallel vitest workers race safely: each compiles to its own file, then renames).
 */

const SOURCE_PATH = fileURLToPath(new URL('./fake_sdk.c', import.meta.url));
const COMPILER = process.env['CC'] ?? 'gcc';
const FLAGS = ['-shared', '-fPIC', '-O2', '-std=c11', '-Wall', '-Wextra', '-pthread'];

/** The compiler is not installed (the only reason a test may skip, and never under CI=true). */
export class CompilerMissingError extends Error {
  constructor(compiler: string) {
    super(`the WeCom SDK test double needs a C compiler but "${compiler}" was not found on PATH (Debian: apt-get install gcc)`);
    this.name = 'CompilerMissingError';
  }
}

let built: string | undefined;

/** Returns the path of the compiled double, compiling it first when needed. */
export function buildFakeSdk(): string {
  if (built !== undefined && existsSync(built)) return built;
  const source = readFileSync(SOURCE_PATH);
  const hash = createHash('sha256')
    .update(source)
    .update(JSON.stringify([COMPILER, FLAGS, process.platform, process.arch]))
    .digest('hex')
    .slice(0, 16);
  const dir = join(tmpdir(), 'wekeep-fake-wecom-sdk', hash);
  // The real SDK's file name, so code that checks or logs it sees what production sees.
  const output = join(dir, 'libWeWorkFinanceSdk_C.so');
  if (!existsSync(output)) {
    mkdirSync(dir, { recursive: true });
    const partial = `${output}.${process.pid}.tmp`;
    const result = spawnSync(COMPILER, [...FLAGS, '-o', partial, SOURCE_PATH], { encoding: 'utf8' });
    if (result.error) {
      rmSync(partial, { force: true });
      if ((result.error as NodeJS.ErrnoException).code === 'ENOENT') throw new CompilerMissingError(COMPILER);
      throw new Error(`cannot run ${COMPILER} to build the WeCom SDK test double: ${result.error.message}`);
    }
    if (result.status !== 0) {
      rmSync(partial, { force: true });
      throw new Error(`${COMPILER} failed to build the WeCom SDK test double (exit ${result.status}):\n${result.stderr}`);
    }
    renameSync(partial, output);
  }
  built = output;
  return output;
}

export type FakeSdkBuild = { available: true; libraryPath: string } | { available: false; reason: string };

/**
 * For test files: the compiled double, or — only when the compiler is missing and CI is not set —
 * the reason to skip. Under CI=true a missing compiler throws, so CI can never pass by skipping.
 */
export function tryBuildFakeSdk(): FakeSdkBuild {
  try {
    return { available: true, libraryPath: buildFakeSdk() };
  } catch (e) {
    if (e instanceof CompilerMissingError && process.env['CI'] !== 'true') {
      console.warn(`skipping WeCom SDK tests: ${e.message}`);
      return { available: false, reason: e.message };
    }
    throw e;
  }
}

/**
 * Test-only probe of the double (not part of Tencent's ABI): how many caller-owned objects (SDK
 * handles, slices, media data and their buffers) are currently allocated. Zero after a client has
 * closed means nothing leaked.
 */
export function fakeSdkLiveAllocations(libraryPath: string): number {
  let probe = probes.get(libraryPath);
  if (!probe) {
    probe = koffi.load(libraryPath).func('FakeSdk_LiveAllocations', 'long', []);
    probes.set(libraryPath, probe);
  }
  const value: unknown = probe();
  if (typeof value !== 'number') throw new Error('FakeSdk_LiveAllocations did not return a number');
  return value;
}
const probes = new Map<string, ReturnType<ReturnType<typeof koffi.load>['func']>>();
