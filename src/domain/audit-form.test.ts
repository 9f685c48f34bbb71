import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditEventBytes, auditLeafHash, canonicalDetails, canonicalJson, signingKeyId, treeHeadBytes, type AuditLeafFields } from './audit-form.js';
import { hashLeaf } from './merkle.js';

const base: AuditLeafFields = { seq: 7, timeMs: 1_700_000_000_123, actor: 'cli:alice', action: 'message.view', subject: 'message:42', details: null };

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it('is independent of key insertion order', () => {
    const a = canonicalJson({ x: 1, y: 2, 中文: '合同', emoji: '😀' });
    const b = canonicalJson({ emoji: '😀', 中文: '合同', y: 2, x: 1 });
    expect(a).toBe(b);
  });

  it('omits undefined properties and keeps numbers as JSON writes them', () => {
    expect(canonicalJson({ a: undefined, b: -0, c: 1e21, d: 0.1 })).toBe('{"b":0,"c":1e+21,"d":0.1}');
  });

  it('rejects values JSON cannot represent faithfully', () => {
    for (const bad of [{ n: NaN }, { n: Infinity }, { d: new Date(0) }, { b: Buffer.from('x') }, { m: new Map() }, { f: () => 1 }, { big: 1n }, { arr: [undefined] }]) {
      expect(() => canonicalJson(bad)).toThrow(TypeError);
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/circular/);
  });

  it('accepts shared (non-cyclic) references', () => {
    const shared = { k: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"k":1},"b":{"k":1}}');
  });

  it('canonicalDetails maps absent details to null and requires an object', () => {
    expect(canonicalDetails(undefined)).toBeNull();
    expect(canonicalDetails(null)).toBeNull();
    expect(canonicalDetails({})).toBe('{}');
    expect(() => canonicalDetails([] as unknown as Record<string, unknown>)).toThrow(TypeError);
  });
});

describe('audit event form', () => {
  it('has a fixed, documented layout', () => {
    const details = canonicalDetails({ query: 'count', hits: 3 });
    const bytes = auditEventBytes({ ...base, details });
    expect(bytes.toString('utf8')).toBe('["wekeep-audit-v1",7,1700000000123,"cli:alice","message.view","message:42","{\\"hits\\":3,\\"query\\":\\"count\\"}"]');
    expect(auditLeafHash({ ...base, details }).equals(hashLeaf(bytes))).toBe(true);
    expect(auditLeafHash({ ...base, details }).equals(createHash('sha256').update(Buffer.from([0])).update(bytes).digest())).toBe(true);
  });

  it('encodes as UTF-8, including CJK and astral characters', () => {
    const bytes = auditEventBytes({ ...base, actor: 'cli:王小明', subject: '会话😀' });
    expect(bytes.includes(Buffer.from('王小明', 'utf8'))).toBe(true);
    expect(bytes.includes(Buffer.from('😀', 'utf8'))).toBe(true);
  });

  it('changes when any field changes', () => {
    const h = auditLeafHash(base).toString('hex');
    const variants: AuditLeafFields[] = [
      { ...base, seq: 8 },
      { ...base, timeMs: base.timeMs + 1 },
      { ...base, actor: 'cli:bob' },
      { ...base, action: 'message.export' },
      { ...base, subject: null },
      { ...base, subject: 'message:43' },
      { ...base, details: '{}' },
      { ...base, details: 'null' },
    ];
    const seen = new Set([h]);
    for (const v of variants) seen.add(auditLeafHash(v).toString('hex'));
    expect(seen.size).toBe(variants.length + 1);
  });

  it('cannot be confused by separators inside fields', () => {
    const a = auditEventBytes({ ...base, actor: 'a","b', action: 'c' });
    const b = auditEventBytes({ ...base, actor: 'a', action: 'b","c' });
    expect(a.equals(b)).toBe(false);
  });

  it('rejects a bad seq or time', () => {
    expect(() => auditEventBytes({ ...base, seq: -1 })).toThrow(TypeError);
    expect(() => auditEventBytes({ ...base, seq: 1.5 })).toThrow(TypeError);
    expect(() => auditEventBytes({ ...base, timeMs: Number.NaN })).toThrow(TypeError);
  });
});

describe('tree head form', () => {
  it('is four lines with the lowercase root', () => {
    const root = Buffer.alloc(32, 0xab);
    expect(treeHeadBytes({ size: 12, rootHash: root, timeMs: 1_700_000_000_000 }).toString('utf8')).toBe(`wekeep-sth-v1\n12\n${'ab'.repeat(32)}\n1700000000000\n`);
    expect(() => treeHeadBytes({ size: 1, rootHash: Buffer.alloc(31), timeMs: 0 })).toThrow(TypeError);
    expect(() => treeHeadBytes({ size: -1, rootHash: root, timeMs: 0 })).toThrow(TypeError);
  });

  it('gives a stable key id per public key', () => {
    const a = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
    const b = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
    expect(signingKeyId(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(signingKeyId(a)).toBe(signingKeyId(Buffer.from(a)));
    expect(signingKeyId(a)).not.toBe(signingKeyId(b));
  });
});
