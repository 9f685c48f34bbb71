import { encode as encodeSilk } from 'silk-wasm';
import { buildAmr, buildDocx, encodeJpeg, encodeMp4, encodePng } from '../../../src/demo/formats.js';
import { prng } from '../prng.js';

/**
 * Real media for the personal-WeChat fixtures, made in code:
 * - SILK: speech-band PCM (a gliding tone) encoded by silk-wasm, Tencent's SILK codec compiled to
 *   WebAssembly; its output starts with WeChat's 0x02 byte before `#!SILK_V3`.
 * - AMR-NB: Debian's ffmpeg has no AMR encoder (libopencore_amrnb is decode-only there), so the
 *   file is assembled frame by frame (`buildAmr`: the `#!AMR\n` header and 4.75 kbit/s frames with
 *   seeded pseudo-random speech bits), which ffmpeg's decoder plays as noise of the right length.
 * - JPEG/PNG: WeKeep's own encoders (src/demo/formats.ts); GIF: the classic 1×1 GIF89a, 43 bytes;
 *   MP4: H.264 with uncompressed macroblocks (`encodeMp4`); DOCX: a minimal Word document.
 * - `.dat`: an image XOR-ed with one byte, as PC WeChat stores it.
 */

/** PCM s16le mono at 24 kHz: a tone gliding 300 → 600 Hz, `seconds` long. */
export function speechPcm(seconds: number): Buffer {
  const rate = 24_000;
  const n = Math.round(seconds * rate);
  const pcm = Buffer.alloc(n * 2);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    phase += (2 * Math.PI * (300 + (300 * i) / n)) / rate;
    pcm.writeInt16LE(Math.round(8000 * Math.sin(phase)), i * 2);
  }
  return pcm;
}

export async function silkVoice(seconds: number): Promise<Buffer> {
  return Buffer.from((await encodeSilk(speechPcm(seconds), 24_000)).data);
}

export function amrVoice(seconds: number, seed = 7): Buffer {
  const rnd = prng(seed);
  return buildAmr(seconds, (buf, start, end) => {
    for (let i = start; i < end; i++) buf[i] = Math.floor(rnd() * 256);
  });
}

export function jpegImage(seed = 1): Buffer {
  const rnd = prng(seed);
  const rgb = new Uint8Array(16 * 16 * 3).map(() => Math.floor(rnd() * 256));
  return encodeJpeg(16, 16, rgb, 80);
}

export function pngImage(): Buffer {
  return encodePng(4, 4, new Uint8Array(4 * 4 * 3).map((_, i) => (i * 37) % 256), false);
}

export const GIF_1X1 = Buffer.concat([
  Buffer.from('GIF89a', 'latin1'),
  Buffer.from([0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00]), // 1×1, a 2-colour global table
  Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff, 0xff]), // black, white
  Buffer.from([0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]), // image descriptor
  Buffer.from([0x02, 0x02, 0x44, 0x01, 0x00]), // LZW code size 2, one data block, end
  Buffer.from([0x3b]), // trailer
]);

export function mp4Video(): Buffer {
  const frame = (v: number) => new Uint8Array(16 * 16 * 3).fill(v);
  return encodeMp4(16, 16, [frame(40), frame(120), frame(200)], 3);
}

export function docxFile(): Buffer {
  return buildDocx(['采购合同', '第一条 标的'], new Date(Date.UTC(2026, 2, 1)));
}

/** PC WeChat's `.dat`: every byte XOR-ed with `key`. */
export function xorDat(image: Uint8Array, key: number): Buffer {
  return Buffer.from(image.map((b) => b ^ key));
}
