import type { Generated } from 'kysely';

/** Backup bookkeeping (migration 0012-backups; see docs/adr/0011-backups-and-bucket-keys.md). */

export interface BackupBucketsTable {
  /** `<source id>:<conversation row id>:<yyyy-mm>` (UTC month of the records' time). */
  bucket: string;
  /** The key generation new backups encrypt this bucket under (starts at 1; a disposition moves it on). */
  generation: number;
  /** The highest generation held by a completed backup (0: none). */
  backed_up_generation: Generated<number>;
  updated_at: number;
}

/** A record disposed of from a bucket while this live key generation may be in backups (migration 0019). */
export interface BackupDisposedRecordsTable {
  key_name: string;
  message_key: number;
}

/** A record disposed of that this store knows only by its keyed digest (migration 0021; backup/disposal-digests.ts). */
export interface DisposalDigestsTable {
  digest: Buffer;
}

export interface BackupKeyRetirementsTable {
  /** The keyring name of the retired key: `backup-bucket:<bucket>:g<generation>`. */
  key_name: string;
  bucket: string;
  generation: number;
  noted_at: number;
  /** When the key was destroyed (crypto-shredded); null while pending. */
  destroyed_at: number | null;
  /** `emptied` (no record left in the bucket) or `superseded` (a backup holds a newer generation). */
  outcome: string | null;
}

export interface BackupRunsTable {
  id: Generated<number>;
  backup_id: string;
  /** The backup directory (absolute path). */
  target: string;
  pid: number;
  started_at: number;
  finished_at: number | null;
  status: 'running' | 'completed' | 'failed';
  /** JSON counts of the run. */
  summary: string | null;
}
