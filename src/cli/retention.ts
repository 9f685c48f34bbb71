import type { Command } from 'commander';
import { parseInstant } from '../domain/clock.js';
import type { Context } from '../context.js';
import { usageError } from '../errors.js';
import type { BulkReviewResult, ReviewView } from '../services/disposition-reviews.js';
import type { RunCounts, RunSummary, RunTrigger, RunView } from '../services/disposition-run.js';
import { MAX_BULK_REVIEWS, REVIEW_STATUSES } from '../services/limits.js';
import type { ReviewStatus } from '../repositories/disposition.js';
import { intOption, printJson, printLine, setExitStatus, withContext } from './common.js';

/** `wekeep retention …`: disposition runs, their status and certificates, and the four-eyes review queue. */

function nowOption(value: string): number {
  const ms = parseInstant(value);
  if (ms === undefined) throw usageError('cli.bad_option', `--now must be a valid ISO 8601 time (e.g. 2026-03-01T00:00:00Z) or epoch milliseconds, got "${value}"`);
  return ms;
}

const n = (x: number): string => x.toLocaleString('en');

function printCounts(c: RunCounts, names: Map<number, string>): void {
  printLine(`  examined ${n(c.examined)}, disposed ${n(c.disposed)}, queued for review ${n(c.queued)} (${n(c.alreadyQueued)} already queued, ${n(c.retainedByReview)} retained by review)`);
  printLine(`  kept by legal hold ${n(c.keptByHold)}, frozen by a privacy request ${n(c.keptByPrivacy)}, conflicts ${n(c.conflicts)}, errors ${n(c.errors)}`);
  if (c.bytesFreed > 0 || c.blobsDeleted > 0) printLine(`  freed ${n(c.bytesFreed)} bytes, ${n(c.blobsDeleted)} attachment objects deleted`);
  for (const [id, p] of Object.entries(c.perPolicy)) {
    const name = id === 'none' ? '(no policy)' : `${names.get(Number(id)) ?? '?'} (#${id})`;
    printLine(`    ${name}: disposed ${n(p.disposed)}, queued ${n(p.queued)}, kept by hold ${n(p.keptByHold)}, frozen ${n(p.keptByPrivacy)}, conflicts ${n(p.conflicts)}, errors ${n(p.errors)}`);
  }
}

function printRun(s: RunSummary, names: Map<number, string>): void {
  const what = s.dryRun ? 'Dry run' : 'Disposition run';
  const state = s.status === 'interrupted' ? 'stopped at its time bound (the next run continues it)' : s.status;
  printLine(`${what} ${s.id} ${state} in ${((s.counts?.durationMs ?? 0) / 1000).toFixed(1)} s${s.resumed ? ` (continued from key ${s.cursor ?? 0})` : ''}${s.dryRun ? ': nothing was changed' : ''}`);
  printLine(`  decided at ${s.now}`);
  if (s.counts) printCounts(s.counts, names);
  if (s.certificate) printLine(`  certificate: audit event ${s.certificate.auditSeq}, ${n(s.certificate.tombstones)} tombstones, Merkle root ${s.certificate.merkleRoot}`);
}

function runLine(r: RunView): string {
  return `${String(r.id).padStart(5)}  ${r.status.padEnd(11)}  ${r.dryRun ? 'dry ' : 'real'}  ${r.trigger.padEnd(8)}  ${r.startedAt}  disposed ${n(r.counts?.disposed ?? 0)}  queued ${n(r.counts?.queued ?? 0)}${r.error ? `  (${r.error})` : ''}`;
}

function printReview(r: ReviewView, record: string | undefined): void {
  const proposal = r.proposal ? `  ${r.proposal} proposed by ${r.proposedBy ?? '?'}` : '';
  const decided = r.decidedBy ? `  decided by ${r.decidedBy}` : '';
  const what = record === undefined ? `message key ${r.messageKey} (no longer archived)` : record;
  printLine(`${String(r.id).padStart(6)}  ${r.status.padEnd(8)}  ${what}  policy #${r.policyId} v${r.policyVersion ?? '?'}  queued ${r.queuedAt}${proposal}${decided}${r.voidReason ? `  void: ${r.voidReason}` : ''}`);
}

const SIGN_IN_HELP = `
Four eyes: the proposal and the decision are each signed in as a WeKeep account with the
disposition.review permission (compliance), and the decision must be another account's.
The password is read from the terminal (not echoed) or from $WEKEEP_PASSWORD; the second factor
from --code or the terminal. Sign-in failures count towards the account's lockout, as in the console.`;

export function registerRetentionCommands(program: Command): void {
  const retention = program
    .command('retention')
    .description('disposition: run it, see its status, list and verify certificates, work the four-eyes review queue');

  retention
    .command('run')
    .description('dispose of the records past their retention maximum (delete, or queue for review); resumable, bounded in time')
    .option('--dry-run', 'decide and count only; change nothing')
    .option('--now <time>', 'decide as of this instant (ISO 8601 or epoch ms; default: now); a real run refuses a time later than now, a dry run accepts it')
    .option('--max-seconds <n>', 'stop after this many seconds; the next run continues from where this one stopped', intOption('--max-seconds'))
    .option('--batch-size <n>', 'records per transaction (default 5000)', intOption('--batch-size', 100_000))
    .option('--trigger <trigger>', 'what started the run: cli (default) or schedule (the server\'s daily job)')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nAfter a completed run, erasure requests whose restricted records lost their grounds (hold released,\nfloor passed) are executed again (erasureFollowUps in --json).\nExit status: 0 when the run completed or stopped at its time bound, 1 when it failed.')
    .action(async (opts: { dryRun?: boolean; now?: string; maxSeconds?: number; batchSize?: number; trigger?: string; json?: boolean }, cmd: Command) => {
      const trigger: RunTrigger = opts.trigger === undefined ? 'cli' : opts.trigger === 'schedule' || opts.trigger === 'cli' ? opts.trigger : (() => { throw usageError('cli.bad_option', '--trigger is cli or schedule'); })();
      if (opts.batchSize === 0) throw usageError('cli.bad_option', '--batch-size must be at least 1');
      const { loadPolicyMeta, runDisposition } = await import('../services/disposition-run.js');
      await withContext(cmd, async (ctx) => {
        const summary = await runDisposition(ctx, {
          dryRun: opts.dryRun === true, now: opts.now === undefined ? undefined : nowOption(opts.now), trigger, batchSize: opts.batchSize,
          maxDurationMs: opts.maxSeconds === undefined ? undefined : opts.maxSeconds * 1000,
        });
        // After a completed sweep, erasure requests whose restricted records lost their grounds are executed again.
        const followUps = summary.dryRun || summary.status !== 'completed' ? [] : await (await import('../services/privacy-requests.js')).runErasureFollowUps(ctx);
        if (opts.json) return printJson({ ...summary, erasureFollowUps: followUps });
        const names = new Map([...(await loadPolicyMeta(ctx.db)).values()].map((p) => [p.id, p.name]));
        printRun(summary, names);
        for (const f of followUps) {
          printLine(f.error ? `  erasure request ${f.requestId}: follow-up not possible now (${f.error}); tried again after the next run` : `  erasure request ${f.requestId} followed up: ${n(f.erased)} more erased, ${n(f.restricted)} still restricted`);
        }
      });
    });

  retention
    .command('status')
    .description('last runs, when the next is due, and the overdue alert')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { loadPolicyMeta, retentionStatus } = await import('../services/disposition-run.js');
      await withContext(cmd, async (ctx) => {
        const s = await retentionStatus(ctx);
        if (opts.json) return printJson(s);
        const names = new Map([...(await loadPolicyMeta(ctx.db)).values()].map((p) => [p.id, p.name]));
        printLine(`WORM mode: ${s.worm.enabled ? `enabled${s.worm.enabledAt ? ` since ${s.worm.enabledAt} by ${s.worm.enabledBy ?? '?'}` : ''}` : 'off'}`);
        printLine(`Policies: ${s.enabledPolicies} enabled, ${s.policiesWithMaximum} with a maximum`);
        printLine(`Review queue: ${s.pendingReviews} open item${s.pendingReviews === 1 ? '' : 's'}`);
        if (s.alert) printLine(`ALERT: ${s.alert}`);
        printLine(`Next run due: ${s.nextRunDueAt ?? 'never (no policy sets a maximum)'}`);
        if (s.running) printLine(`Running now: run ${s.running.id} since ${s.running.startedAt} (cursor ${s.running.cursor ?? 0})`);
        if (s.lastCompleted) {
          printLine(`Last completed run: ${s.lastCompleted.id}, finished ${s.lastCompleted.finishedAt ?? '?'}`);
          if (s.lastCompleted.counts) printCounts(s.lastCompleted.counts, names);
        }
        if (s.lastRuns.length > 0) {
          printLine('Recent runs:');
          for (const r of s.lastRuns) printLine(`  ${runLine(r)}`);
        }
      });
    });

  retention
    .command('runs')
    .description('disposition runs, newest first, with their trigger (cli, schedule, api, review, erasure) and counts')
    .option('--limit <n>', 'how many (1..500, default 50)', intOption('--limit', 500))
    .option('--json', 'machine-readable output')
    .action(async (opts: { limit?: number; json?: boolean }, cmd: Command) => {
      if (opts.limit === 0) throw usageError('cli.bad_option', '--limit must be at least 1');
      const { listDispositionRuns } = await import('../services/disposition-run.js');
      const runs = await withContext(cmd, (ctx) => listDispositionRuns(ctx, { limit: opts.limit }));
      if (opts.json) return printJson(runs);
      if (runs.length === 0) return printLine('No disposition runs.');
      for (const r of runs) printLine(runLine(r));
    });

  // `retention certificates` lists (its default subcommand); `retention certificates verify RUN_ID`
  // and `retention verify RUN_ID` check one.
  const certificates = retention.command('certificates').description('list the disposition certificates in the audit log; `certificates verify RUN_ID` checks one');
  certificates
    .command('list', { isDefault: true })
    .description('list the disposition certificates in the audit log (the default)')
    .option('--limit <n>', 'how many, newest first (default 100)', intOption('--limit', 10_000))
    .option('--json', 'machine-readable output')
    .action(async (opts: { limit?: number; json?: boolean }, cmd: Command) => {
      const { listCertificates } = await import('../services/disposition-certificates.js');
      const certs = await withContext(cmd, (ctx) => listCertificates(ctx, { limit: opts.limit === 0 ? 1 : opts.limit }));
      if (opts.json) return printJson(certs);
      if (certs.length === 0) return printLine('No disposition certificates yet.');
      for (const c of certs) {
        printLine(`run ${c.runId}  ${c.details.status}  ${c.details.start} → ${c.details.end}  ${n(c.details.tombstones)} tombstones  root ${c.details.merkleRoot}  audit event ${c.auditSeq}${c.details.worm ? '  WORM' : ''}`);
      }
    });

  for (const parent of [retention, certificates]) {
    parent
      .command('verify')
      .description('verify a run\'s certificate: recompute the Merkle root of its tombstones and prove the certificate is in the signed audit log')
      .argument('<run-id>', 'the run', intOption('run-id'))
      .option('--json', 'machine-readable output')
      .addHelpText('after', '\nExit status: 0 when the certificate verifies, 1 when it does not.')
      .action(async (runId: number, opts: { json?: boolean }, cmd: Command) => {
        const { verifyCertificate } = await import('../services/disposition-certificates.js');
        const v = await withContext(cmd, (ctx) => verifyCertificate(ctx, runId));
        if (!v.ok) setExitStatus(1);
        if (opts.json) return printJson(v);
        printLine(`Certificate of disposition run ${runId}: ${v.ok ? 'VERIFIED' : 'NOT VERIFIED'}`);
        printLine(`  tombstones   ${n(v.tombstones.recomputed)} (certified ${v.tombstones.certified ?? '–'})`);
        printLine(`  Merkle root  ${v.merkleRoot.recomputed} (${v.merkleRoot.certified === v.merkleRoot.recomputed ? 'matches the certificate' : `certified ${v.merkleRoot.certified ?? '–'}`})`);
        if (v.auditSeq !== null) printLine(`  audit event  ${v.auditSeq}, included in the signed tree head of size ${v.treeSize ?? '?'}`);
        if (v.worm) printLine('  WORM mode    on when the run ended');
        for (const p of v.problems) printLine(`  problem: ${p}`);
      });
  }

  const reviews = retention.command('reviews').description('the four-eyes disposition review queue: one compliance user proposes, another decides');

  reviews
    .command('list')
    .description('list review items (default: open ones)')
    .option('--status <statuses>', `comma-separated: ${REVIEW_STATUSES.join(', ')} (default pending,proposed)`)
    .option('--policy <policy>', 'only the items of this policy (name or id)')
    .option('--limit <n>', 'how many (default 100)', intOption('--limit', 10_000))
    .option('--offset <n>', 'skip this many (pages through a long queue)', intOption('--offset'))
    .option('--json', 'machine-readable output')
    .action(async (opts: { status?: string; policy?: string; limit?: number; offset?: number; json?: boolean }, cmd: Command) => {
      const status = opts.status?.split(',').map((s) => s.trim()).filter((s) => s !== '');
      for (const s of status ?? []) if (!REVIEW_STATUSES.includes(s as ReviewStatus)) throw usageError('cli.bad_option', `--status: "${s}" is not one of ${REVIEW_STATUSES.join(', ')}`);
      const { listReviews } = await import('../services/disposition-reviews.js');
      const { recordRefsOfKeys } = await import('../repositories/messages.js');
      const { list, refs } = await withContext(cmd, async (ctx) => {
        const policyId = opts.policy === undefined ? undefined : (await (await import('../services/policies.js')).showPolicy(ctx, opts.policy)).id;
        const found = await listReviews(ctx, { status: status as ReviewStatus[] | undefined, policyId, limit: opts.limit, offset: opts.offset });
        return { list: found, refs: await recordRefsOfKeys(ctx.db, found.items.map((r) => r.messageKey)) };
      });
      if (opts.json) return printJson({ ...list, items: list.items.map((r) => ({ ...r, record: refs.get(r.messageKey) ?? null })) });
      if (list.items.length === 0) return printLine('No review items.');
      printLine('Each record can be read with `wekeep show SOURCE/ID`.');
      for (const r of list.items) printReview(r, refs.get(r.messageKey));
      const shown = (opts.offset ?? 0) + list.items.length;
      if (list.total > shown) printLine(`… ${list.total - shown} more (--offset ${shown})`);
    });

  reviews
    .command('propose')
    .description('propose to dispose of or retain queued records (step one of two): one item, several, or every pending item of a policy')
    .argument('[ids...]', 'review item ids')
    .option('--all', 'every pending item of --policy')
    .option('--policy <policy>', 'with --all: the policy (name or id)')
    .option('--dispose', 'propose disposal')
    .option('--retain', 'propose keeping the record')
    .option('--note <text>', 'why')
    .requiredOption('--as <username>', 'your WeKeep account (a compliance user): signed in with its password and second factor')
    .option('--code <code>', 'your TOTP code or a recovery code (default: asked on the terminal)')
    .option('--json', 'machine-readable output')
    .addHelpText('after', `${SIGN_IN_HELP}
With several ids or --all, each item is proposed on its own (audited one by one); one that cannot
be (decided meanwhile) is reported and the others go on (exit 3). Output: { results: [{ id, ok, result | error }], done, failed }.`)
    .action(async (ids: string[], opts: { all?: boolean; policy?: string; dispose?: boolean; retain?: boolean; note?: string; as: string; code?: string; json?: boolean }, cmd: Command) => {
      if (opts.dispose === opts.retain) throw usageError('cli.bad_option', 'give exactly one of --dispose or --retain');
      const { proposeReview, proposeReviews } = await import('../services/disposition-reviews.js');
      const { asSignedInUser } = await import('./sign-in.js');
      const proposal = opts.dispose ? 'dispose' : 'retain';
      if (!opts.all && ids.length === 1) {
        const id = intOption('<ids>')(ids[0]!);
        const r = await withContext(cmd, (ctx) => asSignedInUser(ctx, { username: opts.as, code: opts.code }, 'disposition.review', (user) => proposeReview(user, id, { proposal, note: opts.note })));
        if (opts.json) return printJson(r);
        printLine(`Review item ${id}: ${r.proposal ?? '?'} proposed; another compliance user must approve or reject it.`);
        return;
      }
      const bulk = await withContext(cmd, async (ctx) => {
        const targets = await reviewTargets(ctx, ids, opts, 'pending');
        return asSignedInUser(ctx, { username: opts.as, code: opts.code }, 'disposition.review', (user) => inChunks(targets, (part) => proposeReviews(user, part, { proposal, note: opts.note })));
      });
      if (bulk.failed > 0) setExitStatus(3);
      if (opts.json) return printJson(bulk);
      printLine(`${bulk.done} item(s): ${proposal} proposed; another compliance user must approve or reject them.${bulk.failed > 0 ? ` ${bulk.failed} could not be:` : ''}`);
      for (const r of bulk.results) if (!r.ok) printLine(`  #${r.id}: ${r.error}`);
    });

  for (const [name, approve] of [['approve', true], ['reject', false]] as const) {
    reviews
      .command(name)
      .description(`${name} the proposals of review items (step two; not by the user who proposed): one item, several, or every proposed item of a policy`)
      .argument('[ids...]', 'review item ids')
      .option('--all', 'every proposed item of --policy (those you proposed yourself are refused and reported)')
      .option('--policy <policy>', 'with --all: the policy (name or id)')
      .option('--note <text>', 'why')
      .requiredOption('--as <username>', 'your WeKeep account (a compliance user other than the proposer): signed in with its password and second factor')
      .option('--code <code>', 'your TOTP code or a recovery code (default: asked on the terminal)')
      .option('--json', 'machine-readable output')
      .addHelpText('after', SIGN_IN_HELP)
      .action(async (ids: string[], opts: { all?: boolean; policy?: string; note?: string; as: string; code?: string; json?: boolean }, cmd: Command) => {
        const { decideReview, decideReviews } = await import('../services/disposition-reviews.js');
        const { asSignedInUser } = await import('./sign-in.js');
        if (opts.all || ids.length !== 1) {
          const bulk = await withContext(cmd, async (ctx) => {
            const targets = await reviewTargets(ctx, ids, opts, 'proposed');
            return asSignedInUser(ctx, { username: opts.as, code: opts.code }, 'disposition.review', (user) => inChunks(targets, (part) => decideReviews(user, part, { approve, note: opts.note })));
          });
          if (bulk.failed > 0) setExitStatus(3);
          if (opts.json) return printJson(bulk);
          printLine(`${bulk.done} item(s) ${approve ? 'approved' : 'rejected'}.${bulk.failed > 0 ? ` ${bulk.failed} could not be:` : ''}`);
          for (const r of bulk.results) if (!r.ok) printLine(`  #${r.id}: ${r.error}`);
          return;
        }
        const id = intOption('<ids>')(ids[0]!);
        const r = await withContext(cmd, (ctx) => asSignedInUser(ctx, { username: opts.as, code: opts.code }, 'disposition.review', (user) => decideReview(user, id, { approve, note: opts.note })));
        if (opts.json) return printJson(r);
        if (r.status === 'void') printLine(`Review item ${id} is void: the record was not disposed (${r.voidReason ?? 'not disposable now'}).`);
        else if (!approve) printLine(`Review item ${id}: proposal rejected; a later run queues the record again.`);
        else printLine(`Review item ${id}: approved; ${r.disposed ? 'the record was disposed (tombstone kept)' : 'the record is retained'}.`);
      });
  }
}

/** The items a bulk review command acts on: the ids given, or with --all every item of --policy in `status`. */
async function reviewTargets(ctx: Context, ids: readonly string[], opts: { all?: boolean; policy?: string }, status: 'pending' | 'proposed'): Promise<number[]> {
  if (opts.all) {
    if (ids.length > 0) throw usageError('cli.bad_option', 'give review item ids or --all --policy NAME, not both');
    if (opts.policy === undefined) throw usageError('cli.bad_option', '--all needs --policy NAME (one policy at a time)');
    const { showPolicy } = await import('../services/policies.js');
    const { listReviews } = await import('../services/disposition-reviews.js');
    const policyId = (await showPolicy(ctx, opts.policy)).id;
    const out: number[] = [];
    for (;;) {
      const page = await listReviews(ctx, { status: [status], policyId, limit: 10_000, offset: out.length });
      out.push(...page.items.map((r) => r.id));
      if (page.items.length === 0 || out.length >= page.total) return out;
    }
  }
  if (ids.length === 0) throw usageError('cli.bad_option', 'give review item ids, or --all --policy NAME');
  const parse = intOption('<ids>');
  return ids.map((id) => parse(id));
}

/**
 * A bulk review step over any number of items, in the service's chunks; one item that cannot take
 * the step is reported (`error`: its message and code) and the others go on.
 */
async function inChunks<T>(
  ids: readonly number[],
  step: (part: number[]) => Promise<{ results: BulkReviewResult<T>[] }>,
): Promise<{ results: ({ id: number; ok: true; result: T } | { id: number; ok: false; error: string })[]; done: number; failed: number }> {
  const results: ({ id: number; ok: true; result: T } | { id: number; ok: false; error: string })[] = [];
  for (let i = 0; i < ids.length; i += MAX_BULK_REVIEWS) {
    for (const r of (await step(ids.slice(i, i + MAX_BULK_REVIEWS))).results) results.push(r.ok ? { id: r.id, ok: true, result: r.review } : { id: r.id, ok: false, error: `${r.message} [${r.code}]` });
  }
  const failed = results.filter((r) => !r.ok).length;
  return { results, done: results.length - failed, failed };
}
