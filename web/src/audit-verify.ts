/**
 * Checks an auditor can run in their own browser, without trusting the server's word:
 * an RFC 9162 inclusion proof (leaf + audit path → root) and the Ed25519 signature of a tree head
 * over "wekeep-sth-v1\n<size>\n<rootHash>\n<timeMs>\n" (the same forms as src/domain/merkle.ts and
 * src/domain/audit-form.ts). WebCrypto only; `undefined` when the browser cannot check.
 */

const hexToBytes = (hex: string): Uint8Array<ArrayBuffer> | null => {
  if (!/^(?:[0-9a-f]{2})*$/iu.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
};

const bytesToHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function subtle(): SubtleCrypto | undefined {
  return typeof crypto !== 'undefined' && crypto.subtle ? crypto.subtle : undefined;
}

async function hashNode(s: SubtleCrypto, left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  const buf = new Uint8Array(1 + left.length + right.length);
  buf[0] = 0x01;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return new Uint8Array(await s.digest('SHA-256', buf));
}

const odd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);

/** RFC 9162 §2.1.3.2: true when `proof` takes the leaf at `index` of a tree of `size` to `rootHex`. */
export async function verifyInclusionProof(index: number, size: number, leafHex: string, proofHex: readonly string[], rootHex: string): Promise<boolean | undefined> {
  const s = subtle();
  if (!s) return undefined;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  const leaf = hexToBytes(leafHex);
  const path = proofHex.map(hexToBytes);
  if (!leaf || leaf.length !== 32 || path.some((p) => !p || p.length !== 32)) return false;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leaf;
  for (const p of path as Uint8Array[]) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = await hashNode(s, p, r);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = await hashNode(s, r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && bytesToHex(r) === rootHex.toLowerCase();
}

function pemToDer(pem: string): Uint8Array<ArrayBuffer> | null {
  const m = /-----BEGIN PUBLIC KEY-----([\s\S]+?)-----END PUBLIC KEY-----/u.exec(pem);
  if (!m) return null;
  try {
    const bin = atob((m[1] ?? '').replace(/\s+/gu, ''));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** Verifies the Ed25519 signature of a signed tree head with its own public key. */
export async function verifyHeadSignature(head: { size: number; rootHash: string; timeMs?: number; signature: string; publicKey?: string }): Promise<boolean | undefined> {
  const s = subtle();
  if (!s || head.publicKey === undefined || head.timeMs === undefined) return undefined;
  const der = pemToDer(head.publicKey);
  if (!der) return false;
  let sig: Uint8Array<ArrayBuffer>;
  try {
    sig = Uint8Array.from(atob(head.signature), (c) => c.charCodeAt(0));
  } catch {
    return false;
  }
  let key: CryptoKey;
  try {
    key = await s.importKey('spki', der, { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return undefined; // this browser has no Ed25519 in WebCrypto
  }
  const message = new TextEncoder().encode(`wekeep-sth-v1\n${head.size}\n${head.rootHash}\n${head.timeMs}\n`);
  try {
    return await s.verify({ name: 'Ed25519' }, key, sig, message);
  } catch {
    return false;
  }
}
