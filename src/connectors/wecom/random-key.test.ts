import { constants, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, publicEncrypt } from 'node:crypto';
import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../errors.js';
import { createRandomKeyUnwrapper, privateKeyFingerprint, unpadPkcs1v15, unwrapRandomKey } from './random-key.js';

interface PemPair {
  publicKeyPem: string;
  privateKeyPem: string;
}

/** RSA-2048 as WeCom's docs have a corp generate it: PKCS#1 PEM. */
function generatePair(): PemPair {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}

/** What WeCom puts in encrypt_random_key: base64(RSA PKCS#1 v1.5(random key)), here via node-forge. */
function wrapWithForge(randomKey: string, publicKeyPem: string): string {
  const publicKey = forge.pki.publicKeyFromPem(publicKeyPem) as forge.pki.rsa.PublicKey;
  return forge.util.encode64(publicKey.encrypt(randomKey, 'RSAES-PKCS1-V1_5'));
}

function unwrapError(run: () => unknown): AppError {
  try {
    run();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an AppError');
}

describe('unwrapRandomKey', () => {
  let version1: PemPair;
  let version2: PemPair;
  const randomKey = 'Zq3xK8vT1mWc5NbR7yHd2LsF9gJe4PaU';

  beforeAll(() => {
    version1 = generatePair();
    version2 = generatePair();
  });

  it('base64-decodes and RSA PKCS#1 v1.5-decrypts with the PKCS#1 PEM private key', () => {
    const wrapped = wrapWithForge(randomKey, version1.publicKeyPem);
    expect(Buffer.from(wrapped, 'base64')).toHaveLength(256);
    expect(unwrapRandomKey(wrapped, version1.privateKeyPem)).toBe(randomKey);
  });

  it('unwraps what OpenSSL (node:crypto publicEncrypt) wrapped: an independent implementation', () => {
    const wrapped = publicEncrypt({ key: version2.publicKeyPem, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(randomKey)).toString('base64');
    expect(unwrapRandomKey(wrapped, version2.privateKeyPem)).toBe(randomKey);
  });

  it('accepts an unencrypted PKCS#8 private key too', () => {
    const pkcs8 = createPrivateKey(version1.privateKeyPem).export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(pkcs8).toContain('BEGIN PRIVATE KEY');
    expect(unwrapRandomKey(wrapWithForge(randomKey, version1.publicKeyPem), pkcs8)).toBe(randomKey);
  });

  it('picks nothing implicitly: each version unwraps only with its own key', () => {
    const wrapped1 = wrapWithForge('first-key-0123456789', version1.publicKeyPem);
    const wrapped2 = wrapWithForge('second-key-0123456789', version2.publicKeyPem);
    const unwrap1 = createRandomKeyUnwrapper(version1.privateKeyPem);
    const unwrap2 = createRandomKeyUnwrapper(version2.privateKeyPem);
    expect(unwrap1(wrapped1)).toBe('first-key-0123456789');
    expect(unwrap2(wrapped2)).toBe('second-key-0123456789');
  });

  it('names a wrong key version as wecom.random_key_unwrap_failed without echoing secrets', () => {
    const wrapped = wrapWithForge(randomKey, version1.publicKeyPem);
    const error = unwrapError(() => unwrapRandomKey(wrapped, version2.privateKeyPem));
    expect(error.code).toBe('wecom.random_key_unwrap_failed');
    // Invalid padding almost always; valid-looking padding that yields binary garbage otherwise.
    expect(['decrypt_failed', 'not_text']).toContain(error.details?.['reason']);
    expect(error.message).toMatch(/publickey_ver/u);
    expect(error.message).not.toContain(randomKey);
    expect(error.message).not.toContain(wrapped);
  });

  it('rejects text that is not canonical base64 before trying RSA', () => {
    const wrapped = wrapWithForge(randomKey, version1.publicKeyPem);
    for (const bad of ['', 'not base64!', wrapped.slice(0, -2), `${wrapped}\n`, wrapped.replace(/[+/]/gu, '-')]) {
      if (bad === wrapped) continue;
      const error = unwrapError(() => unwrapRandomKey(bad, version1.privateKeyPem));
      expect(error.code).toBe('wecom.random_key_unwrap_failed');
      expect(error.details?.['reason']).toBe('bad_base64');
      expect(error.message).toMatch(/base64/u);
    }
  });

  it('rejects a ciphertext whose length does not fit the key (truncated field, or not RSA-2048)', () => {
    const truncated = Buffer.from(wrapWithForge(randomKey, version1.publicKeyPem), 'base64').subarray(0, 128).toString('base64');
    const error = unwrapError(() => unwrapRandomKey(truncated, version1.privateKeyPem));
    expect(error.code).toBe('wecom.random_key_unwrap_failed');
    expect(error.details?.['reason']).toBe('bad_length');
    expect(error.message).toMatch(/128 bytes.*256/u);
  });

  it('reports a bad PEM as wecom.private_key_invalid and never quotes it', () => {
    const mangled = version1.privateKeyPem.replace(/[A-Za-z]{20}/u, '!!!!!!!!!!!!!!!!!!!!');
    for (const pem of ['', 'not a key', mangled, version1.publicKeyPem]) {
      const error = unwrapError(() => unwrapRandomKey(wrapWithForge(randomKey, version1.publicKeyPem), pem));
      expect(error.code).toBe('wecom.private_key_invalid');
      expect(error.message).not.toMatch(/MII/u);
      expect(error.cause).toBeUndefined();
    }
  });
});

describe('privateKeyFingerprint', () => {
  it('is the SHA-256 of the public key (SPKI DER), the same for PKCS#1 and PKCS#8 forms', () => {
    const pair = generatePair();
    const other = generatePair();
    const expected = createHash('sha256')
      .update(createPublicKey(pair.publicKeyPem).export({ type: 'spki', format: 'der' }))
      .digest('hex');
    const pkcs8 = createPrivateKey(pair.privateKeyPem).export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(privateKeyFingerprint(pair.privateKeyPem)).toBe(expected);
    expect(privateKeyFingerprint(pkcs8)).toBe(expected);
    expect(privateKeyFingerprint(other.privateKeyPem)).not.toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/u);
  });

  it('rejects what is not a private key', () => {
    expect(() => privateKeyFingerprint('nope')).toThrow(expect.objectContaining({ code: 'wecom.private_key_invalid' }));
  });
});

describe('PKCS#1 v1.5 unpadding (constant-time, checked against node-forge)', () => {
  const block = (bytes: number[]): Buffer => Buffer.from(bytes);
  it('accepts a well-formed block and returns the message', () => {
    expect(unpadPkcs1v15(block([0, 2, 9, 9, 9, 9, 9, 9, 9, 9, 0, 65, 66]))?.toString()).toBe('AB');
  });
  it.each([
    ['wrong first byte', [1, 2, 9, 9, 9, 9, 9, 9, 9, 9, 0, 65]],
    ['wrong block type', [0, 1, 9, 9, 9, 9, 9, 9, 9, 9, 0, 65]],
    ['padding shorter than 8 bytes', [0, 2, 9, 9, 9, 9, 9, 9, 9, 0, 65, 66]],
    ['no separator', [0, 2, 9, 9, 9, 9, 9, 9, 9, 9, 9, 65]],
  ])('refuses a block with %s', (_label, bytes) => {
    expect(unpadPkcs1v15(block(bytes))).toBeUndefined();
  });
  it('agrees with node-forge on real ciphertexts, valid and tampered', () => {
    const { publicKeyPem, privateKeyPem } = generatePair();
    const forgeKey = forge.pki.privateKeyFromPem(privateKeyPem) as forge.pki.rsa.PrivateKey;
    const unwrap = createRandomKeyUnwrapper(privateKeyPem);
    for (let i = 0; i < 20; i++) {
      const randomKey = `key-${i}-${'x'.repeat(i)}`;
      const b64 = wrapWithForge(randomKey, publicKeyPem);
      expect(unwrap(b64)).toBe(forgeKey.decrypt(Buffer.from(b64, 'base64').toString('binary'), 'RSAES-PKCS1-V1_5'));
      const tampered = Buffer.from(b64, 'base64');
      tampered[tampered.length - 1 - i]! ^= 0x40;
      let forgeOk: boolean;
      try {
        const plain = forgeKey.decrypt(tampered.toString('binary'), 'RSAES-PKCS1-V1_5');
        forgeOk = /^[\x20-\x7e]+$/u.test(plain);
      } catch {
        forgeOk = false;
      }
      let oursOk: boolean;
      try {
        unwrap(tampered.toString('base64'));
        oursOk = true;
      } catch {
        oursOk = false;
      }
      expect(oursOk).toBe(forgeOk);
    }
  });
});
