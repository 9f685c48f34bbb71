import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/schema.js';
import type { AuditEventsTable, AuditTreeHeadsTable } from '../db/tables/audit.js';

/**
 * SQL of the Merkle audit log (tables of migration 0002). Every function takes a Kysely instance
 * that may be a transaction; the callers (services/audit.ts) decide the transaction boundaries.
 * Works on SQLite and PostgreSQL.
 */

type Db = Kysely<Database>;

export type AuditEventRow = Selectable<AuditEventsTable>;
export type TreeHeadRow = Selectable<AuditTreeHeadsTable>;

export interface AuditStateRow {
  size: number;
  frontier: Buffer;
}

const STATE_ID = 1;
/** Rows per multi-row INSERT: 7 parameters each stays far below SQLite's and PostgreSQL's limits. */
const INSERT_CHUNK = 500;

export async function readState(db: Db): Promise<AuditStateRow | undefined> {
  return db.selectFrom('audit_state').select(['size', 'frontier']).where('id', '=', STATE_ID).executeTakeFirst();
}

/**
 * Takes the write lock on the state row before it is read, so that concurrent appenders serialize
 * (PostgreSQL: row lock until commit; SQLite: the transaction becomes a writer at once).
 */
export async function lockState(db: Db): Promise<void> {
  await db
    .updateTable('audit_state')
    .set((eb) => ({ size: eb.ref('size') }))
    .where('id', '=', STATE_ID)
    .execute();
}

export async function writeState(db: Db, state: AuditStateRow): Promise<void> {
  await db
    .insertInto('audit_state')
    .values({ id: STATE_ID, size: state.size, frontier: state.frontier })
    .onConflict((oc) => oc.column('id').doUpdateSet({ size: state.size, frontier: state.frontier }))
    .execute();
}

export async function insertEvents(db: Db, rows: readonly AuditEventRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await db
      .insertInto('audit_events')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .execute();
  }
}

export async function insertTreeHead(db: Db, head: TreeHeadRow): Promise<void> {
  await db.insertInto('audit_tree_heads').values(head).execute();
}

export async function latestTreeHead(db: Db): Promise<TreeHeadRow | undefined> {
  return db.selectFrom('audit_tree_heads').selectAll().orderBy('size', 'desc').limit(1).executeTakeFirst();
}

export async function treeHeadAt(db: Db, size: number): Promise<TreeHeadRow | undefined> {
  return db.selectFrom('audit_tree_heads').selectAll().where('size', '=', size).executeTakeFirst();
}

export async function eventAt(db: Db, seq: number): Promise<AuditEventRow | undefined> {
  return db.selectFrom('audit_events').selectAll().where('seq', '=', seq).executeTakeFirst();
}

/** Counts and bounds of the log, for a consistent snapshot taken at the start of a verification. */
export interface LogBounds {
  eventCount: number;
  maxSeq: number | null;
  headCount: number;
  maxHeadSize: number | null;
}

export async function logBounds(db: Db): Promise<LogBounds> {
  const ev = await db
    .selectFrom('audit_events')
    .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.max('seq').as('max')])
    .executeTakeFirstOrThrow();
  const th = await db
    .selectFrom('audit_tree_heads')
    .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.max('size').as('max')])
    .executeTakeFirstOrThrow();
  const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  return { eventCount: Number(ev.n), maxSeq: num(ev.max), headCount: Number(th.n), maxHeadSize: num(th.max) };
}

/**
 * Event rows in seq order, one page at a time (keyset pagination, so memory stays bounded over
 * millions of rows). `from` is inclusive, `to` exclusive; without `from` the scan starts at the
 * lowest seq present (even a negative one an insider wrote).
 */
export async function* pagesOfEvents(db: Db, options: { from?: number; to?: number; pageSize?: number } = {}): AsyncGenerator<AuditEventRow[]> {
  const pageSize = options.pageSize ?? 5000;
  let after: number | undefined;
  for (;;) {
    let q = db.selectFrom('audit_events').selectAll().orderBy('seq').limit(pageSize);
    if (after !== undefined) q = q.where('seq', '>', after);
    else if (options.from !== undefined) q = q.where('seq', '>=', options.from);
    if (options.to !== undefined) q = q.where('seq', '<', options.to);
    const rows = await q.execute();
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < pageSize) return;
    after = (rows[rows.length - 1] as AuditEventRow).seq;
  }
}

/** Only seq and leaf_hash, in seq order, for [from, to): what proof generation needs. */
export async function* pagesOfLeafHashes(db: Db, from: number, to: number, pageSize = 20_000): AsyncGenerator<Pick<AuditEventRow, 'seq' | 'leaf_hash'>[]> {
  let lo = from;
  for (;;) {
    const rows = await db
      .selectFrom('audit_events')
      .select(['seq', 'leaf_hash'])
      .where('seq', '>=', lo)
      .where('seq', '<', to)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < pageSize) return;
    lo = (rows[rows.length - 1] as { seq: number }).seq + 1;
  }
}

/** Tree heads in size order, one page at a time; `maxSize` inclusive. */
export async function* pagesOfTreeHeads(db: Db, options: { maxSize?: number; pageSize?: number } = {}): AsyncGenerator<TreeHeadRow[]> {
  const pageSize = options.pageSize ?? 5000;
  let after: number | undefined;
  for (;;) {
    let q = db.selectFrom('audit_tree_heads').selectAll().orderBy('size').limit(pageSize);
    if (after !== undefined) q = q.where('size', '>', after);
    if (options.maxSize !== undefined) q = q.where('size', '<=', options.maxSize);
    const rows = await q.execute();
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < pageSize) return;
    after = (rows[rows.length - 1] as TreeHeadRow).size;
  }
}

export interface EventFilters {
  /** Exact action, or a prefix when it ends in `*` (`message.*`). */
  action?: string | undefined;
  actor?: string | undefined;
  subject?: string | undefined;
  /** Inclusive lower bound of time_ms. */
  sinceMs?: number | undefined;
  /** Exclusive upper bound of time_ms. */
  untilMs?: number | undefined;
  /** Only events with seq < beforeSeq (paging backwards). */
  beforeSeq?: number | undefined;
  /** Only events with seq > afterSeq (paging forwards). */
  afterSeq?: number | undefined;
  order: 'asc' | 'desc';
  limit: number;
}

/** The smallest string greater than every string that starts with `prefix` (BMP prefixes). */
function prefixUpperBound(prefix: string): string {
  const last = prefix.charCodeAt(prefix.length - 1);
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}

export async function listEvents(db: Db, f: EventFilters): Promise<AuditEventRow[]> {
  let q = db.selectFrom('audit_events').selectAll();
  if (f.action !== undefined) {
    if (f.action.endsWith('*')) {
      const prefix = f.action.slice(0, -1);
      if (prefix.length > 0) q = q.where('action', '>=', prefix).where('action', '<', prefixUpperBound(prefix));
    } else {
      q = q.where('action', '=', f.action);
    }
  }
  if (f.actor !== undefined) q = q.where('actor', '=', f.actor);
  if (f.subject !== undefined) q = q.where('subject', '=', f.subject);
  if (f.sinceMs !== undefined) q = q.where('time_ms', '>=', f.sinceMs);
  if (f.untilMs !== undefined) q = q.where('time_ms', '<', f.untilMs);
  if (f.beforeSeq !== undefined) q = q.where('seq', '<', f.beforeSeq);
  if (f.afterSeq !== undefined) q = q.where('seq', '>', f.afterSeq);
  return q.orderBy('seq', f.order).limit(f.limit).execute();
}
