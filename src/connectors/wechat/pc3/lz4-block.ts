/**
 * LZ4 block decompression (no frame header), as PC 3.x stores app-message XML in
 * `MSG.CompressContent` (reference B.1). Bounds-checked: malformed input or output above `maxBytes`
 * throws `Lz4Error` (the caller names the column), never reads or writes out of range.
 */

export class Lz4Error extends Error {}

export function decodeLz4Block(src: Uint8Array, maxBytes: number): Buffer {
  let out = Buffer.allocUnsafe(Math.min(maxBytes, Math.max(64, src.length * 4)));
  let o = 0;
  let i = 0;
  const ensure = (extra: number): void => {
    const need = o + extra;
    if (need > maxBytes) throw new Lz4Error(`decompresses to more than ${maxBytes} bytes`);
    if (need <= out.length) return;
    const next = Buffer.allocUnsafe(Math.min(maxBytes, Math.max(need, out.length * 2)));
    out.copy(next, 0, 0, o);
    out = next;
  };
  const length = (base: number): number => {
    let n = base;
    if (base === 15) {
      let b: number;
      do {
        if (i >= src.length) throw new Lz4Error('truncated length');
        b = src[i++]!;
        n += b;
      } while (b === 255);
    }
    return n;
  };
  while (i < src.length) {
    const token = src[i++]!;
    const literals = length(token >> 4);
    if (i + literals > src.length) throw new Lz4Error('literals run past the end');
    ensure(literals);
    out.set(src.subarray(i, i + literals), o);
    o += literals;
    i += literals;
    if (i === src.length) break; // the last sequence has literals only
    if (i + 2 > src.length) throw new Lz4Error('truncated match offset');
    const offset = src[i]! | (src[i + 1]! << 8);
    i += 2;
    if (offset === 0 || offset > o) throw new Lz4Error('match offset out of range');
    const match = length(token & 15) + 4;
    ensure(match);
    for (let k = 0; k < match; k++, o++) out[o] = out[o - offset]!;
  }
  return out.subarray(0, o);
}
