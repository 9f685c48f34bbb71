import { Command, CommanderError } from 'commander';
import { isAppError, storageError } from '../errors.js';
import { printJson, terminalSafe } from './common.js';
import { registerAuditCommands } from './audit.js';
import { registerBackupCommands } from './backup.js';
import { registerDemoCommands } from './demo.js';
import { registerImportCommands } from './import.js';
import { registerHoldCommands } from './holds.js';
import { registerInitCommand } from './init.js';
import { registerKeysCommands } from './keys.js';
import { registerPolicyCommands } from './policies.js';
import { registerPrivacyCommands } from './privacy.js';
import { registerReindexCommand } from './reindex.js';
import { registerRetentionCommands } from './retention.js';
import { registerScanCommands } from './scan.js';
import { registerSearchCommands, searchQueryArgv } from './search.js';
import { registerServeCommand } from './serve.js';
import { registerSettingsCommands } from './settings.js';
import { registerSourcesCommands } from './sources.js';
import { registerStatsCommand } from './stats.js';
import { registerUsersCommands } from './users.js';
import { registerWorkCommand } from './work.js';

/** The `wekeep` command tree. Each group registers itself from its own file. */
export function buildProgram(): Command {
  const program = new Command('wekeep')
    .description('WeKeep: an encrypted, searchable, provable archive of WeChat and WeCom business communication')
    .version('0.1.0', '-V, --version')
    .option('--data <dir>', 'data directory (default: $WEKEEP_DATA or ./wekeep-data)')
    .option('--key-file <file>', 'master key file (default: $WEKEEP_KEY_FILE or <data>/master.key; or set $WEKEEP_MASTER_KEY)')
    .option('--clamd <address>', 'scan every new attachment with clamd at tcp://HOST:PORT or a unix socket path (default: $WEKEEP_CLAMD; unset: not scanned)')
    .option('--debug', 'print stack traces and debug logs')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false })
    .exitOverride();
  registerInitCommand(program);
  registerDemoCommands(program);
  registerImportCommands(program);
  registerSearchCommands(program);
  registerSourcesCommands(program);
  registerStatsCommand(program);
  registerAuditCommands(program);
  registerKeysCommands(program);
  registerReindexCommand(program);
  registerServeCommand(program);
  registerScanCommands(program);
  registerWorkCommand(program);
  registerUsersCommands(program);
  registerRetentionCommands(program);
  registerSettingsCommands(program);
  registerPolicyCommands(program);
  registerHoldCommands(program);
  registerPrivacyCommands(program);
  registerBackupCommands(program);
  program.commands.forEach(function applyExitOverride(c: Command): void {
    c.exitOverride();
    c.commands.forEach(applyExitOverride);
  });
  return program;
}

/** Runs the CLI; returns the exit status (0 ok, 1 fatal, 2 usage, 3 partial success). */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  const options = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  const debug = options.includes('--debug');
  // With --json, a failure is also one JSON object on stdout, for scripts: { error: { code, message, exitCode } }.
  const jsonError = (code: string, message: string, exitCode: number): number => {
    if (options.includes('--json')) printJson({ error: { code, message, exitCode } });
    return exitCode;
  };
  try {
    await program.parseAsync(searchQueryArgv(argv), { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit through here with code 0; commander has written its message to stderr.
      if (e.exitCode === 0) return 0;
      return jsonError(`usage.${e.code.replace(/^commander\./, '')}`, e.message.replace(/^error: /, ''), 2);
    }
    if (isAppError(e)) {
      process.stderr.write(`wekeep: ${terminalSafe(e.message)}${e.code ? ` [${e.code}]` : ''}\n`);
      if (debug && e.cause) process.stderr.write(`${String((e.cause as Error).stack ?? e.cause)}\n`);
      return jsonError(e.code, e.message, e.exitCode);
    }
    const storage = storageError(e);
    if (storage) {
      process.stderr.write(`wekeep: ${terminalSafe(storage.message)} [${storage.code}]\n`);
      if (debug) process.stderr.write(`${(e as Error).stack ?? ''}\n`);
      return jsonError(storage.code, storage.message, storage.exitCode);
    }
    process.stderr.write(`wekeep: unexpected error: ${terminalSafe((e as Error).message ?? String(e))}\n`);
    if (debug) process.stderr.write(`${(e as Error).stack ?? ''}\n`);
    return jsonError('unexpected', (e as Error).message ?? String(e), 1);
  }
}
