/**
 * The blob port: encrypted, content-addressed attachment storage. Drivers: local files (local.ts);
 * S3-compatible object storage later. The store only deals with bytes on disk; reference counts
 * and metadata live in the database (repositories/blobs.ts).
 */
export interface StoredBlob {
  /** Keyed content address (hex). */
  id: string;
  /** Plain SHA-256 of the content (hex). */
  sha256: string;
  size: number;
  storedSize: number;
  compression: 'none' | 'gzip';
  bucket: string;
  wrappedDek: Buffer;
}

export interface BlobStore {
  /** Keyed content address of these bytes (the blob id they would get). */
  addressOf(data: Buffer): string;
  /** Compresses where it pays, encrypts with a fresh data key, and writes the object durably. */
  put(data: Buffer, options?: { mime?: string | undefined; bucket?: string | undefined }): Promise<StoredBlob>;
  /** Reads, authenticates every chunk, decrypts, decompresses and checks the SHA-256; throws on any mismatch. */
  get(blob: Pick<StoredBlob, 'id' | 'sha256' | 'size' | 'compression' | 'bucket' | 'wrappedDek'>): Promise<Buffer>;
  exists(id: string): Promise<boolean>;
  delete(id: string): Promise<void>;
}
