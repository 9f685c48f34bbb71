/**
 * The blob port: encrypted, content-addressed attachment storage. Drivers: local files (local.ts);
 * S3-compatible object storage later. The store only deals with bytes on disk; reference counts
 * and metadata live in the database (repositories/blobs.ts).
 *
 * The on-disk object format of the local driver is documented at the top of local.ts.
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

/** What a read needs: the blob's row in the database. */
export type BlobRef = Pick<StoredBlob, 'id' | 'sha256' | 'size' | 'compression' | 'bucket' | 'wrappedDek'>;

export interface PutOptions {
  /** Informational only: compression is decided from the content's magic bytes, never from the mime type. */
  mime?: string | undefined;
  /** Retention bucket whose key wraps the data key; DEFAULT_BUCKET when omitted. */
  bucket?: string | undefined;
}

export interface BlobStore {
  /** Keyed content address of these bytes (the blob id they would get). */
  addressOf(data: Buffer): string;
  /**
   * Compresses where it pays, encrypts with a fresh data key, and writes the object durably.
   * If a valid object with this id already exists, it is kept and its parameters are returned
   * (its `wrappedDek`, `compression`, `storedSize` and `bucket`, which may differ from a fresh
   * write's: the first writer's bucket wins). Callers store the returned values in the database.
   */
  put(data: Buffer, options?: PutOptions): Promise<StoredBlob>;
  /** Like `put` for a file on disk, streaming with bounded memory (for big attachments). */
  putFile(path: string, options?: PutOptions): Promise<StoredBlob>;
  /** Reads, authenticates every chunk, decrypts, decompresses and checks the SHA-256; throws on any mismatch. */
  get(blob: BlobRef): Promise<Buffer>;
  /**
   * Decrypts the blob into `destPath`, streaming, and renames it into place only after the size and
   * SHA-256 were verified; on any failure nothing is left at `destPath` (an existing file there is
   * replaced only on success).
   */
  writeTo(blob: BlobRef, destPath: string): Promise<void>;
  /**
   * Streams the content: every chunk is authenticated before it is yielded; a size or SHA-256
   * mismatch is thrown after the last chunk (a consumer that forwards the bytes must then abort,
   * e.g. reset the HTTP response, so the receiver never sees a complete-looking file).
   */
  read(blob: BlobRef): AsyncIterable<Buffer>;
  exists(id: string): Promise<boolean>;
  /** Removes the object; a missing object is not an error. */
  delete(id: string): Promise<void>;
  /** The ids of every object in the store (for removing those no database row names). */
  ids(): AsyncIterable<string>;
  /**
   * Runs `fn` with per-object fsyncs deferred, then makes everything it wrote durable with one
   * file-system sync before returning (bulk imports: one sync per batch, before the database commit).
   */
  withDeferredSync<T>(fn: () => Promise<T>): Promise<T>;
}
