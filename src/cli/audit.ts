import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { usageError } from '../errors.js';
import type { AuditVerifyReport, HeadJson } from '../services/audit.js';
import { MAX_LIST_LIMIT } from '../services/limits.js';
import { intOption, printJson, printLine, setExitStatus, withContext } from './common.js';

/** `wekeep audit …`: verify the tamper-evident audit log, print heads and proofs, list events. */
export function registerAuditCommands(program: Command): void {
  const audit = program
    .command('audit')
    .description('tamper-evident audit log: verify it, save signed tree heads, get inclusion and consistency proofs, list events')
    .addHelpText(
      'after',
      `
The audit log is an RFC 9162 Merkle tree of every action (never message content); each change
stores an Ed25519-signed tree head. Save a head outside this system now and then
(wekeep audit head --json > head.json) and later run \`wekeep audit verify --since head.json\`:
that also catches an insider who rewrote history and re-signed it with the real key.`,
    );

  audit
    .command('verify')
    .description('recompute the whole log and check every event, every signed tree head and the stored state')
    .option('--since <head-file>', 'also check that the log still extends a head saved earlier (output of `audit head --json`)')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExit status: 0 when the log is intact, 1 when any problem is found (each one is listed).')
    .action(async (opts: { since?: string; json?: boolean }, cmd: Command) => {
      const { verifyAuditLog } = await import('../services/audit.js');
      const { wormState } = await import('../services/disposition-worm.js');
      const sinceHead = opts.since ? await readHeadFile(opts.since) : undefined;
      const { report, worm } = await withContext(cmd, async (ctx) => ({ report: await verifyAuditLog(ctx, { sinceHead }), worm: await wormState(ctx.db) }));
      if (opts.json) printJson({ ...report, worm: worm.enabled });
      else {
        printVerifyReport(report, sinceHead);
        printLine(`Mode: ${worm.enabled ? `WORM (records cannot be deleted before their retention floor)${worm.enabledAt === null ? '' : `, enabled ${new Date(worm.enabledAt).toISOString()} by ${worm.enabledBy ?? '?'}`}` : 'standard (not WORM)'}`);
      }
      if (!report.ok) setExitStatus(1);
    });

  audit
    .command('proof')
    .description('inclusion proof: show that event N is in the tree of size M (RFC 9162 audit path)')
    .requiredOption('--index <n>', 'seq of the event (0-based leaf index)', intOption('--index'))
    .option('--size <m>', 'tree size to prove against (default: the current size)', intOption('--size'))
    .option('--json', 'print the proof as JSON')
    .action(async (opts: { index: number; size?: number; json?: boolean }, cmd: Command) => {
      const { checkInclusionProof, inclusionProof, verifyHeadSignature } = await import('../services/audit.js');
      const p = await withContext(cmd, (ctx) => inclusionProof(ctx, opts.index, opts.size));
      const verified = checkInclusionProof(p);
      const headMatches = p.head ? p.head.rootHash === p.rootHash && verifyHeadSignature(p.head) : null;
      if (opts.json) {
        printJson({ ...p, verified, headMatches });
      } else {
        printLine(`Inclusion proof for event ${p.index} in the tree of size ${p.size}`);
        printLine(`  leaf hash   ${p.leafHash}`);
        printLine(`  root        ${p.rootHash}`);
        printLine(`  signed head ${describeHead(p.head, headMatches)}`);
        printPath(p.proof);
        printLine(`  verified    ${verified ? 'yes: the path leads from the leaf to the root' : 'NO'}`);
      }
      if (!verified || headMatches === false) setExitStatus(1);
    });

  audit
    .command('consistency')
    .description('consistency proof: show that the tree of size TO extends the tree of size FROM (append-only)')
    .requiredOption('--from <size>', 'the older tree size', intOption('--from'))
    .option('--to <size>', 'the newer tree size (default: the current size)', intOption('--to'))
    .option('--json', 'print the proof as JSON')
    .action(async (opts: { from: number; to?: number; json?: boolean }, cmd: Command) => {
      const { checkConsistencyProof, consistencyProof, verifyHeadSignature } = await import('../services/audit.js');
      const p = await withContext(cmd, (ctx) => consistencyProof(ctx, opts.from, opts.to));
      const verified = checkConsistencyProof(p);
      if (opts.json) {
        printJson({ ...p, verified });
      } else {
        printLine(`Consistency proof from size ${p.fromSize} to size ${p.toSize}`);
        printLine(`  old root    ${p.fromRoot}`);
        printLine(`  new root    ${p.toRoot}`);
        printLine(`  old head    ${describeHead(p.fromHead, p.fromHead ? p.fromHead.rootHash === p.fromRoot && verifyHeadSignature(p.fromHead) : null)}`);
        printLine(`  new head    ${describeHead(p.toHead, p.toHead ? p.toHead.rootHash === p.toRoot && verifyHeadSignature(p.toHead) : null)}`);
        printPath(p.proof);
        printLine(`  verified    ${verified ? 'yes: the new tree contains the old one unchanged' : 'NO'}`);
      }
      if (!verified) setExitStatus(1);
    });

  audit
    .command('head')
    .description('print the latest signed tree head (save the --json output outside this system for `verify --since`)')
    .option('--json', 'print the head as JSON (the format `audit verify --since` reads)')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { currentHead } = await import('../services/audit.js');
      const head = await withContext(cmd, (ctx) => currentHead(ctx));
      if (opts.json) {
        printJson(head);
        return;
      }
      printLine(`size        ${head.size}`);
      printLine(`root        ${head.rootHash}`);
      printLine(`time        ${head.time}`);
      printLine(`key id      ${head.keyId}`);
      printLine(`signature   ${head.signature}`);
      printLine();
      printLine('Keep a copy outside this system: wekeep audit head --json > audit-head.json');
    });

  audit
    .command('list')
    .description('list audit events, newest first')
    .option('--limit <n>', `how many events (1..${MAX_LIST_LIMIT}, default 50)`, intOption('--limit', MAX_LIST_LIMIT))
    .option('--action <action>', 'only this action, or a prefix ending in * (e.g. "message.*")')
    .option('--actor <actor>', 'only events of this actor (e.g. cli:alice)')
    .option('--json', 'print the events as JSON')
    .action(async (opts: { limit?: number; action?: string; actor?: string; json?: boolean }, cmd: Command) => {
      if (opts.limit === 0) throw usageError('cli.bad_option', '--limit must be at least 1');
      const { listAuditEvents } = await import('../services/audit.js');
      const events = await withContext(cmd, (ctx) => listAuditEvents(ctx, { limit: opts.limit, action: opts.action, actor: opts.actor }));
      if (opts.json) {
        printJson(events);
        return;
      }
      if (events.length === 0) {
        printLine('No audit events match.');
        return;
      }
      for (const e of events) {
        const details = e.details === null ? '' : `  ${JSON.stringify(e.details)}`;
        printLine(`${String(e.seq).padStart(8)}  ${e.time}  ${e.actor}  ${e.action}${e.subject ? `  ${e.subject}` : ''}${details}`);
      }
    });
}

async function readHeadFile(path: string): Promise<HeadJson> {
  const { parseHeadJson } = await import('../services/audit.js');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw usageError('audit.head_file', `cannot read the head file ${path}`);
  }
  return parseHeadJson(text, path);
}

function describeHead(head: HeadJson | null, matches: boolean | null): string {
  if (!head) return 'none stored for exactly this size';
  return `${head.time}, key ${head.keyId}: ${matches ? 'signature valid, root matches' : 'DOES NOT MATCH'}`;
}

function printPath(proof: readonly string[]): void {
  printLine(`  path        ${proof.length} hash${proof.length === 1 ? '' : 'es'}${proof.length ? ':' : ''}`);
  proof.forEach((h, i) => printLine(`    ${String(i + 1).padStart(2)}. ${h}`));
}

function printVerifyReport(r: AuditVerifyReport, since: HeadJson | undefined): void {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  printLine(`Audit log: ${plural(r.eventsChecked, 'event')} recomputed, ${plural(r.headsChecked, 'signed tree head')} checked (state size ${r.size})`);
  printLine(`Root:      ${r.rootHash}`);
  if (since && r.since) {
    printLine(`Since:     saved head of size ${since.size} (${since.time}): ${r.since.ok ? 'the log still extends it' : 'NOT CONSISTENT'}`);
  }
  if (r.ok) {
    printLine('OK: the audit log is intact.');
    return;
  }
  printLine(`FAILED: ${r.problemCount} problem${r.problemCount === 1 ? '' : 's'} found${r.problemCount > r.problems.length ? ` (first ${r.problems.length} shown)` : ''}:`);
  for (const p of r.problems) {
    const where = p.seq !== undefined ? ` event ${p.seq}` : p.size !== undefined ? ` size ${p.size}` : '';
    printLine(`  - [${p.kind}]${where}: ${p.message}`);
  }
}
