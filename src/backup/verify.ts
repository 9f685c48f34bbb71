import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Context } from '../context.js';
import type { Keyring } from '../crypto/keyring.js';
import { appendAudit } from '../services/audit.js';
import { sha256OfFile } from './files.js';
import { blobEntrySchema, MANIFEST_FILE, readIndex, readManifest, segmentEntrySchema } from './manifest.js';

/**
 * `wekeep backup verify DIR`: checks a data backup without restoring it, against the running store —
 * the manifest's signature with this store's audit key (a backup of another store, or a forged or
 * altered manifest, fails), every file the manifest names against its size and SHA-256 (streamed:
 * memory does not grow with file size), and every bucket key the segments need against the key
 * store: present (readable), destroyed since (its records were disposed after the backup: unreadable
 * by design, not a problem), or missing (a problem: the key store lacks it). Content is never
 * decrypted. Audited as `backup.verified`.
 */

export interface BackupVerification {
  dir: string;
  ok: boolean;
  backupId: string | null;
  snapshotAt: string | null;
  completedAt: string | null;
  signatureValid: boolean;
  files: { checked: number; bytes: number; missing: number; damaged: number };
  buckets: { total: number; readable: number; disposed: number; keyMissing: number };
  records: number;
  blobs: number;
  /** Each problem names the file or bucket. */
  problems: string[];
}


/** What checking a backup needs of a key store: the audit public key and which bucket keys it holds or destroyed. */
export type BackupKeys = Pick<Keyring, 'auditPublicKey' | 'namedKey' | 'isDestroyed'>;

/**
 * Checks a backup directory without restoring it (no audit event: `verifyBackup` is the audited
 * command; tests of crash safety call this directly).
 */
export function checkBackupDir(dirOption: string, keys: BackupKeys): BackupVerification {
  const dir = resolve(dirOption);
  const out: BackupVerification = {
    dir, ok: false, backupId: null, snapshotAt: null, completedAt: null, signatureValid: false,
    files: { checked: 0, bytes: 0, missing: 0, damaged: 0 }, buckets: { total: 0, readable: 0, disposed: 0, keyMissing: 0 }, records: 0, blobs: 0, problems: [],
  };
  const problems = out.problems;
  const m = existsSync(dir) && statSync(dir).isDirectory() ? readManifest(dir, keys.auditPublicKey) : undefined;
  if (!m) problems.push(`${join(dir, MANIFEST_FILE)} is missing: not a WeKeep backup directory`);
  else {
    out.backupId = m.body.backupId;
    out.snapshotAt = new Date(m.body.snapshotAt).toISOString();
    out.completedAt = new Date(m.body.completedAt).toISOString();
    out.signatureValid = m.signatureValid;
    out.records = m.body.counts.records;
    out.blobs = m.body.counts.blobs;
    if (!m.signatureValid) problems.push(`${MANIFEST_FILE}: the signature does not verify with this store's audit key (another store's backup, or an altered manifest)`);
    else {
      const check = (file: string, sha256: string, size: number): void => {
        const path = join(dir, file);
        out.files.checked++;
        if (!existsSync(path)) {
          out.files.missing++;
          problems.push(`${file}: missing`);
          return;
        }
        const got = sha256OfFile(path);
        out.files.bytes += got.size;
        if (got.size !== size || got.sha256 !== sha256) {
          out.files.damaged++;
          problems.push(`${file}: does not match its ${got.size !== size ? 'size' : 'SHA-256'} in the manifest`);
        }
      };
      check(m.body.db.file, m.body.db.sha256, m.body.db.size);
      try {
        for (const s of readIndex(dir, m.body.segments, segmentEntrySchema)) {
          out.buckets.total++;
          check(s.file, s.sha256, s.size);
          if (keys.namedKey(s.keyName)) out.buckets.readable++;
          else if (keys.isDestroyed(s.keyName)) out.buckets.disposed++;
          else {
            out.buckets.keyMissing++;
            problems.push(`bucket ${s.bucket}: its key ${s.keyName} is not in this store's key store`);
          }
        }
        for (const b of readIndex(dir, m.body.blobs, blobEntrySchema)) check(join('blobs', b.id.slice(0, 2), b.id.slice(2, 4), b.id), b.sha256, b.size);
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
  }
  out.ok = problems.length === 0;
  return out;
}

export async function verifyBackup(ctx: Context, dir: string): Promise<BackupVerification> {
  const out = checkBackupDir(dir, ctx.keys);
  await appendAudit(ctx, ctx.db, {
    action: 'backup.verified',
    subject: out.backupId === null ? 'backup' : `backup:${out.backupId}`,
    details: { ok: out.ok, signatureValid: out.signatureValid, files: out.files, buckets: out.buckets, problems: out.problems.length },
  });
  return out;
}
