import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeJpeg, encodePng } from '../../demo/formats.js';
import { decodeDatImage } from './dat-image.js';

const xor = (data: Uint8Array, key: number): Buffer => Buffer.from(data.map((b) => b ^ key));

describe('PC WeChat .dat images', () => {
  const jpeg = encodeJpeg(8, 8, new Uint8Array(8 * 8 * 3).fill(200));
  const png = encodePng(2, 2, new Uint8Array(2 * 2 * 3).fill(90), false);
  const gif = Buffer.from('R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=', 'base64');

  it('recovers the XOR key from the JPEG, PNG and GIF signatures', () => {
    expect(decodeDatImage(xor(jpeg, 0x5a))).toEqual({ data: jpeg, mime: 'image/jpeg', ext: 'jpg', key: 0x5a });
    expect(decodeDatImage(xor(png, 0xc3))).toEqual({ data: png, mime: 'image/png', ext: 'png', key: 0xc3 });
    expect(decodeDatImage(xor(gif, 0x01))).toEqual({ data: gif, mime: 'image/gif', ext: 'gif', key: 0x01 });
    expect(decodeDatImage(jpeg)?.key).toBe(0);
  });

  it('returns undefined when no signature matches (an encrypted newer .dat, or anything else)', () => {
    expect(decodeDatImage(Buffer.from([0x07, 0x08, 0x56, 0x32, 0x08, 0x07, 1, 2, 3]))).toBeUndefined();
    expect(decodeDatImage(Buffer.alloc(0))).toBeUndefined();
    expect(decodeDatImage(Buffer.from([0xff, 0xd8]))).toBeUndefined();
  });

  it('round-trips any payload behind a signature under any key', () => {
    const magic = fc.constantFrom([0xff, 0xd8, 0xff], [0x89, 0x50, 0x4e, 0x47], [0x47, 0x49, 0x46, 0x38]);
    fc.assert(
      fc.property(magic, fc.uint8Array({ maxLength: 512 }), fc.integer({ min: 0, max: 255 }), (m, payload, key) => {
        const plain = Buffer.concat([Buffer.from(m), payload]);
        const decoded = decodeDatImage(xor(plain, key));
        expect(decoded?.data.equals(plain)).toBe(true);
        expect(decoded?.key).toBe(key);
      }),
    );
  });
});
