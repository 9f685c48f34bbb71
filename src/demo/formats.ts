import { deflateSync } from 'node:zlib';

/**
 * Writers for small but real files, built from their published structures: PNG, baseline JPEG,
 * PDF (with a correct cross-reference table), ZIP (stored), and the minimal OOXML packages that
 * make an .xlsx or .docx open in an office suite. Used by the demo corpus generator.
 */

// ---------------------------------------------------------------------------------------------
// CRC-32 (IEEE 802.3, as PNG and ZIP use it)

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Uint8Array, start = 0, end = buf.length, seed = 0): number {
  let c = (seed ^ 0xffffffff) >>> 0;
  for (let i = start; i < end; i++) c = (CRC_TABLE[(c ^ (buf[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// PNG

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function pngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out, 4, 8 + data.length), 8 + data.length);
  return out;
}

/** Encodes 8-bit RGB (3 bytes a pixel) or RGBA (4 bytes a pixel) pixels as a PNG. */
export function encodePng(width: number, height: number, pixels: Uint8Array, alpha: boolean): Buffer {
  const bpp = alpha ? 4 : 3;
  if (pixels.length !== width * height * bpp) throw new Error('pixel buffer size does not match the image size');
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = alpha ? 6 : 2; // colour type: truecolour (+alpha)
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // no interlace
  const stride = width * bpp;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    // Filter type 1 (Sub) on every row: compresses flat screenshots well.
    const o = y * (stride + 1);
    raw[o] = 1;
    for (let x = 0; x < stride; x++) {
      const cur = pixels[y * stride + x] as number;
      const left = x >= bpp ? (pixels[y * stride + x - bpp] as number) : 0;
      raw[o + 1 + x] = (cur - left) & 0xff;
    }
  }
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(raw, { level: 9 })), pngChunk('IEND', new Uint8Array(0))]);
}

/** Copy of a PNG with a `tEXt` chunk (Latin-1 keyword and text) placed before IEND. */
export function withPngText(png: Buffer, keyword: string, text: string): Buffer {
  const data = Buffer.from(`${keyword}\0${text}`, 'latin1');
  const iendAt = png.length - 12;
  return Buffer.concat([png.subarray(0, iendAt), pngChunk('tEXt', data), png.subarray(iendAt)]);
}

// ---------------------------------------------------------------------------------------------
// Baseline JPEG (sequential DCT, Huffman, 8-bit, YCbCr 4:4:4), tables from ITU-T T.81 Annex K.

const LUMA_Q = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
  18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMA_Q = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
  ...new Array<number>(32).fill(99),
];

export interface HuffmanSpec {
  bits: readonly number[]; // 16 counts: how many codes of each length 1..16
  values: readonly number[];
}

const DC_LUMA: HuffmanSpec = { bits: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] };
const DC_CHROMA: HuffmanSpec = { bits: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] };
export const AC_LUMA: HuffmanSpec = {
  bits: [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
  values: [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08,
    0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
    0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
    0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
    0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
    0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
  ],
};
export const AC_CHROMA: HuffmanSpec = {
  bits: [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
  values: [
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91,
    0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
    0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58,
    0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
    0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4,
    0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
    0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
  ],
};

/** ZIGZAG[k] = natural (row-major) index of the k-th coefficient in zig-zag order. */
const ZIGZAG: number[] = (() => {
  const out: number[] = [];
  for (let s = 0; s <= 14; s++) {
    const cells: number[] = [];
    for (let r = Math.max(0, s - 7); r <= Math.min(7, s); r++) cells.push(r * 8 + (s - r));
    // Even diagonals run bottom-left → top-right (row decreasing), odd ones the other way.
    if (s % 2 === 0) cells.reverse();
    out.push(...cells);
  }
  return out;
})();

interface HuffCode {
  code: Uint16Array;
  size: Uint8Array;
}

function huffmanCodes(spec: HuffmanSpec): HuffCode {
  const code = new Uint16Array(256);
  const size = new Uint8Array(256);
  let c = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = spec.bits[len - 1] as number;
    for (let i = 0; i < n; i++) {
      const v = spec.values[k++] as number;
      code[v] = c++;
      size[v] = len;
    }
    c <<= 1;
  }
  return { code, size };
}

const CODES = {
  dcL: huffmanCodes(DC_LUMA),
  dcC: huffmanCodes(DC_CHROMA),
  acL: huffmanCodes(AC_LUMA),
  acC: huffmanCodes(AC_CHROMA),
};

const COS = (() => {
  const t = new Float64Array(64);
  for (let x = 0; x < 8; x++) for (let u = 0; u < 8; u++) t[x * 8 + u] = Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  return t;
})();

class BitWriter {
  private bytes: number[] = [];
  private acc = 0;
  private n = 0;

  write(value: number, size: number): void {
    for (let i = size - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >>> i) & 1);
      this.n++;
      if (this.n === 8) {
        this.bytes.push(this.acc);
        if (this.acc === 0xff) this.bytes.push(0x00); // byte stuffing
        this.acc = 0;
        this.n = 0;
      }
    }
  }

  finish(): number[] {
    if (this.n > 0) this.write((1 << (8 - this.n)) - 1, 8 - this.n); // pad with 1-bits
    return this.bytes;
  }
}

function scaledTable(base: readonly number[], quality: number): number[] {
  const q = Math.min(100, Math.max(1, quality));
  const scale = q < 50 ? 5000 / q : 200 - q * 2;
  return base.map((v) => Math.min(255, Math.max(1, Math.floor((v * scale + 50) / 100))));
}

function segment(marker: number, payload: number[]): number[] {
  const len = payload.length + 2;
  return [0xff, marker, len >> 8, len & 0xff, ...payload];
}

function dhtPayload(tableClassId: number, spec: HuffmanSpec): number[] {
  return [tableClassId, ...spec.bits, ...spec.values];
}

/** Encodes 8-bit RGB pixels as a baseline JFIF JPEG. */
export function encodeJpeg(width: number, height: number, rgb: Uint8Array, quality = 75): Buffer {
  if (rgb.length !== width * height * 3) throw new Error('pixel buffer size does not match the image size');
  const qL = scaledTable(LUMA_Q, quality);
  const qC = scaledTable(CHROMA_Q, quality);
  const head: number[] = [0xff, 0xd8];
  head.push(...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]));
  head.push(...segment(0xdb, [0x00, ...ZIGZAG.map((i) => qL[i] as number), 0x01, ...ZIGZAG.map((i) => qC[i] as number)]));
  head.push(...segment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1]));
  head.push(...segment(0xc4, [...dhtPayload(0x00, DC_LUMA), ...dhtPayload(0x10, AC_LUMA), ...dhtPayload(0x01, DC_CHROMA), ...dhtPayload(0x11, AC_CHROMA)]));
  head.push(...segment(0xda, [3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]));

  const bw = new BitWriter();
  const block = new Float64Array(64);
  const tmp = new Float64Array(64);
  const prevDc = [0, 0, 0];
  for (let by = 0; by < height; by += 8) {
    for (let bx = 0; bx < width; bx += 8) {
      for (let comp = 0; comp < 3; comp++) {
        for (let y = 0; y < 8; y++) {
          const py = Math.min(height - 1, by + y);
          for (let x = 0; x < 8; x++) {
            const px = Math.min(width - 1, bx + x);
            const o = (py * width + px) * 3;
            const r = rgb[o] as number;
            const g = rgb[o + 1] as number;
            const b = rgb[o + 2] as number;
            let v: number;
            if (comp === 0) v = 0.299 * r + 0.587 * g + 0.114 * b;
            else if (comp === 1) v = -0.168736 * r - 0.331264 * g + 0.5 * b + 128;
            else v = 0.5 * r - 0.418688 * g - 0.081312 * b + 128;
            block[y * 8 + x] = v - 128;
          }
        }
        // Separable 2-D DCT-II: rows, then columns.
        for (let y = 0; y < 8; y++) {
          for (let u = 0; u < 8; u++) {
            let s = 0;
            for (let x = 0; x < 8; x++) s += (block[y * 8 + x] as number) * (COS[x * 8 + u] as number);
            tmp[y * 8 + u] = s * (u === 0 ? Math.SQRT1_2 : 1) * 0.5;
          }
        }
        for (let u = 0; u < 8; u++) {
          for (let v = 0; v < 8; v++) {
            let s = 0;
            for (let y = 0; y < 8; y++) s += (tmp[y * 8 + u] as number) * (COS[y * 8 + v] as number);
            block[v * 8 + u] = s * (v === 0 ? Math.SQRT1_2 : 1) * 0.5;
          }
        }
        const q = comp === 0 ? qL : qC;
        const dc = comp === 0 ? CODES.dcL : CODES.dcC;
        const ac = comp === 0 ? CODES.acL : CODES.acC;
        const coef = new Int32Array(64);
        for (let k = 0; k < 64; k++) {
          const idx = ZIGZAG[k] as number;
          coef[k] = Math.round((block[idx] as number) / (q[idx] as number));
        }
        const diff = (coef[0] as number) - (prevDc[comp] as number);
        prevDc[comp] = coef[0] as number;
        writeValue(bw, dc, 0, diff);
        let run = 0;
        for (let k = 1; k < 64; k++) {
          const c = coef[k] as number;
          if (c === 0) {
            run++;
            continue;
          }
          while (run > 15) {
            bw.write(ac.code[0xf0] as number, ac.size[0xf0] as number);
            run -= 16;
          }
          writeValue(bw, ac, run, c);
          run = 0;
        }
        if (run > 0) bw.write(ac.code[0x00] as number, ac.size[0x00] as number);
      }
    }
  }
  const data = bw.finish();
  return Buffer.from([...head, ...data, 0xff, 0xd9]);
}

function writeValue(bw: BitWriter, table: HuffCode, run: number, value: number): void {
  const mag = Math.abs(value);
  let s = 0;
  while (mag >> s) s++;
  const sym = (run << 4) | s;
  bw.write(table.code[sym] as number, table.size[sym] as number);
  if (s > 0) bw.write(value < 0 ? value + (1 << s) - 1 : value, s);
}

/** Copy of a JPEG with a COM (comment) segment right after the APP0 segment. */
export function withJpegComment(jpeg: Buffer, comment: string): Buffer {
  const text = Buffer.from(comment, 'utf8').subarray(0, 60000);
  const app0Len = jpeg.readUInt16BE(4);
  const at = 4 + app0Len;
  const com = Buffer.alloc(4 + text.length);
  com[0] = 0xff;
  com[1] = 0xfe;
  com.writeUInt16BE(text.length + 2, 2);
  com.set(text, 4);
  return Buffer.concat([jpeg.subarray(0, at), com, jpeg.subarray(at)]);
}

// ---------------------------------------------------------------------------------------------
// PDF (1.4, one or more pages of Helvetica text, exact xref offsets)

/** Escapes a string for a PDF literal string; characters outside Latin-1 become '?'. */
function pdfString(s: string): string {
  let out = '(';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '(' || ch === ')' || ch === '\\') out += `\\${ch}`;
    else if (c < 32 || c > 126) out += '?';
    else out += ch;
  }
  return `${out})`;
}

export interface PdfOptions {
  title: string;
  /** e.g. D:20260301093012+08'00' */
  creationDate: string;
  pages: { heading: string; lines: string[] }[];
}

export function buildPdf(opts: PdfOptions): Buffer {
  const objects: string[] = [];
  const pageCount = opts.pages.length;
  // 1 catalog, 2 pages, 3 font, 4 info, then (page, contents) pairs.
  const kids = opts.pages.map((_, i) => `${5 + i * 2} 0 R`).join(' ');
  objects.push('<< /Type /Catalog /Pages 2 0 R >>');
  objects.push(`<< /Type /Pages /Kids [${kids}] /Count ${pageCount} >>`);
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  objects.push(`<< /Title ${pdfString(opts.title)} /Producer (WeKeep demo generator) /CreationDate ${pdfString(opts.creationDate)} >>`);
  for (let i = 0; i < pageCount; i++) {
    const page = opts.pages[i] as { heading: string; lines: string[] };
    let content = `0.2 0.35 0.6 rg 40 790 515 3 re f\nBT /F1 20 Tf 0 0 0 rg 50 800 Td ${pdfString(page.heading)} Tj ET\n`;
    let y = 760;
    for (const line of page.lines) {
      content += `BT /F1 11 Tf 50 ${y} Td ${pdfString(line)} Tj ET\n`;
      y -= 18;
      if (y < 60) break;
    }
    content += `0.5 g 50 ${y - 4} m 545 ${y - 4} l S\nBT /F1 8 Tf 50 40 Td ${pdfString(`Page ${i + 1} of ${pageCount}`)} Tj ET\n`;
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${6 + i * 2} 0 R >>`);
    objects.push(`<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}endstream`);
  }
  let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xrefAt = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f\r\n`;
  for (const off of offsets) out += `${String(off).padStart(10, '0')} 00000 n\r\n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 4 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

// ---------------------------------------------------------------------------------------------
// ZIP (stored entries, UTF-8 names) and minimal OOXML packages

export interface ZipEntry {
  name: string;
  data: Buffer;
}

/** `date` is used for the DOS timestamps of all entries. */
export function buildZip(entries: readonly ZipEntry[], date: Date): Buffer {
  const dosTime = (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | (date.getUTCSeconds() >> 1);
  const dosDate = ((Math.max(1980, date.getUTCFullYear()) - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate();
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const crc = crc32(e.data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(0x0800, 6);
    lh.writeUInt16LE(0, 8);
    lh.writeUInt16LE(dosTime, 10);
    lh.writeUInt16LE(dosDate, 12);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(e.data.length, 18);
    lh.writeUInt32LE(e.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    lh.writeUInt16LE(0, 28);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(0x0800, 8);
    ch.writeUInt16LE(0, 10);
    ch.writeUInt16LE(dosTime, 12);
    ch.writeUInt16LE(dosDate, 14);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(e.data.length, 20);
    ch.writeUInt32LE(e.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, name, e.data);
    centrals.push(ch, name);
    offset += 30 + name.length + e.data.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const OFFICE_DOC_REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument';

function xmlEscape(s: string): string {
  return s.replace(/[<>&"]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : '&quot;'));
}

function columnName(i: number): string {
  let s = '';
  let n = i + 1;
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

/** A one-sheet workbook; numbers become numeric cells, strings inline strings. */
export function buildXlsx(sheetName: string, rows: readonly (readonly (string | number)[])[], date: Date): Buffer {
  let sheet = `${XML_HEAD}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`;
  rows.forEach((row, r) => {
    sheet += `<row r="${r + 1}">`;
    row.forEach((cell, c) => {
      const ref = `${columnName(c)}${r + 1}`;
      sheet += typeof cell === 'number' ? `<c r="${ref}"><v>${cell}</v></c>` : `<c r="${ref}" t="inlineStr"><is><t>${xmlEscape(cell)}</t></is></c>`;
    });
    sheet += '</row>';
  });
  sheet += '</sheetData></worksheet>';
  const files: ZipEntry[] = [
    {
      name: '[Content_Types].xml',
      data: Buffer.from(
        `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
      ),
    },
    { name: '_rels/.rels', data: Buffer.from(`${XML_HEAD}<Relationships xmlns="${REL_NS}"><Relationship Id="rId1" Type="${OFFICE_DOC_REL}" Target="xl/workbook.xml"/></Relationships>`) },
    {
      name: 'xl/workbook.xml',
      data: Buffer.from(
        `${XML_HEAD}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="${xmlEscape(sheetName)}" sheetId="1" r:id="rId1"/></sheets></workbook>`,
      ),
    },
    {
      name: 'xl/_rels/workbook.xml.rels',
      data: Buffer.from(
        `${XML_HEAD}<Relationships xmlns="${REL_NS}"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
      ),
    },
    { name: 'xl/worksheets/sheet1.xml', data: Buffer.from(sheet) },
  ];
  return buildZip(files, date);
}

/** A document of plain paragraphs. */
export function buildDocx(paragraphs: readonly string[], date: Date): Buffer {
  const body = paragraphs.map((p) => `<w:p><w:r><w:t xml:space="preserve">${xmlEscape(p)}</w:t></w:r></w:p>`).join('');
  const files: ZipEntry[] = [
    {
      name: '[Content_Types].xml',
      data: Buffer.from(
        `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
      ),
    },
    { name: '_rels/.rels', data: Buffer.from(`${XML_HEAD}<Relationships xmlns="${REL_NS}"><Relationship Id="rId1" Type="${OFFICE_DOC_REL}" Target="word/document.xml"/></Relationships>`) },
    {
      name: 'word/document.xml',
      data: Buffer.from(`${XML_HEAD}<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`),
    },
  ];
  return buildZip(files, date);
}

// ---------------------------------------------------------------------------------------------
// Voice: AMR-NB storage format (RFC 4867 §5) and the SILK v3 container personal WeChat uses

export const AMR_MAGIC = Buffer.from('#!AMR\n', 'latin1');
export const SILK_MAGIC = Buffer.from('\x02#!SILK_V3', 'latin1');

/** AMR-NB at 4.75 kbit/s: one 13-byte frame (header 0x04 + 12 bytes) per 20 ms. */
export function buildAmr(durationSeconds: number, fill: (buf: Uint8Array, start: number, end: number) => void): Buffer {
  const frames = Math.max(1, Math.round(durationSeconds * 50));
  const out = Buffer.alloc(AMR_MAGIC.length + frames * 13);
  AMR_MAGIC.copy(out, 0);
  fill(out, AMR_MAGIC.length, out.length);
  for (let i = 0; i < frames; i++) {
    const o = AMR_MAGIC.length + i * 13;
    out[o] = 0x04; // FT=0 (MR475), Q=1
    // The last payload byte carries 95 bits: clear the 1 padding bit.
    out[o + 12] = (out[o + 12] as number) & 0xfe;
  }
  return out;
}

/** SILK v3 as stored by WeChat: magic, then frames of (uint16 LE length, payload). */
export function buildSilk(durationSeconds: number, fill: (buf: Uint8Array, start: number, end: number) => void, frameBytes = 22): Buffer {
  const frames = Math.max(1, Math.round(durationSeconds * 50));
  const out = Buffer.alloc(SILK_MAGIC.length + frames * (2 + frameBytes));
  SILK_MAGIC.copy(out, 0);
  fill(out, SILK_MAGIC.length, out.length);
  for (let i = 0; i < frames; i++) out.writeUInt16LE(frameBytes, SILK_MAGIC.length + i * (2 + frameBytes));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Video: MP4 (ISO BMFF) holding H.264 Baseline frames made of I_PCM macroblocks (uncompressed
// samples inside a standard bitstream: trivially correct, decodable by every H.264 decoder).

class RbspWriter {
  private readonly bytes: number[] = [];
  private acc = 0;
  private n = 0;

  bit(b: number): void {
    this.acc = (this.acc << 1) | (b & 1);
    if (++this.n === 8) {
      this.bytes.push(this.acc);
      this.acc = 0;
      this.n = 0;
    }
  }

  bits(value: number, count: number): void {
    for (let i = count - 1; i >= 0; i--) this.bit((value >>> i) & 1);
  }

  ue(v: number): void {
    const x = v + 1;
    const len = 31 - Math.clz32(x);
    this.bits(0, len);
    this.bits(x, len + 1);
  }

  se(v: number): void {
    this.ue(v > 0 ? 2 * v - 1 : -2 * v);
  }

  alignZero(): void {
    while (this.n !== 0) this.bit(0);
  }

  byte(b: number): void {
    this.bits(b, 8);
  }

  /** rbsp_trailing_bits: a stop bit, then zeros to the byte boundary. */
  trailing(): number[] {
    this.bit(1);
    this.alignZero();
    return this.bytes;
  }
}

/** NAL unit with emulation prevention (00 00 0x → 00 00 03 0x for x ≤ 3). */
function nal(header: number, rbsp: readonly number[]): Buffer {
  const out: number[] = [header];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Buffer.from(out);
}

function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
}

function fullBox(type: string, version: number, flags: number, ...payload: Buffer[]): Buffer {
  const vf = Buffer.alloc(4);
  vf.writeUInt32BE(((version & 0xff) << 24) | (flags & 0xffffff), 0);
  return box(type, vf, ...payload);
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

const UNITY_MATRIX = u32s(0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000);

/**
 * Encodes RGB frames (width and height multiples of 16) as an MP4 with one H.264 video track.
 * `fps` frames per second; every frame is an IDR picture.
 */
export function encodeMp4(width: number, height: number, frames: readonly Uint8Array[], fps: number): Buffer {
  if (width % 16 !== 0 || height % 16 !== 0) throw new Error('width and height must be multiples of 16');
  const mbW = width / 16;
  const mbH = height / 16;
  const sps = new RbspWriter();
  sps.byte(66); // profile_idc: Baseline
  sps.byte(0xc0); // constraint_set0 and set1
  sps.byte(10); // level 1.0
  sps.ue(0); // seq_parameter_set_id
  sps.ue(0); // log2_max_frame_num_minus4
  sps.ue(2); // pic_order_cnt_type
  sps.ue(0); // max_num_ref_frames
  sps.bit(0); // gaps_in_frame_num_value_allowed_flag
  sps.ue(mbW - 1);
  sps.ue(mbH - 1);
  sps.bit(1); // frame_mbs_only_flag
  sps.bit(1); // direct_8x8_inference_flag
  sps.bit(0); // frame_cropping_flag
  sps.bit(0); // vui_parameters_present_flag
  const spsNal = nal(0x67, sps.trailing());
  const pps = new RbspWriter();
  pps.ue(0); // pic_parameter_set_id
  pps.ue(0); // seq_parameter_set_id
  pps.bit(0); // entropy_coding_mode_flag: CAVLC
  pps.bit(0); // bottom_field_pic_order_in_frame_present_flag
  pps.ue(0); // num_slice_groups_minus1
  pps.ue(0); // num_ref_idx_l0_default_active_minus1
  pps.ue(0); // num_ref_idx_l1_default_active_minus1
  pps.bit(0); // weighted_pred_flag
  pps.bits(0, 2); // weighted_bipred_idc
  pps.se(0); // pic_init_qp_minus26
  pps.se(0); // pic_init_qs_minus26
  pps.se(0); // chroma_qp_index_offset
  pps.bit(1); // deblocking_filter_control_present_flag
  pps.bit(0); // constrained_intra_pred_flag
  pps.bit(0); // redundant_pic_cnt_present_flag
  const ppsNal = nal(0x68, pps.trailing());

  const samples: Buffer[] = frames.map((rgb, f) => {
    const w = new RbspWriter();
    w.ue(0); // first_mb_in_slice
    w.ue(7); // slice_type: I (all slices of the picture)
    w.ue(0); // pic_parameter_set_id
    w.bits(0, 4); // frame_num
    w.ue(f % 2); // idr_pic_id: differs between consecutive IDR pictures
    w.bit(0); // no_output_of_prior_pics_flag
    w.bit(0); // long_term_reference_flag
    w.se(0); // slice_qp_delta
    w.ue(1); // disable_deblocking_filter_idc: off
    const sample = (x: number, y: number, c: number): number => rgb[(y * width + x) * 3 + c] as number;
    const clampByte = (v: number): number => Math.min(254, Math.max(1, Math.round(v)));
    for (let my = 0; my < mbH; my++) {
      for (let mx = 0; mx < mbW; mx++) {
        w.ue(25); // mb_type: I_PCM
        w.alignZero();
        for (let y = 0; y < 16; y++) {
          for (let x = 0; x < 16; x++) {
            const px = mx * 16 + x;
            const py = my * 16 + y;
            w.byte(clampByte(16 + 0.257 * sample(px, py, 0) + 0.504 * sample(px, py, 1) + 0.098 * sample(px, py, 2)));
          }
        }
        for (const plane of [0, 1]) {
          for (let y = 0; y < 8; y++) {
            for (let x = 0; x < 8; x++) {
              let r = 0;
              let g = 0;
              let b = 0;
              for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
                const px = mx * 16 + x * 2 + dx;
                const py = my * 16 + y * 2 + dy;
                r += sample(px, py, 0) / 4;
                g += sample(px, py, 1) / 4;
                b += sample(px, py, 2) / 4;
              }
              w.byte(clampByte(plane === 0 ? 128 - 0.148 * r - 0.291 * g + 0.439 * b : 128 + 0.439 * r - 0.368 * g - 0.071 * b));
            }
          }
        }
      }
    }
    const slice = nal(0x65, w.trailing());
    const len = Buffer.alloc(4);
    len.writeUInt32BE(slice.length, 0);
    return Buffer.concat([len, slice]);
  });

  const timescale = fps * 1000;
  const delta = 1000;
  const durationMs = Math.round((frames.length * 1000) / fps);
  const ftyp = box('ftyp', Buffer.from('isom', 'latin1'), u32s(0x200), Buffer.from('isomiso2avc1mp41', 'latin1'));
  const avcC = box('avcC', Buffer.from([1, 66, 0xc0, 10, 0xff, 0xe1, spsNal.length >> 8, spsNal.length & 0xff]), spsNal, Buffer.from([1, ppsNal.length >> 8, ppsNal.length & 0xff]), ppsNal);
  const avc1 = box(
    'avc1',
    Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]), // reserved, data_reference_index 1
    Buffer.alloc(16), // pre_defined, reserved
    Buffer.from([width >> 8, width & 0xff, height >> 8, height & 0xff]),
    u32s(0x00480000, 0x00480000, 0),
    Buffer.from([0, 1]), // frame_count
    Buffer.alloc(32), // compressorname
    Buffer.from([0, 0x18, 0xff, 0xff]), // depth, pre_defined -1
    avcC,
  );
  const stsd = fullBox('stsd', 0, 0, u32s(1), avc1);
  const stts = fullBox('stts', 0, 0, u32s(1, frames.length, delta));
  const stsc = fullBox('stsc', 0, 0, u32s(1, 1, frames.length, 1));
  const stsz = fullBox('stsz', 0, 0, u32s(0, frames.length, ...samples.map((s) => s.length)));
  const build = (chunkOffset: number): Buffer => {
    const stco = fullBox('stco', 0, 0, u32s(1, chunkOffset));
    const stbl = box('stbl', stsd, stts, stsc, stsz, stco);
    const dinf = box('dinf', fullBox('dref', 0, 0, u32s(1), fullBox('url ', 0, 1)));
    const minf = box('minf', fullBox('vmhd', 0, 1, Buffer.alloc(8)), dinf, stbl);
    const hdlr = fullBox('hdlr', 0, 0, u32s(0), Buffer.from('vide', 'latin1'), u32s(0, 0, 0), Buffer.from('VideoHandler\0', 'latin1'));
    const mdhd = fullBox('mdhd', 0, 0, u32s(0, 0, timescale, frames.length * delta), Buffer.from([0x55, 0xc4, 0, 0]));
    const mdia = box('mdia', mdhd, hdlr, minf);
    const tkhd = fullBox('tkhd', 0, 3, u32s(0, 0, 1, 0, durationMs, 0, 0), Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]), UNITY_MATRIX, u32s(width * 65536, height * 65536));
    const trak = box('trak', tkhd, mdia);
    const mvhd = fullBox('mvhd', 0, 0, u32s(0, 0, 1000, durationMs, 0x00010000), Buffer.from([1, 0]), Buffer.alloc(10), UNITY_MATRIX, Buffer.alloc(24), u32s(2));
    return box('moov', mvhd, trak);
  };
  const moovSize = build(0).length;
  const moov = build(ftyp.length + moovSize + 8);
  return Buffer.concat([ftyp, moov, box('mdat', ...samples)]);
}

/** Copy of an MP4 with a trailing `free` box carrying a note (offsets inside are unaffected). */
export function withMp4Note(mp4: Buffer, note: string): Buffer {
  return Buffer.concat([mp4, box('free', Buffer.from(note, 'utf8'))]);
}
