import type { Command } from 'commander';
import { printJson, printLine, withContext } from './common.js';
import { createProgressBar } from './progress.js';

export function registerReindexCommand(program: Command): void {
  program
    .command('reindex')
    .description('rebuild the full-text index from the archived messages (needed after a tokenizer upgrade; all or nothing)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { rebuildIndex } = await import('../services/reindex.js');
      await withContext(cmd, async (ctx) => {
        const bar = createProgressBar('reindexing');
        const r = await rebuildIndex(ctx, (done, total) => bar.update(done, total, `${done} messages`));
        bar.finish();
        if (opts.json) return printJson(r);
        printLine(`Rebuilt the search index: ${r.messages} messages, tokenizer version ${r.tokenizerVersion}.`);
      });
    });
}
