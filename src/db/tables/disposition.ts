import type { Generated } from 'kysely';

/** Columns and tables added by migration 0011-disposition (see its comment). */

export interface DispositionRunColumns {
  /** The process running the sweep. */
  pid: number | null;
  /** Last batch commit of the run. */
  heartbeat_at: number | null;
  /** How many times a later process continued this run. */
  resumes: Generated<number>;
  /** RFC 9162 frontier of the Merkle tree over the run's tombstones so far (key order), and its size. */
  merkle_frontier: Buffer | null;
  tombstone_count: Generated<number>;
}

export interface DispositionReviewColumns {
  /** retention_policies.version when the item was queued. */
  policy_version: number | null;
  /** Why the item became void (`hold`, `disposed`, `floor`, `gone`, …). */
  void_reason: string | null;
}

/** Attachment objects whose last reference was disposed, waiting for their file to be deleted. */
export interface BlobPurgesTable {
  blob_id: string;
  queued_at: number;
}
