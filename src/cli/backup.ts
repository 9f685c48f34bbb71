import type { Command } from 'commander';
import { usageError } from '../errors.js';
import { configOf, printJson, printLine, setExitStatus, wantsJson, withContext } from './common.js';
import { createProgressBar } from './progress.js';

const when = (ms: number): string => new Date(ms).toISOString();

export function registerBackupCommands(program: Command): void {
  const backup = program
    .command('backup')
    .description('back up the archive into a directory: online, consistent, incremental; records encrypted per bucket so that disposed records never come back')
    // Required, but checked in the action: a required option here would also be demanded of `backup verify`.
    .option('--out <dir>', 'backup directory (outside the data dir; re-use it for incremental backups); required')
    .option('--json', 'machine-readable output')
    .addHelpText('after', `
The key store is NOT in the backup: back it up separately, to another medium, after each backup:
  wekeep keys backup --out /media/keys/wekeep-keys.json
Check a backup without restoring it: wekeep backup verify DIR
See docs/backups.md.`)
    .action(async (opts: { out?: string; json?: boolean }, cmd: Command) => {
      if (opts.out === undefined) throw usageError('cli.missing_option', "required option '--out <dir>' not specified");
      const out = opts.out;
      const { runBackup } = await import('../backup/backup.js');
      await withContext(cmd, async (ctx) => {
        const bar = createProgressBar('backing up');
        const s = await runBackup(ctx, { out, onProgress: (done, total) => bar.update(done, total, `${done}/${total} buckets`) });
        bar.finish();
        if (s.blobs.missingLive > 0) setExitStatus(3);
        if (opts.json) return printJson(s);
        printLine(`Backup ${s.backupId} written to ${s.dir} (snapshot ${when(s.snapshotAt)}, ${(s.durationMs / 1000).toFixed(1)} s).`);
        if (s.previousIgnored) printLine(`Note: ${s.previousIgnored}.`);
        printLine(`  records: ${s.records} in ${s.buckets.total} buckets (${s.buckets.written} written, ${s.buckets.unchanged} unchanged${s.buckets.skippedDisposed > 0 ? `, ${s.buckets.skippedDisposed} disposed meanwhile` : ''})`);
        printLine(`  attachments: ${s.blobs.total} objects (${s.blobs.copied} copied, ${s.blobs.unchanged} already there${s.blobs.missing > 0 ? `, ${s.blobs.missing} missing` : ''})`);
        if (s.keys.emptied + s.keys.superseded > 0) printLine(`  bucket keys destroyed (disposed records): ${s.keys.emptied + s.keys.superseded}`);
        if (s.keys.waiting > 0) printLine(`  bucket keys waiting for destruction: ${s.keys.waiting}`);
        if (s.blobs.missingLive > 0) printLine(`WARNING: ${s.blobs.missingLive} attachment object(s) of live records are missing from the store (run \`wekeep audit verify\` and check the blob store).`);
        if (s.newKeys > 0) printLine(`${s.newKeys} new bucket key(s): back up the key store now (\`wekeep keys backup --out FILE\`, on another medium).`);
      });
    });

  backup
    .command('verify <dir>')
    .description('check a backup without restoring it: the manifest signature (this store\'s audit key), every file\'s size and SHA-256, and that the key store holds every bucket key it needs')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExit status: 0 when the backup verifies, 1 when a problem was found (each problem names the file or bucket).')
    .action(async (dir: string, _opts: unknown, cmd: Command) => {
      const { verifyBackup } = await import('../backup/verify.js');
      await withContext(cmd, async (ctx) => {
        const r = await verifyBackup(ctx, dir);
        if (!r.ok) setExitStatus(1);
        if (wantsJson(cmd)) return printJson(r);
        printLine(`Backup ${r.backupId ?? '?'} in ${r.dir}: ${r.ok ? 'VERIFIED' : 'PROBLEMS FOUND'}`);
        if (r.snapshotAt) printLine(`  snapshot ${r.snapshotAt}, completed ${r.completedAt}; signature ${r.signatureValid ? 'valid' : 'INVALID'}`);
        printLine(`  files: ${r.files.checked} checked (${r.files.bytes} bytes), ${r.files.missing} missing, ${r.files.damaged} damaged`);
        printLine(`  buckets: ${r.buckets.total} (${r.buckets.readable} readable, ${r.buckets.disposed} disposed since — unreadable by design, ${r.buckets.keyMissing} with a missing key); ${r.records} records, ${r.blobs} attachments`);
        for (const p of r.problems.slice(0, 50)) printLine(`  problem: ${p}`);
        if (r.problems.length > 50) printLine(`  … and ${r.problems.length - 50} more (--json lists all)`);
      });
    });

  program
    .command('restore')
    .description('restore a backup into an EMPTY data dir (--data), with a key store backup and the master key; verifies the result')
    .requiredOption('--from <dir>', 'backup directory (written by `wekeep backup`)')
    .requiredOption('--keys <file>', 'key store backup (written by `wekeep keys backup`)')
    .option('--json', 'machine-readable report')
    .addHelpText('after', `
The master key comes from --key-file, $WEKEEP_KEY_FILE, $WEKEEP_MASTER_KEY, or <data>/master.key.
Records whose bucket key was destroyed (disposed after the backup was made) are not restored.`)
    .action(async (opts: { from: string; keys: string; json?: boolean }, cmd: Command) => {
      const config = await configOf(cmd);
      if (!opts.keys) throw usageError('restore.keys_missing', 'give --keys FILE (a key store backup)');
      const { restoreBackup } = await import('../backup/restore.js');
      const bar = createProgressBar('restoring');
      const r = await restoreBackup({ from: opts.from, keysFile: opts.keys, config, onProgress: (done, total) => bar.update(done, total, `${done}/${total} buckets`) });
      bar.finish();
      if (!r.ok) setExitStatus(3);
      if (opts.json) return printJson(r);
      printLine(`Restored backup ${r.backupId} (snapshot ${when(r.snapshotAt)}) into ${r.dataDir}.`);
      printLine(`  records: ${r.records.restored} in ${r.buckets.restored} buckets; search index rebuilt (${r.indexed} messages)`);
      if (r.buckets.unreadableDisposed > 0) printLine(`  ${r.buckets.unreadableDisposed} buckets unreadable: disposed (their keys were destroyed; those records stay gone)`);
      if (r.records.skippedDisposedSince > 0) printLine(`  ${r.records.skippedDisposedSince} records disposed of after this backup left out (the key store lists them; they stay gone)`);
      if (r.buckets.unreadableMissingKey > 0) printLine(`  ${r.buckets.unreadableMissingKey} buckets unreadable: key missing from the key store backup`);
      if (r.buckets.damaged > 0) printLine(`  ${r.buckets.damaged} buckets damaged`);
      printLine(`  attachments: ${r.blobs.restored} restored, ${r.blobs.verified} verified${r.blobs.missing + r.blobs.damaged > 0 ? `, ${r.blobs.missing} missing, ${r.blobs.damaged} damaged` : ''}`);
      printLine(`  audit log: ${r.audit.ok ? 'verified' : 'DOES NOT VERIFY'} (${r.audit.size} events${r.audit.matchesBackup ? ', as in the manifest' : ', NOT as in the manifest'})`);
      printLine(`  records verified against the manifest: ${r.records.digestsVerified} buckets${r.records.digestMismatches > 0 ? `, ${r.records.digestMismatches} MISMATCHED` : ''}; restored records with a tombstone: ${r.restoredWithTombstone}`);
      for (const p of r.problems) printLine(`  problem: ${p}`);
      for (const w of r.warnings) printLine(`WARNING: ${w}`);
      printLine(`Holds, policies and privacy requests are as of the snapshot (${when(r.snapshotAt)}). Scheduled disposition waits: enter again what was decided after it, then run \`wekeep retention run\` once by hand.`);
      printLine(r.ok ? 'Restore verified.' : 'Restore finished WITH PROBLEMS (see above).');
    });
}

export function registerKeysBackupCommand(keys: Command): void {
  keys
    .command('backup')
    .description('back up the key store (keyring.json: wrapped keys and the destroyed list; NOT the master key) to a file kept apart from the data backups')
    .requiredOption('--out <file>', 'where to write it (not inside the data dir or a backup directory)')
    .option('--force', 'replace an existing file')
    .option('--json', 'machine-readable output')
    .action(async (opts: { out: string; force?: boolean; json?: boolean }, cmd: Command) => {
      const { backupKeyStore } = await import('../backup/key-store.js');
      await withContext(cmd, async (ctx) => {
        const r = await backupKeyStore(ctx, { out: opts.out, force: opts.force });
        if (opts.json) return printJson(r);
        printLine(`Key store written to ${r.file}: ${r.entries} wrapped keys (${r.backupBucketKeys} backup bucket keys), ${r.destroyed} destroyed; ${r.disposals} disposed records listed by digest.`);
        printLine('The master key is not in it. Keep this file apart from the data backups, and only for a short time (docs/backups.md).');
      });
    });
}
