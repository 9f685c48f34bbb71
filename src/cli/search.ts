import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatInZone } from '../domain/time-zone.js';
import { MAX_SEARCH_LIMIT } from '../services/limits.js';
import type { HitView } from '../services/message-views.js';
import { intOption, printJson, printLine, withContext } from './common.js';

const oneLine = (s: string | null, max = 120): string => {
  const t = (s ?? '').replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

function hitLine(h: HitView, timeZone: string): string {
  const flags = [h.recalled ? '[recalled]' : '', h.attachments.length > 0 ? `[${h.attachments.length} attachment(s)]` : ''].filter(Boolean).join(' ');
  const where = h.conversation.label;
  const ts = formatInZone(Date.parse(h.time), timeZone);
  return `${ts}  ${h.source}/${h.id}  ${where}  ${h.from.name ?? h.from.id} (${h.type})${flags ? ` ${flags}` : ''}\n    ${oneLine(h.text)}`;
}

/**
 * A query may begin with "-" (`wekeep search '-from:lisi'`, `wekeep search -草稿`), which the option
 * parser would take for an unknown option. Such an argument of `search` that is none of its options is
 * moved behind a `--`, so it is read as the query wherever it stands. Returns the argv to parse.
 */
export function searchQueryArgv(argv: readonly string[]): string[] {
  // The command is the first argument that is neither a global option nor its value.
  const globalWithValue = new Set(['--data', '--key-file', '--clamd']);
  let at = 0;
  while (at < argv.length && argv[at]!.startsWith('-') && argv[at] !== '--') at += globalWithValue.has(argv[at]!) ? 2 : 1;
  if (argv[at] !== 'search') return [...argv];
  const withValue = new Set(['--limit', '--offset', ...globalWithValue]);
  const flags = new Set(['--json', '--debug', '-h', '--help']);
  const head = argv.slice(0, at + 1);
  const rest: string[] = [];
  const queries: string[] = [];
  for (let i = at + 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      queries.push(...argv.slice(i + 1));
      break;
    }
    const name = a.split('=')[0]!;
    if (withValue.has(name)) {
      rest.push(a);
      if (!a.includes('=') && i + 1 < argv.length) rest.push(argv[++i]!);
    } else if (flags.has(a) || !a.startsWith('-') || a === '-') {
      rest.push(a);
    } else {
      queries.push(a);
    }
  }
  return queries.length === 0 ? [...head, ...rest] : [...head, ...rest, '--', ...queries];
}

export function registerSearchCommands(program: Command): void {
  program
    .command('search')
    .description('full-text search (Chinese, English, digits; exact totals, newest first)')
    .argument('<query>', 'terms, "phrases", OR, -excluded, and filters')
    .option('--limit <n>', `hits to return (max ${MAX_SEARCH_LIMIT})`, intOption('--limit', MAX_SEARCH_LIMIT), 20)
    .option('--offset <n>', 'hits to skip', intOption('--offset'), 0)
    .option('--json', 'machine-readable output: { total, hits: [...] }')
    .addHelpText('after', `
Query language:
  合同 发票            both terms (AND); a Chinese term matches anywhere as a substring
  pay  pay*            a whole English word, or a prefix
  "payment terms"      a phrase
  合同 OR 协议          either term
  -草稿  -from:lisi    exclude a term or a filter
  from:ID|NAME  to:ID|NAME  in:CONVERSATION  type:TYPE  source:SOURCE
  after:2026-01-01  before:2026-02-01T09:30   (Asia/Shanghai unless an offset is given)
  has:attachment  is:recalled
Examples:
  wekeep search '合同 from:zhangsan after:2026-01-01' --json
  wekeep search '-from:lisi type:file'       (a query may begin with "-")
  wekeep search 'type:call is:recalled' --limit 5`)
    .action(async (query: string, opts: { limit: number; offset: number; json?: boolean }, cmd: Command) => {
      const { searchMessages } = await import('../services/search.js');
      await withContext(cmd, async (ctx) => {
        const r = await searchMessages(ctx, { query, limit: opts.limit, offset: opts.offset });
        if (opts.json) return printJson({ total: r.total, hits: r.hits });
        printLine(`${r.total} hit(s)${r.total > r.hits.length ? `, showing ${opts.offset + 1}–${opts.offset + r.hits.length}` : ''}`);
        for (const h of r.hits) printLine(hitLine(h, ctx.config.timeZone));
      });
    });

  program
    .command('show')
    .description('show one archived message with its conversation context')
    .argument('<ref>', '<source>/<id>, as printed by search')
    .option('--context <n>', 'messages before and after to show', intOption('--context', 1000), 5)
    .option('--attachments-to <dir>', "write the message's attachments to this directory (verified against their hashes)")
    // Privacy requests (issue 5): a RESTRICTED message is shown only for a stated legal purpose, which is audited.
    .option('--legal-purpose <text>', 'show a message in the privacy-restricted state, for this legal purpose (recorded in the audit log; no personal data in it)')
    .option('--json', 'machine-readable output')
    .action(async (ref: string, opts: { context: number; attachmentsTo?: string; legalPurpose?: string; json?: boolean }, cmd: Command) => {
      const { exportAttachments, parseMessageRef, showMessage } = await import('../services/show.js');
      const parsed = parseMessageRef(ref);
      await withContext(cmd, async (ctx) => {
        const shown = await showMessage(ctx, parsed, { context: opts.context, legalPurpose: opts.legalPurpose });
        const exported = opts.attachmentsTo ? await exportAttachments(ctx, parsed, resolve(opts.attachmentsTo), { legalPurpose: opts.legalPurpose }) : undefined;
        if (opts.json) return printJson(exported ? { ...shown, exported } : shown);
        const tz = ctx.config.timeZone;
        const m = shown.message;
        for (const h of shown.context.before) printLine(`  ${hitLine(h, tz)}`);
        printLine(`▶ ${formatInZone(m.timeMs, tz)}  ${m.source}/${m.id}${m.seq !== null ? ` (seq ${m.seq})` : ''}`);
        printLine(`  conversation: ${m.conversation.label} [${m.conversation.type}, ${m.conversation.id}]`);
        printLine(`  from: ${m.from.name ?? ''} <${m.from.id}>`);
        if (m.to.length > 0) printLine(`  to: ${m.to.slice(0, 10).map((t) => `${t.name ?? ''} <${t.id}>`).join(', ')}${m.to.length > 10 ? ` … (${m.to.length})` : ''}`);
        printLine(`  type: ${m.type}${m.recalled ? `  RECALLED at ${m.recalledAt} by ${m.recalledBy}` : ''}`);
        if (m.text) printLine(`  text: ${m.text}`);
        if (m.fields) printLine(`  fields: ${JSON.stringify(m.fields)}`);
        for (const a of m.attachments) printLine(`  attachment ${a.ordinal + 1}: ${a.name} (${a.mime ?? 'unknown type'}, ${a.size} bytes, sha256 ${a.sha256})`);
        printLine(`  record hash: ${m.recordHash}`);
        for (const h of shown.context.after) printLine(`  ${hitLine(h, tz)}`);
        for (const e of exported ?? []) printLine(`wrote ${e.file} (${e.size} bytes, sha256 verified)`);
      });
    });
}
