import type { Generated } from 'kysely';

/** Kysely table types of the blob store (migration 0003). Queries: repositories/blobs.ts. */

export interface BlobsTable {
  /** Keyed content address: HMAC-SHA256(dedup key, plaintext), hex. Also the file name. */
  id: string;
  /** Plain SHA-256 of the content (hex), for verification and manifests; lives only in the encrypted DB. */
  sha256: string;
  /** Plaintext bytes. */
  size: number;
  /** Bytes of the object file (header + encrypted, possibly gzipped chunks). */
  stored_size: number;
  compression: 'none' | 'gzip';
  /** Retention bucket whose key wraps this blob's data key. */
  bucket: string;
  /** The blob's data key, wrapped (AES-256-GCM, AAD = blob id + bucket) by the bucket key. */
  wrapped_dek: Buffer;
  /** References from attachments; 0 means the object may be deleted by retention. */
  ref_count: number;
  created_at: number;
  /** Malware scan (migration 0008): not_scanned (no scanner configured), clean, pending (scanner unreachable), infected. */
  scan_status: Generated<ScanStatus>;
  scan_signature: string | null;
  scan_engine: string | null;
  scanned_at: number | null;
}

export type ScanStatus = 'not_scanned' | 'clean' | 'pending' | 'infected';
