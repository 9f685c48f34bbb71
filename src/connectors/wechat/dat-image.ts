/**
 * PC WeChat keeps received and sent images as `.dat` files: the image bytes XOR-ed with one byte
 * (reference B.1). The key is recovered from the first bytes, which must become a known image
 * signature: JPEG `FF D8 FF`, PNG `89 50 4E 47`, GIF `47 49 46 38`. Newer WeChat versions encrypt
 * `.dat` files differently (AES); those match no signature and are left to the caller.
 */

export interface DecodedImage {
  data: Buffer;
  mime: 'image/jpeg' | 'image/png' | 'image/gif';
  ext: 'jpg' | 'png' | 'gif';
  /** The XOR byte (0 for a file that was not XOR-ed at all). */
  key: number;
}

const SIGNATURES: readonly { magic: readonly number[]; mime: DecodedImage['mime']; ext: DecodedImage['ext'] }[] = [
  { magic: [0xff, 0xd8, 0xff], mime: 'image/jpeg', ext: 'jpg' },
  { magic: [0x89, 0x50, 0x4e, 0x47], mime: 'image/png', ext: 'png' },
  { magic: [0x47, 0x49, 0x46, 0x38], mime: 'image/gif', ext: 'gif' },
];

/** Decodes a `.dat` image, or `undefined` when no image signature matches under any single-byte key. */
export function decodeDatImage(dat: Uint8Array): DecodedImage | undefined {
  for (const sig of SIGNATURES) {
    if (dat.length < sig.magic.length) continue;
    const key = dat[0]! ^ sig.magic[0]!;
    let matches = true;
    for (let i = 1; i < sig.magic.length; i++) {
      if ((dat[i]! ^ key) !== sig.magic[i]) {
        matches = false;
        break;
      }
    }
    if (!matches) continue;
    const data = Buffer.allocUnsafe(dat.length);
    for (let i = 0; i < dat.length; i++) data[i] = dat[i]! ^ key;
    return { data, mime: sig.mime, ext: sig.ext, key };
  }
  return undefined;
}
