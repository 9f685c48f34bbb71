import { sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { signingKeyId } from '../domain/audit-form.js';
import { fatalError } from '../errors.js';
import { sha256Hex } from './files.js';

/*
 * The manifest of a backup directory (`manifest.json`): the one file that says what the backup is.
 * It is written last, atomically: until it is replaced, the previous manifest and every file it names
 * stay valid (a backup killed at any moment leaves the previous backup intact).
 *
 *   { "body": ManifestBody, "signature": { "algorithm": "ed25519", "keyId": …, "value": base64 } }
 *
 * The signature is the store's audit key (Ed25519) over "wekeep-backup-manifest|v1\n" + the body's
 * JSON exactly as stored. The body names the database copy and two index files (NDJSON: one line
 * per segment, one per blob copy) by SHA-256, so every byte of the backup is covered.
 * The manifest holds no content and no names: bucket ids are row ids and months.
 */

export const MANIFEST_FILE = 'manifest.json';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const fileRef = z.object({ file: z.string().min(1), sha256: hex64, size: z.number().int().nonnegative(), count: z.number().int().nonnegative().optional() });

export const manifestBodySchema = z.object({
  format: z.literal('wekeep-backup'),
  version: z.literal(1),
  backupId: z.string().regex(/^[0-9A-Za-z-]+$/),
  previousBackupId: z.string().nullable(),
  /** When the consistent snapshot was taken (the database copy and the segments are as of then). */
  snapshotAt: z.number().int(),
  completedAt: z.number().int(),
  store: z.object({ auditKeyId: z.string(), masterKeyId: z.string(), dbCipher: z.string(), migrations: z.array(z.string()) }),
  /** The audit log in the snapshot: its size and Merkle root, and the seq of this backup's `backup.started` event in it. */
  audit: z.object({ size: z.number().int().nonnegative(), rootHash: hex64, startedSeq: z.number().int().nonnegative() }),
  db: fileRef,
  segments: fileRef,
  blobs: fileRef,
  counts: z.object({ buckets: z.number().int(), records: z.number().int(), blobs: z.number().int() }),
});
export type ManifestBody = z.infer<typeof manifestBodySchema>;

export const segmentEntrySchema = z.object({
  bucket: z.string(),
  generation: z.number().int().positive(),
  keyName: z.string(),
  file: z.string(),
  sha256: hex64,
  size: z.number().int().nonnegative(),
  /** HMAC (bucket MAC key) of everything in the bucket: unchanged fingerprint = segment reused. */
  fingerprint: hex64,
  /** HMAC (bucket MAC key) of the message, attachment and blob rows: recomputed after a restore. */
  recordsDigest: hex64,
  records: z.number().int().nonnegative(),
  writtenAt: z.number().int(),
  /** The run that wrote the file (an unchanged bucket keeps the file of an earlier run). */
  backupId: z.string(),
});
export type SegmentEntry = z.infer<typeof segmentEntrySchema>;

export const blobEntrySchema = z.object({ id: hex64, sha256: hex64, size: z.number().int().nonnegative() });
export type BlobEntry = z.infer<typeof blobEntrySchema>;

const manifestFileSchema = z.object({
  body: z.unknown(),
  signature: z.object({ algorithm: z.literal('ed25519'), keyId: z.string(), value: z.string() }),
});

const signedBytes = (bodyJson: string): Buffer => Buffer.from(`wekeep-backup-manifest|v1\n${bodyJson}`, 'utf8');

export const auditKeyIdOf = (publicKey: KeyObject): string => signingKeyId(publicKey.export({ format: 'der', type: 'spki' }));

export function signManifest(body: ManifestBody, signingKey: KeyObject, publicKey: KeyObject): string {
  const bodyJson = JSON.stringify(body);
  const value = sign(null, signedBytes(bodyJson), signingKey).toString('base64');
  return `{"body":${bodyJson},"signature":${JSON.stringify({ algorithm: 'ed25519', keyId: auditKeyIdOf(publicKey), value })}}\n`;
}

export interface LoadedManifest {
  body: ManifestBody;
  /** Whether the signature verified with the given key. */
  signatureValid: boolean;
}

/** Reads `manifest.json` of a backup dir (undefined when there is none) and checks its signature. */
export function readManifest(dir: string, publicKey: KeyObject): LoadedManifest | undefined {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) return undefined;
  let parsed: z.infer<typeof manifestFileSchema>;
  try {
    parsed = manifestFileSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch (cause) {
    throw fatalError('backup.manifest_invalid', `${path} is not a WeKeep backup manifest`, cause);
  }
  const body = manifestBodySchema.safeParse(parsed.body);
  if (!body.success) throw fatalError('backup.manifest_invalid', `${path} is not a WeKeep backup manifest (${body.error.issues[0]?.path.join('.') ?? ''})`);
  let signatureValid: boolean;
  try {
    signatureValid = parsed.signature.keyId === auditKeyIdOf(publicKey) && verify(null, signedBytes(JSON.stringify(parsed.body)), publicKey, Buffer.from(parsed.signature.value, 'base64'));
  } catch {
    signatureValid = false;
  }
  return { body: body.data, signatureValid };
}

/** Reads an index file named by the manifest, checking its SHA-256 first. */
export function readIndex<T>(dir: string, ref: { file: string; sha256: string }, schema: z.ZodType<T>): T[] {
  const path = join(dir, ref.file);
  if (!existsSync(path)) throw fatalError('backup.damaged', `the backup is damaged: ${ref.file} is missing`);
  const bytes = readFileSync(path);
  if (sha256Hex(bytes) !== ref.sha256) throw fatalError('backup.damaged', `the backup is damaged: ${ref.file} does not match its SHA-256 in the manifest`);
  const out: T[] = [];
  for (const line of bytes.toString('utf8').split('\n')) {
    if (line === '') continue;
    out.push(schema.parse(JSON.parse(line)));
  }
  return out;
}

export const indexBytes = (entries: readonly unknown[]): Buffer => Buffer.from(entries.map((e) => `${JSON.stringify(e)}\n`).join(''), 'utf8');
