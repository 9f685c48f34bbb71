import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { fatalError, usageError } from '../errors.js';
import type { DemoOptions, DemoSummary, MediaMode } from '../demo/generate.js';
import { intOption, printJson } from './common.js';

interface GenerateFlags {
  messages: number;
  out?: string;
  seed: string;
  media: string;
  days: number;
  end?: string;
  attachmentsDir?: string;
  json?: boolean;
}

const MAX_MESSAGES = 1_000_000_000;
const MAX_DAYS = 3650;

/** `wekeep demo …`: synthetic data for benchmarks and the console demo. Needs no data directory. */
export function registerDemoCommands(program: Command): void {
  const demo = program.command('demo').description('synthetic demo data (needs no data directory)');
  demo
    .command('generate')
    .description(
      'write realistic synthetic WeChat/WeCom business chat as NDJSON import lines: a fictitious company with ~200 employees, ' +
        '~150 customer and supplier contacts, direct and group chats, every message type, real small attachments',
    )
    .option('--messages <n>', 'number of messages to write', intOption('--messages', MAX_MESSAGES), 10_000)
    .option('--out <file>', 'output NDJSON file, or "-" for standard output (required)')
    .option('--seed <s>', 'random seed: the same seed and options give byte-identical output', 'wekeep')
    .option('--media <mode>', 'attachments: "normal" (small real JPEG/PNG/MP4/AMR/SILK/PDF/XLSX/DOCX files, inline base64) or "none" (text-only corpus)', 'normal')
    .option('--days <d>', `length of the history in days, 1..${MAX_DAYS}`, intOption('--days', MAX_DAYS), 365)
    .option('--end <YYYY-MM-DD>', 'last day of the history (Asia/Shanghai); default: today — pass it for reproducible output')
    .option('--attachments-dir <dir>', 'write attachments as files in this folder and reference them by path (relative to the output file) instead of inline base64')
    .option('--json', 'print the summary as JSON on standard output (only with --out FILE)')
    .addHelpText(
      'after',
      '\nExamples:\n  wekeep demo generate --messages 100000 --out demo.ndjson --seed 42 --end 2026-03-01\n  wekeep demo generate --messages 1000000 --media none --out - | gzip > corpus.ndjson.gz\n\nA summary (counts by type and source, bytes) goes to standard error.',
    )
    .action(async (flags: GenerateFlags) => {
      const { options, out } = await validate(flags);
      const summary = await run(options, out);
      process.stderr.write(describe(summary, out));
      if (flags.json) printJson(summary);
    });
}

async function validate(flags: GenerateFlags): Promise<{ options: DemoOptions; out: string }> {
  const { shanghaiMidnight, todayInShanghai } = await import('../demo/generate.js');
  if (flags.out === undefined || flags.out === '') throw usageError('cli.missing_option', '--out is required (a file, or "-" for standard output)');
  if (flags.media !== 'normal' && flags.media !== 'none') throw usageError('cli.bad_option', `--media must be "normal" or "none", got "${flags.media}"`);
  const media: MediaMode = flags.media;
  if (flags.days < 1) throw usageError('cli.bad_option', '--days must be at least 1');
  if (flags.seed === '') throw usageError('cli.bad_option', '--seed must not be empty');
  const end = flags.end ?? todayInShanghai(Date.now());
  const endMidnight = shanghaiMidnight(end);
  if (endMidnight === undefined) throw usageError('cli.bad_option', `--end must be a date YYYY-MM-DD, got "${end}"`);
  const first = endMidnight - (flags.days - 1) * 86_400_000;
  if (first < Date.UTC(1980, 0, 2) || endMidnight >= Date.UTC(2099, 11, 31)) throw usageError('cli.bad_option', '--end and --days must keep the history within 1980..2099');
  if (flags.json && flags.out === '-') throw usageError('cli.bad_option', '--json needs --out FILE (standard output carries the NDJSON)');
  if (flags.attachmentsDir !== undefined && media === 'none') throw usageError('cli.bad_option', '--attachments-dir makes no sense with --media none');
  const options: DemoOptions = { messages: flags.messages, seed: flags.seed, media, days: flags.days, end };
  if (flags.attachmentsDir !== undefined) {
    if (flags.attachmentsDir === '') throw usageError('cli.bad_option', '--attachments-dir must not be empty');
    options.attachmentsDir = resolve(flags.attachmentsDir);
    options.pathsRelativeTo = flags.out === '-' ? process.cwd() : dirname(resolve(flags.out));
    const rel = relative(options.pathsRelativeTo, options.attachmentsDir);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw usageError('cli.bad_option', '--attachments-dir must be inside the folder of the output file (import resolves attachment paths relative to the NDJSON file and refuses paths outside it)');
    }
  }
  return { options, out: flags.out };
}

async function run(options: DemoOptions, out: string): Promise<DemoSummary> {
  const { writeDemo } = await import('../demo/generate.js');
  if (out === '-') {
    try {
      return await writeDemo(options, process.stdout);
    } catch (e) {
      // A closed pipe (e.g. `| head`) is reported as such, not as a crash.
      if ((e as NodeJS.ErrnoException).code === 'EPIPE') throw fatalError('demo.output_closed', 'standard output was closed before the corpus was complete', e);
      throw e;
    }
  }
  const stream = createWriteStream(out);
  try {
    await once(stream, 'open');
  } catch (e) {
    throw fatalError('demo.cannot_write', `cannot write ${out}: ${(e as Error).message}`, e);
  }
  try {
    const summary = await writeDemo(options, stream);
    stream.end();
    await once(stream, 'finish');
    return summary;
  } catch (e) {
    stream.destroy();
    throw fatalError('demo.write_failed', `writing ${out} failed: ${(e as Error).message}`, e);
  }
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function mb(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MiB`;
}

function describe(s: DemoSummary, out: string): string {
  const secs = s.elapsedMs / 1000;
  const rate = secs > 0 ? Math.round(s.messages / secs) : s.messages;
  const list = (m: { [k: string]: number }): string =>
    Object.entries(m)
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join(' · ');
  return [
    `wekeep demo: wrote ${fmt(s.messages)} messages (${mb(s.bytes)}) to ${out === '-' ? 'standard output' : out} in ${secs.toFixed(1)} s (${fmt(rate)} messages/s)`,
    `  seed "${s.seed}" · ${s.firstDay} .. ${s.end} (${s.days} days, Asia/Shanghai) · media ${s.media}`,
    `  company: ${s.company.employees} employees, ${s.company.externals} external contacts, ${s.company.conversations} conversations`,
    `  sources: ${list(s.bySource)}`,
    `  types: ${list(s.byType)}`,
    `  attachments: ${fmt(s.attachments.count)} (${mb(s.attachments.bytes)} decoded, ${fmt(s.attachments.reused)} reused pool files${s.attachments.filesWritten > 0 ? `, ${fmt(s.attachments.filesWritten)} files written` : ''})`,
    `  recalls: ${fmt(s.recalls.total)} (${fmt(s.recalls.beforeOriginal)} written before their original)`,
    '',
  ].join('\n');
}
