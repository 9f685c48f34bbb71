import type { Command } from 'commander';
import { intOption, printJson, printLine, withContext } from './common.js';

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;

export function registerStatsCommand(program: Command): void {
  program
    .command('stats')
    .description('data usage: counts and bytes by type, source, person and day; de-duplication savings; storage')
    .option('--top <n>', 'persons and conversations to list', intOption('--top', 1_000_000), 20)
    .option('--json', 'machine-readable output')
    .action(async (opts: { top: number; json?: boolean }, cmd: Command) => {
      const { collectStats } = await import('../services/stats.js');
      await withContext(cmd, async (ctx) => {
        const s = await collectStats(ctx, { topPersons: opts.top, topConversations: opts.top });
        if (opts.json) return printJson(s);
        printLine(`${s.totals.messages} messages, ${s.totals.persons} persons, ${s.totals.conversations} conversations, ${s.totals.sources} sources, ${s.totals.recalled} recalled`);
        printLine(`text and raw payloads ${mb(s.totals.textBytes)}; attachments ${s.attachments.references} (${mb(s.attachments.logicalBytes)}), stored once: ${s.attachments.uniqueBlobs} (${mb(s.attachments.uniqueBytes)}), de-duplication saved ${mb(s.attachments.dedupSavedBytes)}, compression saved ${mb(s.attachments.compressionSavedBytes)}`);
        printLine(`data dir ${mb(s.storage.dataDirBytes)} (database ${mb(s.storage.databaseBytes)}, blobs ${mb(s.storage.blobBytes)})`);
        const table = (title: string, rows: typeof s.byType): void => {
          printLine(`\n${title}`);
          for (const r of rows) printLine(`  ${r.key.padEnd(24)} ${String(r.count).padStart(9)}  text ${mb(r.textBytes).padStart(10)}  attachments ${String(r.attachments).padStart(7)} ${mb(r.attachmentBytes).padStart(10)}`);
        };
        table('by type', s.byType);
        table('by source', s.bySource);
        table(`by person (top ${opts.top})`, s.byPerson);
        table(`by conversation (top ${opts.top})`, s.byConversation.map((c) => ({ ...c, key: `${c.source}/${c.key}` })));
        table(`by day (${s.timeZone})`, s.byDay.slice(-31));
        if (s.byDay.length > 31) printLine(`  … ${s.byDay.length - 31} earlier day(s); --json lists all`);
      });
    });
}
