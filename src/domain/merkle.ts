import { createHash, hash } from 'node:crypto';

/**
 * RFC 9162 §2.1 Merkle tree over SHA-256 (the same tree as RFC 6962 / Certificate Transparency).
 *
 *   leaf hash   MTH({d})      = SHA-256(0x00 || d)
 *   node hash   MTH(D[n])     = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k = largest power of 2 < n
 *   empty tree  MTH({})       = SHA-256()
 *
 * Pure: no I/O. Sizes and indexes are plain numbers (safe integers; no 32-bit bit operations are
 * used, so logs beyond 2^31 entries work). Proof generation is expressed as the list of leaf
 * ranges whose subtree hashes make up the proof, so a store can compute them by streaming leaves
 * (see services/audit.ts); the array-based helpers below do the same over leaf hashes in memory.
 */

export const HASH_SIZE = 32;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** MTH of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

// One-shot hashes (crypto.hash): about half the cost of a Hash object per call, which a sweep of a million tombstones feels.
export function hashLeaf(data: Uint8Array): Buffer {
  return hash('sha256', Buffer.concat([LEAF_PREFIX, data]), 'buffer');
}

/** hashLeaf of the UTF-8 bytes of `text`, without materializing them. */
export function hashLeafText(text: string): Buffer {
  return hash('sha256', `\u0000${text}`, 'buffer');
}

export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  return hash('sha256', Buffer.concat([NODE_PREFIX, left, right]), 'buffer');
}

/** A half-open range of leaf indexes [start, end). */
export interface LeafRange {
  readonly start: number;
  readonly end: number;
}

const isSize = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

function assertSize(name: string, n: number): void {
  if (!isSize(n)) throw new RangeError(`${name} must be a non-negative safe integer, got ${n}`);
}

/** The largest power of two strictly smaller than n (n >= 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Number of set bits of a non-negative safe integer (= number of perfect subtrees of a tree of that size). */
export function popCount(n: number): number {
  let c = 0;
  for (let x = n; x > 0; x = Math.floor(x / 2)) c += x % 2;
  return c;
}

const isOdd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);

// ---------------------------------------------------------------------------------------------
// Frontier: the hashes of the perfect subtrees of the binary decomposition of the size, left to
// right (largest first). Appending is O(log n) amortized; the root is folded from the right.

export interface Frontier {
  size: number;
  /** Left to right, one per set bit of size, highest bit first. */
  hashes: Buffer[];
}

export const emptyFrontier = (): Frontier => ({ size: 0, hashes: [] });

/** Appends one leaf hash in place (hashes are merged while the low bits of the old size are set). */
export function appendLeaf(frontier: Frontier, leafHash: Buffer): void {
  let h = leafHash;
  for (let s = frontier.size; isOdd(s); s = half(s)) {
    const left = frontier.hashes.pop();
    if (!left) throw new Error('corrupt frontier: fewer hashes than set bits of the size');
    h = hashChildren(left, h);
  }
  frontier.hashes.push(h);
  frontier.size += 1;
}

/** MTH of the tree the frontier describes. */
export function frontierRoot(frontier: Frontier): Buffer {
  const hs = frontier.hashes;
  if (hs.length === 0) return EMPTY_ROOT;
  let r = hs[hs.length - 1] as Buffer;
  for (let i = hs.length - 2; i >= 0; i--) r = hashChildren(hs[i] as Buffer, r);
  return r;
}

export const cloneFrontier = (f: Frontier): Frontier => ({ size: f.size, hashes: [...f.hashes] });

export function encodeFrontier(f: Frontier): Buffer {
  return Buffer.concat(f.hashes);
}

/** Decodes a stored frontier; throws if its length does not match the size. */
export function decodeFrontier(size: number, bytes: Uint8Array): Frontier {
  assertSize('size', size);
  const count = popCount(size);
  if (bytes.length !== count * HASH_SIZE) {
    throw new RangeError(`frontier of size ${size} must hold ${count} hashes (${count * HASH_SIZE} bytes), got ${bytes.length} bytes`);
  }
  const hashes: Buffer[] = [];
  for (let i = 0; i < count; i++) hashes.push(Buffer.from(bytes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE)));
  return { size, hashes };
}

export function frontierEquals(a: Frontier, b: Frontier): boolean {
  return a.size === b.size && a.hashes.length === b.hashes.length && a.hashes.every((h, i) => h.equals(b.hashes[i] as Buffer));
}

// ---------------------------------------------------------------------------------------------
// MTH over leaf hashes in memory.

/** MTH(D[start:end]) given the leaf hashes (not the leaf data). O(end - start) time, O(log) memory. */
export function rootOf(leafHashes: readonly Buffer[], start = 0, end = leafHashes.length): Buffer {
  if (!isSize(start) || !isSize(end) || start > end || end > leafHashes.length) {
    throw new RangeError(`bad leaf range [${start}, ${end}) of ${leafHashes.length} leaves`);
  }
  const f = emptyFrontier();
  for (let i = start; i < end; i++) appendLeaf(f, leafHashes[i] as Buffer);
  return frontierRoot(f);
}

// ---------------------------------------------------------------------------------------------
// Proof generation (RFC 9162 §2.1.3.1 PATH and §2.1.4.1 SUBPROOF), as leaf ranges.

/**
 * The ranges whose MTHs form the inclusion proof PATH(index, D[0:size]), in proof order (from the
 * leaf's sibling up to the root's other child). Together with the leaf they cover [0, size).
 */
export function inclusionProofRanges(index: number, size: number): LeafRange[] {
  assertSize('index', index);
  assertSize('size', size);
  if (index >= size) throw new RangeError(`leaf index ${index} is outside a tree of size ${size}`);
  const out: LeafRange[] = [];
  // Walk down from the root, recording the sibling subtree at each level; reverse for leaf-first order.
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index - lo < k) {
      out.push({ start: lo + k, end: hi });
      hi = lo + k;
    } else {
      out.push({ start: lo, end: lo + k });
      lo += k;
    }
  }
  return out.reverse();
}

/**
 * The ranges whose MTHs form the consistency proof PROOF(from, D[0:to]) = SUBPROOF(from, D[0:to], true),
 * in proof order. Empty when from is 0 or from equals to.
 */
export function consistencyProofRanges(from: number, to: number): LeafRange[] {
  assertSize('from', from);
  assertSize('to', to);
  if (from > to) throw new RangeError(`the old size ${from} is larger than the new size ${to}`);
  if (from === 0 || from === to) return [];
  const out: LeafRange[] = [];
  // SUBPROOF(m, D[lo:hi], b), unrolled: descend, collecting the "other" subtree at each level.
  let m = from;
  let lo = 0;
  let hi = to;
  let complete = true;
  while (m !== hi - lo) {
    const k = splitPoint(hi - lo);
    if (m <= k) {
      out.push({ start: lo + k, end: hi });
      hi = lo + k;
    } else {
      out.push({ start: lo, end: lo + k });
      lo += k;
      m -= k;
      complete = false;
    }
  }
  if (!complete) out.push({ start: lo, end: hi });
  return out.reverse();
}

/** PATH(index, D[0:size]) from leaf hashes in memory. */
export function inclusionProof(leafHashes: readonly Buffer[], index: number, size = leafHashes.length): Buffer[] {
  if (size > leafHashes.length) throw new RangeError(`size ${size} exceeds the ${leafHashes.length} leaves given`);
  return inclusionProofRanges(index, size).map((r) => rootOf(leafHashes, r.start, r.end));
}

/** PROOF(from, D[0:to]) from leaf hashes in memory. */
export function consistencyProof(leafHashes: readonly Buffer[], from: number, to = leafHashes.length): Buffer[] {
  if (to > leafHashes.length) throw new RangeError(`size ${to} exceeds the ${leafHashes.length} leaves given`);
  return consistencyProofRanges(from, to).map((r) => rootOf(leafHashes, r.start, r.end));
}

// ---------------------------------------------------------------------------------------------
// Verification (RFC 9162 §2.1.3.2 and §2.1.4.2). They never throw on bad input: they return null/false.

const isHash = (h: Uint8Array): boolean => h.length === HASH_SIZE;

/**
 * RFC 9162 §2.1.3.2: the root implied by an inclusion proof, or null when the proof is malformed
 * for that index and size (wrong length, index out of range, a hash of the wrong size).
 */
export function rootFromInclusionProof(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[]): Buffer | null {
  if (!isSize(index) || !isSize(size) || index >= size) return null;
  if (!isHash(leafHash) || !proof.every(isHash)) return null;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leafHash);
  for (const p of proof) {
    if (sn === 0) return null;
    if (isOdd(fn) || fn === sn) {
      r = hashChildren(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : null;
}

export function verifyInclusion(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  const r = rootFromInclusionProof(index, size, leafHash, proof);
  return r !== null && isHash(root) && r.equals(root);
}

const isPowerOfTwo = (n: number): boolean => n > 0 && popCount(n) === 1;

/**
 * RFC 9162 §2.1.4.2 consistency verification. Edge cases (as in transparency-dev/merkle): equal sizes
 * need an empty proof and equal roots; the empty tree (from = 0) is consistent with every tree and
 * needs an empty proof; from > to always fails.
 */
export function verifyConsistency(from: number, to: number, proof: readonly Uint8Array[], fromRoot: Uint8Array, toRoot: Uint8Array): boolean {
  if (!isSize(from) || !isSize(to) || from > to) return false;
  if (from === to) return proof.length === 0 && Buffer.from(fromRoot).equals(toRoot);
  if (from === 0) return proof.length === 0;
  // Step 1: a proof between different non-empty sizes is never empty.
  if (proof.length === 0 || !proof.every(isHash) || !isHash(fromRoot) || !isHash(toRoot)) return false;
  // Step 2: when the old tree is a perfect subtree, its root is the first node of the path.
  const path = isPowerOfTwo(from) ? [fromRoot, ...proof] : [...proof];
  // Steps 3-4.
  let fn = from - 1;
  let sn = to - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // Step 5.
  let fr: Buffer = Buffer.from(path[0] as Uint8Array);
  let sr: Buffer = fr;
  // Step 6.
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Uint8Array;
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // Step 7.
  return sn === 0 && fr.equals(fromRoot) && sr.equals(toRoot);
}
