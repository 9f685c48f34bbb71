import type { Command } from 'commander';
import { printJson, printLine, withContext } from './common.js';

/** `wekeep scan status|pending`: malware-scan health and the attachments held back. */
export function registerScanCommands(program: Command): void {
  const group = program.command('scan').description('malware scanning of attachments (clamd; see --clamd)');
  group
    .command('status')
    .description('scanner health, attachments by scan status, and the infected ones')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { scanReport } = await import('../services/scanning.js');
      await withContext(cmd, async (ctx) => {
        const r = await scanReport(ctx);
        if (opts.json) return printJson(r);
        printLine(`scanner: ${r.scanner.configured ? (r.scanner.reachable ? `reachable (${r.scanner.engine ?? 'unknown engine'})` : 'UNREACHABLE — new attachments wait as pending') : 'not configured (attachments are not scanned)'}`);
        printLine(`attachments: ${r.counts.clean} clean, ${r.counts.pending} pending scan, ${r.counts.infected} infected, ${r.counts.not_scanned} not scanned`);
        for (const b of r.infected) printLine(`  INFECTED ${b.blob}  ${b.signature ?? ''}  ${b.size} bytes  messages ${b.messageKeys.join(', ')}`);
      });
    });
  group
    .command('pending')
    .description('scan the attachments that wait for a scan (the scanner was unreachable when they arrived)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { rescanPending } = await import('../services/scanning.js');
      await withContext(cmd, async (ctx) => {
        const r = await rescanPending(ctx);
        if (opts.json) return printJson(r);
        printLine(`scanned ${r.scanned}: ${r.clean} clean, ${r.infected} infected, ${r.stillPending} still pending`);
      });
    });
}
