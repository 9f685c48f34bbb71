import { createHash, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { DB_FILE } from '../config.js';
import { AppError, fatalError, usageError } from '../errors.js';
import { open, seal } from './aead.js';
import { processAlive } from '../file-system.js';

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
  /**
   * Per live backup bucket key: the message keys of records disposed of since backups were made under
   * it (ADR 0011, amended). A restore leaves them out, so an old backup whose bucket key must live on
   * (its other records have no newer backup yet) brings back no disposed record. Dropped with the key.
   */
  disposedRecords: z.record(z.string(), z.array(z.number())).default({}),
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
  /**
   * Keys by full name (`bucket:…` or `backup-bucket:…` only), creating the missing ones together in
   * ONE keyring write (thousands of backup buckets must not rewrite keyring.json once each). Names on
   * the destroyed list are never (re)created: they are returned in `destroyed` instead.
   */
  ensureKeys(names: readonly string[]): { keys: Map<string, Buffer>; destroyed: Set<string> };
  /** A key by full name if it exists now (keyring.json is re-read when it is not known in memory). */
  namedKey(name: string): Buffer | undefined;
  /**
   * Crypto-shredding: removes these keys and records their names (with the time) on the destroyed
   * list, in ONE atomic keyring write; a destroyed name can never be created again. Names that do
   * not exist (yet) are put on the list too, so a concurrent creator cannot bring them to life.
   * Returns the names that held a key.
   */
  destroyKeys(names: readonly string[], atMs: number): string[];
  /** Whether a name is on the destroyed list (as of the last read of keyring.json). */
  isDestroyed(name: string): boolean;
  /** The names in keyring.json on disk right now (no key is unwrapped): live entries and destroyed ones. */
  namesOnDisk(): { entries: ReadonlySet<string>; destroyed: ReadonlySet<string> };
  /**
   * Remembers, per live backup bucket key, records disposed of since backups were made under it (one
   * atomic keyring write; names no longer live are ignored). Returns how many were new.
   */
  noteDisposedRecords(byName: ReadonlyMap<string, readonly number[]>): number;
  /** The message keys a restore must leave out of segments under this key (as of the last read of keyring.json). */
  disposedRecordsOf(name: string): ReadonlySet<number>;
}

/** Prefixes of the names `ensureKeys` and `destroyKeys` may touch (never db, audit or dedup). */
export const MANAGED_KEY_PREFIXES = ['bucket:', 'backup-bucket:'] as const;

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
  // Like ssh with a private key: a key file others can read is a key others may have. Warned, not refused
  // (a restore may have left it so); the warning names the file and its mode, never the key.
  const st = statSync(src.keyFile);
  if (!st.isFile()) throw fatalError('keys.master_unreadable', `the master key file ${src.keyFile} is not a file (a directory?): give the key file itself (--key-file, WEKEEP_KEY_FILE)`);
  const mode = st.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    process.stderr.write(`wekeep: WARNING: the master key file ${src.keyFile} can be read by other users (mode ${mode.toString(8).padStart(4, '0')}); restrict it: chmod 600 ${src.keyFile}\n`);
  }
  return parseMasterKey(readFileSync(src.keyFile, 'utf8'), `key file ${src.keyFile}`);
}

/** Writes a file that must not exist yet (mode 0600, synced); fails with EEXIST instead of replacing one. */
function writeNewFile(path: string, data: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
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

const LOCK_WAIT_MS = 15_000;
const STALE_LOCK_MS = 60_000;

/**
 * Serializes read-modify-write cycles of keyring.json across processes (a backup creating bucket
 * keys, a disposition destroying them, a rotation): `<keyring>.lock`, created exclusively, holding
 * the pid. A lock left by a dead process (or older than a minute) is taken over.
 */
function withKeyringLock<T>(path: string, fn: () => T): T {
  const lock = `${path}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    let fd: number;
    try {
      fd = openSync(lock, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let stale: boolean;
      try {
        const holder = Number.parseInt(readFileSync(lock, 'utf8'), 10);
        stale = (Number.isInteger(holder) && holder > 0 && !processAlive(holder)) || Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS;
      } catch {
        continue; // released meanwhile
      }
      if (stale) {
        try {
          unlinkSync(lock);
        } catch {
          /* taken over by another process */
        }
        continue;
      }
      if (Date.now() > deadline) throw fatalError('keys.keyring_busy', `${path} is locked by another wekeep process; try again`);
      Atomics.wait(pause, 0, 0, 20);
      continue;
    }
    try {
      writeSync(fd, String(process.pid));
    } finally {
      closeSync(fd);
    }
    try {
      return fn();
    } finally {
      try {
        unlinkSync(lock);
      } catch {
        /* already gone */
      }
    }
  }
}

const isManagedName = (name: string): boolean => MANAGED_KEY_PREFIXES.some((p) => name.startsWith(p) && name.length > p.length);

function assertManaged(name: string): void {
  if (!isManagedName(name)) throw fatalError('keys.name_invalid', `"${name}" is not a bucket key name`);
}

const aadFor = (name: string, kid: string): string => `wekeep-keyring|v1|${kid}|${name}`;

function wrapAll(master: Buffer, plain: Map<string, Buffer>, prev: Pick<KeyringFile, 'destroyed' | 'dbCipher'> & Partial<Pick<KeyringFile, 'disposedRecords'>>): KeyringFile {
  const kid = masterKeyId(master);
  const entries: Record<string, string> = {};
  for (const [name, value] of plain) entries[name] = seal(master, value, aadFor(name, kid)).toString('base64');
  // A list lives only as long as its key: a destroyed key's backups are unreadable anyway.
  const disposedRecords = Object.fromEntries(Object.entries(prev.disposedRecords ?? {}).filter(([name, keys]) => plain.has(name) && keys.length > 0));
  return { version: 1, masterKeyId: kid, entries, destroyed: prev.destroyed, dbCipher: prev.dbCipher, disposedRecords };
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
  if (!existsSync(path)) {
    // The archive without its keyring: `init` would make new keys that cannot open it.
    if (existsSync(join(dirname(path), DB_FILE))) {
      throw fatalError('keys.keyring_missing', `${path} is missing, but the archive (wekeep.db) is there: the keyring holds the keys that open it. Put back the copy made by \`wekeep keys backup\` as ${path}; do not run \`wekeep init\` (new keys cannot open this archive)`);
    }
    throw fatalError('store.not_initialized', `no WeKeep data here: ${path} is missing (run \`wekeep init\`)`);
  }
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
    const { keys, destroyed } = this.ensureKeys([name]);
    if (destroyed.has(name)) throw fatalError('keys.bucket_destroyed', `the key of bucket "${bucket}" was destroyed (crypto-shredded)`);
    return keys.get(name)!;
  }

  private get path(): string {
    return join(this.dataDir, KEYRING_FILE);
  }

  /**
   * Read-modify-write of keyring.json under the keyring lock: the file is re-read (another process may
   * have added or destroyed keys since this one loaded it), `change` edits the fresh state, and the
   * result is written atomically (temp + fsync + rename) and becomes this instance's state. Keys on
   * the destroyed list are never written back, whatever this process still holds in memory.
   */
  private mutate<T>(change: (plain: Map<string, Buffer>, destroyed: KeyringFile['destroyed'], disposed: KeyringFile['disposedRecords']) => { result: T; changed: boolean }): T {
    return withKeyringLock(this.path, () => {
      const disk = readKeyringFile(this.path);
      if (disk.masterKeyId !== this.masterKeyId) {
        throw fatalError('keys.master_wrong', `the master key of ${this.path} changed (rotated by another process); run the command again`);
      }
      this.absorb(disk);
      const destroyed = [...disk.destroyed];
      const disposed = { ...disk.disposedRecords };
      const { result, changed } = change(this.plain, destroyed, disposed);
      if (changed) {
        const gone = new Set(destroyed.map((d) => d.name));
        for (const name of gone) this.plain.delete(name);
        const next = wrapAll(this.master, this.plain, { destroyed, dbCipher: disk.dbCipher, disposedRecords: disposed });
        writeFileAtomic(this.path, JSON.stringify(next, null, 2));
        this.file.entries = next.entries;
        this.file.destroyed = destroyed;
        this.file.disposedRecords = next.disposedRecords;
      }
      return result;
    });
  }

  /** Takes in what keyring.json holds now: unwraps entries this instance does not know, forgets destroyed ones. */
  private absorb(disk: KeyringFile): void {
    const kid = this.masterKeyId;
    for (const [name, value] of Object.entries(disk.entries)) {
      if (this.plain.has(name)) continue;
      try {
        this.plain.set(name, open(this.master, Buffer.from(value, 'base64'), aadFor(name, kid)));
      } catch (cause) {
        throw new AppError('keys.keyring_corrupt', `keyring entry "${name}" in ${this.path} fails authentication`, { cause });
      }
    }
    for (const d of disk.destroyed) this.plain.delete(d.name);
    this.file.entries = disk.entries;
    this.file.destroyed = disk.destroyed;
    this.file.disposedRecords = disk.disposedRecords;
  }

  ensureKeys(names: readonly string[]): { keys: Map<string, Buffer>; destroyed: Set<string> } {
    for (const n of names) assertManaged(n);
    const pick = (): { keys: Map<string, Buffer>; destroyed: Set<string> } | undefined => {
      const keys = new Map<string, Buffer>();
      const destroyed = new Set<string>();
      const gone = new Set(this.file.destroyed.map((d) => d.name));
      for (const n of names) {
        const k = this.plain.get(n);
        if (k) keys.set(n, k);
        else if (gone.has(n)) destroyed.add(n);
        else return undefined;
      }
      return { keys, destroyed };
    };
    const known = pick();
    if (known) return known;
    return this.mutate((plain, destroyedList) => {
      const gone = new Set(destroyedList.map((d) => d.name));
      const keys = new Map<string, Buffer>();
      const destroyed = new Set<string>();
      let changed = false;
      for (const n of names) {
        if (gone.has(n)) {
          destroyed.add(n);
          continue;
        }
        let k = plain.get(n);
        if (!k) {
          k = randomBytes(32);
          plain.set(n, k);
          changed = true;
        }
        keys.set(n, k);
      }
      return { result: { keys, destroyed }, changed };
    });
  }

  namedKey(name: string): Buffer | undefined {
    const known = this.plain.get(name);
    if (known || !isManagedName(name) || this.isDestroyed(name)) return known;
    const disk = readKeyringFile(this.path);
    if (disk.masterKeyId !== this.masterKeyId) return undefined;
    this.absorb(disk);
    return this.plain.get(name);
  }

  destroyKeys(names: readonly string[], atMs: number): string[] {
    for (const n of names) assertManaged(n);
    if (names.length === 0) return [];
    return this.mutate((plain, destroyed) => {
      const listed = new Set(destroyed.map((d) => d.name));
      const held: string[] = [];
      let changed = false;
      for (const n of new Set(names)) {
        if (plain.has(n)) {
          held.push(n);
          plain.delete(n);
          changed = true;
        }
        if (!listed.has(n)) {
          destroyed.push({ name: n, at: atMs });
          listed.add(n);
          changed = true;
        }
      }
      return { result: held, changed };
    });
  }

  noteDisposedRecords(byName: ReadonlyMap<string, readonly number[]>): number {
    for (const n of byName.keys()) assertManaged(n);
    if (byName.size === 0) return 0;
    return this.mutate((plain, _destroyed, disposed) => {
      let added = 0;
      for (const [name, keys] of byName) {
        if (!plain.has(name) || keys.length === 0) continue; // destroyed meanwhile: nothing to remember
        const set = new Set(disposed[name] ?? []);
        const size = set.size;
        for (const k of keys) set.add(k);
        added += set.size - size;
        disposed[name] = [...set].sort((a, b) => a - b);
      }
      return { result: added, changed: added > 0 };
    });
  }

  disposedRecordsOf(name: string): ReadonlySet<number> {
    return new Set(this.file.disposedRecords[name] ?? []);
  }

  private destroyedNames: { list: KeyringFile['destroyed']; names: Set<string> } | undefined;

  isDestroyed(name: string): boolean {
    if (this.destroyedNames?.list !== this.file.destroyed) this.destroyedNames = { list: this.file.destroyed, names: new Set(this.file.destroyed.map((d) => d.name)) };
    return this.destroyedNames.names.has(name);
  }

  private diskNames: { stamp: string; names: { entries: Set<string>; destroyed: Set<string> } } | undefined;

  namesOnDisk(): { entries: ReadonlySet<string>; destroyed: ReadonlySet<string> } {
    // Called once per disposal batch: parse keyring.json again only when it was replaced (atomic rename: new inode).
    const st = statSync(this.path);
    const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    if (this.diskNames?.stamp === stamp) return this.diskNames.names;
    const disk = readKeyringFile(this.path);
    const names = { entries: new Set(Object.keys(disk.entries)), destroyed: new Set(disk.destroyed.map((d) => d.name)) };
    this.diskNames = { stamp, names };
    return names;
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
 * Rotates the master key by re-wrapping every keyring entry. Crash-safe: in place, the new key is
 * written to `<keyFile>.new` first, then the keyring is replaced, then the key file; `loadKeyring`
 * completes an interrupted rotation. To another file (`outFile`; required with WEKEEP_MASTER_KEY,
 * and the operator must then switch to it), the new key is written first to a file that must not
 * exist yet, then the keyring is replaced: an interruption leaves the old key valid.
 */
export function rotateMasterKey(dataDir: string, src: MasterKeySource, outFile?: string): RotationResult {
  const path = join(dataDir, KEYRING_FILE);
  const file = readKeyringFile(path);
  const oldMaster = readMasterKey(src);
  unwrapAll(oldMaster, file, path); // proves the key before anything is written
  const newMaster = randomBytes(32);
  const inPlace = !src.masterKeyHex && (outFile === undefined || resolve(outFile) === resolve(src.keyFile));
  const target = inPlace ? src.keyFile : outFile;
  if (!target) throw usageError('keys.rotate_needs_out', 'the master key comes from WEKEEP_MASTER_KEY: give --out FILE for the new key');
  if (inPlace) {
    writeFileAtomic(`${target}.new`, formatMasterKey(newMaster));
  } else {
    // A new file only, created exclusively: --out never replaces anything (the keyring, the database, another key).
    if (existsSync(target)) throw usageError('keys.out_exists', `${target} exists already: --out takes the path of a new file for the new master key (nothing was changed)`);
    writeNewFile(target, formatMasterKey(newMaster));
  }
  // Under the keyring lock, from the file as it is now: keys created or destroyed meanwhile by another process are kept.
  const entries = withKeyringLock(path, () => {
    const now = readKeyringFile(path);
    const current = unwrapAll(oldMaster, now, path);
    writeFileAtomic(path, JSON.stringify(wrapAll(newMaster, current, now), null, 2));
    return current.size;
  });
  if (inPlace) renameSync(`${target}.new`, target);
  return { oldKeyId: file.masterKeyId, newKeyId: masterKeyId(newMaster), entries, keyFile: target };
}
