import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeProto, fileMedia, IN_MEMORY_MEDIA_BYTES, readFirstFile, epochToMs, idString, ProtoError, protoMd5, protoMessage, protoString, sniffMime, splitGroupSender } from './reader-kit.js';

// Protobuf bytes written out by hand (tag = field << 3 | wire type).
const bytes = (...b: number[]): Buffer => Buffer.from(b);

describe('decodeProto', () => {
  it('reads varints (beyond 2^53), strings, nested messages and fixed fields', () => {
    // 1: 150 (varint 96 01), 2: "hi", 3: { 4: "abc" }, 5: fixed32, 6: 2^63-1
    const buf = Buffer.concat([
      bytes(0x08, 0x96, 0x01), bytes(0x12, 0x02, 0x68, 0x69), bytes(0x1a, 0x05, 0x22, 0x03, 0x61, 0x62, 0x63), bytes(0x2d, 1, 2, 3, 4),
      bytes(0x30, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f),
    ]);
    const f = decodeProto(buf);
    expect(f.map((x) => [x.field, x.wire])).toEqual([[1, 0], [2, 2], [3, 2], [5, 5], [6, 0]]);
    expect(f[0]!.varint).toBe(150n);
    expect(protoString(f, 2)).toBe('hi');
    expect(protoString(protoMessage(f, 3)!, 4)).toBe('abc');
    expect(f[4]!.varint).toBe(9223372036854775807n);
  });

  it('refuses truncated and malformed input without quoting it', () => {
    expect(() => decodeProto(bytes(0x12, 0x05, 0x68))).toThrow(ProtoError);
    expect(() => decodeProto(bytes(0x08, 0xff))).toThrow(/truncated varint/);
    expect(() => decodeProto(bytes(0x0b))).toThrow(/unsupported wire type 3/);
    expect(() => decodeProto(bytes(0x00, 0x01))).toThrow(/field number 0/);
  });

  it('finds an md5 among a message\'s strings', () => {
    const md5 = 'a3f1c2d4e5b60718293a4b5c6d7e8f90';
    const inner = Buffer.concat([bytes(0x08, 0x01), bytes(0x22, 32), Buffer.from(md5)]);
    expect(protoMd5(decodeProto(inner))).toBe(md5);
    expect(protoMd5(decodeProto(bytes(0x12, 0x02, 0x68, 0x69)))).toBeUndefined();
  });
});

describe('small readers', () => {
  it('splits the group sender prefix only when it looks like an id', () => {
    expect(splitGroupSender('wxid_abc123:\n你好')).toEqual({ sender: 'wxid_abc123', body: '你好' });
    expect(splitGroupSender('12345@chatroom:\n<msg/>')).toEqual({ sender: '12345@chatroom', body: '<msg/>' });
    expect(splitGroupSender('注意 事项:\n第一条')).toBeUndefined();
    expect(splitGroupSender('no prefix')).toBeUndefined();
  });

  it('tells epoch seconds from milliseconds by magnitude', () => {
    expect(epochToMs(1772413200)).toBe(1772413200000);
    expect(epochToMs(1772413200123)).toBe(1772413200123);
  });

  it('turns integer columns into exact decimal ids, 0 meaning none', () => {
    expect(idString(7100000000000000001n)).toBe('7100000000000000001');
    expect(idString(0n)).toBeUndefined();
    expect(idString(42)).toBe('42');
    expect(idString(null)).toBeUndefined();
    expect(idString('0')).toBeUndefined();
  });

  it('sniffs media types by magic bytes', () => {
    expect(sniffMime(bytes(0xff, 0xd8, 0xff, 0xe0))).toBe('image/jpeg');
    expect(sniffMime(Buffer.concat([bytes(0, 0, 0, 0x18), Buffer.from('ftypisom')]))).toBe('video/mp4');
    expect(sniffMime(Buffer.from('%PDF-1.4'))).toBe('application/pdf');
    expect(sniffMime(Buffer.from('plain'))).toBeUndefined();
  });
});

describe('media files', () => {
  it('reads small files into memory and hands large ones over by path, whatever their size', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wekeep-reader-kit-'));
    try {
      const small = join(dir, 'small.pdf');
      writeFileSync(small, '%PDF-1.7 small');
      const found = readFirstFile([join(dir, 'absent'), small]);
      expect(found).toEqual({ path: small, data: Buffer.from('%PDF-1.7 small') });
      expect(fileMedia(found!, 'a.pdf')).toEqual({ name: 'a.pdf', mime: 'application/pdf', data: Buffer.from('%PDF-1.7 small') });
      // 300 MiB (sparse: nothing is written or read): over the old 256 MiB limit, attached by path.
      const big = join(dir, 'big.mp4');
      writeFileSync(big, Buffer.from('\u0000\u0000\u0000\u0018ftypmp42', 'latin1'));
      const fd = openSync(big, 'r+');
      ftruncateSync(fd, 300 * 1024 * 1024);
      closeSync(fd);
      const large = readFirstFile([big]);
      expect(large).toEqual({ path: big, size: 300 * 1024 * 1024, large: true });
      expect(fileMedia(large!, 'v.mp4', 'video/mp4')).toEqual({ name: 'v.mp4', mime: 'video/mp4', path: big });
      expect(300 * 1024 * 1024).toBeGreaterThan(IN_MEMORY_MEDIA_BYTES);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
