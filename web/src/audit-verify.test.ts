import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyHeadSignature, verifyInclusionProof } from './audit-verify';

// An independent RFC 9162 tree (§2.1.1 MTH, §2.1.3.1 PATH) to check the browser verifier against.
const sha = (...parts: Buffer[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();
const leaf = (d: string): Buffer => sha(Buffer.from([0]), Buffer.from(d));
const split = (n: number): number => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};
const mth = (leaves: Buffer[]): Buffer => {
  if (leaves.length === 1) return leaves[0] as Buffer;
  const k = split(leaves.length);
  return sha(Buffer.from([1]), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
};
const path = (m: number, leaves: Buffer[]): Buffer[] => {
  if (leaves.length === 1) return [];
  const k = split(leaves.length);
  return m < k ? [...path(m, leaves.slice(0, k)), mth(leaves.slice(k))] : [...path(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
};

describe('audit checks in the browser', () => {
  const leaves = Array.from({ length: 7 }, (_, i) => leaf(`event ${i}`));
  const root = mth(leaves).toString('hex');

  it('verifies every inclusion proof of a 7-leaf tree and refuses tampered ones', async () => {
    for (let i = 0; i < leaves.length; i++) {
      const proof = path(i, leaves).map((h) => h.toString('hex'));
      expect(await verifyInclusionProof(i, 7, (leaves[i] as Buffer).toString('hex'), proof, root)).toBe(true);
      expect(await verifyInclusionProof((i + 1) % 7, 7, (leaves[i] as Buffer).toString('hex'), proof, root)).toBe(false);
    }
    const proof = path(2, leaves).map((h) => h.toString('hex'));
    const bad = [...proof];
    bad[0] = `${bad[0]?.slice(0, 63)}0`;
    expect(await verifyInclusionProof(2, 7, (leaves[2] as Buffer).toString('hex'), bad, root)).toBe(false);
    expect(await verifyInclusionProof(7, 7, (leaves[2] as Buffer).toString('hex'), proof, root)).toBe(false);
    expect(await verifyInclusionProof(0, 1, (leaves[0] as Buffer).toString('hex'), [], (leaves[0] as Buffer).toString('hex'))).toBe(true);
  });

  it('verifies the Ed25519 signature of a tree head', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const head = { size: 7, rootHash: root, timeMs: 1_700_000_000_000 };
    const signature = sign(null, Buffer.from(`wekeep-sth-v1\n${head.size}\n${head.rootHash}\n${head.timeMs}\n`), privateKey).toString('base64');
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(await verifyHeadSignature({ ...head, signature, publicKey: pem })).toBe(true);
    expect(await verifyHeadSignature({ ...head, size: 8, signature, publicKey: pem })).toBe(false);
    expect(await verifyHeadSignature({ ...head, signature })).toBeUndefined();
  });
});
