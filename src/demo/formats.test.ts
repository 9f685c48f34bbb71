import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { checkAmr, checkJpeg, checkMp4, checkPdf, checkPng, checkSilk, checkZip } from './file-checks.js';
import { AC_CHROMA, AC_LUMA, buildAmr, buildDocx, buildPdf, buildSilk, buildXlsx, crc32, encodeJpeg, encodeMp4, encodePng, withJpegComment, withMp4Note, withPngText } from './formats.js';
import { MediaFactory } from './media.js';
import { chineseUppercaseAmount } from './phrases.js';
import { Rng } from './prng.js';

function gradient(w: number, h: number, channels: number): Uint8Array {
  const px = new Uint8Array(w * h * channels);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * channels;
      px[o] = (x * 255) / w;
      px[o + 1] = (y * 255) / h;
      px[o + 2] = 128;
      if (channels === 4) px[o + 3] = 200;
    }
  }
  return px;
}

const tmp = mkdtempSync(join(tmpdir(), 'wekeep-formats-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * ffmpeg, a real decoder to confirm the images and videos (Debian's package, which .ci/run installs
 * because voice notes need it too). Outside CI a machine without it skips these checks; under
 * CI=true they run and fail, never skip.
 */
function ffmpeg(): boolean {
  if (process.env.CI === 'true') return true;
  try {
    execFileSync('ffprobe', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });
});

describe('PNG', () => {
  it('writes signature, IHDR, IDAT, IEND with valid CRCs and the right pixels', () => {
    const px = gradient(13, 7, 3);
    const png = encodePng(13, 7, px, false);
    expect(checkPng(png)).toEqual([]);
    expect(png.readUInt32BE(16)).toBe(13);
    expect(png.readUInt32BE(20)).toBe(7);
    // Undo the Sub filter and compare with the input.
    const idatLen = png.readUInt32BE(33);
    const raw = inflateSync(png.subarray(41, 41 + idatLen));
    const stride = 13 * 3;
    for (let y = 0; y < 7; y++) {
      expect(raw[y * (stride + 1)]).toBe(1);
      for (let x = 0; x < stride; x++) {
        const left = x >= 3 ? (px[y * stride + x - 3] as number) : 0;
        expect(((raw[y * (stride + 1) + 1 + x] as number) + left) & 0xff).toBe(px[y * stride + x]);
      }
    }
  });

  it('keeps a valid file when a tEXt chunk is added, and RGBA works', () => {
    const png = withPngText(encodePng(8, 8, gradient(8, 8, 4), true), 'Comment', 'Screenshot_20260301_093012.png');
    expect(checkPng(png)).toEqual([]);
    expect(png.includes(Buffer.from('tEXtComment\0Screenshot'))).toBe(true);
  });

  it('detects a corrupted chunk', () => {
    const png = encodePng(8, 8, gradient(8, 8, 3), false);
    png[40] = (png[40] as number) ^ 0xff;
    expect(checkPng(png)).not.toEqual([]);
  });
});

describe('JPEG', () => {
  it('uses complete Huffman tables (every run/size symbol, no duplicates)', () => {
    for (const t of [AC_LUMA, AC_CHROMA]) {
      expect(t.values.length).toBe(162);
      expect(t.bits.reduce((a, b) => a + b, 0)).toBe(162);
      expect(new Set(t.values).size).toBe(162);
      const want = [0x00, 0xf0];
      for (let r = 0; r < 16; r++) for (let s = 1; s <= 10; s++) want.push((r << 4) | s);
      expect([...t.values].sort((a, b) => a - b)).toEqual(want.sort((a, b) => a - b));
    }
  });

  it('writes SOI, APP0, DQT, SOF0, DHT, SOS, stuffed scan data and EOI, also for sizes not a multiple of 8', () => {
    for (const [w, h] of [[8, 8], [17, 9], [96, 72]] as const) {
      const jpg = encodeJpeg(w, h, gradient(w, h, 3), 75);
      expect(checkJpeg(jpg)).toEqual([]);
      const sof = jpg.indexOf(Buffer.from([0xff, 0xc0]));
      expect(jpg.readUInt16BE(sof + 5)).toBe(h);
      expect(jpg.readUInt16BE(sof + 7)).toBe(w);
    }
  });

  it('keeps a valid file with a COM segment', () => {
    const jpg = withJpegComment(encodeJpeg(16, 16, gradient(16, 16, 3)), 'IMG_20260301_093012.jpg');
    expect(checkJpeg(jpg)).toEqual([]);
    expect(jpg[20]).toBe(0xff);
    expect(jpg[21]).toBe(0xfe);
  });

  it.skipIf(!ffmpeg())('decodes with ffmpeg to the encoded size and about the encoded colours', () => {
    const w = 24;
    const h = 16;
    const px = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) px.set([200, 40, 60], i * 3);
    const file = join(tmp, 'solid.jpg');
    writeFileSync(file, encodeJpeg(w, h, px, 90));
    const probe = execFileSync('ffprobe', ['-v', 'error', '-show_streams', file]).toString();
    expect(probe).toContain('codec_name=mjpeg');
    expect(probe).toContain(`width=${w}`);
    expect(probe).toContain(`height=${h}`);
    const rgb = execFileSync('ffmpeg', ['-v', 'error', '-xerror', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
    expect(rgb.length).toBe(w * h * 3);
    const at = (5 * w + 5) * 3;
    const [r, g, b] = [rgb[at]!, rgb[at + 1]!, rgb[at + 2]!];
    expect(Math.abs(r - 200) + Math.abs(g - 40) + Math.abs(b - 60)).toBeLessThan(20);
  });
});

describe('PDF', () => {
  it('has a header, exact xref offsets, stream lengths and a trailer', () => {
    const pdf = buildPdf({ title: 'Quotation (QT202603001)', creationDate: "D:20260301093012+08'00'", pages: [{ heading: 'Quotation', lines: ['Amount: CNY 12,800.00', 'Back\\slash and (parens)', '中文 becomes ?'] }, { heading: 'Page 2', lines: [] }] });
    expect(checkPdf(pdf)).toEqual([]);
    expect(pdf.toString('latin1')).toContain('/Count 2');
  });
});

describe('ZIP / OOXML', () => {
  it('builds .xlsx and .docx packages whose entries and CRCs check out', () => {
    const date = new Date(Date.UTC(2026, 2, 1, 9, 30));
    const xlsx = buildXlsx('报价', [['品名', '数量', '单价'], ['智能网关 HG-200', 20, 2680.5]], date);
    expect(checkZip(xlsx, ['[Content_Types].xml', 'xl/workbook.xml', 'xl/worksheets/sheet1.xml'])).toEqual([]);
    expect(xlsx.toString('utf8')).toContain('<c r="C2"><v>2680.5</v></c>');
    const docx = buildDocx(['销售合同', '第一条 <产品> & 价格'], date);
    expect(checkZip(docx, ['word/document.xml'])).toEqual([]);
    expect(docx.toString('utf8')).toContain('第一条 &lt;产品&gt; &amp; 价格');
  });
});

describe('voice', () => {
  it('AMR: magic and whole 13-byte MR475 frames; SILK: magic and length-prefixed frames', () => {
    const rng = new Rng('voice');
    const fill = (b: Uint8Array, s: number, e: number): void => {
      rng.fill(b, s, e);
    };
    const amr = buildAmr(2, fill);
    expect(amr.length).toBe(6 + 100 * 13);
    expect(checkAmr(amr)).toEqual([]);
    const silk = buildSilk(1.5, fill);
    expect(checkSilk(silk)).toEqual([]);
    expect(silk.subarray(0, 10).toString('latin1')).toBe('\x02#!SILK_V3');
  });
});

describe('MP4 (H.264 I_PCM)', () => {
  const frames = Array.from({ length: 4 }, (_, f) => {
    const px = gradient(32, 16, 3);
    for (let i = f * 40; i < f * 40 + 30; i++) px[i] = 250;
    return px;
  });

  it('has ftyp, moov and mdat with a sample table that matches, also with a trailing note', () => {
    const mp4 = encodeMp4(32, 16, frames, 3);
    expect(checkMp4(mp4)).toEqual([]);
    expect(checkMp4(withMp4Note(mp4, 'VID_20260301_093012.mp4'))).toEqual([]);
    expect(mp4.includes(Buffer.from('avcC'))).toBe(true);
    expect(() => encodeMp4(30, 16, frames, 3)).toThrow();
  });

  it.skipIf(!ffmpeg())('decodes with ffmpeg: H.264 Constrained Baseline, all frames', () => {
    const file = join(tmp, 'clip.mp4');
    writeFileSync(file, withMp4Note(encodeMp4(32, 16, frames, 3), 'note'));
    const probe = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', file]).toString();
    expect(probe).toContain('codec_name=h264');
    expect(probe).toContain('width=32');
    expect(probe).toContain('nb_read_frames=4');
    const rgb = execFileSync('ffmpeg', ['-v', 'error', '-xerror', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
    expect(rgb.length).toBe(4 * 32 * 16 * 3);
  });
});

describe('MediaFactory', () => {
  it('makes valid images and stickers, reusing pool items byte for byte', () => {
    const m = new MediaFactory(new Rng('media-test'));
    let pooled = 0;
    for (let i = 0; i < 60; i++) {
      const img = m.image('20260301_093012', i % 2 === 0);
      expect(img.mime === 'image/png' ? checkPng(img.bytes) : checkJpeg(img.bytes)).toEqual([]);
      if (img.pooled) pooled++;
    }
    expect(pooled).toBeGreaterThan(0);
    const a = m.sticker();
    const stickers = Array.from({ length: 30 }, () => m.sticker());
    expect(stickers.some((s) => s.bytes.equals(a.bytes))).toBe(true);
    expect(checkPng(a.bytes)).toEqual([]);
    expect(checkZip(m.pooledDoc(2).bytes)).toEqual([]);
  });
});

describe('chineseUppercaseAmount', () => {
  it('writes amounts the way invoices do', () => {
    expect(chineseUppercaseAmount(12800)).toBe('壹万贰仟捌佰元整');
    expect(chineseUppercaseAmount(100)).toBe('壹佰元整');
    expect(chineseUppercaseAmount(1005)).toBe('壹仟零伍元整');
    expect(chineseUppercaseAmount(100000)).toBe('壹拾万元整');
    expect(chineseUppercaseAmount(2030400)).toBe('贰佰零叁万零肆佰元整');
    expect(chineseUppercaseAmount(0)).toBe('零元整');
  });
});
