import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Keyring } from './keyring.js';
import { open, seal } from './aead.js';

/**
 * Secrets of accounts: TOTP secrets are sealed (AES-256-GCM) under a key derived from the database
 * key, so a SQL-level reader of the (already encrypted) database still cannot read them; recovery
 * codes are stored as keyed hashes; session and setup tokens as SHA-256 (they are 256-bit random).
 */

const accountKeys = new WeakMap<Keyring, { seal: Buffer; mac: Buffer }>();

function keysOf(keyring: Keyring): { seal: Buffer; mac: Buffer } {
  let k = accountKeys.get(keyring);
  if (!k) {
    const derive = (info: string): Buffer => Buffer.from(hkdfSync('sha256', keyring.dbKey, Buffer.alloc(0), info, 32));
    k = { seal: derive('wekeep-account-secrets-seal-v1'), mac: derive('wekeep-account-secrets-mac-v1') };
    accountKeys.set(keyring, k);
  }
  return k;
}

export const sealSecret = (keyring: Keyring, secret: string, aad: string): Buffer => seal(keysOf(keyring).seal, Buffer.from(secret, 'utf8'), aad);

export const openSecret = (keyring: Keyring, sealed: Buffer, aad: string): string => open(keysOf(keyring).seal, sealed, aad).toString('utf8');

/** Keyed hash of a recovery code (normalized: no dashes or spaces, lower case). */
export const recoveryCodeHash = (keyring: Keyring, userId: number, code: string): string =>
  createHmac('sha256', keysOf(keyring).mac).update(`${userId}\0${code.replace(/[\s-]/gu, '').toLowerCase()}`).digest('hex');

/**
 * A keyed tag of a user name that names no account (`auth.login.failed`): repeated tries of one
 * name can be told apart and counted, but the name, often a password typed into the wrong field,
 * never enters the audit log.
 */
export const unknownNameTag = (keyring: Keyring, name: string): string =>
  createHmac('sha256', keysOf(keyring).mac).update(`unknown-user-name\0${name}`).digest('hex').slice(0, 16);

/** A new random token (256 bits, base64url). */
export const newToken = (): string => randomBytes(32).toString('base64url');

export const tokenHash = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** Ten-character recovery code in groups (`abcde-fghij`), from an alphabet without look-alikes. */
export function newRecoveryCode(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(10);
  const chars = Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
