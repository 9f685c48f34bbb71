import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeSegment, encodeSegment, parseBucket, readSegmentHeader, SEGMENT_CHUNK_SIZE, SegmentError, segmentKeys, serializeBucket,
  type BucketContent, type SegmentHeader,
} from './segment-format.js';

const header: SegmentHeader = { format: 'wekeep-backup-segment', version: 1, backupId: 'b1', bucket: '1:2:2026-03', generation: 1, keyName: 'backup-bucket:1:2:2026-03:g1', writtenAt: 1 };

function content(messages = 3, text = '合同草稿 contract draft'): BucketContent {
  return {
    columns: { conversations: ['id', 'title'], persons: ['id', 'name', 'directory_updated_at'], messages: ['id', 'text', 'record_hash'], attachments: ['message_id', 'blob_id'], blobs: ['id', 'scan_status'] },
    conversations: [[2, '销售部']],
    persons: [[7, '张三', 100]],
    messages: Array.from({ length: messages }, (_, i) => [1000 + i, `${text} ${i}`, Buffer.from([i, 1, 2])]),
    attachments: [[1000, 'ab'.repeat(32)]],
    blobs: [{ row: ['ab'.repeat(32), 'clean'], dek: randomBytes(32) }],
  };
}

const join = (parts: Buffer[]): Buffer => Buffer.concat(parts);

describe('backup segments', () => {
  const key = randomBytes(32);
  const sub = segmentKeys(key);

  it('round-trips every row kind, bytes included', () => {
    const c = content();
    const { plain } = serializeBucket(c, sub.mac);
    const file = join(encodeSegment(sub.enc, header, plain));
    const back = decodeSegment(sub.enc, file);
    expect(back.header).toEqual(header);
    const parsed = parseBucket(back.plain);
    expect(parsed.columns).toEqual(c.columns);
    expect(parsed.messages).toEqual(c.messages);
    expect(parsed.persons).toEqual(c.persons);
    expect(parsed.conversations).toEqual(c.conversations);
    expect(parsed.attachments).toEqual(c.attachments);
    expect(parsed.blobs[0]!.dek.equals(c.blobs[0]!.dek)).toBe(true);
  });

  it('keeps no plaintext in the file', () => {
    const file = join(encodeSegment(sub.enc, header, serializeBucket(content(), sub.mac).plain));
    expect(file.includes(Buffer.from('合同草稿'))).toBe(false);
    expect(file.includes(Buffer.from('contract'))).toBe(false);
    expect(file.includes(Buffer.from('张三'))).toBe(false);
  });

  it('spans several chunks for big buckets', () => {
    const big = content(200, 'x'.repeat(20_000) + randomBytes(2000).toString('hex'));
    const { plain } = serializeBucket(big, sub.mac);
    expect(plain.length).toBeGreaterThan(3 * SEGMENT_CHUNK_SIZE);
    const back = decodeSegment(sub.enc, join(encodeSegment(sub.enc, header, plain)));
    expect(back.plain.equals(plain)).toBe(true);
  });

  it('fingerprints ignore volatile person columns; the records digest only sees records', () => {
    const a = content();
    const b = content();
    b.blobs[0]!.dek = a.blobs[0]!.dek;
    b.persons[0]![2] = 999;
    const fa = serializeBucket(a, sub.mac, { persons: ['directory_updated_at'] });
    const fb = serializeBucket(b, sub.mac, { persons: ['directory_updated_at'] });
    expect(fb.fingerprint).toBe(fa.fingerprint);
    expect(serializeBucket(b, sub.mac).fingerprint).not.toBe(serializeBucket(a, sub.mac).fingerprint);
    b.persons[0]![1] = '李四';
    const fc = serializeBucket(b, sub.mac, { persons: ['directory_updated_at'] });
    expect(fc.fingerprint).not.toBe(fa.fingerprint);
    expect(fc.recordsDigest).toBe(fa.recordsDigest);
    b.messages[0]![1] = 'changed';
    expect(serializeBucket(b, sub.mac).recordsDigest).not.toBe(fa.recordsDigest);
    // keyed: another bucket key gives other digests
    expect(serializeBucket(a, segmentKeys(randomBytes(32)).mac).fingerprint).not.toBe(fa.fingerprint);
  });

  describe('detects damage and the wrong key', () => {
    const plain = serializeBucket(content(120, 'y'.repeat(30_000) + randomBytes(3000).toString('hex')), sub.mac).plain;
    const parts = encodeSegment(sub.enc, header, plain);
    const file = join(parts);
    const bodyOffset = readSegmentHeader(file).bodyOffset;
    const fails = (f: Buffer, k = sub.enc): void => {
      expect(() => decodeSegment(k, f)).toThrow(SegmentError);
    };

    it('wrong key', () => fails(file, segmentKeys(randomBytes(32)).enc));
    it('a flipped byte in a chunk', () => {
      const f = Buffer.from(file);
      f[bodyOffset + 40] = f[bodyOffset + 40]! ^ 1;
      fails(f);
    });
    it('an edited header', () => {
      const f = Buffer.from(file.toString('latin1').replace('"generation":1', '"generation":2'), 'latin1');
      fails(f);
    });
    it('truncation at a chunk boundary and inside a chunk', () => {
      const chunkCount = (parts.length - 3) / 2;
      expect(chunkCount).toBeGreaterThan(1);
      const firstChunkEnd = bodyOffset + 4 + parts[4]!.length;
      fails(file.subarray(0, firstChunkEnd));
      fails(file.subarray(0, file.length - 10));
    });
    it('appended bytes and reordered chunks', () => {
      fails(Buffer.concat([file, Buffer.from([0, 0, 0, 1, 7])]));
      const reordered = Buffer.concat([parts[0]!, parts[1]!, parts[2]!, parts[5]!, parts[6]!, parts[3]!, parts[4]!, ...parts.slice(7)]);
      fails(reordered);
    });
  });
});
