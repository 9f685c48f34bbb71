import { sql, type Kysely } from 'kysely';
import type { SqliteHandle } from '../db/connection.js';
import type { Database } from '../db/schema.js';
import { runsOf } from '../domain/watermark.js';

/** Sources, their counters and `seq` watermarks (contiguous runs; the holes are gaps). */

export async function findSourceId(db: Kysely<Database>, name: string): Promise<number | undefined> {
  return (await db.selectFrom('sources').select('id').where('name', '=', name).executeTakeFirst())?.id;
}

export async function resolveSource(db: Kysely<Database>, name: string, now: number): Promise<number> {
  const found = await findSourceId(db, name);
  if (found !== undefined) return found;
  const row = await db
    .insertInto('sources')
    .values({ name, created_at: now, record_count: 0, last_seq: null, last_time_ms: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function bumpSourceCounters(db: Kysely<Database>, sourceId: number, added: number, maxSeq: number | null, maxTime: number | null): Promise<void> {
  await db
    .updateTable('sources')
    .set({
      record_count: sql`record_count + ${added}`,
      last_seq: maxSeq === null ? sql`last_seq` : sql`max(coalesce(last_seq, ${maxSeq}), ${maxSeq})`,
      last_time_ms: maxTime === null ? sql`last_time_ms` : sql`max(coalesce(last_time_ms, ${maxTime}), ${maxTime})`,
    })
    .where('id', '=', sourceId)
    .execute();
}

/**
 * Merges newly archived seqs into the source's runs (adjacent or overlapping runs are joined), with
 * statements prepared once per import. Returns how many of the seqs were taken already: by a record
 * archived before, or by another new record of the same batch. A source's seq is a cursor that names
 * one record; a reused one means the source (or an export) delivered two records under one position.
 *
 * Each run of the batch looks up only the runs that can touch it, by the primary key (source, lo):
 * the last one starting before it, and those starting inside it or right after it. (Runs are
 * disjoint, so no other can touch it.) Sparse seqs — every third, or a department's share of a
 * WeCom export — make one stored run per record; a range condition on `lo` alone scanned every
 * earlier run for each of them, which made such imports quadratic.
 */
export function prepareSeqRecorder(sqlite: SqliteHandle): (sourceId: number, seqs: readonly number[]) => number {
  const before = sqlite.prepare('SELECT lo, hi FROM source_seq_ranges WHERE source_id = ? AND lo < ? ORDER BY lo DESC LIMIT 1');
  const within = sqlite.prepare('SELECT lo, hi FROM source_seq_ranges WHERE source_id = ? AND lo >= ? AND lo <= ? ORDER BY lo');
  const remove = sqlite.prepare('DELETE FROM source_seq_ranges WHERE source_id = ? AND lo = ?');
  const insert = sqlite.prepare('INSERT INTO source_seq_ranges (source_id, lo, hi) VALUES (?, ?, ?)');
  return (sourceId, seqs) => {
    let reused = seqs.length - new Set(seqs).size;
    for (const [lo0, hi0] of runsOf(seqs)) {
      const touching: { lo: number; hi: number }[] = [];
      const prev = before.get(sourceId, lo0) as { lo: number; hi: number } | undefined;
      if (prev && prev.hi >= lo0 - 1) touching.push(prev);
      touching.push(...(within.all(sourceId, lo0, hi0 + 1) as { lo: number; hi: number }[]));
      // A run is contiguous: its overlap with an archived run is that many taken seqs.
      for (const t of touching) reused += Math.max(0, Math.min(hi0, t.hi) - Math.max(lo0, t.lo) + 1);
      if (touching.length === 1 && touching[0]!.lo <= lo0 && touching[0]!.hi >= hi0) continue;
      let lo = lo0;
      let hi = hi0;
      for (const t of touching) {
        lo = Math.min(lo, t.lo);
        hi = Math.max(hi, t.hi);
        remove.run(sourceId, t.lo);
      }
      insert.run(sourceId, lo, hi);
    }
    return reused;
  };
}

export interface SourceRow {
  id: number;
  name: string;
  createdAt: number;
  recordCount: number;
  lastSeq: number | null;
  lastTimeMs: number | null;
}

export async function listSources(db: Kysely<Database>): Promise<SourceRow[]> {
  const rows = await db.selectFrom('sources').selectAll().orderBy('name').execute();
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, recordCount: r.record_count, lastSeq: r.last_seq, lastTimeMs: r.last_time_ms }));
}

export async function seqRuns(db: Kysely<Database>, sourceId: number): Promise<[number, number][]> {
  const rows = await db.selectFrom('source_seq_ranges').select(['lo', 'hi']).where('source_id', '=', sourceId).orderBy('lo').execute();
  return rows.map((r) => [r.lo, r.hi]);
}

/** A seq range the source can never deliver (table source_gaps). */
export interface UnrecoverableGap {
  from: number;
  to: number;
  reason: 'expired';
  detectedAt: number;
}

export async function recordUnrecoverableGap(db: Kysely<Database>, sourceId: number, gap: UnrecoverableGap): Promise<void> {
  await db.insertInto('source_gaps')
    .values({ source_id: sourceId, from_seq: gap.from, to_seq: gap.to, reason: gap.reason, detected_at: gap.detectedAt })
    .onConflict((oc) => oc.columns(['source_id', 'from_seq']).doUpdateSet((eb) => ({ to_seq: sql<number>`max(${eb.ref('source_gaps.to_seq')}, ${eb.ref('excluded.to_seq')})` })))
    .execute();
}

export async function unrecoverableGaps(db: Kysely<Database>, sourceId: number): Promise<UnrecoverableGap[]> {
  const rows = await db.selectFrom('source_gaps').select(['from_seq', 'to_seq', 'reason', 'detected_at']).where('source_id', '=', sourceId).orderBy('from_seq').execute();
  return rows.map((r) => ({ from: Number(r.from_seq), to: Number(r.to_seq), reason: r.reason, detectedAt: Number(r.detected_at) }));
}
