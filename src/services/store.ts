import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Config } from '../config.js';
import { assertInitializable, initializeContext, type Context } from '../context.js';
import { formatMasterKey, masterKeyId, readMasterKey, rotateMasterKey, writeFileAtomic, type RotationResult } from '../crypto/keyring.js';
import { writeMeta } from '../repositories/meta.js';
import { appendAudit } from './audit.js';

export interface InitResult {
  dataDir: string;
  keyFile: string | null;
  keySource: 'generated' | 'key-file' | 'environment';
  masterKeyId: string;
}

/**
 * Creates a new store: the master key (generated into a 0600 key file unless one is given by
 * WEKEEP_MASTER_KEY or an existing key file), the keyring, the encrypted database and the first audit event.
 */
export async function initStore(config: Config): Promise<{ ctx: Context; result: InitResult }> {
  let master: Buffer;
  let keySource: InitResult['keySource'];
  if (config.masterKeyHex) {
    master = readMasterKey(config);
    keySource = 'environment';
  } else if (existsSync(config.keyFile)) {
    master = readMasterKey(config);
    keySource = 'key-file';
  } else {
    master = randomBytes(32);
    keySource = 'generated';
  }
  // Checked again by initializeContext; here so that a refused init writes no key (and overwrites nothing).
  assertInitializable(config);
  // The key file comes first: a store must never exist without its key.
  if (keySource === 'generated') writeFileAtomic(config.keyFile, formatMasterKey(master), 0o600);
  const ctx = await initializeContext(config, master);
  const result: InitResult = { dataDir: config.dataDir, keyFile: keySource === 'environment' ? null : config.keyFile, keySource, masterKeyId: masterKeyId(master) };
  await ctx.db.transaction().execute(async (trx) => {
    await writeMeta(trx, 'created_at', String(ctx.clock.now()));
    await writeMeta(trx, 'format', 'wekeep-store-1');
    await appendAudit(ctx, trx, { action: 'store.initialized', details: { keySource, masterKeyId: result.masterKeyId, dbCipher: ctx.keys.dbCipher } });
  });
  return { ctx, result };
}

/**
 * Rotates the master key by re-wrapping the keyring (data untouched), audited before and after: the
 * key files and the database cannot change in one transaction, so a rotation stopped in between
 * (kill -9) still leaves `keys.rotation_started` with the key it replaced in the log.
 */
export async function rotateKeys(ctx: Context, outFile?: string): Promise<RotationResult> {
  await ctx.db.transaction().execute(async (trx) => {
    await appendAudit(ctx, trx, { action: 'keys.rotation_started', details: { oldKeyId: ctx.keys.masterKeyId } });
  });
  const result = rotateMasterKey(ctx.config.dataDir, ctx.config, outFile);
  await ctx.db.transaction().execute(async (trx) => {
    await appendAudit(ctx, trx, { action: 'keys.rotated', details: { oldKeyId: result.oldKeyId, newKeyId: result.newKeyId, entries: result.entries } });
  });
  return result;
}
