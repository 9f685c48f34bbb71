import type { Command } from 'commander';
import { parseInstant } from '../domain/clock.js';
import { RETENTION_PRESETS } from '../domain/retention-presets.js';
import { usageError } from '../errors.js';
import type { PolicyChanges, PolicyView } from '../services/policies.js';
import type { PolicyDryRun, RetentionForecast } from '../services/retention-forecast.js';
import { printJson, printLine, wantsJson, withContext } from './common.js';


function action(value: string): 'delete' | 'review' {
  if (value !== 'delete' && value !== 'review') throw usageError('cli.bad_option', `--action takes "delete" or "review", not "${value}"`);
  return value;
}

function describePolicy(p: PolicyView): string {
  const parts = [p.min ? `min ${p.min}` : null, p.max ? `max ${p.max} → ${p.action}` : null].filter(Boolean).join(', ');
  return `#${p.id} ${p.name}${p.enabled ? '' : ' (disabled)'}${p.locked ? ' [locked]' : ''}: ${p.scope === '' ? '(all records)' : p.scope} — ${parts}`;
}

const mib = (bytes: number): string => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${bytes} B`);

function printForecast(f: RetentionForecast): void {
  printLine(`forecast at ${new Date(f.at).toISOString()} over ${f.records} record(s) in ${f.durationMs} ms`);
  if (f.policies.length === 0) printLine('  no enabled policy has a maximum: nothing will be disposed');
  for (const p of f.policies) {
    const w = (d: string): string => `${p.within[d]?.records ?? 0} (${mib(p.within[d]?.bytes ?? 0)})`;
    printLine(`  ${p.name} [${p.action}]: due now ${p.dueNow.records}; 7 days ${w('7')}; 30 days ${w('30')}; 365 days ${w('365')}`);
  }
  if (f.held.records > 0) printLine(`  kept by legal holds: ${f.held.records} record(s) that would otherwise be due within a year`);
  if (f.frozen > 0) printLine(`  frozen by open privacy requests: ${f.frozen}`);
  if (f.conflicts.records > 0) {
    printLine(`  CONFLICTS: ${f.conflicts.records} record(s) have a floor ending after their ceiling (kept until the floor):`);
    for (const c of f.conflicts.byPolicies) printLine(`    floor of policy #${c.floorPolicyId} vs ceiling of policy #${c.ceilingPolicyId}: ${c.records}`);
  }
}

function printDryRun(d: PolicyDryRun): void {
  printLine(`dry run of ${d.policy.name} (${d.policy.scope === '' ? 'all records' : d.policy.scope}; min ${d.policy.min ?? '–'}, max ${d.policy.max ?? '–'} → ${d.policy.action}) — nothing saved`);
  printLine(`  fate changes now:            ${d.changedNow}`);
  printLine(`  would become due now:        ${d.newlyDue.records} (${mib(d.newlyDue.bytes)})`);
  printLine(`  would stop being due now:    ${d.noLongerDue.records}`);
  printLine(`  disposal date changes ≤ 1 y: ${d.changedWithinYear}`);
  if (d.newConflicts > 0) printLine(`  new floor/ceiling conflicts: ${d.newConflicts}`);
  for (const e of d.examples.slice(0, 20)) {
    const fate = (x: PolicyDryRun['examples'][number]['before']): string => `${x.fate}${x.disposeAt === null ? '' : ` @${new Date(x.disposeAt).toISOString().slice(0, 10)}`}`;
    printLine(`    ${e.source}/${e.id} ${new Date(e.timeMs).toISOString().slice(0, 10)} ${e.type}: ${fate(e.before)} → ${fate(e.after)}`);
  }
}

interface PolicyOpts {
  scope?: string;
  min?: string;
  max?: string;
  action?: 'delete' | 'review';
  purpose?: string;
  basis?: string;
  locked?: boolean;
  preset?: string;
  dryRun?: boolean;
  now?: number;
  json?: boolean;
}

function isoOption(value: string): number {
  const t = parseInstant(value);
  if (t === undefined) throw usageError('cli.bad_option', `--now "${value}" is not a valid ISO 8601 time or epoch milliseconds`);
  return t;
}

export function registerPolicyCommands(program: Command): void {
  const policies = program.command('policies').description('retention policies: minimum (floor) and maximum (ceiling) retention per scope');

  policies
    .command('add')
    .description('add a retention policy (with --dry-run: show which records would change fate, save nothing)')
    .requiredOption('--name <name>', 'policy name')
    .option('--scope <query>', "records it covers, in the search language's filters plus kind:, party:, dept: ('' = all)")
    .option('--min <duration>', 'minimum retention (floor): 30d, 12w, 18m, 6y')
    .option('--max <duration>', 'maximum retention (ceiling)')
    .option('--action <action>', 'at the maximum: delete, or review (four-eyes disposition review)', action)
    .option('--purpose <text>', 'purpose of keeping the records (PIPL Art. 17)')
    .option('--basis <text>', 'legal basis')
    .option('--locked', 'compliance mode: can be extended, never shortened, disabled or deleted')
    .option('--preset <name>', `start from a preset (${RETENTION_PRESETS.map((p) => p.name).join(', ')})`)
    .option('--dry-run', 'show the effect, save nothing')
    .option('--now <iso>', 'dry run as of this instant (default: now)', isoOption)
    .option('--json', 'machine-readable output')
    .addHelpText('after', `
Examples:
  wekeep policies add --name voice-90d --scope 'type:voice' --max 90d --action delete --purpose '…' --basis '…'
  wekeep policies add --name finra --preset sec-17a-4
  wekeep policies add --name pipl --preset pipl-minimum-necessary --max 3y --dry-run`)
    .action(async (opts: PolicyOpts & { name: string }, cmd: Command) => {
      const { addPolicy } = await import('../services/policies.js');
      await withContext(cmd, async (ctx) => {
        const input = { name: opts.name, scope: opts.scope, min: opts.min, max: opts.max, action: opts.action, purpose: opts.purpose, basis: opts.basis, locked: opts.locked, preset: opts.preset };
        if (opts.dryRun) {
          const { dryRunPolicy } = await import('../services/retention-forecast.js');
          const d = await dryRunPolicy(ctx, { input }, { now: opts.now });
          return wantsJson(cmd) ? printJson(d) : printDryRun(d);
        }
        const p = await addPolicy(ctx, input);
        if (wantsJson(cmd)) return printJson(p);
        printLine(`added ${describePolicy(p)}`);
      });
    });

  policies
    .command('list')
    .description('list retention policies')
    .option('--json', 'machine-readable output')
    .action(async (_opts: unknown, cmd: Command) => {
      const { listPolicies } = await import('../services/policies.js');
      await withContext(cmd, async (ctx) => {
        const list = await listPolicies(ctx);
        if (wantsJson(cmd)) return printJson({ policies: list });
        if (list.length === 0) return printLine('no retention policies: every record is kept');
        for (const p of list) printLine(describePolicy(p));
      });
    });

  policies
    .command('show')
    .description('show one policy')
    .argument('<policy>', 'name or id')
    .option('--json', 'machine-readable output')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const { showPolicy } = await import('../services/policies.js');
      await withContext(cmd, async (ctx) => {
        const p = await showPolicy(ctx, ref);
        if (wantsJson(cmd)) return printJson(p);
        printLine(describePolicy(p));
        printLine(`  purpose: ${p.purpose}`);
        printLine(`  basis:   ${p.basis}`);
        printLine(`  version ${p.version}, created ${new Date(p.createdAt).toISOString()} by ${p.createdBy}, updated ${new Date(p.updatedAt).toISOString()} by ${p.updatedBy}${p.preset ? `, from preset ${p.preset}` : ''}`);
      });
    });

  policies
    .command('update')
    .description('change a policy (a locked policy can only be extended); --dry-run shows the effect first')
    .argument('<policy>', 'name or id')
    .option('--scope <query>', 'new scope')
    .option('--min <duration>', "new minimum ('' removes it)")
    .option('--max <duration>', "new maximum ('' removes it)")
    .option('--action <action>', 'delete or review', action)
    .option('--purpose <text>', 'new purpose')
    .option('--basis <text>', 'new legal basis')
    .option('--locked', 'lock it (irreversible)')
    .option('--enable', 'enable it again')
    .option('--dry-run', 'show the effect, save nothing')
    .option('--now <iso>', 'dry run as of this instant (default: now)', isoOption)
    .option('--json', 'machine-readable output')
    .action(async (ref: string, opts: PolicyOpts & { enable?: boolean }, cmd: Command) => {
      const { updatePolicy } = await import('../services/policies.js');
      await withContext(cmd, async (ctx) => {
        const changes: PolicyChanges = {
          scope: opts.scope, min: opts.min === '' ? null : opts.min, max: opts.max === '' ? null : opts.max, action: opts.action,
          purpose: opts.purpose, basis: opts.basis, locked: opts.locked ? true : undefined, enabled: opts.enable ? true : undefined,
        };
        if (opts.dryRun) {
          const { dryRunPolicy } = await import('../services/retention-forecast.js');
          const d = await dryRunPolicy(ctx, { ref, changes }, { now: opts.now });
          return wantsJson(cmd) ? printJson(d) : printDryRun(d);
        }
        const p = await updatePolicy(ctx, ref, changes);
        if (wantsJson(cmd)) return printJson(p);
        printLine(`updated ${describePolicy(p)} (version ${p.version})`);
      });
    });

  policies
    .command('disable')
    .description('disable a policy (kept for the record; a locked policy cannot be disabled)')
    .argument('<policy>', 'name or id')
    .option('--json', 'machine-readable output')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const { disablePolicy } = await import('../services/policies.js');
      await withContext(cmd, async (ctx) => {
        const p = await disablePolicy(ctx, ref);
        if (wantsJson(cmd)) return printJson(p);
        printLine(`disabled ${describePolicy(p)}`);
      });
    });

  policies
    .command('presets')
    .description('list the presets (SEC 17a-4/FINRA, MiFID II, PIPL, GDPR, voice and video)')
    .option('--json', 'machine-readable output')
    .action((_opts: unknown, cmd: Command) => {
      if (wantsJson(cmd)) return printJson({ presets: RETENTION_PRESETS });
      for (const p of RETENTION_PRESETS) {
        printLine(`${p.name}: ${p.title.en} — scope ${p.scope === '' ? '(all)' : p.scope}${p.min ? `, min ${p.min}` : ''}${p.max ? `, max ${p.max} → ${p.action}` : ''}${p.locked ? ', locked' : ''}`);
        printLine(`  ${p.note}`);
      }
    });

  policies
    .command('forecast')
    .description('how many records and bytes each policy will dispose in the next 7, 30 and 365 days')
    .option('--now <iso>', 'forecast as of this instant (default: now)', isoOption)
    .option('--json', 'machine-readable output')
    .action(async (opts: { now?: number }, cmd: Command) => {
      const { forecastRetention } = await import('../services/retention-forecast.js');
      await withContext(cmd, async (ctx) => {
        const f = await forecastRetention(ctx, { now: opts.now });
        return wantsJson(cmd) ? printJson(f) : printForecast(f);
      });
    });
}
