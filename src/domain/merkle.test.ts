import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  appendLeaf, consistencyProof, consistencyProofRanges, decodeFrontier, EMPTY_ROOT, emptyFrontier, encodeFrontier, frontierRoot,
  hashChildren, hashLeaf, hashLeafText, inclusionProof, popCount, rootFromInclusionProof, rootOf, splitPoint, verifyConsistency, verifyInclusion,
} from './merkle.js';

const hx = (s: string): Buffer => Buffer.from(s, 'hex');
const hexes = (bs: readonly Uint8Array[]): string[] => bs.map((b) => Buffer.from(b).toString('hex'));

// ---------------------------------------------------------------------------------------------
// Public test vectors of transparency-dev/merkle (testonly/constants.go, rfc6962/rfc6962_test.go,
// proof/verify_test.go, proof/proof_test.go). Data only.

const LEAF_INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(hx);

/** RootHashes(): index = tree size. */
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
].map(hx);

/** NodeHashes(): [level][index] of the perfect subtrees of the 8-leaf tree. */
const NODES = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  ['d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
].map((level) => level.map(hx));

const id = (level: number, index: number): Buffer => {
  const h = NODES[level]?.[index];
  if (!h) throw new Error(`no node ${level}:${index}`);
  return h;
};

/** CompactTrees(): the frontier of each size 0..8. */
const COMPACT: Buffer[][] = [
  [], [id(0, 0)], [id(1, 0)], [id(1, 0), id(0, 2)], [id(2, 0)], [id(2, 0), id(0, 4)], [id(2, 0), id(1, 2)], [id(2, 0), id(1, 2), id(0, 6)], [id(3, 0)],
];

/** proof/verify_test.go inclusionProofs (leaf there is 1-based; converted to 0-based index). */
const INCLUSION_VECTORS: { index: number; size: number; proof: string[] }[] = [
  { index: 0, size: 1, proof: [] },
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

/** proof/verify_test.go consistencyProofs. */
const CONSISTENCY_VECTORS: { from: number; to: number; proof: string[] }[] = [
  { from: 1, to: 1, proof: [] },
  {
    from: 1,
    to: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    from: 6,
    to: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { from: 2, to: 5, proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] },
  {
    from: 6,
    to: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

/** l = hash(i, j) of the 7-leaf tree in proof/proof_test.go (the "rehash" node). */
const L7 = (): Buffer => hashChildren(id(1, 2), id(0, 6));

/** proof/proof_test.go TestInclusion cases inside the 8-leaf tree, as node hashes. */
const INCLUSION_NODE_CASES: { index: number; size: number; proof: () => Buffer[] }[] = [
  { size: 1, index: 0, proof: () => [] },
  { size: 2, index: 0, proof: () => [id(0, 1)] },
  { size: 2, index: 1, proof: () => [id(0, 0)] },
  { size: 3, index: 1, proof: () => [id(0, 0), id(0, 2)] },
  { size: 7, index: 0, proof: () => [id(0, 1), id(1, 1), L7()] },
  { size: 7, index: 1, proof: () => [id(0, 0), id(1, 1), L7()] },
  { size: 7, index: 2, proof: () => [id(0, 3), id(1, 0), L7()] },
  { size: 7, index: 3, proof: () => [id(0, 2), id(1, 0), L7()] },
  { size: 7, index: 4, proof: () => [id(0, 5), id(0, 6), id(2, 0)] },
  { size: 7, index: 5, proof: () => [id(0, 4), id(0, 6), id(2, 0)] },
  { size: 7, index: 6, proof: () => [id(1, 2), id(2, 0)] },
  { size: 4, index: 2, proof: () => [id(0, 3), id(1, 0)] },
  { size: 5, index: 3, proof: () => [id(0, 2), id(1, 0), id(0, 4)] },
  { size: 6, index: 3, proof: () => [id(0, 2), id(1, 0), id(1, 2)] },
  { size: 6, index: 4, proof: () => [id(0, 5), id(2, 0)] },
];

/** proof/proof_test.go TestConsistency cases inside the 8-leaf tree, as node hashes. */
const CONSISTENCY_NODE_CASES: { from: number; to: number; proof: () => Buffer[] }[] = [
  { from: 1, to: 2, proof: () => [id(0, 1)] },
  { from: 1, to: 4, proof: () => [id(0, 1), id(1, 1)] },
  { from: 1, to: 6, proof: () => [id(0, 1), id(1, 1), id(1, 2)] },
  { from: 2, to: 3, proof: () => [id(0, 2)] },
  { from: 2, to: 8, proof: () => [id(1, 1), id(2, 1)] },
  { from: 3, to: 7, proof: () => [id(0, 2), id(0, 3), id(1, 0), L7()] },
  { from: 4, to: 7, proof: () => [L7()] },
  { from: 5, to: 7, proof: () => [id(0, 4), id(0, 5), id(0, 6), id(2, 0)] },
  { from: 6, to: 7, proof: () => [id(1, 2), id(0, 6), id(2, 0)] },
  { from: 7, to: 8, proof: () => [id(0, 6), id(0, 7), id(1, 2), id(2, 0)] },
  { from: 2, to: 4, proof: () => [id(1, 1)] },
  { from: 3, to: 5, proof: () => [id(0, 2), id(0, 3), id(1, 0), id(0, 4)] },
  { from: 3, to: 6, proof: () => [id(0, 2), id(0, 3), id(1, 0), id(1, 2)] },
  { from: 4, to: 6, proof: () => [id(1, 2)] },
  { from: 1, to: 7, proof: () => [id(0, 1), id(1, 1), L7()] },
  ...[1, 2, 3, 4, 5, 7, 8].map((n) => ({ from: n, to: n, proof: (): Buffer[] => [] })),
];

const SOME_HASH = hx('abacaba000000000000000000000000000000000000000000060061e00123456');
const leafHashes8 = LEAF_INPUTS.map(hashLeaf);

// ---------------------------------------------------------------------------------------------
// A naive implementation written straight from the RFC's recursive definitions.

function naiveMth(d: readonly Buffer[]): Buffer {
  if (d.length === 0) return createHash('sha256').digest();
  if (d.length === 1) return d[0] as Buffer;
  const k = 2 ** Math.ceil(Math.log2(d.length) - 1);
  return hashChildren(naiveMth(d.slice(0, k)), naiveMth(d.slice(k)));
}

function naivePath(m: number, d: readonly Buffer[]): Buffer[] {
  if (d.length <= 1) return [];
  const k = 2 ** Math.ceil(Math.log2(d.length) - 1);
  return m < k ? [...naivePath(m, d.slice(0, k)), naiveMth(d.slice(k))] : [...naivePath(m - k, d.slice(k)), naiveMth(d.slice(0, k))];
}

function naiveSubproof(m: number, d: readonly Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [naiveMth(d)];
  const k = 2 ** Math.ceil(Math.log2(d.length) - 1);
  return m <= k ? [...naiveSubproof(m, d.slice(0, k), b), naiveMth(d.slice(k))] : [...naiveSubproof(m - k, d.slice(k), false), naiveMth(d.slice(0, k))];
}

const naiveProof = (m: number, d: readonly Buffer[]): Buffer[] => (m === 0 ? [] : naiveSubproof(m, d, true));

// ---------------------------------------------------------------------------------------------
// Corruption probes, following the list of proof/verify_test.go.

function flipped(proof: readonly Buffer[], i: number, bit: number): Buffer[] {
  const out = proof.map((p) => Buffer.from(p));
  const b = out[i] as Buffer;
  b[0] = (b[0] as number) ^ bit;
  return out;
}

function badInclusionProbes(index: number, size: number, leafHash: Buffer, proof: Buffer[], root: Buffer) {
  const probes: { desc: string; index: number; size: number; leaf: Buffer; proof: Buffer[]; root: Buffer }[] = [
    { desc: 'index - 1', index: index - 1, size, leaf: leafHash, proof, root },
    { desc: 'index + 1', index: index + 1, size, leaf: leafHash, proof, root },
    { desc: 'index ^ 2', index: index ^ 2, size, leaf: leafHash, proof, root },
    { desc: 'size * 2', index, size: size * 2, leaf: leafHash, proof, root },
    { desc: 'size / 2', index, size: Math.floor(size / 2), leaf: leafHash, proof, root },
    { desc: 'wrong leaf', index, size, leaf: Buffer.from('WrongLeaf'), proof, root },
    { desc: 'empty root', index, size, leaf: leafHash, proof, root: EMPTY_ROOT },
    { desc: 'random root', index, size, leaf: leafHash, proof, root: SOME_HASH },
    { desc: 'trailing garbage', index, size, leaf: leafHash, proof: [...proof, Buffer.alloc(0)], root },
    { desc: 'trailing root', index, size, leaf: leafHash, proof: [...proof, root], root },
    { desc: 'preceding garbage', index, size, leaf: leafHash, proof: [Buffer.alloc(0), ...proof], root },
    { desc: 'preceding root', index, size, leaf: leafHash, proof: [root, ...proof], root },
  ];
  proof.forEach((_, i) => probes.push({ desc: `proof[${i}] bit 3`, index, size, leaf: leafHash, proof: flipped(proof, i, 8), root }));
  if (proof.length > 0) probes.push({ desc: 'removed component', index, size, leaf: leafHash, proof: proof.slice(0, -1), root });
  if (proof.length > 1) probes.push({ desc: 'inserted component', index, size, leaf: leafHash, proof: [proof[0] as Buffer, SOME_HASH, ...proof.slice(1)], root });
  return probes;
}

function badConsistencyProbes(from: number, to: number, root1: Buffer, root2: Buffer, proof: Buffer[]) {
  const wrong = Buffer.from('WrongRoot');
  const probes: { desc: string; from: number; to: number; root1: Buffer; root2: Buffer; proof: Buffer[] }[] = [
    { desc: 'from - 1', from: from - 1, to, root1, root2, proof },
    { desc: 'from + 1', from: from + 1, to, root1, root2, proof },
    { desc: 'from ^ 2', from: from ^ 2, to, root1, root2, proof },
    { desc: 'to * 2', from, to: to * 2, root1, root2, proof },
    { desc: 'to / 2', from, to: Math.floor(to / 2), root1, root2, proof },
    { desc: 'wrong root1', from, to, root1: wrong, root2, proof },
    { desc: 'wrong root2', from, to, root1, root2: wrong, proof },
    { desc: 'swapped roots', from, to, root1: root2, root2: root1, proof },
    { desc: 'empty proof', from, to, root1, root2, proof: [] },
    { desc: 'trailing garbage', from, to, root1, root2, proof: [...proof, Buffer.alloc(0)] },
    { desc: 'trailing root1', from, to, root1, root2, proof: [...proof, root1] },
    { desc: 'trailing root2', from, to, root1, root2, proof: [...proof, root2] },
    { desc: 'preceding garbage', from, to, root1, root2, proof: [Buffer.alloc(0), ...proof] },
    { desc: 'preceding root1', from, to, root1, root2, proof: [root1, ...proof] },
    { desc: 'preceding root2', from, to, root1, root2, proof: [root2, ...proof] },
    { desc: 'preceding proof[0]', from, to, root1, root2, proof: [proof[0] as Buffer, ...proof] },
    { desc: 'truncated', from, to, root1, root2, proof: proof.slice(0, -1) },
  ];
  proof.forEach((_, i) => probes.push({ desc: `proof[${i}] bit 4`, from, to, root1, root2, proof: flipped(proof, i, 16) }));
  return probes;
}

// ---------------------------------------------------------------------------------------------

describe('RFC 9162 hashing (transparency-dev vectors)', () => {
  it('hashes the empty tree, leaves and nodes', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hashLeaf(Buffer.alloc(0)).toString('hex')).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    expect(hashLeaf(Buffer.from('L123456')).toString('hex')).toBe('395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56');
    expect(hashLeafText('L123456').toString('hex')).toBe('395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56');
    for (const text of ['', '合同 發票 😀', 'e\u0301', '\u0000x']) expect(hashLeafText(text).equals(hashLeaf(Buffer.from(text, 'utf8')))).toBe(true);
    expect(hashChildren(Buffer.from('N123'), Buffer.from('N456')).toString('hex')).toBe('aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb');
  });

  it('reproduces every node hash of the 8-leaf tree', () => {
    NODES[0]?.forEach((h, i) => expect(hashLeaf(LEAF_INPUTS[i] as Buffer).equals(h)).toBe(true));
    for (let level = 1; level < NODES.length; level++) {
      NODES[level]?.forEach((h, i) => expect(hashChildren(id(level - 1, 2 * i), id(level - 1, 2 * i + 1)).equals(h)).toBe(true));
    }
  });

  it('computes the root of sizes 0..8 (rootOf, frontier and naive MTH)', () => {
    const f = emptyFrontier();
    expect(frontierRoot(f).equals(ROOTS[0] as Buffer)).toBe(true);
    for (let n = 1; n <= 8; n++) {
      appendLeaf(f, leafHashes8[n - 1] as Buffer);
      const want = (ROOTS[n] as Buffer).toString('hex');
      expect(rootOf(leafHashes8, 0, n).toString('hex')).toBe(want);
      expect(frontierRoot(f).toString('hex')).toBe(want);
      expect(naiveMth(leafHashes8.slice(0, n)).toString('hex')).toBe(want);
      expect(hexes(f.hashes)).toEqual(hexes(COMPACT[n] as Buffer[]));
    }
    expect(ROOTS[3]?.toString('hex')).toMatch(/^aeb6bcfe.*6e77$/);
  });
});

describe('inclusion proofs (transparency-dev vectors)', () => {
  it.each(INCLUSION_VECTORS)('index $index in size $size', ({ index, size, proof }) => {
    const got = inclusionProof(leafHashes8, index, size);
    expect(hexes(got)).toEqual(proof);
    const root = ROOTS[size] as Buffer;
    const leaf = leafHashes8[index] as Buffer;
    expect(rootFromInclusionProof(index, size, leaf, got)?.equals(root)).toBe(true);
    expect(verifyInclusion(index, size, leaf, got, root)).toBe(true);
    for (const p of badInclusionProbes(index, size, leaf, got, root)) {
      expect(verifyInclusion(p.index, p.size, p.leaf, p.proof, p.root), p.desc).toBe(false);
    }
  });

  it.each(INCLUSION_NODE_CASES)('node layout: index $index in size $size', ({ index, size, proof }) => {
    expect(hexes(inclusionProof(leafHashes8, index, size))).toEqual(hexes(proof()));
  });

  it('rejects proofs of a single-entry tree with wrong sizes or hashes', () => {
    const h = hashLeaf(Buffer.from('data'));
    expect(verifyInclusion(0, 1, h, [], h)).toBe(true);
    expect(verifyInclusion(0, 1, Buffer.alloc(0), [], h)).toBe(false);
    expect(verifyInclusion(0, 1, h, [], Buffer.alloc(0))).toBe(false);
    for (const [index, size] of [[0, 0], [0, 1], [1, 0], [2, 1]] as const) {
      expect(verifyInclusion(index, size, SOME_HASH, [], Buffer.alloc(0))).toBe(false);
      expect(verifyInclusion(index, size, Buffer.alloc(0), [], EMPTY_ROOT)).toBe(false);
      expect(verifyInclusion(index, size, SOME_HASH, [], EMPTY_ROOT)).toBe(false);
    }
  });
});

describe('consistency proofs (transparency-dev vectors)', () => {
  it.each(CONSISTENCY_VECTORS)('$from -> $to', ({ from, to, proof }) => {
    const got = consistencyProof(leafHashes8, from, to);
    expect(hexes(got)).toEqual(proof);
    const r1 = ROOTS[from] as Buffer;
    const r2 = ROOTS[to] as Buffer;
    expect(verifyConsistency(from, to, got, r1, r2)).toBe(true);
    if (got.length === 0) return;
    for (const p of badConsistencyProbes(from, to, r1, r2, got)) {
      expect(verifyConsistency(p.from, p.to, p.proof, p.root1, p.root2), p.desc).toBe(false);
    }
  });

  it.each(CONSISTENCY_NODE_CASES)('node layout: $from -> $to', ({ from, to, proof }) => {
    const got = consistencyProof(leafHashes8, from, to);
    expect(hexes(got)).toEqual(hexes(proof()));
    expect(verifyConsistency(from, to, got, ROOTS[from] as Buffer, ROOTS[to] as Buffer)).toBe(true);
  });

  it('handles the edge cases of sizes 0 and equal sizes', () => {
    const r1 = Buffer.from("don't care 1");
    const r2 = Buffer.from("don't care 2");
    const cases: [number, number, Buffer, Buffer, Buffer[], boolean][] = [
      [0, 0, r1, r2, [], false],
      [1, 1, r1, r2, [], false],
      [0, 0, r1, r1, [], true],
      [0, 1, r1, r2, [], true],
      [1, 1, r2, r2, [], true],
      [1, 0, r1, r2, [], false],
      [2, 1, r1, r2, [], false],
      [1, 2, r1, r2, [], false],
      [0, 0, EMPTY_ROOT, r2, [], false],
      [1, 1, EMPTY_ROOT, r2, [], false],
      [0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], false],
      [0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], false],
      [1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], false],
    ];
    for (const [from, to, a, b, proof, want] of cases) expect(verifyConsistency(from, to, proof, a, b), `${from}->${to}`).toBe(want);
  });

  it('refuses to generate proofs for impossible sizes', () => {
    expect(() => consistencyProofRanges(9, 8)).toThrow(RangeError);
    expect(() => inclusionProof(leafHashes8, 8, 8)).toThrow(RangeError);
    expect(() => inclusionProof(leafHashes8, 0, 9)).toThrow(RangeError);
  });
});

describe('properties against a naive RFC implementation, sizes 1..300', () => {
  const N = 300;
  const leaves = Array.from({ length: N }, (_, i) => hashLeaf(Buffer.from(`leaf ${i}`)));
  const roots = [EMPTY_ROOT, ...leaves.map((_, i) => naiveMth(leaves.slice(0, i + 1)))];

  it('frontier append and root match the naive MTH at every size; the frontier round-trips', () => {
    const f = emptyFrontier();
    for (let n = 1; n <= N; n++) {
      appendLeaf(f, leaves[n - 1] as Buffer);
      expect(f.hashes.length).toBe(popCount(n));
      expect(frontierRoot(f).equals(roots[n] as Buffer), `size ${n}`).toBe(true);
      expect(rootOf(leaves, 0, n).equals(roots[n] as Buffer)).toBe(true);
      const back = decodeFrontier(n, encodeFrontier(f));
      expect(frontierRoot(back).equals(roots[n] as Buffer)).toBe(true);
    }
    expect(() => decodeFrontier(5, Buffer.alloc(32))).toThrow(RangeError);
  });

  it('inclusion proofs equal the naive PATH and verify; tampering fails', () => {
    for (let size = 1; size <= N; size++) {
      const indexes = size <= 70 ? Array.from({ length: size }, (_, i) => i) : [0, 1, size >> 1, size - 2, size - 1, (size * 7) % size];
      const prefix = leaves.slice(0, size);
      for (const index of indexes) {
        const proof = inclusionProof(leaves, index, size);
        expect(hexes(proof)).toEqual(hexes(naivePath(index, prefix)));
        const root = roots[size] as Buffer;
        const leaf = leaves[index] as Buffer;
        expect(verifyInclusion(index, size, leaf, proof, root), `${index}/${size}`).toBe(true);
        const other = leaves[(index + 1) % N] as Buffer;
        expect(verifyInclusion(index, size, other, proof, root)).toBe(false);
        if (proof.length > 0) {
          expect(verifyInclusion(index, size, leaf, flipped(proof, proof.length - 1, 1), root)).toBe(false);
          expect(verifyInclusion(index, size, leaf, proof.slice(1), root)).toBe(false);
        }
        if (size > 1) expect(verifyInclusion(index, size, leaf, proof, roots[size - 1] as Buffer)).toBe(false);
      }
    }
  });

  it('consistency proofs equal the naive PROOF and verify; tampering fails', () => {
    for (let to = 1; to <= N; to++) {
      const froms = to <= 48 ? Array.from({ length: to + 1 }, (_, i) => i) : [0, 1, 2, to >> 1, splitPoint(to), to - 1, to];
      const prefix = leaves.slice(0, to);
      for (const from of froms) {
        const proof = consistencyProof(leaves, from, to);
        expect(hexes(proof)).toEqual(hexes(naiveProof(from, prefix)));
        const r1 = roots[from] as Buffer;
        const r2 = roots[to] as Buffer;
        expect(verifyConsistency(from, to, proof, r1, r2), `${from}->${to}`).toBe(true);
        if (proof.length === 0) continue;
        expect(verifyConsistency(from, to, flipped(proof, 0, 1), r1, r2)).toBe(false);
        expect(verifyConsistency(from, to, proof.slice(0, -1), r1, r2)).toBe(false);
        // A tree whose old part was rewritten is not consistent with the old root.
        const forged = [...leaves.slice(0, to)];
        forged[0] = hashLeaf(Buffer.from('forged'));
        const forgedRoot = rootOf(forged);
        expect(verifyConsistency(from, to, consistencyProof(forged, from, to), r1, forgedRoot)).toBe(false);
      }
    }
  });

  it('verifies tampered leaves as not included', () => {
    const size = 37;
    const root = roots[size] as Buffer;
    for (let i = 0; i < size; i++) {
      const proof = inclusionProof(leaves, i, size);
      expect(verifyInclusion(i, size, hashLeaf(Buffer.from(`leaf ${i}!`)), proof, root)).toBe(false);
    }
  });
});
