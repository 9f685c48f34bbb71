import { createReadStream } from 'node:fs';

const GZIP_HINT = '(the file is gzip-compressed: gunzip it first)';
const ENCODING_HINT = '(the file must be UTF-8; a GBK/GB18030 export: convert it first, e.g. iconv -f GB18030 -t UTF-8)';

/** One physical line of an NDJSON file. */
export interface NdjsonLine {
  /** 1-based line number. */
  line: number;
  /** The line's text, without the line terminator; null when it was not valid UTF-8 or too long. */
  text: string | null;
  /** Why `text` is null. */
  problem?: string;
  /** The line's bytes when they were not valid UTF-8 (kept as evidence; not for an oversized line). */
  bytes?: Buffer;
  /** Bytes of the file consumed so far (for progress). */
  bytesRead: number;
}

/**
 * The longest line read (64 MiB): a line is parsed whole, and its attachment decoded, so a line costs
 * several times its size in memory (~5× measured). Larger attachments belong in files (`path`).
 */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Streams a file as lines with constant memory, one read chunk (1 MiB) of lines at a time.
 * Handles LF and CRLF, a leading BOM, a last line without a terminator, invalid UTF-8 and
 * oversized lines (reported, skipped, the rest continues).
 */
export async function* readLineChunks(path: string, options: { maxLineBytes?: number } = {}): AsyncGenerator<NdjsonLine[]> {
  const maxLine = options.maxLineBytes ?? MAX_LINE_BYTES;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let oversized = false;
  let lineNo = 0;
  let consumed = 0;
  let gzipped = false;

  const emit = (parts: Buffer[], total: number): NdjsonLine => {
    lineNo++;
    if (oversized) return { line: lineNo, text: null, problem: `line is longer than ${maxLine} bytes (${Math.round(maxLine / 1048576)} MiB): give large attachments as files (attachments[].path) instead of inline data`, bytesRead: consumed };
    let buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
    if (buf.length > 0 && buf[buf.length - 1] === 0x0d) buf = buf.subarray(0, buf.length - 1);
    if (lineNo === 1 && buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    try {
      return { line: lineNo, text: utf8.decode(buf), bytesRead: consumed };
    } catch {
      if (lineNo === 1 && buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) gzipped = true;
      return { line: lineNo, text: null, problem: `line is not valid UTF-8 ${gzipped ? GZIP_HINT : ENCODING_HINT}`, bytes: Buffer.from(buf), bytesRead: consumed };
    }
  };

  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const lines: NdjsonLine[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl);
      consumed += nl + 1 - start;
      if (!oversized && pendingBytes + piece.length > maxLine) oversized = true;
      const parts = pending.length > 0 ? [...pending, piece] : [piece];
      const line = emit(parts, pendingBytes + piece.length);
      pending = [];
      pendingBytes = 0;
      oversized = false;
      lines.push(line);
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      consumed += rest.length;
      if (oversized || pendingBytes + rest.length > maxLine) {
        oversized = true;
        pending = [];
        pendingBytes = 0;
      } else {
        pending.push(Buffer.from(rest));
        pendingBytes += rest.length;
      }
    }
    if (lines.length > 0) yield lines;
  }
  if (pendingBytes > 0 || oversized) yield [emit(pending, pendingBytes)];
}

/** The same stream, one line at a time. */
export async function* readLines(path: string, options: { maxLineBytes?: number } = {}): AsyncGenerator<NdjsonLine> {
  for await (const lines of readLineChunks(path, options)) yield* lines;
}
