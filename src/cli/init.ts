import type { Command } from 'commander';
import type { ImportSummary } from '../services/import.js';
import { configOf, intOption, printJson, printLine } from './common.js';
import { createProgressBar } from './progress.js';

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('create a new encrypted store: data dir, encrypted database, blob dir, keyring and master key file (0600)')
    .option('--demo [messages]', 'also generate and import a demo corpus (default 100000 messages)', intOption('--demo', 10_000_000))
    .option('--worm', 'WORM mode from the start: no record can be deleted before its retention floor, by anyone (irreversible)')
    .option('--json', 'machine-readable output')
    .addHelpText('after', `
The master key is generated into <data>/master.key (mode 0600) unless --key-file names another
place, an existing key file is given, or WEKEEP_MASTER_KEY holds it (64 hex characters).
Keep a copy of the master key somewhere safe: without it the archive cannot be read.

Example: wekeep init --demo        a store with 100,000 demo messages, ready to search`)
    .action(async (opts: { json?: boolean; demo?: number | true; worm?: boolean }, cmd: Command) => {
      const config = await configOf(cmd);
      const { initStore } = await import('../services/store.js');
      const { ctx, result } = await initStore(config);
      let demo: ImportSummary | undefined;
      try {
        if (opts.worm) {
          const { enableWorm } = await import('../services/disposition-worm.js');
          await enableWorm(ctx, { confirm: true });
        }
        if (opts.demo !== undefined) {
          const { importDemoCorpus } = await import('../services/demo.js');
          const bar = createProgressBar('importing demo');
          demo = await importDemoCorpus(ctx, { messages: opts.demo === true ? 100_000 : opts.demo, onProgress: opts.json ? undefined : (p) => bar.update(p.bytesRead, p.totalBytes, `${p.imported} archived`) });
          bar.finish();
        }
      } finally {
        await ctx.close();
      }
      if (opts.json) return printJson({ ...result, ...(opts.worm ? { worm: true } : {}), ...(demo ? { demo } : {}) });
      printLine(`Initialized an encrypted WeKeep store in ${result.dataDir}`);
      if (result.keySource === 'generated') printLine(`Master key written to ${result.keyFile} (mode 0600). Back it up: without it the archive cannot be read.`);
      else if (result.keySource === 'key-file') printLine(`Using the master key in ${result.keyFile}.`);
      else printLine('Using the master key from WEKEEP_MASTER_KEY.');
      printLine(`Master key id: ${result.masterKeyId}`);
      if (opts.worm) printLine('WORM mode is enabled (irreversible): no record can be deleted before its retention floor.');
      if (demo) printLine(`Demo corpus: ${demo.imported} messages archived. Try: wekeep search '合同' or wekeep stats`);
    });
}
