import type { Command } from 'commander';
import { initStore } from '../services/store.js';
import { configOf, printJson, printLine } from './common.js';

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('create a new encrypted store: data dir, encrypted database, blob dir, keyring and master key file (0600)')
    .option('--json', 'machine-readable output')
    .addHelpText('after', `
The master key is generated into <data>/master.key (mode 0600) unless --key-file names another
place, an existing key file is given, or WEKEEP_MASTER_KEY holds it (64 hex characters).
Keep a copy of the master key somewhere safe: without it the archive cannot be read.`)
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { ctx, result } = await initStore(configOf(cmd));
      await ctx.close();
      if (opts.json) return printJson(result);
      printLine(`Initialized an encrypted WeKeep store in ${result.dataDir}`);
      if (result.keySource === 'generated') printLine(`Master key written to ${result.keyFile} (mode 0600). Back it up: without it the archive cannot be read.`);
      else if (result.keySource === 'key-file') printLine(`Using the master key in ${result.keyFile}.`);
      else printLine('Using the master key from WEKEEP_MASTER_KEY.');
      printLine(`Master key id: ${result.masterKeyId}`);
    });
}
