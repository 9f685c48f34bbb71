import type { Command } from 'commander';
import { usageError } from '../errors.js';
import { MAX_DEADLINE_DAYS, PRIVACY_KINDS } from '../services/limits.js';
import type * as privacy from '../services/privacy-requests.js';
import { collect, intOption, printJson, printLine, printWarning, withContext } from './common.js';

/** An identifier that matched nobody is not an error while another matched: but the person may be missed (a typo, an address the archive does not know). */
function warnUnmatched(given: readonly string[], persons: readonly { matchedBy: string[] }[]): void {
  const matched = new Set(persons.flatMap((p) => p.matchedBy));
  for (const id of given) if (!matched.has(id.trim())) printWarning(`--subject "${id}" matches no person in the archive (ids, names and the work e-mail from the WeCom directory are matched): check it`);
}

/**
 * `wekeep privacy …`: privacy requests of data subjects (access, erasure, restriction) under PIPL
 * and GDPR. See docs/privacy-requests.md for the workflow and the legal grounds.
 */


const requestId = (text: string): number => {
  if (!/^\d{1,12}$/.test(text)) throw usageError('cli.bad_argument', `a privacy request id is a number, got "${text}"`);
  return Number(text);
};

function kindOf(text: string): privacy.PrivacyRequestKind {
  if (!(PRIVACY_KINDS as readonly string[]).includes(text)) throw usageError('privacy.bad_kind', `--kind must be one of ${PRIVACY_KINDS.join(', ')}`);
  return text as privacy.PrivacyRequestKind;
}

function statusLine(r: privacy.PrivacyRequestSummary): string {
  const due = r.overdue ? `OVERDUE since ${r.deadline}` : r.daysLeft !== null ? `due ${r.deadline} (${r.daysLeft} day(s) left)` : `decided ${r.decidedAt ?? ''}${r.late ? ' (late)' : ''}`;
  return `#${String(r.id).padEnd(5)} ${r.kind.padEnd(12)} ${r.status.padEnd(12)} ${due}${r.liftedAt ? `  lifted ${r.liftedAt}` : ''}  subject: ${r.subjects.join(', ')}`;
}

function printPersons(persons: readonly privacy.SubjectPersonView[]): void {
  printLine(`matched person(s): ${persons.length}`);
  for (const p of persons) {
    const extra = [p.kind, p.departments.join('/'), p.position, p.company].filter((x) => x !== null && x !== '').join(', ');
    printLine(`  ${p.id}  ${p.name ?? '(no name)'}${extra ? `  [${extra}]` : ''}  ← ${p.matchedBy.join(', ')}`);
  }
}

function printResponse(r: privacy.PrivacyResponse): void {
  switch (r.kind) {
    case 'access':
      printLine(`exported ${r.records} record(s) (${r.restricted} restricted), ${r.attachments} attachment(s)${r.withheldAttachments > 0 ? `, ${r.withheldAttachments} withheld (malware scan)` : ''}${r.withheldRestricted > 0 ? `; ${r.withheldRestricted} record(s) listed without content (restricted at another subject's request)` : ''}; manifest sha256 ${r.manifestSha256}`);
      break;
    case 'restriction':
      printLine(`restricted ${r.restricted} record(s) (${r.alreadyRestricted} were restricted already)`);
      break;
    case 'erasure':
      printLine(`erased ${r.erased} record(s); restricted ${r.restricted}${r.restrictedUntil ? ` (floors until ${r.restrictedUntil})` : ''}${r.personDataErased ? '; directory data erased' : ''}`);
      for (const g of r.grounds) {
        const what = g.type === 'legal-hold' ? `legal hold #${g.holdId} (matter ${g.matter ?? g.matterId})` : g.type === 'retention-floor' ? `retention floor of policy ${g.policy ?? g.policyId} until ${g.until}` : `restriction request #${g.requestId} of another subject`;
        printLine(`  ${g.records} kept: ${what} — ${g.law.join('; ')}`);
      }
      printLine('notice to the requester:');
      for (const line of r.notice.en.split('\n')) printLine(`  ${line}`);
      for (const line of r.notice.zh.split('\n')) printLine(`  ${line}`);
      break;
  }
}

function printRequest(v: privacy.PrivacyRequestView): void {
  printLine(statusLine(v));
  printLine(`  requester: ${v.requester}; opened ${v.openedAt} by ${v.openedBy}${v.startedAt ? `; started ${v.startedAt}` : ''}${v.decidedAt ? `; decided ${v.decidedAt} by ${v.decidedBy ?? ''}` : ''}`);
  if (v.rejectReason) printLine(`  rejected: ${v.rejectReason}`);
  if (v.liftedAt) printLine(`  restriction lifted ${v.liftedAt} by ${v.liftedBy ?? ''}${v.liftReason ? `: ${v.liftReason}` : ''}`);
  printPersons(v.persons);
  printLine(`records now: ${v.records.total} (sent ${v.records.sent}, received ${v.records.received}, restricted ${v.records.restricted})${v.freezes ? ' — FROZEN until this erasure request is decided' : ''}`);
  const o = v.outcomes;
  if (o.exported + o.erased + o.restricted + o.lifted > 0) printLine(`done: exported ${o.exported}, erased ${o.erased}, restricted ${o.restricted}, lifted ${o.lifted}`);
  if (v.awaitingExecution > 0) printLine(`awaiting execution: ${v.awaitingExecution} record(s) archived after this erasure was executed are kept RESTRICTED — run \`wekeep privacy execute ${v.id}\` again to decide them`);
  if (v.response) printResponse(v.response);
}

export function registerPrivacyCommands(program: Command): void {
  const group = program.command('privacy').description('privacy requests of data subjects: access, erasure, restriction (PIPL / GDPR)');

  group
    .command('open')
    .description('open a request for a data subject named by any of their ids; prints the persons matched')
    .requiredOption('--kind <kind>', `one of ${PRIVACY_KINDS.join(', ')}`)
    .requiredOption('--subject <id>', 'WeCom userid, external userid, wxid, phone, email or name (repeatable)', collect)
    .option('--requester <text>', 'who asked: the data subject or their representative (required unless --dry-run)')
    .option('--deadline-days <n>', 'days to answer (default: `privacy settings`, 15)', intOption('--deadline-days', MAX_DEADLINE_DAYS))
    .option('--dry-run', 'only show who the ids match and how many records, without opening a request')
    .option('--json', 'machine-readable output')
    .addHelpText('after', `
Examples:
  wekeep privacy open --kind access --subject wmEXT123 --subject 13800138000 --requester 'the subject, by email of 2026-05-02'
  wekeep privacy open --kind erasure --subject zhangsan --requester 'Zhang San' --deadline-days 30
  wekeep privacy open --kind restriction --subject 张三 --dry-run`)
    .action(async (opts: { kind: string; subject: string[]; requester?: string; deadlineDays?: number; dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const kind = kindOf(opts.kind);
      const requests = await import('../services/privacy-requests.js');
      await withContext(cmd, async (ctx) => {
        if (opts.dryRun) {
          const p = await requests.previewSubject(ctx, opts.subject);
          warnUnmatched(opts.subject, p.persons);
          if (opts.json) return printJson(p);
          printPersons(p.persons);
          printLine(`records they sent or received: ${p.records}`);
          return;
        }
        if (opts.requester === undefined) throw usageError('privacy.needs_requester', 'say who asked (--requester)');
        const v = await requests.openPrivacyRequest(ctx, { kind, subjects: opts.subject, requester: opts.requester, deadlineDays: opts.deadlineDays });
        warnUnmatched(opts.subject, v.persons);
        if (opts.json) return printJson({ request: v });
        printLine(`opened privacy request #${v.id}`);
        printRequest(v);
        printLine('Check the matched persons; if they are not the subject, reject the request and open a new one with exact ids.');
      });
    });

  group
    .command('list')
    .description('list requests, newest first, with deadlines and overdue flags')
    .option('--status <status>', 'only requests in this status (open, in-progress, completed, rejected)')
    .option('--overdue', 'only undecided requests past their deadline')
    .option('--json', 'machine-readable output')
    .action(async (opts: { status?: string; overdue?: boolean; json?: boolean }, cmd: Command) => {
      const statuses = ['open', 'in-progress', 'completed', 'rejected'];
      if (opts.status !== undefined && !statuses.includes(opts.status)) throw usageError('privacy.bad_status', `--status must be one of ${statuses.join(', ')}`);
      const requests = await import('../services/privacy-requests.js');
      await withContext(cmd, async (ctx) => {
        const list = await requests.listPrivacyRequests(ctx, { status: opts.status as privacy.PrivacyRequestStatus | undefined, overdue: opts.overdue });
        if (opts.json) return printJson({ requests: list, overdue: list.filter((r) => r.overdue).length });
        if (list.length === 0) printLine('no privacy requests');
        for (const r of list) printLine(statusLine(r));
        const overdue = list.filter((r) => r.overdue).length;
        if (overdue > 0) printLine(`${overdue} request(s) OVERDUE`);
      });
    });

  group
    .command('show <id>')
    .description('a request: status, deadline, matched persons, record counts, what was done, the response')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const requests = await import('../services/privacy-requests.js');
      await withContext(cmd, async (ctx) => {
        const v = await requests.showPrivacyRequest(ctx, requestId(id));
        if (opts.json) return printJson({ request: v });
        printRequest(v);
      });
    });

  group
    .command('execute <id>')
    .description('carry out a request: access → export to --out DIR; erasure → erase or restrict with grounds; restriction → restrict')
    .option('--out <dir>', 'access requests: the (new or empty) directory to write the export to')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { out?: string; json?: boolean }, cmd: Command) => {
      const requests = await import('../services/privacy-requests.js');
      await withContext(cmd, async (ctx) => {
        const r = await requests.executePrivacyRequest(ctx, requestId(id), { out: opts.out });
        if (opts.json) return printJson(r);
        printLine(`privacy request #${r.request.id} ${r.request.status}${r.request.late ? ' (after its deadline)' : ''}`);
        printResponse(r.response);
        if (r.out) printLine(`written to ${r.out} (records.ndjson, attachments/, subject.json, manifest.json)`);
      });
    });

  group
    .command('reject <id>')
    .description('reject an open or in-progress request; the reason is the answer to the requester')
    .requiredOption('--reason <text>', 'why (for example: identity not verified)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { reason: string; json?: boolean }, cmd: Command) => {
      const requests = await import('../services/privacy-requests.js');
      await withContext(cmd, async (ctx) => {
        const v = await requests.rejectPrivacyRequest(ctx, requestId(id), opts.reason);
        if (opts.json) return printJson({ request: v });
        printLine(statusLine(v));
      });
    });

  group
    .command('lift <id>')
    .description('lift the restriction of an executed restriction request')
    .requiredOption('--reason <text>', 'why the restriction ends (kept in the audit log; tell the subject first: GDPR Art. 18(3))')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { reason: string; json?: boolean }, cmd: Command) => {
      const requests = await import('../services/privacy-requests.js');
      await withContext(cmd, async (ctx) => {
        const r = await requests.liftRestriction(ctx, requestId(id), opts.reason);
        if (opts.json) return printJson({ request: r, lifted: r.lifted, stillRestricted: r.stillRestricted });
        printLine(`lifted the restriction of ${r.lifted} record(s)${r.stillRestricted > 0 ? `; ${r.stillRestricted} stay restricted by other requests` : ''}`);
      });
    });

  group
    .command('settings')
    .description('show or change the default deadline of new requests')
    .option('--deadline-days <n>', `days to answer a new request (1–${MAX_DEADLINE_DAYS})`, intOption('--deadline-days', MAX_DEADLINE_DAYS))
    .option('--json', 'machine-readable output')
    .action(async (opts: { deadlineDays?: number; json?: boolean }, cmd: Command) => {
      const requests = await import('../services/privacy-requests.js');
      await withContext(cmd, async (ctx) => {
        const r = opts.deadlineDays === undefined ? { deadlineDays: await requests.deadlineDays(ctx.db) } : await requests.setDeadlineDays(ctx, opts.deadlineDays);
        if (opts.json) return printJson(r);
        printLine(`new privacy requests are due ${r.deadlineDays} day(s) after they are opened`);
      });
    });
}
