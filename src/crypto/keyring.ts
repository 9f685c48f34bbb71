import { createHash, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { AppError, fatalError } from '../errors.js';
import { open, seal } from './aead.js';

/**
 * The key hierarchy (see docs/adr/0003-key-hierarchy.md):
 *
 *   master key (32 bytes; key file 0600 or WEKEEP_MASTER_KEY; never stored in the data dir's keyring)
 *     └─ wraps every entry of keyring.json:
 *          db          — raw SQLite3MultipleCiphers key of wekeep.db
 *          audit       — Ed25519 private key that signs audit tree heads
 *          dedup       — HMAC key for content addresses of blobs (no plaintext hash on disk)
 *          bucket:<id> — key-encryption keys of retention buckets; each blob's data key is wrapped by one.
 *                        Destroying a bucket key crypto-shreds every blob in that bucket.
 *
 * Rotating the master key re-wraps the keyring only; data is untouched.
 */

export const KEYRING_FILE = 'keyring.json';
export const DEFAULT_BUCKET = 'default';
/** Cipher for new databases: AEGIS-256 (authenticated, AES-NI accelerated; see docs/adr/0002-encrypted-sqlite.md). */
export const DB_CIPHER = 'aegis';

const keyringSchema = z.object({
  version: z.literal(1),
  masterKeyId: z.string(),
  entries: z.record(z.string(), z.string()),
  destroyed: z.array(z.object({ name: z.string(), at: z.number() })).default([]),
  /** SQLite3MultipleCiphers cipher of wekeep.db (not secret; needed before the key is applied). */
  dbCipher: z.enum(['chacha20', 'aegis', 'sqlcipher']).default('aegis'),
});
type KeyringFile = z.infer<typeof keyringSchema>;

export const masterKeyId = (master: Buffer): string => createHash('sha256').update('wekeep-master-key-id\0').update(master).digest('hex').slice(0, 16);

export interface Keyring {
  readonly masterKeyId: string;
  readonly dbKey: Buffer;
  readonly dbCipher: string;
  readonly auditSigningKey: KeyObject;
  readonly auditPublicKey: KeyObject;
  /** Keyed content address of plaintext bytes (hex). */
  contentAddress(data: Buffer): string;
  readonly dedupKey: Buffer;
  /** A bucket's key-encryption key; creates (and persists) the bucket key on first use. */
  bucketKey(bucket: string): Buffer;
  hasBucket(bucket: string): boolean;
}

function parseMasterKey(text: string, where: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw fatalError('keys.master_invalid', `${where} does not hold a master key (expected 64 hexadecimal characters)`);
  return Buffer.from(hex, 'hex');
}

export interface MasterKeySource {
  keyFile: string;
  masterKeyHex?: string | undefined;
}

export function readMasterKey(src: MasterKeySource): Buffer {
  if (src.masterKeyHex) return parseMasterKey(src.masterKeyHex, 'WEKEEP_MASTER_KEY');
  if (!existsSync(src.keyFile)) {
    throw fatalError('keys.master_missing', `master key file not found: ${src.keyFile} (set --key-file, WEKEEP_KEY_FILE or WEKEEP_MASTER_KEY)`);
  }
  return parseMasterKey(readFileSync(src.keyFile, 'utf8'), `key file ${src.keyFile}`);
}

/** Writes a file atomically (temp + fsync + rename) with the given mode. */
export function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

export const formatMasterKey = (master: Buffer): string => `${master.toString('hex')}\n`;

const aadFor = (name: string, kid: string): string => `wekeep-keyring|v1|${kid}|${name}`;

function wrapAll(master: Buffer, plain: Map<string, Buffer>, prev: Pick<KeyringFile, 'destroyed' | 'dbCipher'>): KeyringFile {
  const kid = masterKeyId(master);
  const entries: Record<string, string> = {};
  for (const [name, value] of plain) entries[name] = seal(master, value, aadFor(name, kid)).toString('base64');
  return { version: 1, masterKeyId: kid, entries, destroyed: prev.destroyed, dbCipher: prev.dbCipher };
}

function unwrapAll(master: Buffer, file: KeyringFile, path: string): Map<string, Buffer> {
  const kid = masterKeyId(master);
  if (file.masterKeyId !== kid) {
    throw fatalError('keys.master_wrong', `the master key does not match ${path} (key id ${kid}, keyring expects ${file.masterKeyId}); nothing was changed`);
  }
  const out = new Map<string, Buffer>();
  for (const [name, value] of Object.entries(file.entries)) {
    try {
      out.set(name, open(master, Buffer.from(value, 'base64'), aadFor(name, kid)));
    } catch (cause) {
      throw new AppError('keys.keyring_corrupt', `keyring entry "${name}" in ${path} fails authentication`, { cause });
    }
  }
  return out;
}

function readKeyringFile(path: string): KeyringFile {
  if (!existsSync(path)) throw fatalError('store.not_initialized', `no WeKeep data here: ${path} is missing (run \`wekeep init\`)`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new AppError('keys.keyring_corrupt', `${path} is not valid JSON`, { cause });
  }
  const parsed = keyringSchema.safeParse(json);
  if (!parsed.success) throw fatalError('keys.keyring_corrupt', `${path} is not a WeKeep keyring`);
  return parsed.data;
}

class LoadedKeyring implements Keyring {
  readonly masterKeyId: string;
  readonly dbKey: Buffer;
  readonly dbCipher: string;
  readonly auditSigningKey: KeyObject;
  readonly auditPublicKey: KeyObject;
  readonly dedupKey: Buffer;

  constructor(
    private readonly dataDir: string,
    private readonly master: Buffer,
    private readonly file: KeyringFile,
    private readonly plain: Map<string, Buffer>,
  ) {
    this.masterKeyId = file.masterKeyId;
    this.dbCipher = file.dbCipher;
    const need = (name: string): Buffer => {
      const v = plain.get(name);
      if (!v) throw fatalError('keys.keyring_corrupt', `keyring lacks the "${name}" key`);
      return v;
    };
    this.dbKey = need('db');
    this.dedupKey = need('dedup');
    this.auditSigningKey = createPrivateKey({ key: need('audit'), format: 'der', type: 'pkcs8' });
    this.auditPublicKey = createPublicKey(this.auditSigningKey);
  }

  contentAddress(data: Buffer): string {
    return createHmac('sha256', this.dedupKey).update(data).digest('hex');
  }

  hasBucket(bucket: string): boolean {
    return this.plain.has(`bucket:${bucket}`);
  }

  bucketKey(bucket: string): Buffer {
    const name = `bucket:${bucket}`;
    const existing = this.plain.get(name);
    if (existing) return existing;
    if (this.file.destroyed.some((d) => d.name === name)) {
      throw fatalError('keys.bucket_destroyed', `the key of bucket "${bucket}" was destroyed (crypto-shredded)`);
    }
    const key = randomBytes(32);
    this.plain.set(name, key);
    const next = wrapAll(this.master, this.plain, this.file);
    writeFileAtomic(join(this.dataDir, KEYRING_FILE), JSON.stringify(next, null, 2));
    this.file.entries = next.entries;
    return key;
  }
}

/** Creates a new keyring for a new data dir. Returns the master key (generated unless given). */
export function createKeyring(dataDir: string, master: Buffer): Keyring {
  const { privateKey } = generateKeyPairSync('ed25519');
  const plain = new Map<string, Buffer>([
    ['db', randomBytes(32)],
    ['dedup', randomBytes(32)],
    ['audit', privateKey.export({ format: 'der', type: 'pkcs8' })],
    [`bucket:${DEFAULT_BUCKET}`, randomBytes(32)],
  ]);
  const file = wrapAll(master, plain, { destroyed: [], dbCipher: DB_CIPHER });
  writeFileAtomic(join(dataDir, KEYRING_FILE), JSON.stringify(file, null, 2));
  return new LoadedKeyring(dataDir, master, file, plain);
}

/**
 * Completes a master-key rotation that was interrupted after the keyring was rewritten but before
 * the new key file replaced the old one.
 */
function recoverRotation(dataDir: string, src: MasterKeySource): void {
  const pending = `${src.keyFile}.new`;
  if (src.masterKeyHex || !existsSync(pending)) return;
  const file = readKeyringFile(join(dataDir, KEYRING_FILE));
  const next = parseMasterKey(readFileSync(pending, 'utf8'), `key file ${pending}`);
  if (masterKeyId(next) === file.masterKeyId) renameSync(pending, src.keyFile);
}

export function loadKeyring(dataDir: string, src: MasterKeySource): Keyring {
  const path = join(dataDir, KEYRING_FILE);
  const file = readKeyringFile(path);
  recoverRotation(dataDir, src);
  const master = readMasterKey(src);
  return new LoadedKeyring(dataDir, master, file, unwrapAll(master, file, path));
}

export interface RotationResult {
  oldKeyId: string;
  newKeyId: string;
  entries: number;
  /** Where the new master key was written. */
  keyFile: string;
}

/**
 * Rotates the master key by re-wrapping every keyring entry. Crash-safe: the new key is written to
 * `<keyFile>.new` first, then the keyring is replaced, then the key file; `loadKeyring` completes
 * an interrupted rotation. With WEKEEP_MASTER_KEY, the new key goes to `outFile` and the operator
 * must update the environment.
 */
export function rotateMasterKey(dataDir: string, src: MasterKeySource, outFile?: string): RotationResult {
  const path = join(dataDir, KEYRING_FILE);
  const file = readKeyringFile(path);
  const oldMaster = readMasterKey(src);
  const plain = unwrapAll(oldMaster, file, path);
  const newMaster = randomBytes(32);
  const target = src.masterKeyHex ? outFile : (outFile ?? src.keyFile);
  if (!target) throw fatalError('keys.rotate_needs_out', 'the master key comes from WEKEEP_MASTER_KEY: give --out FILE for the new key');
  const pending = `${target}.new`;
  writeFileAtomic(pending, formatMasterKey(newMaster));
  writeFileAtomic(path, JSON.stringify(wrapAll(newMaster, plain, file), null, 2));
  renameSync(pending, target);
  return { oldKeyId: file.masterKeyId, newKeyId: masterKeyId(newMaster), entries: plain.size, keyFile: target };
}
