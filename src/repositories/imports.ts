import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ImportsTable } from '../db/tables/core.js';
import { chunks } from './directory.js';

/** Import runs and the quarantine of bad input. */

export async function createImport(db: Kysely<Database>, row: { file: string; format: string; actor: string; startedAt: number }): Promise<number> {
  const r = await db
    .insertInto('imports')
    .values({ file: row.file, format: row.format, actor: row.actor, started_at: row.startedAt, finished_at: null, status: 'running', summary: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

export async function finishImport(db: Kysely<Database>, id: number, status: ImportsTable['status'], finishedAt: number, summary: unknown): Promise<void> {
  await db.updateTable('imports').set({ status, finished_at: finishedAt, summary: JSON.stringify(summary) }).where('id', '=', id).execute();
}

/** Imports left `running` by a process that died are marked `interrupted`; returns their ids. */
export async function markInterruptedImports(db: Kysely<Database>, now: number): Promise<number[]> {
  const rows = await db.selectFrom('imports').select('id').where('status', '=', 'running').execute();
  if (rows.length > 0) {
    await db.updateTable('imports').set({ status: 'interrupted', finished_at: now }).where('id', 'in', rows.map((r) => r.id)).execute();
  }
  return rows.map((r) => r.id);
}

export interface QuarantineInput {
  importId: number;
  file: string;
  line: number;
  reason: string;
  content: string | null;
  /** `base64`: `content` is the line's bytes, which were not valid UTF-8. */
  contentEncoding?: 'base64' | undefined;
  /** Keyed digest of the line (services/import.ts quarantineMac): the same bad line is quarantined once. */
  contentMac: string;
  createdAt: number;
}

/**
 * `source` and `id` of the record a quarantined line names, when it is a JSON object that names
 * them (an invalid record, a conflicting re-send): its lines are deleted when that record is disposed of.
 */
export function recordNamedBy(content: string | null): { source: string; id: string } | undefined {
  if (content === null || !content.trimStart().startsWith('{')) return undefined;
  try {
    const v = JSON.parse(content) as { source?: unknown; id?: unknown };
    const id = typeof v.id === 'number' && Number.isSafeInteger(v.id) ? String(v.id) : v.id;
    return typeof v.source === 'string' && typeof id === 'string' ? { source: v.source, id } : undefined;
  } catch {
    return undefined;
  }
}

/** Quarantines bad lines; a line already quarantined (same file, line and content) is kept as it was. Returns how many are new. */
export async function quarantineLines(db: Kysely<Database>, rows: readonly QuarantineInput[]): Promise<number> {
  let added = 0;
  for (const part of chunks(rows, 200)) {
    const res = await db
      .insertInto('quarantine')
      .values(part.map((q) => {
        const named = q.contentEncoding === undefined ? recordNamedBy(q.content) : undefined;
        return {
          import_id: q.importId, file: q.file, line: q.line, reason: q.reason, content: q.content, content_encoding: q.contentEncoding ?? null, content_mac: q.contentMac, created_at: q.createdAt,
          record_source: named?.source ?? null, record_id: named?.id ?? null,
        };
      }))
      .onConflict((oc) => oc.columns(['file', 'line', 'content_mac']).doNothing())
      .executeTakeFirst();
    added += Number(res.numInsertedOrUpdatedRows ?? 0);
  }
  return added;
}

export interface QuarantineEntry {
  id: number;
  importId: number | null;
  file: string;
  line: number;
  reason: string;
  createdAt: number;
}

export async function listQuarantine(db: Kysely<Database>, filter: { importId?: number | undefined; limit: number; offset: number }): Promise<{ total: number; entries: QuarantineEntry[] }> {
  let q = db.selectFrom('quarantine');
  if (filter.importId !== undefined) q = q.where('import_id', '=', filter.importId);
  const total = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await q.select(['id', 'import_id', 'file', 'line', 'reason', 'created_at']).orderBy('id').limit(filter.limit).offset(filter.offset).execute();
  return {
    total: Number(total.n),
    entries: rows.map((r) => ({ id: r.id, importId: r.import_id, file: r.file, line: r.line, reason: r.reason, createdAt: r.created_at })),
  };
}

/** Ids of quarantined lines: of these ids, or every line of an import; ascending. */
export async function quarantineIds(db: Kysely<Database>, which: { ids: readonly number[] } | { importId: number }): Promise<number[]> {
  let q = db.selectFrom('quarantine').select('id');
  q = 'importId' in which ? q.where('import_id', '=', which.importId) : q.where('id', 'in', [...which.ids]);
  return (await q.orderBy('id').execute()).map((r) => r.id);
}

export async function deleteQuarantined(db: Kysely<Database>, ids: readonly number[]): Promise<void> {
  for (const part of chunks(ids, 500)) await db.deleteFrom('quarantine').where('id', 'in', part).execute();
}

export async function quarantineEntry(db: Kysely<Database>, id: number): Promise<(QuarantineEntry & { content: string | null; contentEncoding: 'base64' | null }) | undefined> {
  const r = await db.selectFrom('quarantine').selectAll().where('id', '=', id).executeTakeFirst();
  return r && { id: r.id, importId: r.import_id, file: r.file, line: r.line, reason: r.reason, createdAt: r.created_at, content: r.content, contentEncoding: r.content_encoding };
}
