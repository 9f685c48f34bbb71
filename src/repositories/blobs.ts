import { sql, type Kysely, type Selectable } from 'kysely';
import type { StoredBlob } from '../blobs/blob-store.js';
import type { SqliteHandle } from '../db/connection.js';
import type { Database } from '../db/schema.js';
import type { BlobsTable, ScanStatus } from '../db/tables/blobs.js';
import { AppError } from '../errors.js';

/** A row of `blobs`: everything the blob store needs to read the object, plus its reference count. */
export interface BlobRecord extends StoredBlob {
  refCount: number;
  createdAt: number;
  scanStatus: ScanStatus;
}

export interface BlobStats {
  /** Distinct blobs (rows), referenced or not. */
  count: number;
  /** Blobs whose reference count reached 0 (their files await deletion by retention). */
  unreferenced: number;
  /** Sum of plaintext sizes of the distinct blobs. */
  logicalBytes: number;
  /** Sum of the object files' sizes (compressed, encrypted, with headers). */
  storedBytes: number;
  /** Sum of size × references: the bytes every reference would need without de-duplication. */
  referencedBytes: number;
  /** Sum of the reference counts: how many attachments point at a blob. */
  references: number;
}

/** Parameters per statement stay well under SQLite's and PostgreSQL's limits. */
const ID_BATCH = 500;

/** bigint columns arrive as strings from PostgreSQL and as numbers from SQLite. */
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));

function toRecord(row: Selectable<BlobsTable>): BlobRecord {
  return {
    id: row.id,
    sha256: row.sha256,
    size: num(row.size),
    storedSize: num(row.stored_size),
    compression: row.compression,
    bucket: row.bucket,
    wrappedDek: Buffer.from(row.wrapped_dek),
    refCount: num(row.ref_count),
    createdAt: num(row.created_at),
    scanStatus: row.scan_status,
  };
}

export async function findBlob(db: Kysely<Database>, id: string): Promise<BlobRecord | undefined> {
  const row = await db.selectFrom('blobs').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/** The rows of these ids that exist, in no particular order. */
export async function findBlobs(db: Kysely<Database>, ids: readonly string[]): Promise<BlobRecord[]> {
  const unique = [...new Set(ids)];
  const out: BlobRecord[] = [];
  for (let i = 0; i < unique.length; i += ID_BATCH) {
    const rows = await db.selectFrom('blobs').selectAll().where('id', 'in', unique.slice(i, i + ID_BATCH)).execute();
    for (const row of rows) out.push(toRecord(row));
  }
  return out;
}

/**
 * Records `count` (default 1) more references to a stored blob: inserts the row with that
 * ref_count, or adds it to the count of the existing row. The object parameters (wrapped key,
 * compression, stored size, bucket) are taken from `stored`, which describes the object on disk as
 * the blob store last returned it (the store reuses a valid existing object and replaces a damaged
 * one). Returns the new count.
 */
export async function addBlobReference(db: Kysely<Database>, stored: StoredBlob, now: number = Date.now(), count = 1): Promise<number> {
  const row = await referenceUpsert(db, { ...stored, count, now }).executeTakeFirst();
  if (!row) throw addressConflict(stored.id);
  return num(row.ref_count);
}

/**
 * `addBlobReference` for hot paths (the import): the statement is built by Kysely once and runs as a
 * prepared statement on the same connection (so inside the caller's transaction). `count`
 * references are added at once. Returns the new count.
 */
export function prepareBlobReferences(db: Kysely<Database>, sqlite: SqliteHandle): (stored: StoredBlob, count: number, now: number) => number {
  const names = ['id', 'sha256', 'size', 'storedSize', 'compression', 'bucket', 'wrappedDek', 'count', 'now'] as const;
  type Name = (typeof names)[number];
  // Compiled with a marker in place of each value; the markers give the order of the parameters.
  const marker = (name: Name): string => `\u0000${name}`;
  const compiled = referenceUpsert(db, Object.fromEntries(names.map((n) => [n, marker(n)])) as unknown as ReferenceValues).compile();
  const order = compiled.parameters.map((p) => {
    const name = names.find((n) => p === marker(n));
    if (name === undefined) throw new Error('prepareBlobReferences: a parameter of the statement is not one of its values');
    return name;
  });
  const statement = sqlite.prepare(compiled.sql).pluck();
  return (stored, count, now) => {
    const values: ReferenceValues = { ...stored, count, now };
    const refCount = statement.get(order.map((n) => values[n])) as number | bigint | undefined;
    if (refCount === undefined) throw addressConflict(stored.id);
    return num(refCount);
  };
}

type ReferenceValues = StoredBlob & { count: number; now: number };

/** Insert the row with `count` references, or add `count` to the existing row's; returns the new count. */
function referenceUpsert(db: Kysely<Database>, v: ReferenceValues) {
  return db
    .insertInto('blobs')
    .values({
      id: v.id,
      sha256: v.sha256,
      size: v.size,
      stored_size: v.storedSize,
      compression: v.compression,
      bucket: v.bucket,
      wrapped_dek: v.wrappedDek,
      ref_count: v.count,
      created_at: v.now,
    })
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet((eb) => ({
          ref_count: sql<number>`${sql.ref('blobs.ref_count')} + ${v.count}`,
          stored_size: eb.ref('excluded.stored_size'),
          compression: eb.ref('excluded.compression'),
          bucket: eb.ref('excluded.bucket'),
          wrapped_dek: eb.ref('excluded.wrapped_dek'),
        }))
        // Same id must mean same content; anything else is a bug or a forged row: change nothing.
        .where('blobs.sha256', '=', v.sha256)
        .where('blobs.size', '=', v.size),
    )
    .returning('ref_count');
}

const addressConflict = (id: string): AppError =>
  new AppError('blob.address_conflict', `blob ${id} is already recorded with a different SHA-256 or size`, { details: { blobId: id } });

/**
 * Drops one reference and returns the new count. At 0 the row stays (retention deletes the file and
 * then the row with `deleteUnreferencedBlob`). Throws if the blob is unknown or already at 0.
 */
export async function releaseBlobReference(db: Kysely<Database>, id: string): Promise<number> {
  const row = await db
    .updateTable('blobs')
    .set({ ref_count: sql<number>`ref_count - 1` })
    .where('id', '=', id)
    .where('ref_count', '>', 0)
    .returning('ref_count')
    .executeTakeFirst();
  if (row) return num(row.ref_count);
  const existing = await db.selectFrom('blobs').select('id').where('id', '=', id).executeTakeFirst();
  if (!existing) throw new AppError('blob.not_found', `blob ${id} is not recorded`, { details: { blobId: id } });
  throw new AppError('blob.ref_underflow', `blob ${id} has no references left to release`, { details: { blobId: id } });
}

/** Deletes the row if it has no references left; returns whether it did. */
export async function deleteUnreferencedBlob(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db.deleteFrom('blobs').where('id', '=', id).where('ref_count', '=', 0).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Ids of blobs with no references left, oldest first (for retention). */
export async function findUnreferencedBlobIds(db: Kysely<Database>, limit: number): Promise<string[]> {
  const rows = await db.selectFrom('blobs').select('id').where('ref_count', '=', 0).orderBy('created_at').orderBy('id').limit(limit).execute();
  return rows.map((r) => r.id);
}

/** Totals for statistics, optionally for one bucket. */
export async function blobStats(db: Kysely<Database>, options: { bucket?: string | undefined } = {}): Promise<BlobStats> {
  let q = db
    .selectFrom('blobs')
    .select((eb) => [
      eb.fn.countAll<number>().as('count'),
      eb.fn.sum<number>(eb.case().when('ref_count', '=', 0).then(1).else(0).end()).as('unreferenced'),
      eb.fn.sum<number>('size').as('logical'),
      eb.fn.sum<number>('stored_size').as('stored'),
      eb.fn.sum<number>(sql`size * ref_count`).as('referenced'),
      eb.fn.sum<number>('ref_count').as('references'),
    ]);
  if (options.bucket !== undefined) q = q.where('bucket', '=', options.bucket);
  const row = await q.executeTakeFirstOrThrow();
  return {
    count: num(row.count),
    unreferenced: num(row.unreferenced),
    logicalBytes: num(row.logical),
    storedBytes: num(row.stored),
    referencedBytes: num(row.referenced),
    references: num(row.references),
  };
}

/** Records a malware-scan result on a blob (migration 0008). */
export async function recordScan(db: Kysely<Database>, id: string, scan: { status: ScanStatus; signature: string | null; engine: string | null }, now: number): Promise<void> {
  await db.updateTable('blobs').set({ scan_status: scan.status, scan_signature: scan.signature, scan_engine: scan.engine, scanned_at: now }).where('id', '=', id).execute();
}

/** Blobs waiting for a scan (the scanner was unreachable when they arrived), oldest first. */
export async function blobsPendingScan(db: Kysely<Database>, limit: number): Promise<BlobRecord[]> {
  const rows = await db.selectFrom('blobs').selectAll().where('scan_status', '=', 'pending').orderBy('created_at').limit(limit).execute();
  return rows.map(toRecord);
}

/** Infected blobs (kept encrypted, never served), with the messages that reference them. */
export async function infectedBlobs(db: Kysely<Database>, limit: number): Promise<{ id: string; signature: string | null; engine: string | null; scannedAt: number | null; size: number; messageKeys: number[] }[]> {
  const rows = await db.selectFrom('blobs').select(['id', 'scan_signature', 'scan_engine', 'scanned_at', 'size']).where('scan_status', '=', 'infected').orderBy('scanned_at', 'desc').limit(limit).execute();
  const out = [];
  for (const r of rows) {
    const refs = await db.selectFrom('attachments').select('message_id').where('blob_id', '=', r.id).limit(100).execute();
    out.push({ id: r.id, signature: r.scan_signature, engine: r.scan_engine, scannedAt: r.scanned_at === null ? null : Number(r.scanned_at), size: num(r.size), messageKeys: refs.map((x) => Number(x.message_id)) });
  }
  return out;
}

export async function scanStatusCounts(db: Kysely<Database>): Promise<Record<ScanStatus, number>> {
  const rows = await db.selectFrom('blobs').select(['scan_status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('scan_status').execute();
  const out: Record<ScanStatus, number> = { not_scanned: 0, clean: 0, pending: 0, infected: 0 };
  for (const r of rows) out[r.scan_status] = Number(r.n);
  return out;
}
