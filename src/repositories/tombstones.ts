import type { Kysely } from 'kysely';
import type { SqliteHandle } from '../db/connection.js';
import type { Database } from '../db/schema.js';
import { canonicalJson } from '../domain/audit-form.js';
import { hashLeafText } from '../domain/merkle.js';

/**
 * Tombstones: what is left of a disposed record — its identity (source, id, key), its hashes, its
 * time and why and when it was disposed. Never content. A tombstone is kept forever: it proves the
 * disposal (Merkle root in the run's certificate) and stops a re-import from resurrecting the record.
 */

export interface Tombstone {
  messageKey: number;
  sourceId: number;
  extId: string;
  /** SHA-256 of the canonical record (hex). */
  recordHash: string;
  /** SHA-256 of each attachment (hex), in attachment order. */
  attachmentHashes: string[];
  timeMs: number;
  policyId: number | null;
  runId: number | null;
  reason: string;
  disposedAt: number;
}

/** The tombstone as the plain object whose canonical JSON is its Merkle leaf. */
export const tombstoneObject = (t: Tombstone): Record<string, unknown> => ({
  attachmentHashes: t.attachmentHashes, disposedAt: t.disposedAt, extId: t.extId, messageKey: t.messageKey, policyId: t.policyId,
  reason: t.reason, recordHash: t.recordHash, runId: t.runId, sourceId: t.sourceId, timeMs: t.timeMs,
});

const int = (n: number | null, field: string): string => {
  if (n === null) return 'null';
  if (!Number.isSafeInteger(n)) throw new TypeError(`tombstone ${field} ${n} is not an integer`);
  return String(n);
};

/**
 * The Merkle leaf data of a tombstone: its canonical JSON (domain/audit-form.ts canonicalJson of
 * tombstoneObject: keys sorted, no whitespace), written directly because a sweep hashes a million of
 * them (a test checks that both forms are byte-identical).
 */
export const tombstoneLeafData = (t: Tombstone): Buffer => Buffer.from(tombstoneLeafText(t));

function tombstoneLeafText(t: Tombstone): string {
  const s = JSON.stringify;
  return `{"attachmentHashes":[${t.attachmentHashes.map((h) => s(h)).join(',')}],"disposedAt":${int(t.disposedAt, 'disposedAt')},"extId":${s(t.extId)},`
    + `"messageKey":${int(t.messageKey, 'messageKey')},"policyId":${int(t.policyId, 'policyId')},"reason":${s(t.reason)},"recordHash":${s(t.recordHash)},`
    + `"runId":${int(t.runId, 'runId')},"sourceId":${int(t.sourceId, 'sourceId')},"timeMs":${int(t.timeMs, 'timeMs')}}`;
}

/** The generic form, for tests and independent verifiers. */
export const tombstoneLeafDataCanonical = (t: Tombstone): Buffer => Buffer.from(canonicalJson(tombstoneObject(t)));

/** RFC 9162 leaf hash of a tombstone. */
export const tombstoneLeafHash = (t: Tombstone): Buffer => hashLeafText(tombstoneLeafText(t));

interface TombstoneRow {
  message_key: number;
  source_id: number;
  ext_id: string;
  record_hash: Buffer;
  attachment_hashes: string | null;
  time_ms: number;
  policy_id: number | null;
  run_id: number | null;
  reason: string;
  disposed_at: number;
}

const fromRow = (r: TombstoneRow): Tombstone => ({
  messageKey: Number(r.message_key),
  sourceId: Number(r.source_id),
  extId: r.ext_id,
  recordHash: Buffer.from(r.record_hash).toString('hex'),
  attachmentHashes: r.attachment_hashes === null ? [] : (JSON.parse(r.attachment_hashes) as string[]),
  timeMs: Number(r.time_ms),
  policyId: r.policy_id === null ? null : Number(r.policy_id),
  runId: r.run_id === null ? null : Number(r.run_id),
  reason: r.reason,
  disposedAt: Number(r.disposed_at),
});

/** A prepared writer of tombstones (runs inside the caller's transaction, on the same connection). */
export function prepareTombstoneWriter(db: Kysely<Database>, sqlite: SqliteHandle): (rows: readonly Tombstone[]) => void {
  const compiled = db.insertInto('tombstones').values({
    message_key: 0, source_id: 0, ext_id: '', record_hash: Buffer.alloc(0), attachment_hashes: null, time_ms: 0, policy_id: null, run_id: null, reason: '', disposed_at: 0,
  }).compile();
  const statement = sqlite.prepare(compiled.sql);
  return (rows) => {
    for (const t of rows) {
      statement.run(t.messageKey, t.sourceId, t.extId, Buffer.from(t.recordHash, 'hex'), t.attachmentHashes.length > 0 ? JSON.stringify(t.attachmentHashes) : null, t.timeMs, t.policyId, t.runId, t.reason, t.disposedAt);
    }
  };
}

/**
 * A prepared point lookup: whether (source, ext id) was disposed (for the import's duplicate split):
 * a tombstone, or — in a store restored from a backup older than the disposal — its keyed digest
 * (`digestOf` makes it; table disposal_digests, backup/disposal-digests.ts).
 */
export function prepareTombstoneLookup(db: Kysely<Database>, sqlite: SqliteHandle, digestOf: (source: string, extId: string) => Buffer): {
  isDisposed(sourceId: number | undefined, source: string, extId: string): boolean;
  any(): boolean;
} {
  const one = sqlite.prepare(db.selectFrom('tombstones').select('message_key').where('source_id', '=', 0).where('ext_id', '=', '').compile().sql).pluck();
  const anyRow = sqlite.prepare(db.selectFrom('tombstones').select('message_key').limit(1).compile().sql).pluck();
  const digest = sqlite.prepare('SELECT 1 FROM disposal_digests WHERE digest = ?').pluck();
  const anyDigest = sqlite.prepare('SELECT 1 FROM disposal_digests LIMIT 1').pluck();
  // Whether disposal_digests holds any row, as of the last any() (called once per batch, before isDisposed).
  let digests = false;
  return {
    isDisposed: (sourceId, source, extId) => (sourceId !== undefined && one.get(sourceId, extId) !== undefined) || (digests && digest.get(digestOf(source, extId)) !== undefined),
    any: () => {
      digests = anyDigest.get() !== undefined;
      return digests || anyRow.get(1) !== undefined;
    },
  };
}

/** Calls `fn` with the source name and id of every tombstone (streamed: a million need no array). */
export function forEachDisposalIdentity(sqlite: SqliteHandle, fn: (source: string, extId: string) => void): void {
  for (const r of sqlite.prepare('SELECT s.name AS source, t.ext_id AS extId FROM tombstones t JOIN sources s ON s.id = t.source_id').iterate() as IterableIterator<{ source: string; extId: string }>) fn(r.source, r.extId);
}

/** The disposal digests a restore stored. */
export function storedDisposalDigests(sqlite: SqliteHandle): Buffer[] {
  return sqlite.prepare('SELECT digest FROM disposal_digests').pluck().all() as Buffer[];
}

/** Tombstones of one disposition run in key order, a page at a time (keyset pagination). */
export async function* tombstonesOfRun(db: Kysely<Database>, runId: number, pageSize = 20_000): AsyncGenerator<Tombstone[]> {
  let after = -1;
  for (;;) {
    const rows = await db.selectFrom('tombstones').selectAll().where('run_id', '=', runId).where('message_key', '>', after).orderBy('message_key').limit(pageSize).execute();
    if (rows.length === 0) return;
    yield rows.map(fromRow);
    after = Number(rows[rows.length - 1]!.message_key);
    if (rows.length < pageSize) return;
  }
}

export async function tombstonesByKeys(db: Kysely<Database>, keys: readonly number[]): Promise<Tombstone[]> {
  const out: Tombstone[] = [];
  for (let i = 0; i < keys.length; i += 500) {
    const rows = await db.selectFrom('tombstones').selectAll().where('message_key', 'in', keys.slice(i, i + 500)).execute();
    out.push(...rows.map(fromRow));
  }
  return out;
}

export async function countTombstones(db: Kysely<Database>, filter: { runId?: number } = {}): Promise<number> {
  let q = db.selectFrom('tombstones').select((eb) => eb.fn.countAll<number>().as('n'));
  if (filter.runId !== undefined) q = q.where('run_id', '=', filter.runId);
  return Number((await q.executeTakeFirstOrThrow()).n);
}
