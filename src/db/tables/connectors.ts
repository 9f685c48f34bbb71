import type { Generated } from 'kysely';

/** Connector sources, resumable media downloads and the consent ledger (migration 0008). */

export interface SourceSettingsTable {
  source_id: number;
  kind: string;
  /** JSON of the non-secret configuration. */
  config: string;
  /** Sealed JSON of the secrets (crypto/account-secrets.ts sealSecret, AAD `source-secrets:<id>`). */
  secrets: Buffer;
  /** The connector's durable cursor (WeCom: the last seq stored). */
  cursor_seq: number;
  /** The last sync attempt, whatever its outcome. */
  last_sync_at: number | null;
  last_sync_status: string | null;
  /** The last sync that completed (`completed` or `partial`; migration 0020): lag counts from it. */
  last_success_at: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface ConnectorMediaTable {
  source_id: number;
  file_id: string;
  /** Resume point of a chunked download (WeCom: the index buffer). */
  index_buf: string;
  received: number;
  status: 'downloading' | 'done' | 'failed';
  attempts: number;
  problem: string | null;
  updated_at: number;
}

export interface ConsentEventsTable {
  id: Generated<number>;
  source_id: number;
  message_ext_id: string;
  /** Who agreed or refused (external user id). */
  party: string;
  action: 'agree' | 'disagree';
  time_ms: number;
  details: string | null;
}

/** Seq ranges a source can never deliver, recorded by the sync that had to skip them (migration 0015). */
export interface SourceGapsTable {
  source_id: number;
  from_seq: number;
  to_seq: number;
  reason: 'expired';
  detected_at: number;
}

/** WeCom media not downloaded when its message was archived, retried by later syncs (migration 0016). */
export interface MissingMediaTable {
  source_id: number;
  message_ext_id: string;
  file_id: string;
  name: string;
  mime: string | null;
  md5sum: string | null;
  status: 'waiting' | 'attached' | 'gone' | 'abandoned' | 'worm';
  attempts: Generated<number>;
  created_at: number;
  updated_at: number;
}
