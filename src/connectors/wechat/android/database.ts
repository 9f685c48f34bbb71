import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import Sqlite from 'better-sqlite3-multiple-ciphers';
import { fatalError, usageError } from '../../../errors.js';
import { openReadOnly, sqliteReason } from '../reader-kit.js';

/**
 * Opening Android's `EnMicroMsg.db` (reference B.3): SQLCipher in its oldest compatibility mode
 * (SQLCipher 1.x: page size 1024, PBKDF2-HMAC-SHA1 with 4000 iterations, no per-page HMAC), which
 * SQLite3MultipleCiphers selects with `cipher='sqlcipher'` + `legacy=1`. The passphrase is the first
 * 7 lowercase hex digits of md5(IMEI + uin). A database someone already decrypted (a plain SQLite
 * file) is opened as is.
 */

/** WeChat's EnMicroMsg.db passphrase: md5(IMEI + uin), hex, lowercase, first 7 characters. */
export function androidDbKey(imei: string, uin: string): string {
  return createHash('md5').update(`${imei}${uin}`, 'utf8').digest('hex').slice(0, 7);
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

function isPlainSqlite(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(16);
    return readSync(fd, head, 0, 16, 0) === 16 && head.equals(SQLITE_HEADER);
  } finally {
    closeSync(fd);
  }
}

export interface AndroidKeyOptions {
  imei?: string | undefined;
  uin?: string | undefined;
  key?: string | undefined;
}

export function openEnMicroMsg(file: string, label: string, keys: AndroidKeyOptions): { db: Sqlite.Database; encrypted: boolean } {
  if (!existsSync(file)) throw fatalError('wechat.file_missing', `${label}: file not found`);
  if (isPlainSqlite(file)) return { db: openReadOnly(file, label), encrypted: false };
  const key = keys.key ?? (keys.imei !== undefined && keys.uin !== undefined ? androidDbKey(keys.imei, keys.uin) : undefined);
  if (key === undefined || key === '') {
    throw usageError('wechat.android_key_missing', `${label}: the database is encrypted; pass --imei and --uin (the key is md5(IMEI + uin), first 7 characters) or --key`);
  }
  const db = new Sqlite(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma(`cipher='sqlcipher'`);
    db.pragma('legacy=1');
    db.pragma(`key='${key.replace(/'/g, "''")}'`);
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return { db, encrypted: true };
  } catch (e) {
    db.close();
    if ((e as { code?: unknown }).code === 'SQLITE_NOTADB') {
      throw usageError('wechat.android_wrong_key', `${label}: the key does not open this database (check --imei/--uin or --key)`);
    }
    throw fatalError('wechat.database_unreadable', `${label}: ${sqliteReason(e)}`, e);
  }
}
