import type { Generated } from 'kysely';

/** Kysely table types of the archive core (migration 0001). Times are UTC epoch milliseconds. */

export interface MetaTable {
  key: string;
  value: string;
}

export interface SourcesTable {
  id: Generated<number>;
  name: string;
  created_at: number;
  record_count: number;
  /** Highest `seq` archived (the watermark), or null when the source has no seq. */
  last_seq: number | null;
  last_time_ms: number | null;
}

/** Contiguous runs of archived `seq` values per source; the holes between runs are gaps. */
export interface SourceSeqRangesTable {
  source_id: number;
  lo: number;
  hi: number;
}

export interface PersonsTable {
  id: Generated<number>;
  ext_id: string;
  name: string | null;
  /** filterValueKey(name), what `from:`/`to:` compare with (migration 0022); null when the name is. */
  name_key: Generated<string | null>;
  /** From a directory sync (migration 0009): `member` of the corp or `external` contact. */
  kind: Generated<string | null>;
  /** JSON array of department names (now). */
  departments: Generated<string | null>;
  /** JSON `[[untilMs, [names…]], …]`: the departments before each change a directory sync saw (migration 0028, domain/department-history.ts). */
  department_history: Generated<string | null>;
  position: Generated<string | null>;
  /** An external contact's company. */
  company: Generated<string | null>;
  directory_updated_at: Generated<number | null>;
  /** From a directory sync (migration 0024): a member's work e-mail, to identify a privacy request's subject. */
  email: Generated<string | null>;
}

export interface ConversationsTable {
  id: Generated<number>;
  source_id: number;
  ext_id: string;
  kind: 'direct' | 'group';
  title: string | null;
  /** The key of its first message sent by or addressed to an external party (migration 0025; repositories/external-since.ts). */
  external_since_key: Generated<number | null>;
}

export interface MessagesTable {
  /** Time-ordered key: time_ms * 2048 + slot (see domain/message-key.ts). Also the FTS rowid. */
  id: number;
  source_id: number;
  ext_id: string;
  seq: number | null;
  time_ms: number;
  conversation_id: number;
  from_person_id: number;
  /** JSON array of persons.id, or null. */
  to_person_ids: string | null;
  type: string;
  text: string | null;
  /** JSON object: call, recalls, extra structured fields. */
  fields: string | null;
  /** The original payload as JSON text. */
  raw: string | null;
  recalled_at: number | null;
  recalled_by: string | null;
  attachment_count: number;
  /** SHA-256 (32 bytes) of the canonical record, for evidence and duplicate-conflict detection. */
  record_hash: Buffer;
  import_id: number | null;
  archived_at: number;
}

export interface AttachmentsTable {
  message_id: number;
  ordinal: number;
  blob_id: string;
  name: string;
  mime: string | null;
}

/** A recall that arrived before the message it recalls. */
export interface PendingRecallsTable {
  source_id: number;
  target_ext_id: string;
  recall_ext_id: string;
  recall_time_ms: number;
}

export interface ImportsTable {
  id: Generated<number>;
  /** Absolute path of the imported file (kept inside the encrypted DB only). */
  file: string;
  format: string;
  actor: string;
  started_at: number;
  finished_at: number | null;
  status: 'running' | 'completed' | 'partial' | 'failed' | 'interrupted';
  /** JSON counts summary. */
  summary: string | null;
}

export interface QuarantineTable {
  id: Generated<number>;
  import_id: number | null;
  file: string;
  line: number;
  reason: string;
  /** The offending input line (encrypted with the DB). */
  content: string | null;
  /** NULL: `content` is text; `base64`: the line's bytes, which were not valid UTF-8 (migration 0029). */
  content_encoding: Generated<'base64' | null>;
  /** HMAC of the line under the dedup key (migration 0018): one entry per file, line and content. */
  content_mac: string | null;
  created_at: number;
  /** `source` and `id` of the record the line names, when it is a JSON object that does (migration 0023). */
  record_source: Generated<string | null>;
  record_id: Generated<string | null>;
}
