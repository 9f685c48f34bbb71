import { sql, type Kysely, type Selectable } from 'kysely';
import type { StoredBlob } from '../blobs/blob-store.js';
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
 * Records one more reference to a stored blob: inserts the row with ref_count 1, or increments the
 * count of the existing row. The object parameters (wrapped key, compression, stored size, bucket)
 * are taken from `stored`, which describes the object on disk as the blob store last returned it
 * (the store reuses a valid existing object and replaces a damaged one). Returns the new count.
 */
export async function addBlobReference(db: Kysely<Database>, stored: StoredBlob, now: number = Date.now()): Promise<number> {
  const row = await db
    .insertInto('blobs')
    .values({
      id: stored.id,
      sha256: stored.sha256,
      size: stored.size,
      stored_size: stored.storedSize,
      compression: stored.compression,
      bucket: stored.bucket,
      wrapped_dek: stored.wrappedDek,
      ref_count: 1,
      created_at: now,
    })
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet((eb) => ({
          ref_count: sql<number>`${sql.ref('blobs.ref_count')} + 1`,
          stored_size: eb.ref('excluded.stored_size'),
          compression: eb.ref('excluded.compression'),
          bucket: eb.ref('excluded.bucket'),
          wrapped_dek: eb.ref('excluded.wrapped_dek'),
        }))
        // Same id must mean same content; anything else is a bug or a forged row: change nothing.
        .where('blobs.sha256', '=', stored.sha256)
        .where('blobs.size', '=', stored.size),
    )
    .returning('ref_count')
    .executeTakeFirst();
  if (!row) {
    throw new AppError('blob.address_conflict', `blob ${stored.id} is already recorded with a different SHA-256 or size`, { details: { blobId: stored.id } });
  }
  return num(row.ref_count);
}

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
