import type { Rng } from './prng.js';
import { buildAmr, buildDocx, buildPdf, buildSilk, buildXlsx, encodeJpeg, encodeMp4, encodePng, withJpegComment, withMp4Note, withPngText } from './formats.js';

/**
 * The demo's attachments: small, real, decodable files. A fixed pool (stickers, a logo, the
 * company's billing details, forwarded price lists, standard documents) is reused across messages
 * so de-duplication has something to find; everything else is made unique per message.
 */

export interface MediaFile {
  name: string;
  mime: string;
  bytes: Buffer;
  /** Identical bytes are sent in other messages too (a pool item). */
  pooled: boolean;
  /** Stable key of a pool item (for writing it once to an attachments folder). */
  poolKey?: string;
}

type Painter = (rng: Rng, w: number, h: number) => Uint8Array;

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v | 0;
}

function randomColor(rng: Rng, lo = 40, hi = 230): [number, number, number] {
  return [rng.range(lo, hi), rng.range(lo, hi), rng.range(lo, hi)];
}

/** A "photo": a smooth two-colour gradient with a few soft shapes and sensor noise. */
const paintPhoto: Painter = (rng, w, h) => {
  const px = new Uint8Array(w * h * 3);
  const a = randomColor(rng);
  const b = randomColor(rng);
  const blobs = Array.from({ length: rng.range(2, 4) }, () => ({ x: rng.next() * w, y: rng.next() * h, r: (0.15 + rng.next() * 0.3) * Math.min(w, h), c: randomColor(rng, 20, 250) }));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const t = (x / w + y / h) / 2;
      let r = a[0] * (1 - t) + b[0] * t;
      let g = a[1] * (1 - t) + b[1] * t;
      let bl = a[2] * (1 - t) + b[2] * t;
      for (const blob of blobs) {
        const d = Math.hypot(x - blob.x, y - blob.y) / blob.r;
        if (d < 1) {
          const k = (1 - d) * 0.8;
          r = r * (1 - k) + blob.c[0] * k;
          g = g * (1 - k) + blob.c[1] * k;
          bl = bl * (1 - k) + blob.c[2] * k;
        }
      }
      const n = (rng.next() - 0.5) * 12;
      const o = (y * w + x) * 3;
      px[o] = clamp(r + n);
      px[o + 1] = clamp(g + n);
      px[o + 2] = clamp(bl + n);
    }
  }
  return px;
};

/** A "screenshot": white page, coloured title bar, grey text lines, a table grid or chat bubbles. */
const paintScreenshot: Painter = (rng, w, h) => {
  const px = new Uint8Array(w * h * 3).fill(250);
  const bar = randomColor(rng, 30, 200);
  const set = (x: number, y: number, c: readonly number[]): void => {
    if (x < 0 || y < 0 || x >= w || y >= h) return;
    const o = (y * w + x) * 3;
    px[o] = c[0] as number;
    px[o + 1] = c[1] as number;
    px[o + 2] = c[2] as number;
  };
  const rect = (x0: number, y0: number, rw: number, rh: number, c: readonly number[]): void => {
    for (let y = y0; y < y0 + rh; y++) for (let x = x0; x < x0 + rw; x++) set(x, y, c);
  };
  const barH = Math.max(6, Math.round(h / 9));
  rect(0, 0, w, barH, bar);
  const chat = rng.chance(0.5);
  let y = barH + 4;
  while (y < h - 6) {
    if (chat) {
      const mine = rng.chance(0.5);
      const bw = rng.range(Math.round(w * 0.25), Math.round(w * 0.7));
      const bh = rng.range(7, 14);
      const x0 = mine ? w - bw - 12 : 12;
      rect(mine ? w - 9 : 2, y, 7, 7, [180, 190, 200]);
      rect(x0, y, bw, bh, mine ? [149, 236, 105] : [255, 255, 255]);
      for (let ty = y + 3; ty < y + bh - 2; ty += 4) rect(x0 + 3, ty, bw - rng.range(6, Math.max(7, bw / 2)), 1, [90, 90, 90]);
      y += bh + 5;
    } else {
      const cols = rng.range(3, 5);
      for (let c = 0; c <= cols; c++) rect(Math.round((c * (w - 8)) / cols) + 4, y, 1, 9, [210, 210, 210]);
      for (let c = 0; c < cols; c++) rect(Math.round((c * (w - 8)) / cols) + 7, y + 4, rng.range(4, Math.max(5, Math.round((w - 8) / cols) - 6)), 2, [70, 70, 70]);
      rect(4, y + 9, w - 8, 1, [210, 210, 210]);
      y += 10;
    }
  }
  return px;
};

/** A photo of a document (invoice, receipt, delivery note): off-white paper on a desk. */
const paintPaper: Painter = (rng, w, h) => {
  const px = new Uint8Array(w * h * 3);
  const desk = randomColor(rng, 60, 140);
  const mx = Math.round(w * 0.12);
  const my = Math.round(h * 0.08);
  const stamp = rng.chance(0.6);
  const sx = w * (0.55 + rng.next() * 0.25);
  const sy = h * (0.6 + rng.next() * 0.25);
  const sr = Math.min(w, h) * 0.12;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      const onPaper = x >= mx && x < w - mx && y >= my && y < h - my;
      let c: [number, number, number];
      if (!onPaper) c = [desk[0], desk[1], desk[2]];
      else if ((y - my) % 7 === 5 && x > mx + 4 && x < w - mx - 4 - ((y * 13) % 17)) c = [95, 95, 105];
      else c = [238, 236, 228];
      if (stamp && Math.abs(Math.hypot(x - sx, y - sy) - sr) < 1.2) c = [205, 40, 45];
      const n = (rng.next() - 0.5) * 10;
      px[o] = clamp(c[0] + n);
      px[o + 1] = clamp(c[1] + n);
      px[o + 2] = clamp(c[2] + n);
    }
  }
  return px;
};

/** A round sticker face on a transparent background (RGBA). */
function paintSticker(rng: Rng, size: number): Uint8Array {
  const px = new Uint8Array(size * size * 4);
  const face = randomColor(rng, 120, 255);
  const mood = rng.int(3); // 0 smile, 1 flat, 2 open mouth
  const c = (size - 1) / 2;
  const r = size * 0.45;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const o = (y * size + x) * 4;
      const d = Math.hypot(x - c, y - c);
      if (d > r) continue;
      let col = face;
      if (d > r - 1.5) col = [60, 50, 40];
      const ex = Math.abs(x - c) - size * 0.16;
      const ey = y - (c - size * 0.1);
      if (Math.hypot(ex, ey) < size * 0.06) col = [40, 30, 30];
      const my = y - (c + size * 0.16);
      if (mood === 0 && Math.abs(Math.hypot(x - c, y - (c + size * 0.02)) - size * 0.22) < 1.1 && y > c + size * 0.08) col = [40, 30, 30];
      if (mood === 1 && Math.abs(my) < 1 && Math.abs(x - c) < size * 0.15) col = [40, 30, 30];
      if (mood === 2 && Math.hypot((x - c) / 1.3, my) < size * 0.09) col = [150, 30, 40];
      px[o] = col[0];
      px[o + 1] = col[1];
      px[o + 2] = col[2];
      px[o + 3] = 255;
    }
  }
  return px;
}

/** The fictitious company logo: a blue rounded square with a white "H". */
function paintLogo(size: number): Uint8Array {
  const px = new Uint8Array(size * size * 3).fill(255);
  const m = Math.round(size * 0.08);
  for (let y = m; y < size - m; y++) {
    for (let x = m; x < size - m; x++) {
      const o = (y * size + x) * 3;
      const inH = (x > size * 0.3 && x < size * 0.4) || (x > size * 0.6 && x < size * 0.7) || (y > size * 0.45 && y < size * 0.55 && x > size * 0.3 && x < size * 0.7);
      const onH = inH && y > size * 0.25 && y < size * 0.75;
      px[o] = onH ? 255 : 22;
      px[o + 1] = onH ? 255 : 94;
      px[o + 2] = onH ? 255 : 189;
    }
  }
  return px;
}

const JPEG_SIZES: readonly [number, number][] = [[96, 72], [72, 96], [120, 90], [80, 80], [64, 48], [112, 84]];
const PNG_SIZES: readonly [number, number][] = [[90, 160], [160, 90], [120, 120], [72, 128]];

interface PoolImage {
  key: string;
  name: string;
  mime: string;
  bytes: Buffer;
}

/** Well-known files that get forwarded again and again (exact same bytes each time). */
const POOLED_DOCS: readonly { key: string; name: string; kind: 'pdf' | 'xlsx' | 'docx' }[] = [
  { key: 'handbook', name: '员工手册（2025修订版）.pdf', kind: 'pdf' },
  { key: 'intro', name: '瀚海智联公司介绍.pdf', kind: 'pdf' },
  { key: 'quote-template', name: '报价单模板.xlsx', kind: 'xlsx' },
  { key: 'contract-template', name: '销售合同模板（标准版）.docx', kind: 'docx' },
  { key: 'expense-form', name: '费用报销单.xlsx', kind: 'xlsx' },
  { key: 'nda', name: 'NDA_Mutual_Hanhai.docx', kind: 'docx' },
  { key: 'pricelist', name: '2025产品价目表.pdf', kind: 'pdf' },
  { key: 'compliance', name: '反商业贿赂合规承诺书.docx', kind: 'docx' },
  { key: 'specs', name: 'HG-200 Datasheet EN.pdf', kind: 'pdf' },
];

/** Names of the standard documents, in pool order (the chat picks one by index). */
export const POOLED_DOC_NAMES: readonly string[] = POOLED_DOCS.map((d) => d.name);

export type DocKind = 'pdf' | 'xlsx' | 'docx' | 'csv' | 'txt';

/** What a unique document is about (chosen by the conversation generator). */
export interface DocRequest {
  name: string;
  kind: DocKind;
  title: string;
  /** ASCII lines for PDFs; any text for office files. */
  lines: string[];
  timeMs: number;
}

function pdfDate(ms: number): string {
  const d = new Date(ms + 8 * 3600_000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `D:${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}+08'00'`;
}

export const MIME: { [ext: string]: string } = {
  jpg: 'image/jpeg',
  png: 'image/png',
  pdf: 'application/pdf',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  csv: 'text/csv',
  txt: 'text/plain',
  amr: 'audio/amr',
  silk: 'audio/silk',
  mp4: 'video/mp4',
};

/** Frames of each pooled demo video (at VIDEO_FPS): the chat picks one by index, so it knows the length. */
export const VIDEO_FRAMES: readonly number[] = [4, 6, 6, 8, 5, 9];
export const VIDEO_FPS = 3;

/** A tiny animation: a coloured block sliding over a gradient, or a fading stripe pattern. */
function paintVideoFrames(rng: Rng, w: number, h: number, n: number): Uint8Array[] {
  const a = randomColor(rng);
  const b = randomColor(rng);
  const block = randomColor(rng, 150, 255);
  const stripes = rng.chance(0.4);
  const frames: Uint8Array[] = [];
  for (let f = 0; f < n; f++) {
    const px = new Uint8Array(w * h * 3);
    const bx = Math.round(((w - 10) * f) / Math.max(1, n - 1));
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 3;
        const t = (x + y) / (w + h);
        let c: readonly number[] = [a[0] * (1 - t) + b[0] * t, a[1] * (1 - t) + b[1] * t, a[2] * (1 - t) + b[2] * t];
        if (stripes ? (x + y + f * 3) % 12 < 4 : x >= bx && x < bx + 10 && y > h / 3 && y < (2 * h) / 3) c = block;
        px[o] = c[0] as number;
        px[o + 1] = c[1] as number;
        px[o + 2] = c[2] as number;
      }
    }
    frames.push(px);
  }
  return frames;
}

export class MediaFactory {
  private readonly rng: Rng;
  private readonly photos: PoolImage[] = [];
  private readonly screenshots: PoolImage[] = [];
  private readonly forwarded: PoolImage[] = [];
  private readonly stickers: PoolImage[] = [];
  private readonly docs = new Map<string, PoolImage>();
  private readonly videos: Buffer[] = [];
  private readonly fillBytes: (buf: Uint8Array, start: number, end: number) => void;

  constructor(rng: Rng) {
    this.rng = rng;
    const poolRng = rng.fork('pool');
    this.fillBytes = (buf, start, end) => {
      this.rng.fill(buf, start, end);
    };
    for (let i = 0; i < 24; i++) {
      const [w, h] = poolRng.pick(JPEG_SIZES);
      const painter = i % 3 === 2 ? paintPaper : paintPhoto;
      this.photos.push({ key: `photo-${i}`, name: `photo-${i}.jpg`, mime: MIME.jpg as string, bytes: encodeJpeg(w, h, painter(poolRng, w, h), poolRng.range(55, 80)) });
    }
    for (let i = 0; i < 12; i++) {
      const [w, h] = poolRng.pick(PNG_SIZES);
      this.screenshots.push({ key: `shot-${i}`, name: `shot-${i}.png`, mime: MIME.png as string, bytes: encodePng(w, h, paintScreenshot(poolRng, w, h), false) });
    }
    for (let i = 0; i < 16; i++) {
      const size = poolRng.pick([40, 48, 56, 64]);
      this.stickers.push({ key: `sticker-${i}`, name: `sticker_${String(i + 1).padStart(2, '0')}.png`, mime: MIME.png as string, bytes: encodePng(size, size, paintSticker(poolRng, size), true) });
    }
    this.forwarded.push({ key: 'logo', name: '瀚海智联LOGO.png', mime: MIME.png as string, bytes: encodePng(64, 64, paintLogo(64), false) });
    this.forwarded.push({ key: 'billing', name: '开票信息.png', mime: MIME.png as string, bytes: encodePng(160, 90, paintScreenshot(poolRng, 160, 90), false) });
    this.forwarded.push({ key: 'price-photo', name: '价目表.jpg', mime: MIME.jpg as string, bytes: encodeJpeg(96, 128, paintPaper(poolRng, 96, 128), 70) });
    this.forwarded.push({ key: 'qrcode', name: '活动二维码.png', mime: MIME.png as string, bytes: encodePng(72, 72, paintQr(poolRng, 72), false) });
    this.forwarded.push({ key: 'map', name: '公司位置.jpg', mime: MIME.jpg as string, bytes: encodeJpeg(120, 90, paintScreenshot(poolRng, 120, 90), 70) });
    for (const n of VIDEO_FRAMES) this.videos.push(encodeMp4(32, 32, paintVideoFrames(poolRng, 32, 32, n), VIDEO_FPS));
    const poolDate = Date.UTC(2025, 0, 6, 2, 0, 0);
    for (const d of POOLED_DOCS) {
      const req: DocRequest = { name: d.name, kind: d.kind, title: d.key, lines: POOLED_DOC_LINES[d.key] ?? ['Hanhai Zhilian Technology Co., Ltd.'], timeMs: poolDate };
      this.docs.set(d.key, { key: `doc-${d.key}`, name: d.name, mime: MIME[d.kind] as string, bytes: renderDoc(req) });
    }
  }

  /** An image message attachment. `stamp` is e.g. 20260301_093012 (used in names and metadata). */
  image(stamp: string, personal: boolean): MediaFile {
    const r = this.rng.next();
    if (r < 0.22) {
      const item = this.rng.pick(this.forwarded.concat(this.photos.slice(0, 6)));
      return { name: item.name.startsWith('photo-') ? `${personal ? 'mmexport' : 'IMG_'}${stamp}.jpg` : item.name, mime: item.mime, bytes: item.bytes, pooled: true, poolKey: item.key };
    }
    if (r < 0.6) {
      const base = this.rng.pick(this.photos);
      const name = personal ? `微信图片_${stamp.replace('_', '')}.jpg` : `IMG_${stamp}.jpg`;
      return { name, mime: MIME.jpg as string, bytes: withJpegComment(base.bytes, `${name} ${this.rng.chars('0123456789abcdef', 16)}`), pooled: false };
    }
    const base = this.rng.pick(this.screenshots);
    const name = `Screenshot_${stamp}.png`;
    return { name, mime: MIME.png as string, bytes: withPngText(base.bytes, 'Comment', `${name} ${this.rng.chars('0123456789abcdef', 16)}`), pooled: false };
  }

  sticker(): MediaFile {
    // A few favourite stickers dominate.
    const i = Math.min(this.stickers.length - 1, Math.floor(this.rng.logUniform(1, this.stickers.length + 1)) - 1);
    const s = this.stickers[i] as PoolImage;
    return { name: s.name, mime: s.mime, bytes: s.bytes, pooled: true, poolKey: s.key };
  }

  voice(name: string, durationSeconds: number, format: 'amr' | 'silk'): MediaFile {
    const bytes = format === 'amr' ? buildAmr(durationSeconds, this.fillBytes) : buildSilk(durationSeconds, this.fillBytes);
    return { name, mime: MIME[format] as string, bytes, pooled: false };
  }

  /** A short clip: pool video `index`, forwarded as is or made unique by a note box. */
  video(index: number, name: string, forwarded: boolean): MediaFile {
    const i = index % this.videos.length;
    const base = this.videos[i] as Buffer;
    if (forwarded) return { name, mime: MIME.mp4 as string, bytes: base, pooled: true, poolKey: `video-${i}` };
    return { name, mime: MIME.mp4 as string, bytes: withMp4Note(base, `${name} ${this.rng.chars('0123456789abcdef', 16)}`), pooled: false };
  }

  /** A standard document forwarded again and again (index into POOLED_DOC_NAMES). */
  pooledDoc(index: number): MediaFile {
    const d = POOLED_DOCS[index % POOLED_DOCS.length] as { key: string };
    const item = this.docs.get(d.key) as PoolImage;
    return { name: item.name, mime: item.mime, bytes: item.bytes, pooled: true, poolKey: item.key };
  }

  doc(req: DocRequest): MediaFile {
    return { name: req.name, mime: MIME[req.kind] as string, bytes: renderDoc(req), pooled: false };
  }
}

function paintQr(rng: Rng, size: number): Uint8Array {
  const px = new Uint8Array(size * size * 3).fill(255);
  const cells = 21;
  const cell = Math.floor(size / (cells + 2));
  const finder = (cx: number, cy: number, x: number, y: number): boolean | undefined => {
    const dx = x - cx;
    const dy = y - cy;
    if (dx < 0 || dy < 0 || dx > 6 || dy > 6) return undefined;
    const ring = Math.max(Math.abs(dx - 3), Math.abs(dy - 3));
    return ring !== 2;
  };
  for (let cy = 0; cy < cells; cy++) {
    for (let cx = 0; cx < cells; cx++) {
      const f = finder(0, 0, cx, cy) ?? finder(cells - 7, 0, cx, cy) ?? finder(0, cells - 7, cx, cy);
      const dark = f ?? rng.chance(0.5);
      if (!dark) continue;
      for (let y = 0; y < cell; y++) {
        for (let x = 0; x < cell; x++) {
          const o = (((cy + 1) * cell + y) * size + (cx + 1) * cell + x) * 3;
          px[o] = 20;
          px[o + 1] = 20;
          px[o + 2] = 20;
        }
      }
    }
  }
  return px;
}

const POOLED_DOC_LINES: { [key: string]: string[] } = {
  handbook: ['Hanhai Zhilian Technology Co., Ltd.', 'Employee Handbook, revision 2025', '1. Working hours: 09:00-18:00, Monday to Friday', '2. Leave requests are filed in the OA system', '3. Expense claims within 30 days', '4. Information security and acceptable use', '5. Anti-bribery and gifts policy'],
  intro: ['Hanhai Zhilian Technology Co., Ltd.', 'Industrial IoT gateways, cold-chain monitoring, WMS', 'Founded 2012, Shanghai; branches in Shenzhen, Beijing, Hong Kong', 'Customers in logistics, food, pharma and manufacturing'],
  'quote-template': ['Item', 'Model', 'Qty', 'Unit price', 'Amount', 'Remarks'],
  'contract-template': ['Sales Contract (standard form)', 'Party A: ____', 'Party B: Hanhai Zhilian Technology Co., Ltd.', 'Article 1 Products and prices', 'Article 2 Delivery', 'Article 3 Payment terms', 'Article 4 Warranty', 'Article 5 Confidentiality'],
  'expense-form': ['Date', 'Item', 'Amount', 'Invoice no.', 'Approver'],
  nda: ['Mutual Non-Disclosure Agreement', 'The parties agree to keep confidential information secret for 3 years.', 'Governing law: PRC.'],
  pricelist: ['Price list 2025 (CNY, tax included)', 'HG-200 IoT gateway ........ 2,680.00', 'EB-3 edge box ............. 8,900.00', 'TS-10 sensor ................ 168.00', 'WMS Enterprise / year ..... 68,000.00', 'On-site installation / day .. 1,800.00'],
  compliance: ['Anti-commercial-bribery commitment', 'The supplier shall not offer kickbacks, gifts or hospitality to our staff.', 'Report violations to compliance@hanhai.example'],
  specs: ['HG-200 Industrial IoT Gateway', 'CPU: quad-core ARM, 1 GB RAM, 8 GB eMMC', 'Interfaces: 2x Ethernet, RS-485, 4G/5G, Wi-Fi', 'Operating temperature: -20 to 70 C', 'Certifications: CCC, CE, FCC'],
};

function renderDoc(req: DocRequest): Buffer {
  const date = new Date(req.timeMs + 8 * 3600_000);
  switch (req.kind) {
    case 'pdf':
      return buildPdf({ title: req.title, creationDate: pdfDate(req.timeMs), pages: [{ heading: req.title, lines: req.lines }] });
    case 'xlsx':
      return buildXlsx('Sheet1', req.lines.map((l) => l.split('\t').map((c) => (/^-?\d+(\.\d+)?$/.test(c) ? Number(c) : c))), date);
    case 'docx':
      return buildDocx([req.title, ...req.lines], date);
    case 'csv':
      return Buffer.from(`\ufeff${req.lines.map((l) => l.split('\t').join(',')).join('\r\n')}\r\n`, 'utf8');
    case 'txt':
      return Buffer.from(`${[req.title, ...req.lines].join('\n')}\n`, 'utf8');
  }
}
