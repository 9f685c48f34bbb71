import type { Command } from 'commander';
import type { HoldView, MatterView } from '../services/holds.js';
import { formatInZone } from '../domain/time-zone.js';
import { collect, intOption, printJson, printLine, printWarning, wantsJson, withContext } from './common.js';

/** An instant in a zone, for human output (JSON keeps ISO UTC). */
const at = (ms: number | null, zone: string): string => (ms === null ? '…' : formatInZone(ms, zone));

const describeMatter = (m: MatterView): string =>
  `#${m.id} ${m.name} (${m.status}): ${m.activeHolds} active hold(s), ${m.releasedHolds} released${m.description ? ` — ${m.description}` : ''}`;

/**
 * One line per hold. Its time range reads in the zone it was placed in (what `--after`/`--before`
 * meant), the placing and release in the process's zone; each zone is named.
 */
function describeHold(h: HoldView, processZone: string): string {
  const zone = h.timeZone ?? processZone;
  const criteria = [
    h.scope ? `scope ${h.scope}` : null,
    h.custodians.length > 0 ? `custodians ${h.custodians.join(', ')}` : null,
    h.conversations.length > 0 ? `conversations ${h.conversations.join(', ')}` : null,
    h.afterMs !== null || h.beforeMs !== null ? `time ${at(h.afterMs, zone)} – ${at(h.beforeMs, zone)} (${zone})` : null,
  ].filter(Boolean).join('; ');
  const released = h.releasedAt !== null ? `; released ${at(h.releasedAt, processZone)} by ${h.releasedBy ?? '?'}: ${h.releaseReason ?? ''}` : '';
  return `#${h.id} [${h.status}] matter ${h.matter}: ${criteria} — ${h.reason} (placed ${at(h.placedAt, processZone)} by ${h.placedBy}${released}; ${processZone})`;
}

export function registerHoldCommands(program: Command): void {
  const matters = program.command('matters').description('matters (cases) that legal holds belong to');
  matters
    .command('add')
    .description('open a matter')
    .argument('<name>', 'matter name')
    .option('--description <text>', 'what the matter is about')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { description?: string }, cmd: Command) => {
      const { addMatter } = await import('../services/holds.js');
      await withContext(cmd, async (ctx) => {
        const m = await addMatter(ctx, { name, description: opts.description });
        return wantsJson(cmd) ? printJson(m) : printLine(`opened ${describeMatter(m)}`);
      });
    });
  matters
    .command('list')
    .description('list matters')
    .option('--json', 'machine-readable output')
    .action(async (_opts: unknown, cmd: Command) => {
      const { listMatters } = await import('../services/holds.js');
      await withContext(cmd, async (ctx) => {
        const list = await listMatters(ctx);
        if (wantsJson(cmd)) return printJson({ matters: list });
        if (list.length === 0) return printLine('no matters');
        for (const m of list) printLine(describeMatter(m));
      });
    });
  matters
    .command('show')
    .description('show a matter with its holds')
    .argument('<matter>', 'name or id')
    .option('--json', 'machine-readable output')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const { showMatter } = await import('../services/holds.js');
      await withContext(cmd, async (ctx) => {
        const m = await showMatter(ctx, ref);
        if (wantsJson(cmd)) return printJson(m);
        printLine(describeMatter(m));
        if (m.closedAt !== null) printLine(`  closed ${at(m.closedAt, ctx.config.timeZone)} (${ctx.config.timeZone}) by ${m.closedBy ?? '?'}: ${m.closeReason ?? ''}`);
        for (const h of m.holds) printLine(`  ${describeHold(h, ctx.config.timeZone)}`);
      });
    });
  matters
    .command('close')
    .description('close a matter; its active holds are released (audited)')
    .argument('<matter>', 'name or id')
    .requiredOption('--reason <text>', 'why the matter is closed')
    .option('--json', 'machine-readable output')
    .action(async (ref: string, opts: { reason: string }, cmd: Command) => {
      const { closeMatter } = await import('../services/holds.js');
      await withContext(cmd, async (ctx) => {
        const m = await closeMatter(ctx, ref, opts.reason);
        return wantsJson(cmd) ? printJson(m) : printLine(`closed ${describeMatter(m)}`);
      });
    });

  const holds = program.command('holds').description('legal holds: records they cover are never disposed or shredded');
  holds
    .command('add')
    .description('place a legal hold on a matter')
    .requiredOption('--matter <matter>', 'matter name or id')
    .option('--scope <query>', 'a search query (words and filters, plus kind:, party:, dept:)')
    .option('--custodian <person>', 'a person id whose records are held (repeatable)', collect, [])
    .option('--conversation <id>', 'a conversation id (repeatable)', collect, [])
    .option('--after <date>', 'records at or after this date (YYYY-MM-DD or ISO)')
    .option('--before <date>', 'records before this date')
    .requiredOption('--reason <text>', 'why (audited)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { matter: string; scope?: string; custodian: string[]; conversation: string[]; after?: string; before?: string; reason: string }, cmd: Command) => {
      const { placeHold, unknownConversations, unknownPersons } = await import('../services/holds.js');
      const { unknownFilterWords } = await import('../domain/retention-scope.js');
      await withContext(cmd, async (ctx) => {
        const h = await placeHold(ctx, { matter: opts.matter, scope: opts.scope, custodians: opts.custodian, conversations: opts.conversation, after: opts.after, before: opts.before, reason: opts.reason });
        // A custodian id nobody in the archive has is legal (records may arrive later), but often a typo: say so.
        for (const id of await unknownPersons(ctx, h.custodians)) {
          printWarning(`no person with the id "${id}" in the archive yet; the hold covers their records once they are archived. --custodian takes a person id, not a name: \`wekeep search 'from:NAME' --json\` shows the ids (from.id)`);
        }
        for (const id of await unknownConversations(ctx, h.conversations)) {
          printWarning(`no conversation with the id "${id}" in the archive yet; the hold covers its records once they are archived (ids: wekeep search --json, conversation.id)`);
        }
        for (const word of unknownFilterWords(opts.scope ?? '')) {
          printWarning(`"${word}" in --scope is not a filter (filters: from, to, in, source, type, has, is, after, before, kind, party, dept); it is searched for as text`);
        }
        if (h.coveredAtPlacement === 0) printWarning('the hold covers no archived record now: check its criteria (it will cover matching records archived later)');
        if (wantsJson(cmd)) return printJson(h);
        printLine(`placed ${describeHold(h, ctx.config.timeZone)}`);
        printLine(`  covers ${h.coveredAtPlacement} archived record(s) now, and every matching record archived later`);
      });
    });
  holds
    .command('list')
    .description('list legal holds')
    .option('--matter <matter>', 'only this matter')
    .option('--active', 'only active holds')
    .option('--json', 'machine-readable output')
    .action(async (opts: { matter?: string; active?: boolean }, cmd: Command) => {
      const { listHolds } = await import('../services/holds.js');
      await withContext(cmd, async (ctx) => {
        const list = await listHolds(ctx, { matter: opts.matter, status: opts.active ? 'active' : undefined });
        if (wantsJson(cmd)) return printJson({ holds: list });
        if (list.length === 0) return printLine('no legal holds');
        for (const h of list) printLine(describeHold(h, ctx.config.timeZone));
      });
    });
  holds
    .command('show')
    .description('show a hold and how many records it covers')
    .argument('<id>', 'hold id', intOption('<id>'))
    .option('--json', 'machine-readable output')
    .action(async (id: number, _opts: unknown, cmd: Command) => {
      const { showHold } = await import('../services/holds.js');
      await withContext(cmd, async (ctx) => {
        const h = await showHold(ctx, id, { count: true });
        if (wantsJson(cmd)) return printJson(h);
        printLine(describeHold(h, ctx.config.timeZone));
        if (h.covered !== undefined) printLine(`  covers ${h.covered} archived record(s)`);
      });
    });
  holds
    .command('release')
    .description('release a hold (it is kept, released, with who and why)')
    .argument('<id>', 'hold id', intOption('<id>'))
    .requiredOption('--reason <text>', 'why (audited)')
    .option('--json', 'machine-readable output')
    .action(async (id: number, opts: { reason: string }, cmd: Command) => {
      const { releaseHold } = await import('../services/holds.js');
      await withContext(cmd, async (ctx) => {
        const h = await releaseHold(ctx, id, opts.reason);
        return wantsJson(cmd) ? printJson(h) : printLine(`released ${describeHold(h, ctx.config.timeZone)}`);
      });
    });
}
