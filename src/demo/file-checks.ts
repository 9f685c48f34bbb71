import { crc32 } from './formats.js';

/**
 * Independent structure checks for the demo's attachment files (used by the tests): each returns
 * a list of problems, empty when the file is well-formed.
 */

export function checkPng(b: Buffer): string[] {
  const errs: string[] = [];
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!b.subarray(0, 8).equals(sig)) return ['bad PNG signature'];
  let off = 8;
  const types: string[] = [];
  while (off + 12 <= b.length) {
    const len = b.readUInt32BE(off);
    const type = b.toString('latin1', off + 4, off + 8);
    if (off + 12 + len > b.length) {
      errs.push(`chunk ${type} overruns the file`);
      break;
    }
    const crc = b.readUInt32BE(off + 8 + len);
    if (crc32(b, off + 4, off + 8 + len) !== crc) errs.push(`bad CRC in ${type}`);
    types.push(type);
    off += 12 + len;
  }
  if (types[0] !== 'IHDR') errs.push('first chunk is not IHDR');
  if (!types.includes('IDAT')) errs.push('no IDAT');
  if (types[types.length - 1] !== 'IEND' || off !== b.length) errs.push('does not end with IEND');
  return errs;
}

export function checkJpeg(b: Buffer): string[] {
  if (b[0] !== 0xff || b[1] !== 0xd8) return ['no SOI'];
  if (b[b.length - 2] !== 0xff || b[b.length - 1] !== 0xd9) return ['no EOI'];
  const seen = new Set<number>();
  let off = 2;
  for (;;) {
    if (off + 4 > b.length) return ['truncated before SOS'];
    if (b[off] !== 0xff) return [`expected a marker at ${off}`];
    const marker = b[off + 1] as number;
    const len = b.readUInt16BE(off + 2);
    if (len < 2 || off + 2 + len > b.length) return [`bad length of segment ff${marker.toString(16)}`];
    seen.add(marker);
    off += 2 + len;
    if (marker === 0xda) break;
  }
  for (const m of [0xe0, 0xdb, 0xc0, 0xc4]) if (!seen.has(m)) return [`missing segment ff${m.toString(16)}`];
  // Entropy-coded data: 0xff must be followed by 0x00 (stuffing), a restart marker, or EOI at the end.
  for (let i = off; i < b.length - 2; i++) {
    if (b[i] === 0xff) {
      const n = b[i + 1] as number;
      if (n !== 0x00 && !(n >= 0xd0 && n <= 0xd7)) return [`unexpected marker ff${n.toString(16)} in scan data`];
      i++;
    }
  }
  return [];
}

export function checkPdf(b: Buffer): string[] {
  const s = b.toString('latin1');
  const errs: string[] = [];
  if (!s.startsWith('%PDF-1.')) errs.push('no %PDF header');
  if (!s.trimEnd().endsWith('%%EOF')) errs.push('no %%EOF');
  const m = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(s);
  if (!m) return [...errs, 'no startxref'];
  const xrefAt = Number(m[1]);
  if (!s.startsWith('xref', xrefAt)) return [...errs, 'startxref does not point at xref'];
  const head = /^xref\s+0 (\d+)\s+/.exec(s.slice(xrefAt));
  if (!head) return [...errs, 'bad xref header'];
  const count = Number(head[1]);
  let p = xrefAt + head[0].length;
  for (let i = 0; i < count; i++) {
    const entry = s.slice(p, p + 20);
    if (!/^\d{10} \d{5} [nf](\r\n| \n| \r)$/.test(entry)) return [...errs, `xref entry ${i} is not 20 bytes`];
    if (i > 0) {
      const off = Number(entry.slice(0, 10));
      if (!s.startsWith(`${i} 0 obj`, off)) errs.push(`xref offset of object ${i} is wrong`);
    }
    p += 20;
  }
  for (const st of s.matchAll(/<< \/Length (\d+) >>\nstream\n/g)) {
    const start = (st.index as number) + st[0].length;
    if (!s.startsWith('endstream', start + Number(st[1]))) errs.push('stream /Length is wrong');
  }
  return errs;
}

/** ZIP (and so XLSX/DOCX): end record, central directory, and the CRC of every stored entry. */
export function checkZip(b: Buffer, mustContain: string[] = []): string[] {
  const eocd = b.length - 22;
  if (eocd < 0 || b.readUInt32LE(eocd) !== 0x06054b50) return ['no end-of-central-directory record'];
  const count = b.readUInt16LE(eocd + 10);
  const cdSize = b.readUInt32LE(eocd + 12);
  let p = b.readUInt32LE(eocd + 16);
  if (p + cdSize !== eocd) return ['central directory size/offset mismatch'];
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    if (b.readUInt32LE(p) !== 0x02014b50) return [`bad central header ${i}`];
    const method = b.readUInt16LE(p + 10);
    const crc = b.readUInt32LE(p + 16);
    const size = b.readUInt32LE(p + 20);
    const nameLen = b.readUInt16LE(p + 28);
    const extraLen = b.readUInt16LE(p + 30);
    const commentLen = b.readUInt16LE(p + 32);
    const local = b.readUInt32LE(p + 42);
    const name = b.toString('utf8', p + 46, p + 46 + nameLen);
    names.push(name);
    if (b.readUInt32LE(local) !== 0x04034b50) return [`bad local header for ${name}`];
    const dataAt = local + 30 + b.readUInt16LE(local + 26) + b.readUInt16LE(local + 28);
    if (method === 0 && crc32(b, dataAt, dataAt + size) !== crc) return [`CRC mismatch in ${name}`];
    p += 46 + nameLen + extraLen + commentLen;
  }
  return mustContain.filter((n) => !names.includes(n)).map((n) => `missing ${n}`);
}

export function checkAmr(b: Buffer): string[] {
  if (!b.subarray(0, 6).equals(Buffer.from('#!AMR\n', 'latin1'))) return ['no #!AMR header'];
  // Frame sizes in bytes (header included) for AMR-NB frame types 0..15 (RFC 4867 / 3GPP TS 26.101).
  const sizes = [13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, 1, 1, 1, 1];
  let off = 6;
  let frames = 0;
  while (off < b.length) {
    const ft = ((b[off] as number) >> 3) & 0x0f;
    off += sizes[ft] as number;
    frames++;
  }
  return off === b.length && frames > 0 ? [] : ['frames do not add up to the file size'];
}

export function checkSilk(b: Buffer): string[] {
  if (!b.subarray(0, 10).equals(Buffer.from('\x02#!SILK_V3', 'latin1'))) return ['no SILK_V3 header'];
  let off = 10;
  let frames = 0;
  while (off + 2 <= b.length) {
    off += 2 + b.readUInt16LE(off);
    frames++;
  }
  return off === b.length && frames > 0 ? [] : ['frames do not add up to the file size'];
}

/** MP4: top-level boxes tile the file; ftyp, moov, mdat present; the chunk offset and sample sizes fit mdat. */
export function checkMp4(b: Buffer): string[] {
  const top = new Map<string, { at: number; size: number }>();
  let off = 0;
  while (off + 8 <= b.length) {
    const size = b.readUInt32BE(off);
    const type = b.toString('latin1', off + 4, off + 8);
    if (size < 8 || off + size > b.length) return [`bad size of box ${type}`];
    if (!top.has(type)) top.set(type, { at: off, size });
    off += size;
  }
  if (off !== b.length) return ['boxes do not tile the file'];
  if (b.toString('latin1', 4, 8) !== 'ftyp') return ['does not start with ftyp'];
  const moov = top.get('moov');
  const mdat = top.get('mdat');
  if (!moov || !mdat) return ['missing moov or mdat'];
  const stcoAt = b.indexOf('stco', moov.at, 'latin1');
  const stszAt = b.indexOf('stsz', moov.at, 'latin1');
  if (stcoAt < 0 || stszAt < 0 || stcoAt > moov.at + moov.size) return ['missing stco/stsz'];
  const chunk = b.readUInt32BE(stcoAt + 12);
  const count = b.readUInt32BE(stszAt + 12);
  let total = 0;
  for (let i = 0; i < count; i++) total += b.readUInt32BE(stszAt + 16 + i * 4);
  if (chunk !== mdat.at + 8 || total !== mdat.size - 8) return ['sample table does not match mdat'];
  // Each sample: 4-byte length-prefixed NAL units filling the sample exactly.
  let p = chunk;
  while (p < chunk + total) p += 4 + b.readUInt32BE(p);
  return p === chunk + total ? [] : ['NAL lengths do not fill the samples'];
}

/** Dispatches on MIME type. */
export function checkAttachment(mime: string, b: Buffer): string[] {
  switch (mime) {
    case 'image/png':
      return checkPng(b);
    case 'image/jpeg':
      return checkJpeg(b);
    case 'application/pdf':
      return checkPdf(b);
    case 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet':
      return checkZip(b, ['[Content_Types].xml', 'xl/workbook.xml', 'xl/worksheets/sheet1.xml']);
    case 'application/vnd.openxmlformats-officedocument.wordprocessingml.document':
      return checkZip(b, ['[Content_Types].xml', 'word/document.xml']);
    case 'audio/amr':
      return checkAmr(b);
    case 'video/mp4':
      return checkMp4(b);
    case 'audio/silk':
      return checkSilk(b);
    case 'text/csv':
    case 'text/plain':
      return b.toString('utf8').includes('\ufffd') ? ['not valid UTF-8'] : [];
    default:
      return [`unknown MIME type ${mime}`];
  }
}
