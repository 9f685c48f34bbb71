import fc from 'fast-check';
import { compressBlock } from 'lz4js';
import { describe, expect, it } from 'vitest';
import { decodeLz4Block, Lz4Error } from './lz4-block.js';

/**
 * lz4js (an independent implementation) compresses; ours decompresses. lz4js gives up on
 * incompressible input (returns 0): the block is then one run of literals, as the format allows.
 */
function compress(data: Uint8Array): Buffer {
  const out = new Uint8Array(data.length + Math.ceil(data.length / 255) + 32);
  const n = compressBlock(data, out, 0, data.length, new Uint32Array(1 << 16));
  if (n > 0) return Buffer.from(out.subarray(0, n));
  const lengths: number[] = [];
  for (let rest = data.length - 15; data.length >= 15 && rest >= 0; rest -= 255) lengths.push(Math.min(rest, 255));
  return Buffer.concat([Buffer.from([Math.min(data.length, 15) << 4, ...lengths]), data]);
}

describe('LZ4 block decoding (CompressContent)', () => {
  it('decodes what an independent encoder produced', () => {
    const xml = Buffer.from(`<msg><appmsg><title>${'报价单'.repeat(50)}</title><type>5</type></appmsg></msg>`);
    const packed = compress(xml);
    expect(packed.length).toBeLessThan(xml.length);
    expect(decodeLz4Block(packed, 1 << 20).equals(xml)).toBe(true);
  });

  it('decodes a hand-assembled block with an overlapping match', () => {
    // token 0x34: 3 literals "abc", match length 4+4 = 8 at offset 3 → "abcabcabcab", then 1 literal "!".
    const block = Buffer.from([0x34, 0x61, 0x62, 0x63, 0x03, 0x00, 0x10, 0x21]);
    expect(decodeLz4Block(block, 100).toString()).toBe('abcabcabcab!');
  });

  it('refuses malformed blocks and output above the limit', () => {
    expect(() => decodeLz4Block(Buffer.from([0x50, 0x61]), 100)).toThrow(Lz4Error);
    expect(() => decodeLz4Block(Buffer.from([0x14, 0x61, 0x09, 0x00]), 100)).toThrow(/offset out of range/);
    expect(() => decodeLz4Block(compress(Buffer.alloc(4096)), 1000)).toThrow(/more than 1000 bytes/);
  });

  it('round-trips, and never throws anything but Lz4Error on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => {
        expect(decodeLz4Block(compress(data), 4096).equals(Buffer.from(data))).toBe(true);
      }),
    );
    expect(decodeLz4Block(compress(Buffer.from('x'.repeat(600))), 4096).toString()).toBe('x'.repeat(600));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (junk) => {
        try {
          decodeLz4Block(junk, 1 << 16);
        } catch (e) {
          expect(e).toBeInstanceOf(Lz4Error);
        }
      }),
    );
  });
});
