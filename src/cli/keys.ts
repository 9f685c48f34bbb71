import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { registerKeysBackupCommand } from './backup.js';
import { printJson, printLine, withContext } from './common.js';

export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('the key hierarchy: status, master-key rotation, key store backup');

  keys
    .command('status')
    .description('show key ids and the cipher (never the keys themselves)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const publicKey = ctx.keys.auditPublicKey.export({ format: 'der', type: 'spki' });
        const status = {
          masterKeyId: ctx.keys.masterKeyId,
          dbCipher: ctx.keys.dbCipher,
          auditKeyFingerprint: createHash('sha256').update(publicKey).digest('hex'),
        };
        if (opts.json) return printJson(status);
        printLine(`master key id:          ${status.masterKeyId}`);
        printLine(`database cipher:        ${status.dbCipher}`);
        printLine(`audit key fingerprint:  ${status.auditKeyFingerprint}`);
      });
    });

  keys
    .command('rotate')
    .description('rotate the master key: generate a new one and re-wrap every key it protects (data is not rewritten)')
    .option('--out <file>', 'a new file (it must not exist) for the new master key; required when it comes from WEKEEP_MASTER_KEY; default: the key file, replaced in place')
    .option('--json', 'machine-readable output')
    .action(async (opts: { out?: string; json?: boolean }, cmd: Command) => {
      const { rotateKeys } = await import('../services/store.js');
      await withContext(cmd, async (ctx) => {
        const r = await rotateKeys(ctx, opts.out);
        if (opts.json) return printJson(r);
        printLine(`Master key rotated: ${r.oldKeyId} → ${r.newKeyId} (${r.entries} keys re-wrapped).`);
        printLine(`The new master key is in ${r.keyFile}; the old key no longer opens this store.`);
      });
    });

  registerKeysBackupCommand(keys);
}
