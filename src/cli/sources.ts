import type { Command } from 'commander';
import { reportSources } from '../services/sources.js';
import { printJson, printLine, withContext } from './common.js';

async function listAction(opts: { json?: boolean }, cmd: Command): Promise<void> {
  await withContext(cmd, async (ctx) => {
    const sources = await reportSources(ctx);
    if (opts.json) return printJson({ sources });
    if (sources.length === 0) return printLine('no sources yet');
    for (const s of sources) {
      printLine(`${s.name}: ${s.records} records, seq ${s.firstSeq ?? '–'}..${s.lastSeq ?? '–'}, last message ${s.lastTime ?? '–'}`);
      if (s.gapCount > 0) {
        printLine(`  ${s.gapCount} gap(s), ${s.missing} seq(s) missing: ${s.gaps.slice(0, 10).map((g) => (g.from === g.to ? `${g.from}` : `${g.from}-${g.to}`)).join(', ')}${s.gapCount > 10 ? ', …' : ''}`);
      }
    }
  });
}

export function registerSourcesCommands(program: Command): void {
  const sources = program
    .command('sources')
    .description('list sources with record counts, seq watermarks and gaps')
    .option('--json', 'machine-readable output')
    .action(listAction);
  sources.command('list').description('list sources (the same as `wekeep sources`)').option('--json', 'machine-readable output').action(listAction);
}
