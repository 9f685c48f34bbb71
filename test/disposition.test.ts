import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { actingAs, BLOB_DIR } from '../src/context.js';
import { canonicalJson } from '../src/domain/audit-form.js';
import { hashLeaf } from '../src/domain/merkle.js';
import { listAuditEvents } from '../src/services/audit.js';
import { listCertificates, verifyCertificate } from '../src/services/disposition-certificates.js';
import { decideReview, listReviews, proposeReview } from '../src/services/disposition-reviews.js';
import { retentionStatus, runDisposition } from '../src/services/disposition-run.js';
import { enableWorm } from '../src/services/disposition-worm.js';
import { disposeRecords, purgeDisposedBlobs } from '../src/services/disposition.js';
import { addMatter, placeHold } from '../src/services/holds.js';
import { importNdjson } from '../src/services/import.js';
import { addPolicy, updatePolicy } from '../src/services/policies.js';
import { createFactsReader, type FactsRow } from '../src/repositories/retention-facts.js';
import { searchMessages } from '../src/services/search.js';
import { tombstoneLeafData, tombstoneLeafDataCanonical, tombstoneLeafHash, tombstoneObject, type Tombstone } from '../src/repositories/tombstones.js';
import { allKeys, DAY, expectConsistent, keyOf, makeStore, T0, type Store } from './disposition-support.js';
import { tempDir } from './support/cli.js';
import { toNdjson } from './support/records.js';

const dirs: { cleanup(): void }[] = [];
let store: Store;
let original: Set<number>;

beforeEach(async () => {
  const dir = tempDir('dispose');
  dirs.push(dir);
  store = await makeStore(dir.path);
  original = await allKeys(store.ctx);
});
afterEach(async () => {
  await store.ctx.close();
});
afterAll(() => {
  for (const d of dirs) d.cleanup();
});

const policy = (name: string, extra: { scope?: string; min?: string; max?: string; action?: 'delete' | 'review' } = {}) =>
  addPolicy(store.ctx, { name, scope: extra.scope ?? '', min: extra.min, max: extra.max, action: extra.action ?? 'delete', purpose: 'test purpose', basis: 'test basis' });

/** Records 0..n-1 of the corpus are older than one year at this instant (record i is at T0 + 6i days). */
const nowDisposing = (n: number): number => T0 + (n - 1) * 6 * DAY + 366 * DAY + 1;
const allKeysWithTombstones = async (ctx: Store['ctx']): Promise<Set<number>> =>
  new Set([...(await allKeys(ctx)), ...(await ctx.db.selectFrom('tombstones').select('message_key').execute()).map((r) => Number(r.message_key))]);
const blobFile = (id: string): string => join(store.ctx.config.dataDir, BLOB_DIR, id.slice(0, 2), id.slice(2, 4), id);

describe('disposition sweep', () => {
  it('disposes of what is past its maximum, leaves tombstones only, keeps index, rollups, counts and blobs consistent', async () => {
    const { ctx } = store;
    await policy('all-1y', { max: '1y' });
    const sharedBlob = (await ctx.db.selectFrom('attachments').select('blob_id').where('message_id', '=', await keyOf(ctx, 'r0')).executeTakeFirstOrThrow()).blob_id;
    const ownBlob = (await ctx.db.selectFrom('attachments').select('blob_id').where('message_id', '=', await keyOf(ctx, 'r3')).executeTakeFirstOrThrow()).blob_id;
    const pairBlob = (await ctx.db.selectFrom('attachments').select('blob_id').where('message_id', '=', await keyOf(ctx, 'r10')).executeTakeFirstOrThrow()).blob_id;
    expect(existsSync(blobFile(ownBlob))).toBe(true);

    const run = await runDisposition(ctx, { dryRun: false, now: nowDisposing(20), trigger: 'cli', batchSize: 7 });
    expect(run.status).toBe('completed');
    expect(run.counts?.disposed).toBe(20);
    expect(run.counts?.batches).toBeGreaterThan(2);
    const { archived, tombstoned } = await expectConsistent(ctx, original);
    expect(tombstoned.size).toBe(20);
    expect(archived.has(await keyOf(ctx, 'r20'))).toBe(true);

    // Record 3's own attachment is gone (row and file); the one shared with record 59 stays; 10 and 11 both went.
    expect(existsSync(blobFile(ownBlob))).toBe(false);
    expect(existsSync(blobFile(pairBlob))).toBe(false);
    expect(existsSync(blobFile(sharedBlob))).toBe(true);
    expect(run.counts?.blobsDeleted).toBe(2);

    // A tombstone holds identity and hashes, nothing else.
    const t = await ctx.db.selectFrom('tombstones').selectAll().orderBy('message_key').executeTakeFirstOrThrow();
    expect(Object.keys(t).sort()).toEqual(['attachment_hashes', 'disposed_at', 'ext_id', 'message_key', 'policy_id', 'reason', 'record_hash', 'run_id', 'source_id', 'time_ms']);
    expect(t.ext_id).toBe('r0');
    expect(t.reason).toBe('policy');
    expect(JSON.parse(t.attachment_hashes!)).toHaveLength(1);

    // Search finds no disposed record.
    const hits = await searchMessages(ctx, { query: '合同', limit: 100, offset: 0 });
    expect(hits.total).toBe(40);
    expect(hits.hits.map((h) => h.id).filter((id) => Number(id.slice(1)) < 20)).toEqual([]);

    // The certificate is in the audit log, signed, and verifies.
    const [cert] = await listCertificates(ctx);
    expect(cert!.runId).toBe(run.id);
    expect(cert!.details.tombstones).toBe(20);
    expect(cert!.details.policies.map((p) => p.name)).toEqual(['all-1y']);
    expect(cert!.details.counts.perPolicy[String(cert!.details.policies[0]!.id)]?.disposed).toBe(20);
    expect(cert!.details.worm).toBe(false);
    const v = await verifyCertificate(ctx, run.id);
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);

    // A re-import of the same file resurrects nothing.
    const again = await importNdjson(ctx, { file: store.file });
    expect(again.imported).toBe(0);
    expect(again.disposed).toBe(20);
    expect(again.duplicates).toBe(40);
    await expectConsistent(ctx, original);

    // Running again disposes of nothing more at the same instant.
    const second = await runDisposition(ctx, { dryRun: false, now: nowDisposing(20), trigger: 'cli' });
    expect(second.counts?.disposed).toBe(0);
  });

  it('leaves no token of a disposed record in the full-text index once the run completes', async () => {
    const { ctx } = store;
    await policy('all-1y', { max: '1y' });
    const extra = join(store.config.dataDir, '..', 'extra.ndjson');
    writeFileSync(extra, toNdjson([
      { source: 'test', id: 'secret-1', time: T0 + DAY, conversation: { id: 'room-sales', type: 'group' }, from: { id: 'lisi' }, type: 'text', text: 'qzxv9k7w3 alpha' },
      { source: 'test', id: 'secret-2', time: T0 + 2 * DAY, conversation: { id: 'room-sales', type: 'group' }, from: { id: 'lisi' }, type: 'text', text: 'jmw5r8t2y beta' },
    ]));
    await importNdjson(ctx, { file: extra });
    // The index's raw segments (a term with no prefix shared by another term is stored whole).
    const inIndex = async (token: string): Promise<boolean> =>
      (await sql<{ block: Buffer | null }>`SELECT block FROM message_fts_data`.execute(ctx.db)).rows.some((r) => r.block !== null && Buffer.from(r.block).includes(token));
    expect(await inIndex('qzxv9k7w3')).toBe(true);
    // Deletes never trigger a merge (migration 0017: a sweep would re-merge the segments it tombstones); the purge below does the rewrite.
    expect((await sql<{ v: unknown }>`SELECT v FROM message_fts_config WHERE k = 'deletemerge'`.execute(ctx.db)).rows[0]?.v).toBe(0);
    // A disposal outside a run (as an approved review or an erasure does) leaves the tokens behind a tombstone…
    const k = await keyOf(ctx, 'secret-1');
    const rows = await createFactsReader(ctx).read(k - 1, 1, k + 1);
    await ctx.db.transaction().execute((trx) => disposeRecords(ctx, trx, rows, { reason: 'erasure', runId: null, policyIdOf: () => null }));
    expect(await inIndex('qzxv9k7w3')).toBe(true);
    expect((await searchMessages(ctx, { query: 'qzxv9k7w3', limit: 10, offset: 0 })).total).toBe(0);
    // …until the next completed run rewrites the index.
    await runDisposition(ctx, { dryRun: false, now: nowDisposing(20), trigger: 'cli' });
    expect(await inIndex('qzxv9k7w3')).toBe(false);
    expect(await inIndex('jmw5r8t2y')).toBe(false);
    expect((await listAuditEvents(ctx, { action: 'search.index_purged' })).length).toBe(1);
    await expectConsistent(ctx, await allKeysWithTombstones(ctx));
  });

  it('detects a tampered tombstone', async () => {
    const { ctx } = store;
    await policy('all-1y', { max: '1y' });
    const run = await runDisposition(ctx, { dryRun: false, now: nowDisposing(10), trigger: 'cli' });
    await sql`UPDATE tombstones SET ext_id = 'forged' WHERE message_key = (SELECT min(message_key) FROM tombstones)`.execute(ctx.db);
    const v = await verifyCertificate(ctx, run.id);
    expect(v.ok).toBe(false);
    expect(v.problems.join(' ')).toMatch(/Merkle root/);
    await sql`DELETE FROM tombstones WHERE message_key = (SELECT max(message_key) FROM tombstones)`.execute(ctx.db);
    expect((await verifyCertificate(ctx, run.id)).problems.join(' ')).toMatch(/9 tombstones; the certificate says 10/);
  });

  it('changes nothing in a dry run', async () => {
    const { ctx } = store;
    await policy('all-1y', { max: '1y' });
    await policy('voice-review', { scope: 'type:voice', max: '30d', action: 'review' });
    const before = await sql<{ n: number }>`SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM tombstones) * 1000 + (SELECT count(*) FROM disposition_reviews) * 1000000 AS n`.execute(ctx.db);
    const dry = await runDisposition(ctx, { dryRun: true, now: nowDisposing(30), trigger: 'cli' });
    expect(dry.dryRun).toBe(true);
    expect(dry.counts!.disposed + dry.counts!.queued).toBeGreaterThan(0);
    const after = await sql<{ n: number }>`SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM tombstones) * 1000 + (SELECT count(*) FROM disposition_reviews) * 1000000 AS n`.execute(ctx.db);
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
    expect(await listCertificates(ctx)).toEqual([]);
    // The same decisions for real.
    const real = await runDisposition(ctx, { dryRun: false, now: nowDisposing(30), trigger: 'cli' });
    expect({ d: real.counts!.disposed, q: real.counts!.queued }).toEqual({ d: dry.counts!.disposed, q: dry.counts!.queued });
  });

  it('stops at its time bound and is continued under the same id; each stop certifies what it disposed, the last certificate every batch', async () => {
    const { ctx } = store;
    await policy('all-1y', { max: '1y' });
    const now = nowDisposing(40);
    const first = await runDisposition(ctx, { dryRun: false, now, trigger: 'cli', batchSize: 4, maxDurationMs: 0 });
    expect(first.status).toBe('interrupted');
    expect(first.counts?.stoppedEarly).toBe(true);
    // Certified at once, in case no later invocation ever completes the run.
    expect(first.certificate?.tombstones).toBe(first.counts?.disposed);
    expect(first.counts?.disposed).toBeGreaterThan(0);
    expect(await verifyCertificate(ctx, first.id)).toMatchObject({ ok: true, tombstones: { certified: first.counts?.disposed } });
    let last = first;
    for (let i = 0; i < 20 && last.status !== 'completed'; i++) last = await runDisposition(ctx, { dryRun: false, now, trigger: 'schedule', batchSize: 4, maxDurationMs: 0 });
    expect(last.status).toBe('completed');
    expect(last.id).toBe(first.id);
    expect(last.resumes).toBeGreaterThan(3);
    expect(last.counts?.disposed).toBe(40);
    expect(last.certificate?.tombstones).toBe(40);
    expect((await verifyCertificate(ctx, first.id)).ok).toBe(true);
    await expectConsistent(ctx, original);
    const status = await retentionStatus(ctx);
    expect(status.lastCompleted?.id).toBe(first.id);
  });

  it('never disposes of a held record; disposeRecords refuses one outright', async () => {
    const { ctx } = store;
    await policy('all-1y', { max: '1y' });
    await addMatter(ctx, { name: 'case-1' });
    // Records 5..9 by date, and everything in the direct chat with wangwu.
    await placeHold(ctx, { matter: 'case-1', after: T0 + 5 * 6 * DAY, before: T0 + 10 * 6 * DAY, reason: 'litigation' });
    await placeHold(ctx, { matter: 'case-1', conversations: ['dm-wangwu'], reason: 'regulator' });
    await placeHold(ctx, { matter: 'case-1', scope: 'invoice13', reason: 'text query' });
    const run = await runDisposition(ctx, { dryRun: false, now: nowDisposing(20), trigger: 'cli' });
    const held = (i: number): boolean => (i >= 5 && i < 10) || i % 3 === 0 || i === 13;
    const expectedHeld = Array.from({ length: 20 }, (_, i) => i).filter(held);
    expect(run.counts?.keptByHold).toBe(expectedHeld.length);
    expect(run.counts?.disposed).toBe(20 - expectedHeld.length);
    for (const i of expectedHeld) expect((await allKeys(ctx)).has(await keyOf(ctx, `r${i}`)), `r${i}`).toBe(true);
    await expectConsistent(ctx, original);

    const k = await keyOf(ctx, 'r5');
    const rows = await createFactsReader(ctx).read(k - 1, 1, k + 1);
    await expect(ctx.db.transaction().execute((trx) => disposeRecords(ctx, trx, rows, { reason: 'erasure', runId: null, policyIdOf: () => null }))).rejects.toMatchObject({ code: 'retention.held' });
    expect((await allKeys(ctx)).has(k)).toBe(true);
  });

  it('reports the overdue alert when no run completed in 26 h while a policy sets a maximum (2 h for the first run)', async () => {
    const { ctx } = store;
    const at = (ms: number): Store['ctx'] => ({ ...ctx, clock: { now: () => ms } });
    const t0 = Date.now();
    expect((await retentionStatus(ctx)).overdue).toBe(false);
    await policy('all-1y', { max: '1y' });
    // The hourly job has not had its chance yet: no alert right after the first maximum.
    expect((await retentionStatus(at(t0 + 3_600_000))).overdue).toBe(false);
    const s = await retentionStatus(at(t0 + 2 * 3_600_000 + 60_000));
    expect(s.overdue).toBe(true);
    expect(s.alert).toMatch(/no disposition run has completed yet although 1 enabled policy sets a maximum/);
    await runDisposition(ctx, { dryRun: false, trigger: 'cli' });
    const ran = Date.now();
    expect((await retentionStatus(ctx)).overdue).toBe(false);
    expect((await retentionStatus(at(ran + 25 * 3_600_000))).overdue).toBe(false);
    const late = await retentionStatus(at(ran + 27 * 3_600_000));
    expect(late.overdue).toBe(true);
    expect(late.alert).toMatch(/finished 2\d h ago \(more than 26 h\)/);
  });
});

describe('four-eyes review', () => {
  it('one user proposes, another decides; the same person cannot; retained records are not queued again for that policy version', async () => {
    const { ctx } = store;
    const p = await policy('voice-review', { scope: 'type:voice', max: '1y', action: 'review' });
    const now = nowDisposing(30);
    const run = await runDisposition(ctx, { dryRun: false, now, trigger: 'cli' });
    expect(run.counts?.queued).toBe(6); // voice notes r0, r5, …, r25
    const alice = actingAs(ctx, 'user:alice');
    const bob = actingAs(ctx, 'user:bob');
    const { items } = await listReviews(ctx);
    expect(items).toHaveLength(6);
    const [a, b, c] = items;

    // Dispose: proposed by alice, approved by bob.
    await proposeReview(alice, a!.id, { proposal: 'dispose', note: 'past the ceiling' });
    await expect(decideReview(alice, a!.id, { approve: true })).rejects.toMatchObject({ code: 'review.same_person', status: 409 });
    const decided = await decideReview(bob, a!.id, { approve: true, note: 'agreed' });
    expect(decided.status).toBe('approved');
    expect(decided.disposed).toBe(true);
    const t = await ctx.db.selectFrom('tombstones').selectAll().where('message_key', '=', a!.messageKey).executeTakeFirstOrThrow();
    expect(t.reason).toBe('review');
    // The disposal has a run of its own (trigger review) with a signed certificate that verifies.
    expect(t.run_id).not.toBeNull();
    const reviewRun = await ctx.db.selectFrom('disposition_runs').selectAll().where('id', '=', t.run_id!).executeTakeFirstOrThrow();
    expect(reviewRun).toMatchObject({ trigger: 'review', status: 'completed', dry_run: 0, actor: 'user:bob' });
    expect(await verifyCertificate(ctx, t.run_id!)).toMatchObject({ ok: true, tombstones: { certified: 1, recomputed: 1 } });
    expect((await listCertificates(ctx)).find((c) => c.runId === t.run_id)?.details).toMatchObject({ trigger: 'review', tombstones: 1, counts: { disposed: 1, perPolicy: { [String(p.id)]: { disposed: 1 } } } });
    // It is not a sweep: the next sweep is still due, and starts afresh rather than "resuming" it.
    expect((await retentionStatus(ctx)).lastCompleted?.trigger).toBe('cli');

    // Retain: approved, then not queued again by a later run for the same policy version.
    await proposeReview(alice, b!.id, { proposal: 'retain' });
    expect((await decideReview(bob, b!.id, { approve: true })).disposed).toBe(false);
    const again = await runDisposition(ctx, { dryRun: false, now, trigger: 'cli' });
    expect(again.counts?.retainedByReview).toBe(1);
    expect(again.counts?.queued).toBe(0);
    expect(again.counts?.alreadyQueued).toBe(4);
    // A new purpose is no new version: the settled review stays settled.
    expect((await updatePolicy(ctx, p.id, { purpose: 'revised purpose' })).version).toBe(p.version);
    expect((await runDisposition(ctx, { dryRun: false, now, trigger: 'cli' })).counts?.queued).toBe(0);
    // A new floor is a new policy version (it decides fates): it queues the record again.
    expect((await updatePolicy(ctx, p.id, { min: '1d' })).version).toBe(p.version + 1);
    const third = await runDisposition(ctx, { dryRun: false, now, trigger: 'cli' });
    expect(third.counts?.queued).toBe(1);

    // A hold placed after the proposal voids the approval: the record stays.
    await proposeReview(alice, c!.id, { proposal: 'dispose' });
    await addMatter(ctx, { name: 'late-case' });
    const cRow = (await ctx.db.selectFrom('messages').select('ext_id').where('id', '=', c!.messageKey).executeTakeFirstOrThrow()).ext_id;
    const i = Number(cRow.slice(1));
    await placeHold(ctx, { matter: 'late-case', after: T0 + i * 6 * DAY, before: T0 + i * 6 * DAY + 1, reason: 'late' });
    const voided = await decideReview(bob, c!.id, { approve: true });
    expect(voided.status).toBe('void');
    expect(voided.voidReason).toBe('hold');
    expect((await allKeys(ctx)).has(c!.messageKey)).toBe(true);

    const actions = (await listAuditEvents(ctx, { action: 'review.*', limit: 100 })).map((e) => e.action);
    expect(actions.filter((x) => x === 'review.proposed')).toHaveLength(3);
    expect(actions).toContain('review.void');
    await expectConsistent(ctx, original);
  });
});

describe('WORM mode', () => {
  it('refuses any disposal before the floor, erasure included; the certificate states the mode', async () => {
    const { ctx } = store;
    await policy('floor-10y', { scope: 'type:voice', min: '10y' });
    await policy('all-1y', { max: '1y' });
    await enableWorm(ctx, { confirm: true });
    await expect(enableWorm(ctx, { confirm: false })).rejects.toMatchObject({ code: 'worm.confirm' });
    // The sweep keeps the floored voice notes (a conflict, resolved by keeping).
    const run = await runDisposition(ctx, { dryRun: false, trigger: 'cli' });
    expect(run.counts?.conflicts).toBeGreaterThan(0);
    const voice = await ctx.db.selectFrom('messages').select('id').where('type', '=', 'voice').execute();
    expect(voice).toHaveLength(12);
    expect((await listCertificates(ctx))[0]!.details.worm).toBe(true);
    // Erasure of a floored record is refused too.
    const k = Number(voice[0]!.id);
    const rows = await createFactsReader(ctx).read(k - 1, 1, k + 1);
    await expect(ctx.db.transaction().execute((trx) => disposeRecords(ctx, trx, rows, { reason: 'erasure', runId: null, policyIdOf: () => null })))
      .rejects.toMatchObject({ code: 'worm.floor_not_reached' });
    // Deciding at a future instant is refused under WORM.
    await expect(runDisposition(ctx, { dryRun: false, now: Date.now() + 400 * 365 * DAY, trigger: 'cli' })).rejects.toMatchObject({ code: 'worm.future_now' });
    // The floor cannot be taken away: not disabled, shortened, removed or re-scoped (each refusal audited); extended it can be.
    for (const change of [{ enabled: false }, { min: '1d' }, { min: null, max: '20y' }, { scope: 'type:video' }]) {
      await expect(updatePolicy(ctx, 'floor-10y', change), JSON.stringify(change)).rejects.toMatchObject({ code: 'worm.floor_locked' });
    }
    expect((await listAuditEvents(ctx, { action: 'retention.policy_change_refused', limit: 10 })).length).toBe(4);
    expect((await updatePolicy(ctx, 'floor-10y', { min: '12y' })).min).toBe('12y');
    // A policy without a floor stays editable.
    expect((await updatePolicy(ctx, 'all-1y', { max: '2y' })).max).toBe('2y');
    expect((await updatePolicy(ctx, 'all-1y', { enabled: false })).enabled).toBe(false);
    const after = await runDisposition(ctx, { dryRun: false, trigger: 'cli' });
    expect(after.counts?.disposed).toBe(0);
    expect(await ctx.db.selectFrom('messages').select('id').where('type', '=', 'voice').execute()).toHaveLength(12);
    await expectConsistent(ctx, original);
  });
});

describe('decision time', () => {
  it('a real run refuses to decide later than the clock (it would cut floors short); a dry run may look ahead', async () => {
    const { ctx } = store;
    await policy('floor-5y', { min: '5y' });
    await policy('all-1y', { max: '1y' });
    const later = Date.now() + 20 * 365 * DAY;
    await expect(runDisposition(ctx, { dryRun: false, now: later, trigger: 'cli' })).rejects.toMatchObject({ code: 'retention.future_now', exitCode: 2 });
    const dry = await runDisposition(ctx, { dryRun: true, now: later, trigger: 'cli' });
    expect(dry.counts?.disposed).toBeGreaterThan(0);
    expect(await allKeys(ctx)).toEqual(original);
  });
});

describe('tombstone leaves', () => {
  it('the fast canonical form equals canonicalJson for any tombstone', () => {
    const hex = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
    const tomb = fc.record({
      messageKey: fc.maxSafeNat(), sourceId: fc.nat(), extId: fc.string({ unit: 'grapheme', maxLength: 40 }), recordHash: hex, attachmentHashes: fc.array(hex, { maxLength: 4 }),
      timeMs: fc.integer({ min: -1e13, max: 1e13 }), policyId: fc.option(fc.nat(), { nil: null }), runId: fc.option(fc.nat(), { nil: null }),
      reason: fc.constantFrom('policy', 'review', 'erasure'), disposedAt: fc.nat(),
    });
    fc.assert(fc.property(tomb, (t: Tombstone) => {
      expect(tombstoneLeafData(t).toString()).toBe(canonicalJson(tombstoneObject(t)));
      expect(tombstoneLeafData(t).equals(tombstoneLeafDataCanonical(t))).toBe(true);
      expect(tombstoneLeafHash(t).equals(hashLeaf(tombstoneLeafDataCanonical(t)))).toBe(true);
    }), { numRuns: 300 });
  });
});

describe('disposeRecords keeps every invariant (property)', () => {
  it('for any sequence of disposals by any reason', async () => {
    const { ctx } = store;
    const keys = [...original].sort((a, b) => a - b);
    // One shrinking-free property over the same store: each step disposes a random subset of what is left.
    await fc.assert(fc.asyncProperty(fc.array(fc.subarray(keys, { maxLength: 12 }), { minLength: 1, maxLength: 4 }), fc.constantFrom('policy', 'review', 'erasure') as fc.Arbitrary<'policy' | 'review' | 'erasure'>, async (steps, reason) => {
      for (const subset of steps) {
        const rows: FactsRow[] = [];
        for (const k of subset) rows.push(...(await createFactsReader(ctx).read(k - 1, 1, k + 1)));
        const live = rows.length;
        const r = await ctx.db.transaction().execute((trx) => disposeRecords(ctx, trx, rows, { reason, runId: null, policyIdOf: () => null }));
        expect(r.count).toBe(live);
        await purgeDisposedBlobs(ctx);
      }
      await expectConsistent(ctx, original);
    }), { numRuns: 6 });
  });
});
