import type { Command } from 'commander';
import { usageError } from '../errors.js';
import { DEFAULT_BATCH_SIZE, importNdjson, type ImportSummary } from '../services/import.js';
import { listQuarantined, showQuarantined } from '../services/quarantine.js';
import { intOption, printJson, printLine, setExitStatus, withContext } from './common.js';
import { createProgressBar } from './progress.js';

function printSummary(s: ImportSummary): void {
  printLine(`Import ${s.importId} ${s.status === 'completed' ? 'completed' : 'completed with quarantined lines'} in ${(s.durationMs / 1000).toFixed(1)} s (${s.recordsPerSecond} records/s)`);
  printLine(`  lines read:     ${s.lines}${s.blankLines > 0 ? ` (${s.blankLines} blank)` : ''}`);
  printLine(`  archived:       ${s.imported}`);
  printLine(`  duplicates:     ${s.duplicates} (already archived, skipped)`);
  printLine(`  quarantined:    ${s.quarantined}${s.conflicts > 0 ? ` (${s.conflicts} conflicting with archived records)` : ''}${s.quarantined > 0 ? '  → wekeep quarantine list' : ''}`);
  printLine(`  recalls linked: ${s.recallsLinked}${s.recallsPending > 0 ? ` (${s.recallsPending} waiting for their original)` : ''}`);
  printLine(`  attachments:    ${s.attachments.total} (${s.attachments.stored} stored, ${s.attachments.deduplicated} de-duplicated, ${s.attachments.bytes} bytes)`);
  for (const src of s.sources) printLine(`  source ${src.name}: ${src.imported} archived, ${src.duplicates} duplicates`);
}

export function registerImportCommands(program: Command): void {
  program
    .command('import')
    .description('import an NDJSON file (one record per line; see docs/formats/ndjson.md): streaming, idempotent, crash-safe')
    .argument('<file>', 'the NDJSON file')
    .option('--format <format>', 'input format (ndjson)', 'ndjson')
    .option('--batch-size <n>', 'records per transaction', intOption('--batch-size', 50_000), DEFAULT_BATCH_SIZE)
    .option('--json', 'machine-readable summary on stdout')
    .addHelpText('after', `
Exit status: 0 all lines archived (or already archived), 3 some lines were quarantined
(listed by \`wekeep quarantine list\`), 1 fatal error, 2 usage error.
Running the same import again archives nothing twice; after a crash, run it again.`)
    .action(async (file: string, opts: { format: string; batchSize: number; json?: boolean }, cmd: Command) => {
      if (opts.format !== 'ndjson') throw usageError('import.bad_format', `unknown --format "${opts.format}" (supported: ndjson)`);
      if (opts.batchSize < 1) throw usageError('cli.bad_option', '--batch-size must be at least 1');
      await withContext(cmd, async (ctx) => {
        const bar = createProgressBar('importing');
        const summary = await importNdjson(ctx, {
          file,
          batchSize: opts.batchSize,
          onProgress: (p) => bar.update(p.bytesRead, p.totalBytes, `${p.imported} archived, ${p.duplicates} dup, ${p.quarantined} quarantined`),
        });
        bar.finish();
        if (opts.json) printJson(summary);
        else printSummary(summary);
        if (summary.quarantined > 0) setExitStatus(3);
      });
    });

  const quarantine = program.command('quarantine').description('input lines that could not be archived, with file, line and reason');
  quarantine
    .command('list')
    .description('list quarantined lines')
    .option('--import <id>', 'only lines of this import', intOption('--import'))
    .option('--limit <n>', 'at most this many', intOption('--limit', 100_000), 100)
    .option('--offset <n>', 'skip this many', intOption('--offset'), 0)
    .option('--json', 'machine-readable output')
    .action(async (opts: { import?: number; limit: number; offset: number; json?: boolean }, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const r = await listQuarantined(ctx, { importId: opts.import, limit: opts.limit, offset: opts.offset });
        if (opts.json) return printJson(r);
        printLine(`${r.total} quarantined line(s)`);
        for (const e of r.entries) printLine(`#${e.id}  ${e.file}:${e.line}  ${e.reason}`);
      });
    });
  quarantine
    .command('show')
    .description('show one quarantined line with its content (audited)')
    .argument('<id>', 'quarantine entry id', intOption('<id>'))
    .option('--json', 'machine-readable output')
    .action(async (id: number, opts: { json?: boolean }, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const e = await showQuarantined(ctx, id);
        if (opts.json) return printJson(e);
        printLine(`#${e.id}  ${e.file}:${e.line}`);
        printLine(`reason: ${e.reason}`);
        printLine(e.content ?? '(content not kept: the line was unreadable)');
      });
    });
}
