import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../cli/program.js';
import { recordInputSchema } from '../domain/record.js';

const dir = mkdtempSync(join(tmpdir(), 'wekeep-demo-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs the CLI with stdout and stderr captured. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: Buffer[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    out.push(Buffer.from(chunk));
    return true;
  }) as typeof process.stdout.write);
  vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  }) as typeof process.stderr.write);
  const saved = process.exitCode;
  try {
    const code = await runCli(args);
    return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: err.join('') };
  } finally {
    process.exitCode = saved;
    vi.restoreAllMocks();
  }
}

describe('wekeep demo generate', () => {
  it('writes a file, a summary to stderr, and JSON to stdout with --json (no data directory needed)', async () => {
    const file = join(dir, 'demo.ndjson');
    const r = await run(['--data', join(dir, 'does-not-exist'), 'demo', 'generate', '--messages', '500', '--out', file, '--seed', '7', '--end', '2026-03-01', '--days', '30', '--json']);
    expect(r.stderr).toContain('wrote 500 messages');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { messages: number; bytes: number; byType: { [k: string]: number }; bySource: { [k: string]: number }; end: string };
    expect(summary.messages).toBe(500);
    expect(summary.end).toBe('2026-03-01');
    const text = readFileSync(file);
    expect(summary.bytes).toBe(text.length);
    const lines = text.toString('utf8').trim().split('\n');
    expect(lines.length).toBe(500);
    for (const l of lines) expect(recordInputSchema.safeParse(JSON.parse(l)).success).toBe(true);
    expect(Object.values(summary.byType).reduce((a, b) => a + b, 0)).toBe(500);
  });

  it('writes NDJSON to standard output with --out -', async () => {
    const r = await run(['demo', 'generate', '--messages', '200', '--out', '-', '--media', 'none', '--end', '2026-03-01']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBe(200);
    expect(lines.every((l) => !l.includes('"attachments"'))).toBe(true);
    expect(r.stderr).toContain('media none');
  });

  it('is reproducible: same seed and options → identical files', async () => {
    const a = join(dir, 'a.ndjson');
    const b = join(dir, 'b.ndjson');
    await run(['demo', 'generate', '--messages', '300', '--out', a, '--seed', 'x', '--end', '2026-01-31']);
    await run(['demo', 'generate', '--messages', '300', '--out', b, '--seed', 'x', '--end', '2026-01-31']);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  });

  it.each([
    [['--messages', '10']],
    [['--out', 'x.ndjson', '--messages', 'ten']],
    [['--out', 'x.ndjson', '--media', 'some']],
    [['--out', 'x.ndjson', '--end', '2026-02-30']],
    [['--out', 'x.ndjson', '--end', 'yesterday']],
    [['--out', 'x.ndjson', '--days', '0']],
    [['--out', 'x.ndjson', '--days', '99999']],
    [['--out', '-', '--json']],
    [['--out', 'x.ndjson', '--media', 'none', '--attachments-dir', 'files']],
    [['--out', 'x.ndjson', '--end', '1975-01-01']],
    [['--out', 'x.ndjson', '--bogus']],
    [['--out', 'sub/x.ndjson', '--attachments-dir', 'elsewhere']],
  ])('rejects bad options with a usage error (exit 2): %j', async (args) => {
    const r = await run(['demo', 'generate', ...args]);
    expect(r.code).toBe(2);
  });

  it('writes attachments as files next to the output with --attachments-dir', async () => {
    const file = join(dir, 'with-files', 'demo.ndjson');
    const r = await run(['demo', 'generate', '--messages', '400', '--out', join(dir, 'with-files', 'demo.ndjson'), '--attachments-dir', join(dir, 'with-files', 'media'), '--end', '2026-03-01']);
    expect(r.code, r.stderr).toBe(1); // the output folder does not exist yet
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'with-files'));
    const ok = await run(['demo', 'generate', '--messages', '400', '--out', file, '--attachments-dir', join(dir, 'with-files', 'media'), '--end', '2026-03-01']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/files written/);
    const recs = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { attachments?: { path?: string }[] });
    const paths = recs.flatMap((x) => x.attachments ?? []).map((a) => a.path ?? '');
    expect(paths.length).toBeGreaterThan(0);
    for (const p of paths) expect(readFileSync(join(dir, 'with-files', p)).length).toBeGreaterThan(0);
  });

  it('reports an unwritable output as a failure (exit 1)', async () => {
    const r = await run(['demo', 'generate', '--messages', '5', '--out', join(dir, 'no', 'such', 'dir', 'x.ndjson'), '--end', '2026-03-01']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot write');
  });

  it('documents every option in --help', async () => {
    const r = await run(['demo', 'generate', '--help']);
    expect(r.code).toBe(0);
    for (const o of ['--messages', '--out', '--seed', '--media', '--days', '--end', '--attachments-dir', '--json']) expect(r.stdout).toContain(o);
  });
});
