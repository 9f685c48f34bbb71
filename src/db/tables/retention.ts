import type { Generated } from 'kysely';

/** Retention policies, matters, legal holds, disposition runs, tombstones and reviews (migration 0010). */

export interface RetentionPoliciesTable {
  id: Generated<number>;
  name: string;
  /** The scope in the search query language plus kind:/party:/dept: ('' = every record). */
  scope: string;
  /** Durations as written (`30d`, `18m`, `6y`), or null. */
  min: string | null;
  max: string | null;
  action: 'delete' | 'review';
  purpose: string;
  basis: string;
  locked: number;
  enabled: number;
  preset: string | null;
  created_at: number;
  created_by: string;
  updated_at: number;
  updated_by: string;
  version: number;
  /** The zone its scope's dates were written in (migration 0026); NULL: the process's zone. */
  time_zone: Generated<string | null>;
}

export interface MattersTable {
  id: Generated<number>;
  name: string;
  description: string | null;
  status: 'open' | 'closed';
  created_at: number;
  created_by: string;
  closed_at: number | null;
  closed_by: string | null;
  close_reason: string | null;
}

export interface LegalHoldsTable {
  id: Generated<number>;
  matter_id: number;
  /** A search-language query, or null. */
  scope: string | null;
  /** JSON arrays of person ids and conversation ids. */
  custodians: string;
  conversations: string;
  after_ms: number | null;
  before_ms: number | null;
  reason: string;
  placed_at: number;
  placed_by: string;
  /** Set when released: a hold is never deleted. */
  released_at: number | null;
  released_by: string | null;
  release_reason: string | null;
  /** The zone its scope's dates were written in (migration 0026); NULL: the process's zone. */
  time_zone: Generated<string | null>;
}

export interface DispositionRunsTable {
  id: Generated<number>;
  started_at: number;
  finished_at: number | null;
  status: 'running' | 'completed' | 'failed' | 'interrupted';
  dry_run: number;
  actor: string;
  /** `cli`, `schedule` or `api`. */
  trigger: string;
  /** The instant the run decides at (injectable clock). */
  now_ms: number;
  /** The last message key examined: a resumed run continues after it. */
  cursor: number | null;
  /** JSON counts (per policy, holds, conflicts, errors). */
  counts: string | null;
  error: string | null;
}

/** What is left of a disposed record: identity and hashes, no content. */
export interface TombstonesTable {
  message_key: number;
  source_id: number;
  ext_id: string;
  record_hash: Buffer;
  /** JSON array of the attachments' SHA-256, or null. */
  attachment_hashes: string | null;
  time_ms: number;
  policy_id: number | null;
  run_id: number | null;
  /** `policy` (swept), `review` (approved disposal), `erasure` (privacy request). */
  reason: string;
  disposed_at: number;
}

export interface DispositionReviewsTable {
  id: Generated<number>;
  message_key: number;
  policy_id: number;
  run_id: number | null;
  queued_at: number;
  status: 'pending' | 'proposed' | 'approved' | 'rejected' | 'void';
  /** `dispose` or `retain`. */
  proposal: string | null;
  proposed_by: string | null;
  proposed_at: number | null;
  proposal_note: string | null;
  decided_by: string | null;
  decided_at: number | null;
  decision_note: string | null;
}
