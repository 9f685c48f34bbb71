import { constants, createHash, createPrivateKey, createPublicKey, privateDecrypt, type KeyObject } from 'node:crypto';
import { AppError } from '../../errors.js';

/**
 * Step 1 of decrypting a WeCom archived message (reference A.3): `encrypt_random_key` is
 * base64(RSA-2048 PKCS#1 v1.5 encryption of an ASCII "random key") made with the corp public key
 * of version `publickey_ver`. The random key is then handed, as text, to the SDK's DecryptData.
 *
 * Node 20 refuses PKCS#1 v1.5 private decryption (CVE-2023-46809, the Marvin attack). node-forge's
 * pure implementation works but costs ~25 ms per message here (40 messages/s: far too slow for a
 * corp's archive, ADR 0009). So the RSA operation itself is OpenSSL's (`privateDecrypt` with
 * RSA_NO_PADDING, ~0.3 ms, blinded) and the PKCS#1 v1.5 padding is removed here without
 * data-dependent branches or early exits over the padding bytes; every malformed block gets the
 * same error. The ciphertexts come from Tencent's SDK over its own TLS channel, not from parties who
 * could run a padding oracle. Tests check the result against node-forge (an independent implementation).
 */

export type RandomKeyUnwrapFailure = 'bad_base64' | 'bad_length' | 'decrypt_failed' | 'not_text';

const unwrapFailed = (reason: RandomKeyUnwrapFailure, message: string, cause?: unknown): AppError =>
  new AppError('wecom.random_key_unwrap_failed', `cannot unwrap encrypt_random_key: ${message}`, {
    details: { reason },
    ...(cause === undefined ? {} : { cause }),
  });

// Canonical base64 (standard alphabet, padded). Buffer.from(…, 'base64') silently skips garbage,
// which would turn a mangled field into a confusing RSA error; reject it up front instead.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/u;

// The random key is documented as an ASCII string; a wrong private key that happens to yield valid
// padding produces binary garbage, which this catches.
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/u;

/** A parsed private key, ready to unwrap many random keys of one `publickey_ver`. */
export type RandomKeyUnwrapper = (encryptRandomKeyBase64: string) => string;

function parsePrivateKey(privateKeyPem: string): KeyObject {
  let key: KeyObject;
  try {
    // PKCS#1 ("BEGIN RSA PRIVATE KEY", what WeCom's docs generate) and unencrypted PKCS#8.
    key = createPrivateKey(privateKeyPem);
  } catch {
    // No `cause`: a parser error could quote part of the PEM, and key material must never reach a log.
    throw new AppError('wecom.private_key_invalid', 'the WeCom private key is not an unencrypted RSA private key in PEM (PKCS#1 or PKCS#8)');
  }
  if (key.asymmetricKeyType !== 'rsa') throw new AppError('wecom.private_key_invalid', 'the WeCom private key is not an RSA key');
  return key;
}

/**
 * EME-PKCS1-v1_5 decoding (RFC 8017 §7.2.2) of a k-byte block: 0x00 ‖ 0x02 ‖ PS (≥ 8 non-zero bytes)
 * ‖ 0x00 ‖ M. The scan visits every byte and uses masks instead of branches on secret data; the
 * only branch is on the final validity bit. Returns M, or undefined for any malformed block.
 */
export function unpadPkcs1v15(em: Buffer): Buffer | undefined {
  const k = em.length;
  let good = ((em[0]! | 0) === 0 ? 1 : 0) & ((em[1]! ^ 0x02) === 0 ? 1 : 0);
  let zeroIndex = 0;
  let lookingForZero = 1;
  for (let i = 2; i < k; i++) {
    const isZero = em[i] === 0 ? 1 : 0;
    const take = lookingForZero & isZero;
    zeroIndex = (zeroIndex & (take - 1)) | (i & -take);
    lookingForZero &= 1 - isZero;
  }
  // A separator must exist, after at least 8 padding bytes.
  good &= (1 - lookingForZero) & (zeroIndex >= 10 ? 1 : 0);
  return good === 1 ? em.subarray(zeroIndex + 1) : undefined;
}

export function createRandomKeyUnwrapper(privateKeyPem: string): RandomKeyUnwrapper {
  const key = parsePrivateKey(privateKeyPem);
  const modulusBytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 2048) / 8);
  return (encryptRandomKeyBase64) => {
    if (encryptRandomKeyBase64.length === 0 || !BASE64.test(encryptRandomKeyBase64)) {
      throw unwrapFailed('bad_base64', 'the field is not valid base64');
    }
    const ciphertext = Buffer.from(encryptRandomKeyBase64, 'base64');
    if (ciphertext.length !== modulusBytes) {
      throw unwrapFailed(
        'bad_length',
        `the ciphertext is ${ciphertext.length} bytes but the private key expects ${modulusBytes}: the field is truncated, or this is not the key of its publickey_ver`,
      );
    }
    let message: Buffer | undefined;
    try {
      message = unpadPkcs1v15(privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, ciphertext));
    } catch {
      message = undefined;
    }
    if (message === undefined) {
      throw unwrapFailed('decrypt_failed', "RSA PKCS#1 v1.5 decryption failed: the private key does not match the message's publickey_ver");
    }
    const plain = message.toString('latin1');
    if (!PRINTABLE_ASCII.test(plain)) {
      throw unwrapFailed('not_text', "the decrypted random key is not ASCII text: the private key does not match the message's publickey_ver");
    }
    return plain;
  };
}

// A few parsed keys kept by PEM text, so the one-shot helper below stays cheap in a loop. Several
// key versions coexist during rotation; a handful covers them.
const MAX_CACHED_KEYS = 16;
const unwrapperCache = new Map<string, RandomKeyUnwrapper>();

function cachedUnwrapper(privateKeyPem: string): RandomKeyUnwrapper {
  const hit = unwrapperCache.get(privateKeyPem);
  if (hit) return hit;
  const unwrapper = createRandomKeyUnwrapper(privateKeyPem);
  if (unwrapperCache.size >= MAX_CACHED_KEYS) {
    const oldest = unwrapperCache.keys().next();
    if (!oldest.done) unwrapperCache.delete(oldest.value);
  }
  unwrapperCache.set(privateKeyPem, unwrapper);
  return unwrapper;
}

/**
 * base64-decode `encrypt_random_key`, RSA PKCS#1 v1.5-decrypt it with the private key of the
 * message's `publickey_ver`, and return the random key text for DecryptData.
 * Throws AppError `wecom.random_key_unwrap_failed` (details.reason says why) or
 * `wecom.private_key_invalid`. The error never contains key material.
 */
export function unwrapRandomKey(encryptRandomKeyBase64: string, privateKeyPem: string): string {
  return cachedUnwrapper(privateKeyPem)(encryptRandomKeyBase64);
}

/**
 * A stable, non-secret identifier of a private key: SHA-256 (hex) of its public key's DER
 * SubjectPublicKeyInfo. Lets logs, audit entries and the console say which key is configured for a
 * `publickey_ver` (and compare it with the public key pasted in the WeCom console) without ever
 * exposing the key.
 */
export function privateKeyFingerprint(privateKeyPem: string): string {
  let spki: Buffer;
  try {
    spki = createPublicKey(createPrivateKey(privateKeyPem)).export({ type: 'spki', format: 'der' });
  } catch {
    throw new AppError('wecom.private_key_invalid', 'the WeCom private key is not a private key in PEM');
  }
  return createHash('sha256').update(spki).digest('hex');
}
