import type { Kysely } from 'kysely';
import type { Context } from '../context.js';
import type { Database } from '../db/schema.js';
import { auditLeafHash } from '../domain/audit-form.js';
import { appendLeaf, decodeFrontier, emptyFrontier, frontierRoot } from '../domain/merkle.js';
import { notFound } from '../errors.js';
import * as auditRepo from '../repositories/audit.js';
import { createRun, deleteRun, findRun, updateRun } from '../repositories/disposition.js';
import type { FactsRow } from '../repositories/retention-facts.js';
import { countTombstones, tombstoneLeafHash, tombstonesOfRun } from '../repositories/tombstones.js';
import { appendAudit, checkInclusionProof, inclusionProof, listAuditEvents, verifyHeadSignature } from './audit.js';
import { disposeRecords, type DisposeHow, type DisposeResult } from './disposition.js';
import { wormState, type WormState } from './disposition-worm.js';
import { emptyRunCounts, emptyPolicyCounts, loadPolicyMeta, type RunCounts } from './disposition-run.js';

/**
 * Disposition certificates: the audit event `retention.certificate` a run writes when it ends. Its
 * details hold the run's id, start and end, counts per policy, the policies applied (id, name,
 * version, minimum, maximum, action), the number of tombstones and the RFC 9162 Merkle root over
 * them (leaf = canonical JSON of one tombstone, in key order; repositories/tombstones.ts), and
 * whether the store is in WORM mode. The audit log's Ed25519-signed tree head, stored with the
 * same append, signs it.
 *
 * `verifyCertificate` recomputes the root and count from the tombstones table, checks the event's
 * leaf hash against its canonical form, and proves the event's inclusion in the current signed tree
 * head (the full log is checked by `wekeep audit verify`).
 */

export const CERTIFICATE_ACTION = 'retention.certificate';
const subjectOf = (runId: number): string => `disposition-run:${runId}`;

export interface CertificatePolicy {
  id: number;
  name: string;
  version: number;
  min: string | null;
  max: string | null;
  action: string;
  locked: boolean;
}

export interface CertificateDetails {
  runId: number;
  status: string;
  trigger: string;
  start: string;
  end: string;
  now: string;
  resumes: number;
  counts: RunCounts;
  policies: CertificatePolicy[];
  merkleRoot: string;
  tombstones: number;
  worm: boolean;
  leafForm: string;
}

export const LEAF_FORM = 'wekeep-tombstone-v1: SHA-256(0x00 || canonical JSON of the tombstone), tombstones of the run in message-key order';

/** The Merkle root and count of a run's tombstones, streamed from the table (O(log n) memory). */
export async function tombstoneRoot(db: Kysely<Database>, runId: number): Promise<{ root: string; count: number }> {
  const f = emptyFrontier();
  for await (const page of tombstonesOfRun(db, runId)) for (const t of page) appendLeaf(f, tombstoneLeafHash(t));
  return { root: frontierRoot(f).toString('hex'), count: f.size };
}

/**
 * Writes the certificate of a run inside the caller's transaction (the run row already carries its
 * final status and counts). With skipEmpty, a run without tombstones gets none (a failed run that
 * disposed of nothing).
 */
export async function writeCertificate(ctx: Context, trx: Kysely<Database>, runId: number, options: { skipEmpty: boolean; worm: WormState }): Promise<{ merkleRoot: string; tombstones: number; auditSeq: number } | null> {
  const run = await findRun(trx, runId);
  if (!run) throw notFound('retention.run_not_found', `no disposition run ${runId}`);
  // The sweep keeps the frontier per batch; when the count disagrees with the table (it should not), recompute from the table.
  const stored = run.merkle_frontier === null ? undefined : { root: frontierRoot(decodeFrontier(Number(run.tombstone_count), run.merkle_frontier)).toString('hex'), count: Number(run.tombstone_count) };
  const { root, count } = stored !== undefined && stored.count === (await countTombstones(trx, { runId })) ? stored : await tombstoneRoot(trx, runId);
  if (options.skipEmpty && count === 0) return null;
  const counts: RunCounts = run.counts === null ? emptyRunCounts() : { ...emptyRunCounts(), ...(JSON.parse(run.counts) as Partial<RunCounts>) };
  const meta = await loadPolicyMeta(trx);
  const used = new Set(Object.keys(counts.perPolicy));
  const policies: CertificatePolicy[] = [...meta.values()]
    .filter((p) => (p.enabled && (p.max !== null || p.min !== null)) || used.has(String(p.id)))
    .map((p) => ({ id: p.id, name: p.name, version: p.version, min: p.min, max: p.max, action: p.action, locked: p.locked }));
  const details: CertificateDetails = {
    runId,
    status: run.status,
    trigger: run.trigger,
    start: new Date(Number(run.started_at)).toISOString(),
    end: new Date(Number(run.finished_at ?? ctx.clock.now())).toISOString(),
    now: new Date(Number(run.now_ms)).toISOString(),
    resumes: Number(run.resumes),
    counts,
    policies,
    merkleRoot: root,
    tombstones: count,
    worm: options.worm.enabled,
    leafForm: LEAF_FORM,
  };
  const appended = await appendAudit(ctx, trx, { action: CERTIFICATE_ACTION, subject: subjectOf(runId), details: details as unknown as Record<string, unknown> });
  return { merkleRoot: root, tombstones: count, auditSeq: appended.firstSeq };
}

export interface CertificateView {
  runId: number;
  auditSeq: number;
  time: string;
  actor: string;
  details: CertificateDetails;
}

export async function listCertificates(ctx: Context, options: { limit?: number } = {}): Promise<CertificateView[]> {
  const events = await listAuditEvents(ctx, { action: CERTIFICATE_ACTION, limit: options.limit ?? 100 });
  return events.map((e) => {
    const details = e.details as CertificateDetails;
    return { runId: details.runId, auditSeq: e.seq, time: e.time, actor: e.actor, details };
  });
}

export interface CertificateVerification {
  runId: number;
  ok: boolean;
  auditSeq: number | null;
  merkleRoot: { certified: string | null; recomputed: string };
  tombstones: { certified: number | null; recomputed: number };
  /** The event is in the signed tree head of this size (inclusion proof checked). */
  treeSize: number | null;
  worm: boolean | null;
  problems: string[];
}

/** Checks one run's certificate against the tombstones table and the signed audit log. */
export async function verifyCertificate(ctx: Context, runId: number): Promise<CertificateVerification> {
  const events = await listAuditEvents(ctx, { action: CERTIFICATE_ACTION, subject: subjectOf(runId), limit: 10 });
  const recomputed = await tombstoneRoot(ctx.db, runId);
  const problems: string[] = [];
  const out: CertificateVerification = {
    runId, ok: false, auditSeq: null, merkleRoot: { certified: null, recomputed: recomputed.root }, tombstones: { certified: null, recomputed: recomputed.count }, treeSize: null, worm: null, problems,
  };
  if (events.length === 0) {
    // No run, no tombstone, no certificate: a mistyped id, not a failed verification. A dry run
    // changed nothing and is certified by nothing: also not a failed verification.
    const run = await findRun(ctx.db, runId);
    if (!run && recomputed.count === 0) throw notFound('retention.run_not_found', `there is no disposition run ${runId}`);
    if (run?.dry_run === 1 && recomputed.count === 0) throw notFound('retention.dry_run', `run ${runId} was a dry run: it disposed of nothing, so it has no certificate to verify`);
    problems.push(`run ${runId} has no certificate in the audit log`);
    return out;
  }
  // A run stopped at its time bound (or failed) and continued later has a certificate per stop: the
  // last one covers every tombstone of the run; the earlier ones certified what was disposed by then.
  const event = events.reduce((a, b) => (b.seq > a.seq ? b : a));
  out.auditSeq = event.seq;
  const details = event.details as Partial<CertificateDetails> | null;
  out.merkleRoot.certified = typeof details?.merkleRoot === 'string' ? details.merkleRoot : null;
  out.tombstones.certified = typeof details?.tombstones === 'number' ? details.tombstones : null;
  out.worm = typeof details?.worm === 'boolean' ? details.worm : null;
  if (out.merkleRoot.certified !== recomputed.root) problems.push(`the Merkle root of the tombstones (${recomputed.root}) differs from the certified one (${String(out.merkleRoot.certified)})`);
  if (out.tombstones.certified !== recomputed.count) problems.push(`the run has ${recomputed.count} tombstones; the certificate says ${String(out.tombstones.certified)}`);

  // The event as stored hashes to its leaf, and the leaf is in the tree of the current signed head.
  const row = await auditRepo.eventAt(ctx.db, event.seq);
  if (!row) problems.push(`audit event ${event.seq} is missing`);
  else {
    const leaf = auditLeafHash({ seq: Number(row.seq), timeMs: Number(row.time_ms), actor: row.actor, action: row.action, subject: row.subject, details: row.details });
    if (!Buffer.isBuffer(row.leaf_hash) || !leaf.equals(row.leaf_hash)) problems.push(`audit event ${event.seq} does not match its leaf hash (edited)`);
    const proof = await inclusionProof(ctx, event.seq);
    out.treeSize = proof.size;
    if (proof.leafHash !== leaf.toString('hex')) problems.push(`audit event ${event.seq}'s leaf in the tree differs from its recomputed hash`);
    if (!checkInclusionProof(proof)) problems.push(`the inclusion proof of audit event ${event.seq} does not verify`);
    if (!proof.head) problems.push(`no signed tree head is stored for the current size ${proof.size}`);
    else if (proof.head.rootHash !== proof.rootHash || !verifyHeadSignature(proof.head, ctx.keys.auditPublicKey)) problems.push(`the signed tree head of size ${proof.size} does not match the log or its signature is invalid`);
  }
  out.ok = problems.length === 0;
  return out;
}

/**
 * Disposals outside the sweep — an approved disposition review, a batch of an erasure request — get
 * a run of their own (trigger `review` or `erasure`), created, completed and certified inside the
 * caller's transaction: every tombstone belongs to a run with a signed certificate, so
 * `retention certificates` / `verify` prove these disposals like the sweep's. The sweep's own
 * bookkeeping (resume, the daily schedule, the overdue alert) looks at sweep runs only.
 * Nothing disposed (the records were gone already): no run is left behind.
 */
export async function certifiedDisposal(
  ctx: Context, trx: Kysely<Database>, trigger: 'review' | 'erasure', rows: readonly FactsRow[], how: Omit<DisposeHow, 'runId'>,
): Promise<DisposeResult & { runId: number | null }> {
  if (rows.length === 0) return { ...(await disposeRecords(ctx, trx, rows, { ...how, runId: null })), runId: null };
  const now = ctx.clock.now();
  const runId = await createRun(trx, { startedAt: now, dryRun: false, actor: ctx.actor, trigger, nowMs: now, cursor: null, pid: process.pid });
  const res = await disposeRecords(ctx, trx, rows, { ...how, runId });
  if (res.count === 0) {
    await deleteRun(trx, runId);
    return { ...res, runId: null };
  }
  const counts: RunCounts = { ...emptyRunCounts(), examined: rows.length, disposed: res.count, bytesFreed: res.bytesFreed, blobsDeleted: res.blobsDeleted, batches: 1 };
  for (const [policy, n] of Object.entries(res.byPolicy)) counts.perPolicy[policy] = { ...emptyPolicyCounts(), disposed: n };
  await updateRun(trx, runId, { status: 'completed', finished_at: now, counts: JSON.stringify(counts) });
  await writeCertificate(ctx, trx, runId, { skipEmpty: true, worm: await wormState(trx) });
  return { ...res, runId };
}
