/** Kysely table types of the audit log (migration 0002). */

export interface AuditEventsTable {
  /** 0-based leaf index in the Merkle tree. */
  seq: number;
  time_ms: number;
  actor: string;
  action: string;
  subject: string | null;
  /** JSON object; never message content. */
  details: string | null;
  /** RFC 9162 leaf hash SHA-256(0x00 || canonical form). */
  leaf_hash: Buffer;
}

export interface AuditTreeHeadsTable {
  size: number;
  root_hash: Buffer;
  time_ms: number;
  signature: Buffer;
}

/** One row (id = 1): the tree size and the right-edge subtree hashes for O(log n) appends. */
export interface AuditStateTable {
  id: number;
  size: number;
  /** Concatenated 32-byte hashes of the perfect subtrees of the tree's binary decomposition, left to right. */
  frontier: Buffer;
}
