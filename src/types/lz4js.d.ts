/** lz4js ships no types: the two block functions WeKeep's tests use (fixtures of PC 3.x CompressContent). */
declare module 'lz4js' {
  /** Compresses `src[sIndex, sIndex + sLength)` into `dst` as one LZ4 block; returns the compressed size (0 if incompressible). */
  export function compressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, hashTable: Uint32Array): number;
  /** Decompresses one LZ4 block into `dst` at `dIndex`; returns the end index. No bounds checks. */
  export function decompressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, dIndex: number): number;
}
