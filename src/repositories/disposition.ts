import { sql, type Kysely, type Selectable } from 'kysely';
import type { SqliteHandle } from '../db/connection.js';
import type { Database } from '../db/schema.js';

/** Disposition runs, the disposition review queue and pending blob purges (migrations 0010, 0011). */

export type RunStatus = 'running' | 'completed' | 'failed' | 'interrupted';
export type RunRow = Selectable<Database['disposition_runs']>;
export type ReviewRow = Selectable<Database['disposition_reviews']>;
export type ReviewStatus = ReviewRow['status'];

export async function createRun(db: Kysely<Database>, row: { startedAt: number; dryRun: boolean; actor: string; trigger: string; nowMs: number; cursor: number | null; pid: number }): Promise<number> {
  const r = await db
    .insertInto('disposition_runs')
    .values({
      started_at: row.startedAt, finished_at: null, status: 'running', dry_run: row.dryRun ? 1 : 0, actor: row.actor, trigger: row.trigger,
      now_ms: row.nowMs, cursor: row.cursor, counts: null, error: null, pid: row.pid, heartbeat_at: row.startedAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

/** A run created for a disposal that disposed of nothing (services/disposition-certificates.ts certifiedDisposal). */
export async function deleteRun(db: Kysely<Database>, id: number): Promise<void> {
  await db.deleteFrom('disposition_runs').where('id', '=', id).execute();
}

/**
 * The triggers of sweep runs (services/disposition-run.ts). Runs with other triggers (`review`,
 * `erasure`) only carry the tombstones and certificate of a disposal made elsewhere: resuming,
 * the daily schedule and the overdue alert ignore them.
 */
export const SWEEP_TRIGGERS = ['cli', 'schedule', 'api'] as const;

export async function findRun(db: Kysely<Database>, id: number): Promise<RunRow | undefined> {
  return db.selectFrom('disposition_runs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listRuns(db: Kysely<Database>, options: { limit: number; dryRun?: boolean; status?: RunStatus }): Promise<RunRow[]> {
  let q = db.selectFrom('disposition_runs').selectAll();
  if (options.dryRun !== undefined) q = q.where('dry_run', '=', options.dryRun ? 1 : 0);
  if (options.status !== undefined) q = q.where('status', '=', options.status);
  return q.orderBy('id', 'desc').limit(options.limit).execute();
}

/** Real (not dry) runs left `running`: their process died (the caller holds the writer lock, so none is alive). */
export async function runningRealRuns(db: Kysely<Database>): Promise<RunRow[]> {
  return db.selectFrom('disposition_runs').selectAll().where('status', '=', 'running').where('dry_run', '=', 0).where('trigger', 'in', [...SWEEP_TRIGGERS]).orderBy('id').execute();
}

/** Dry runs left `running` (their process may be alive: the caller checks). */
export async function runningDryRuns(db: Kysely<Database>): Promise<RunRow[]> {
  return db.selectFrom('disposition_runs').selectAll().where('status', '=', 'running').where('dry_run', '=', 1).execute();
}

/** The latest interrupted real run, if no real run finished after it (the one a new run continues). */
export async function resumableRun(db: Kysely<Database>): Promise<RunRow | undefined> {
  const last = await db.selectFrom('disposition_runs').selectAll().where('dry_run', '=', 0).where('status', '!=', 'running').where('trigger', 'in', [...SWEEP_TRIGGERS]).orderBy('id', 'desc').limit(1).executeTakeFirst();
  return last?.status === 'interrupted' ? last : undefined;
}

export async function updateRun(db: Kysely<Database>, id: number, set: Partial<Omit<RunRow, 'id'>>): Promise<void> {
  await db.updateTable('disposition_runs').set(set).where('id', '=', id).execute();
}

export async function lastCompletedRun(db: Kysely<Database>): Promise<RunRow | undefined> {
  return db.selectFrom('disposition_runs').selectAll().where('dry_run', '=', 0).where('status', '=', 'completed').where('trigger', 'in', [...SWEEP_TRIGGERS]).orderBy('id', 'desc').limit(1).executeTakeFirst();
}

// ---------------------------------------------------------------------------------------------
// Reviews

/** Queues records for review; a record with an open item is left as it is. Returns how many were queued. */
export async function queueReviews(db: Kysely<Database>, items: readonly { messageKey: number; policyId: number; policyVersion: number; runId: number | null; queuedAt: number }[]): Promise<number> {
  let added = 0;
  for (let i = 0; i < items.length; i += 150) {
    const part = items.slice(i, i + 150);
    const values = part.map((it) => sql`(${it.messageKey}, ${it.policyId}, ${it.policyVersion}, ${it.runId}, ${it.queuedAt}, 'pending')`);
    const r = await sql`INSERT OR IGNORE INTO disposition_reviews (message_key, policy_id, policy_version, run_id, queued_at, status) VALUES ${sql.join(values)}`.execute(db);
    added += Number(r.numAffectedRows ?? 0);
  }
  return added;
}

/** Keys in [lo, hi] with an open item, and with an approved `retain` (by policy and version). */
export async function reviewStateInRange(db: Kysely<Database>, lo: number, hi: number): Promise<{ open: Set<number>; retained: Map<number, { policyId: number; policyVersion: number | null }[]> }> {
  const rows = await db
    .selectFrom('disposition_reviews')
    .select(['message_key', 'policy_id', 'policy_version', 'status', 'proposal'])
    .where('message_key', '>=', lo)
    .where('message_key', '<=', hi)
    .where((eb) => eb.or([eb('status', 'in', ['pending', 'proposed']), eb.and([eb('status', '=', 'approved'), eb('proposal', '=', 'retain')])]))
    .execute();
  const open = new Set<number>();
  const retained = new Map<number, { policyId: number; policyVersion: number | null }[]>();
  for (const r of rows) {
    const key = Number(r.message_key);
    if (r.status === 'pending' || r.status === 'proposed') open.add(key);
    else {
      const l = retained.get(key) ?? [];
      l.push({ policyId: r.policy_id, policyVersion: r.policy_version });
      retained.set(key, l);
    }
  }
  return { open, retained };
}

export async function findReview(db: Kysely<Database>, id: number): Promise<ReviewRow | undefined> {
  return db.selectFrom('disposition_reviews').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listReviewRows(db: Kysely<Database>, filter: { status?: ReviewStatus[] | undefined; policyId?: number | undefined; limit: number; offset: number }): Promise<{ total: number; rows: ReviewRow[] }> {
  let q = db.selectFrom('disposition_reviews');
  if (filter.status && filter.status.length > 0) q = q.where('status', 'in', filter.status);
  if (filter.policyId !== undefined) q = q.where('policy_id', '=', filter.policyId);
  const total = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await q.selectAll().orderBy('id').limit(filter.limit).offset(filter.offset).execute();
  return { total: Number(total.n), rows };
}

export async function updateReview(db: Kysely<Database>, id: number, set: Partial<Omit<ReviewRow, 'id'>>): Promise<void> {
  await db.updateTable('disposition_reviews').set(set).where('id', '=', id).execute();
}

// ---------------------------------------------------------------------------------------------
// The full-text index after disposals

/**
 * Meta key set by every disposal: the index still holds the disposed records' tokens. A
 * contentless_delete FTS5 table marks deleted rows with tombstones and drops their tokens only when
 * it merges the segments holding them (measured: 'secure-delete' does not change that for this kind
 * of table). `optimize` merges everything and leaves no token of a deleted row.
 */
export const INDEX_PURGE_PENDING_KEY = 'retention.index_purge_pending';

export async function markIndexPurgePending(db: Kysely<Database>): Promise<void> {
  await sql`INSERT INTO meta (key, value) VALUES (${INDEX_PURGE_PENDING_KEY}, '1') ON CONFLICT (key) DO UPDATE SET value = '1'`.execute(db);
}

/** Rewrites the index without the tokens of deleted rows (in the caller's transaction); clears the mark. */
export async function purgeIndexTokens(db: Kysely<Database>): Promise<boolean> {
  const pending = await db.selectFrom('meta').select('value').where('key', '=', INDEX_PURGE_PENDING_KEY).executeTakeFirst();
  if (pending?.value !== '1') return false;
  await sql`INSERT INTO message_fts (message_fts) VALUES ('optimize')`.execute(db);
  await db.deleteFrom('meta').where('key', '=', INDEX_PURGE_PENDING_KEY).execute();
  return true;
}

// ---------------------------------------------------------------------------------------------
// Blob purges

export async function pendingBlobPurges(db: Kysely<Database>, limit: number): Promise<string[]> {
  return (await db.selectFrom('blob_purges').select('blob_id').orderBy('queued_at').orderBy('blob_id').limit(limit).execute()).map((r) => r.blob_id);
}

export async function blobRowsExisting(db: Kysely<Database>, ids: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < ids.length; i += 500) {
    for (const r of await db.selectFrom('blobs').select('id').where('id', 'in', ids.slice(i, i + 500)).execute()) out.add(r.id);
  }
  return out;
}

export async function deleteBlobPurges(db: Kysely<Database>, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) await db.deleteFrom('blob_purges').where('blob_id', 'in', ids.slice(i, i + 500)).execute();
}

// ---------------------------------------------------------------------------------------------
// The disposal of a batch of records: set-based statements over a JSON array of keys, prepared
// once per connection and run inside the caller's transaction (the same connection).

export interface UsageSubtraction {
  messages: number;
  textBytes: number;
  attachments: number;
  attachmentBytes: number;
}

export interface DisposalStatements {
  /** [key, text bytes (text + raw, as the usage rollups count them)] of the keys that exist. */
  textBytes(keysJson: string): [number, number][];
  /** Deletes the messages, their attachment rows and index entries; returns the messages deleted. */
  deleteRows(keysJson: string): number;
  deletePendingRecalls(pairsJson: string): void;
  /** Deletes the quarantined lines that name one of the records ([source id, ext id] pairs); returns how many. */
  deleteQuarantined(pairsJson: string): number;
  /** Drops `n` references; at 0 the blob row goes and a purge of its file is queued. Returns its stored size when it went. */
  releaseBlob(id: string, n: number, now: number): number | undefined;
  subtractDaily(day: string, sourceId: number, type: string, d: UsageSubtraction): void;
  subtractPerson(personId: number, d: UsageSubtraction): void;
  subtractConversation(conversationId: number, d: UsageSubtraction): void;
  subtractSource(sourceId: number, n: number): void;
  voidOpenReviews(keysJson: string, reason: string): number;
}

const cache = new WeakMap<SqliteHandle, DisposalStatements>();

/** The statements of a disposal, prepared once per connection (UPDATE … RETURNING is avoided: measured 1 ms per call here). */
export function disposalStatements(sqlite: SqliteHandle): DisposalStatements {
  const known = cache.get(sqlite);
  if (known) return known;
  const keys = 'SELECT value FROM json_each(?)';
  const selText = sqlite.prepare(`SELECT id, coalesce(length(CAST(text AS BLOB)), 0) + coalesce(length(CAST(raw AS BLOB)), 0) FROM messages WHERE id IN (${keys})`).raw();
  const delAttachments = sqlite.prepare(`DELETE FROM attachments WHERE message_id IN (${keys})`);
  const delFts = sqlite.prepare(`DELETE FROM message_fts WHERE rowid IN (${keys})`);
  const delMessages = sqlite.prepare(`DELETE FROM messages WHERE id IN (${keys})`);
  const anyPending = sqlite.prepare('SELECT 1 FROM pending_recalls LIMIT 1').pluck();
  const delPending = sqlite.prepare(`DELETE FROM pending_recalls WHERE EXISTS (SELECT 1 FROM json_each(?) j
    WHERE json_extract(j.value, '$[0]') = pending_recalls.source_id AND json_extract(j.value, '$[1]') IN (pending_recalls.recall_ext_id, pending_recalls.target_ext_id))`);
  const anyNamed = sqlite.prepare('SELECT 1 FROM quarantine WHERE record_source IS NOT NULL LIMIT 1').pluck();
  const delQuarantined = sqlite.prepare(`DELETE FROM quarantine WHERE record_source IS NOT NULL AND (record_source, record_id) IN
    (SELECT s.name, json_extract(j.value, '$[1]') FROM json_each(?) j JOIN sources s ON s.id = json_extract(j.value, '$[0]'))`);
  const release = sqlite.prepare('UPDATE blobs SET ref_count = max(ref_count - ?, 0) WHERE id = ?');
  const blobState = sqlite.prepare('SELECT ref_count, stored_size FROM blobs WHERE id = ?').raw();
  const delBlob = sqlite.prepare('DELETE FROM blobs WHERE id = ? AND ref_count = 0');
  const queuePurge = sqlite.prepare('INSERT OR IGNORE INTO blob_purges (blob_id, queued_at) VALUES (?, ?)');
  const set = 'messages = messages - ?, text_bytes = text_bytes - ?, attachments = attachments - ?, attachment_bytes = attachment_bytes - ?';
  const daily = sqlite.prepare(`UPDATE usage_daily SET ${set} WHERE day = ? AND source_id = ? AND type = ?`);
  const dailyDel = sqlite.prepare('DELETE FROM usage_daily WHERE day = ? AND source_id = ? AND type = ? AND messages <= 0');
  const person = sqlite.prepare(`UPDATE usage_person SET ${set} WHERE person_id = ?`);
  const personDel = sqlite.prepare('DELETE FROM usage_person WHERE person_id = ? AND messages <= 0');
  const conv = sqlite.prepare(`UPDATE usage_conversation SET ${set} WHERE conversation_id = ?`);
  const convDel = sqlite.prepare('DELETE FROM usage_conversation WHERE conversation_id = ? AND messages <= 0');
  const source = sqlite.prepare('UPDATE sources SET record_count = max(record_count - ?, 0) WHERE id = ?');
  const anyOpen = sqlite.prepare("SELECT 1 FROM disposition_reviews WHERE status IN ('pending', 'proposed') LIMIT 1").pluck();
  const voidReviews = sqlite.prepare(`UPDATE disposition_reviews SET status = 'void', void_reason = ? WHERE message_key IN (${keys}) AND status IN ('pending', 'proposed')`);
  const args = (d: UsageSubtraction): number[] => [d.messages, d.textBytes, d.attachments, d.attachmentBytes];
  const statements: DisposalStatements = {
    textBytes: (json) => (selText.all(json) as [number, number][]).map(([k, b]) => [Number(k), Number(b)]),
    deleteRows(json) {
      delAttachments.run(json);
      delFts.run(json);
      return delMessages.run(json).changes;
    },
    deletePendingRecalls(json) {
      if (anyPending.get() !== undefined) delPending.run(json);
    },
    deleteQuarantined(json) {
      return anyNamed.get() === undefined ? 0 : delQuarantined.run(json).changes;
    },
    releaseBlob(id, n, now) {
      release.run(n, id);
      const row = blobState.get(id) as [number, number] | undefined;
      if (row === undefined || Number(row[0]) > 0) return undefined;
      delBlob.run(id);
      queuePurge.run(id, now);
      return Number(row[1]);
    },
    subtractDaily(day, sourceId, type, d) {
      daily.run(...args(d), day, sourceId, type);
      dailyDel.run(day, sourceId, type);
    },
    subtractPerson(personId, d) {
      person.run(...args(d), personId);
      personDel.run(personId);
    },
    subtractConversation(conversationId, d) {
      conv.run(...args(d), conversationId);
      convDel.run(conversationId);
    },
    subtractSource: (sourceId, n) => void source.run(n, sourceId),
    voidOpenReviews: (json, reason) => (anyOpen.get() === undefined ? 0 : voidReviews.run(reason, json).changes),
  };
  cache.set(sqlite, statements);
  return statements;
}
