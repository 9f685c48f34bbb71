import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ArchiveRecord } from '../domain/record.js';
import { prepareBatches, prepareRecordObject, rawJsonOf, recordHash } from './import-prepare.js';

// A connector's record whose large attachment (handed over by path) cannot be read becomes a bad
// record naming the file, not a crash of the import.

const record = {
  source: 'wechat:wxid_owner0001', id: 'm1', time: '2026-03-01T10:00:00+08:00',
  conversation: { id: 'wxid_peer0001', type: 'direct' }, from: { id: 'wxid_peer0001' }, type: 'video',
};

describe('prepareRecordObject', () => {
  it('makes an unreadable on-disk attachment a bad record that names the file', () => {
    const out = prepareRecordObject(record, { line: 7, text: '{"row":1}', attachments: [{ name: 'big.mp4', path: '/nonexistent/wekeep/big.mp4' }], dedupKey: Buffer.alloc(32, 1) });
    expect(out).toEqual({ line: 7, reason: 'attachment big.mp4: cannot read /nonexistent/wekeep/big.mp4 (ENOENT)', content: '{"row":1}' });
  });

  it('hashes an in-memory attachment as before', () => {
    const out = prepareRecordObject(record, { line: 1, text: '', attachments: [{ name: 'a.bin', data: Buffer.from('abc') }], dedupKey: Buffer.alloc(32, 1) });
    expect('reason' in out).toBe(false);
    if ('reason' in out) return;
    expect(out.attachments[0]).toMatchObject({ name: 'a.bin', size: 3, sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' });
  });
});

describe('recordHash', () => {
  // The hash of every archived record must stay what it was: re-imports are told from conflicting
  // records by it. It splices the serialized raw payload into the JSON text; this is the definition.
  const reference = (r: ArchiveRecord, atts: readonly { name: string; mime?: string | undefined; sha256: string }[]): string =>
    createHash('sha256').update(JSON.stringify([
      r.source, r.id, r.seq ?? null, r.timeMs, r.conversation, r.from, r.to, r.type, r.text ?? null, r.recalls ?? null, r.call ?? null,
      r.fields ?? null, r.raw === undefined ? null : r.raw, atts.map((a) => [a.name, a.mime ?? null, a.sha256]),
    ])).digest('hex');

  it('is SHA-256 of the JSON array of the canonical fields, for any raw payload and attachments', () => {
    const person = fc.record({ id: fc.string({ minLength: 1 }), name: fc.option(fc.string(), { nil: undefined }) }, { requiredKeys: ['id'] });
    const record = fc.record({
      source: fc.string({ minLength: 1 }), id: fc.string({ minLength: 1 }), seq: fc.option(fc.integer({ min: 0 }), { nil: undefined }),
      timeMs: fc.integer({ min: 0, max: 4e12 }), conversation: fc.record({ id: fc.string({ minLength: 1 }), type: fc.constantFrom('direct', 'group') }),
      from: person, to: fc.array(person, { maxLength: 3 }), type: fc.constantFrom('text', 'image', 'other'),
      text: fc.option(fc.string(), { nil: undefined }), fields: fc.option(fc.dictionary(fc.string(), fc.jsonValue()), { nil: undefined }),
      raw: fc.option(fc.jsonValue(), { nil: undefined }),
    }, { requiredKeys: ['source', 'id', 'timeMs', 'conversation', 'from', 'to', 'type'] });
    const atts = fc.array(fc.record({ name: fc.string(), mime: fc.option(fc.string(), { nil: undefined }), sha256: fc.stringMatching(/^[0-9a-f]{64}$/) }), { maxLength: 3 });
    fc.assert(fc.property(record, atts, (r, a) => {
      const rec = r as unknown as ArchiveRecord;
      expect(recordHash(rec, a)).toBe(reference(rec, a));
      expect(recordHash(rec, a, rawJsonOf(rec))).toBe(reference(rec, a));
    }), { numRuns: 500 });
  });
});

describe('prepareBatches', () => {
  it('ends a batch at its record count, or earlier once its lines and attachments reach the byte bound', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wekeep-batches-'));
    try {
      const file = join(dir, 'in.ndjson');
      const line = (i: number, bytes: number) => JSON.stringify({
        source: 's', id: `m${i}`, time: 1_700_000_000_000 + i, conversation: { id: 'c', type: 'direct' }, from: { id: 'a' }, type: 'file',
        ...(bytes > 0 ? { attachments: [{ name: `f${i}.bin`, data: Buffer.alloc(bytes, i).toString('base64') }] } : {}),
      });
      // 6 small records, then 6 with 300 KB attachments (~700 KB of line + bytes each), then 3 small ones.
      writeFileSync(file, `${[...Array.from({ length: 6 }, (_, i) => line(i, 0)), ...Array.from({ length: 6 }, (_, i) => line(10 + i, 300_000)), ...Array.from({ length: 3 }, (_, i) => line(20 + i, 0))].join('\n')}\n`);
      const sizes: number[] = [];
      for await (const b of prepareBatches({ file, baseDir: dir, batchSize: 4, maxBatchBytes: 1024 * 1024, dedupKey: Buffer.alloc(32, 1) })) sizes.push(b.records.length);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(15);
      expect(sizes.slice(0, 2)).toEqual([4, 4]); // count-bound (the second batch takes 2 large records: ~1.4 MB)
      expect(Math.max(...sizes.slice(2, -1))).toBeLessThanOrEqual(2); // byte-bound while the large records pass
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('attachments by path', () => {
  it('reads files inside the NDJSON file\'s folder, and quarantines paths that lead outside it, by name or by symbolic link', async () => {
    const root = mkdtempSync(join(tmpdir(), 'wekeep-paths-'));
    try {
      const dir = join(root, 'export');
      mkdirSync(join(dir, 'media'), { recursive: true });
      mkdirSync(join(root, 'secret'));
      writeFileSync(join(root, 'secret', 'payroll.txt'), 'TOP SECRET payroll');
      writeFileSync(join(dir, 'media', 'ok.txt'), 'fine');
      symlinkSync(join(root, 'secret', 'payroll.txt'), join(dir, 'media', 'innocent.txt'));
      symlinkSync(join(root, 'secret'), join(dir, 'media', 'dirlink'));
      symlinkSync(join(dir, 'media', 'ok.txt'), join(dir, 'media', 'inside-link.txt'));
      const paths = ['media/ok.txt', 'media/innocent.txt', 'media/dirlink/payroll.txt', '../secret/payroll.txt', 'media/inside-link.txt'];
      const file = join(dir, 'in.ndjson');
      writeFileSync(file, `${paths.map((path, i) => JSON.stringify({ ...record, id: `p${i}`, type: 'file', attachments: [{ name: `f${i}.txt`, path }] })).join('\n')}\n`);
      const records: string[] = [];
      const bad: { line: number; reason: string }[] = [];
      for await (const b of prepareBatches({ file, baseDir: dir, batchSize: 10, dedupKey: Buffer.alloc(32, 1) })) {
        records.push(...b.records.map((r) => r.record.id));
        bad.push(...b.bad);
      }
      expect(records).toEqual(['p0', 'p4']);
      expect(bad.map((b) => b.line)).toEqual([2, 3, 4]);
      for (const b of bad) expect(b.reason).toMatch(/attachments\.0\.path: must stay inside the NDJSON file's folder/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
