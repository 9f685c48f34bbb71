import type { Command } from 'commander';
import { printJson, printLine, withContext } from './common.js';

/** `wekeep settings …`: store-wide settings (WORM mode). */
export function registerSettingsCommands(program: Command): void {
  const settings = program.command('settings').description('store-wide settings');
  const worm = settings.command('worm').description('WORM mode: no record can be deleted before its retention floor, by anyone (irreversible)');

  worm
    .command('enable')
    .description('enable WORM mode; it can never be turned off again')
    .option('--yes', 'confirm: WORM mode is irreversible')
    .option('--json', 'machine-readable output')
    .action(async (opts: { yes?: boolean; json?: boolean }, cmd: Command) => {
      const { enableWorm } = await import('../services/disposition-worm.js');
      const s = await withContext(cmd, (ctx) => enableWorm(ctx, { confirm: opts.yes === true }));
      const view = { enabled: s.enabled, changed: s.changed, enabledAt: s.enabledAt === null ? null : new Date(s.enabledAt).toISOString(), enabledBy: s.enabledBy };
      if (opts.json) return printJson(view);
      printLine(s.changed ? 'WORM mode is now enabled (irreversible): no record can be deleted before its retention floor.' : `WORM mode was already enabled${view.enabledAt ? ` (since ${view.enabledAt} by ${view.enabledBy ?? '?'})` : ''}.`);
    });

  worm
    .command('status')
    .description('whether WORM mode is enabled, since when and by whom')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { wormState } = await import('../services/disposition-worm.js');
      const s = await withContext(cmd, (ctx) => wormState(ctx.db));
      const view = { enabled: s.enabled, enabledAt: s.enabledAt === null ? null : new Date(s.enabledAt).toISOString(), enabledBy: s.enabledBy };
      if (opts.json) return printJson(view);
      printLine(s.enabled ? `WORM mode: enabled${view.enabledAt ? ` since ${view.enabledAt} by ${view.enabledBy ?? '?'}` : ''}` : 'WORM mode: off');
    });
}
