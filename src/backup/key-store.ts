import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Context } from '../context.js';
import { KEYRING_FILE, writeFileAtomic } from '../crypto/keyring.js';
import { fatalError, usageError } from '../errors.js';
import { appendAudit } from '../services/audit.js';
import { isInside } from './files.js';
import { applyBucketRetirements, BACKUP_KEY_PREFIX, type RetirementResult } from './buckets.js';
import { collectDisposalDigests, DISPOSAL_DIGEST_BYTES, DISPOSAL_DIGEST_FORMAT } from './disposal-digests.js';
import { MANIFEST_FILE } from './manifest.js';

/*
 * The key store backup (`wekeep keys backup --out FILE`): keyring.json as it is now — every key
 * wrapped by the master key, and the destroyed list — in a small envelope. The master key itself is
 * NOT in it: it stays with its owner (key file or WEKEEP_MASTER_KEY), and a restore needs both.
 *
 * Keep it apart from the data backups (another medium, another custodian) and keep it for a SHORT
 * time: a key store backup still holds every bucket key that existed when it was made, so keeping it
 * as long as the data backups would undo crypto-shredding (docs/backups.md).
 */

export const KEY_STORE_FORMAT = 'wekeep-key-store-backup';

export interface KeyStoreBackupResult {
  file: string;
  createdAt: number;
  masterKeyId: string;
  /** Keys in the file (wrapped). */
  entries: number;
  backupBucketKeys: number;
  destroyed: number;
  /** Disposed records listed by keyed digest (for restores of older data backups). */
  disposals: number;
  /** Key destructions carried out before the copy was taken (so the copy does not hold them). */
  keys: RetirementResult;
}

/** Refuses a key store backup inside the data dir or inside a backup directory. */
function assertApart(out: string, dataDir: string): void {
  if (isInside(out, dataDir)) throw usageError('keys.backup_target', 'write the key store backup outside the data dir, on another medium than the data backups');
  for (let d = dirname(out); ; d = dirname(d)) {
    const m = join(d, MANIFEST_FILE);
    if (existsSync(m)) {
      try {
        if (readFileSync(m, 'utf8').includes('"wekeep-backup"')) {
          throw usageError('keys.backup_target', `${d} holds a data backup: keep the key store backup apart from the data backups (another medium and custodian)`);
        }
      } catch (e) {
        if ((e as { code?: string }).code === 'keys.backup_target') throw e;
      }
    }
    if (dirname(d) === d) break;
  }
}

export async function backupKeyStore(ctx: Context, options: { out: string; force?: boolean | undefined }): Promise<KeyStoreBackupResult> {
  const out = resolve(options.out);
  assertApart(out, resolve(ctx.config.dataDir));
  if (existsSync(out) && !options.force) throw usageError('keys.backup_exists', `${out} exists; give --force to replace it`);
  // Keys that are due for destruction go first: the copy must not keep them alive.
  const keys = await applyBucketRetirements(ctx);
  const keyring = JSON.parse(readFileSync(join(ctx.config.dataDir, KEYRING_FILE), 'utf8')) as { masterKeyId: string; entries: Record<string, string>; destroyed?: unknown[] };
  const createdAt = ctx.clock.now();
  // Every disposal, as keyed digests: a restore of a data backup older than a disposal must know the
  // disposed records even where their bucket key is destroyed (see disposal-digests.ts).
  const disposals = collectDisposalDigests(ctx);
  const envelope = {
    format: KEY_STORE_FORMAT,
    version: 1,
    createdAt,
    note: 'WeKeep key store backup: keys wrapped by the master key, which is NOT in this file. Keep apart from the data backups, for a short time only.',
    keyring,
    disposals: { digest: DISPOSAL_DIGEST_FORMAT, count: disposals.length / DISPOSAL_DIGEST_BYTES, data: disposals.toString('base64') },
  };
  writeFileAtomic(out, `${JSON.stringify(envelope, null, 2)}\n`, 0o600);
  const names = Object.keys(keyring.entries);
  const result: KeyStoreBackupResult = {
    file: out,
    createdAt,
    masterKeyId: keyring.masterKeyId,
    entries: names.length,
    backupBucketKeys: names.filter((n) => n.startsWith(BACKUP_KEY_PREFIX)).length,
    destroyed: keyring.destroyed?.length ?? 0,
    disposals: envelope.disposals.count,
    keys,
  };
  await appendAudit(ctx, ctx.db, { action: 'keys.backed_up', details: { masterKeyId: result.masterKeyId, entries: result.entries, destroyed: result.destroyed, disposals: result.disposals } });
  return result;
}

/**
 * The disposal digests inside a key store backup (concatenated; empty for a plain keyring.json copy
 * or a backup made before they were added).
 */
export function readKeyStoreDisposals(path: string): Buffer {
  const obj = JSON.parse(readFileSync(resolve(path), 'utf8')) as { format?: unknown; disposals?: { digest?: unknown; data?: unknown } };
  if (obj.format !== KEY_STORE_FORMAT || typeof obj.disposals?.data !== 'string') return Buffer.alloc(0);
  if (obj.disposals.digest !== DISPOSAL_DIGEST_FORMAT) throw fatalError('keys.backup_unreadable', `${path}: its disposals are digests of another kind (${String(obj.disposals.digest)})`);
  const data = Buffer.from(obj.disposals.data, 'base64');
  if (data.length % DISPOSAL_DIGEST_BYTES !== 0) throw fatalError('keys.backup_unreadable', `${path}: its disposal digests are damaged`);
  return data;
}

/** The keyring.json text inside a key store backup (or a plain keyring.json copy). */
export function readKeyStoreBackup(path: string): string {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(resolve(path), 'utf8'));
  } catch (cause) {
    throw fatalError('keys.backup_unreadable', `${path} is not a readable key store backup (the output of \`wekeep keys backup\`)`, cause);
  }
  const obj = json as { format?: unknown; keyring?: unknown; entries?: unknown };
  const keyring = obj.format === KEY_STORE_FORMAT ? obj.keyring : obj;
  if (typeof keyring !== 'object' || keyring === null || typeof (keyring as { entries?: unknown }).entries !== 'object') {
    throw fatalError('keys.backup_unreadable', `${path} is not a WeKeep key store backup`);
  }
  return `${JSON.stringify(keyring, null, 2)}\n`;
}
