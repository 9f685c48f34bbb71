import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { Context } from '../context.js';
import type { Database } from '../db/schema.js';
import type { PrivacyRequestKind, PrivacyRequestStatus } from '../db/tables/privacy.js';
import { canonicalJson } from '../domain/audit-form.js';
import { decideRetention, type RetentionDecision } from '../domain/retention.js';
import { conflict, isAppError, notFound, usageError } from '../errors.js';
import { assertOutsideDataDir } from '../file-system.js';
import { chunks } from '../repositories/directory.js';
import { attachmentsOf, messagesByKeys } from '../repositories/messages.js';
import { readMeta, writeMeta } from '../repositories/meta.js';
import {
  consentEventsOf, freezingRequests, keysWithOutcome, listRequestRows, matchPersons, membershipsOf, outcomeCounts, recordOutcomes, requestById, requestPersons,
  restrictMessages, restrictedForOthersOnly, subjectMessageKeys, AWAITING_ERASURE, awaitingErasureCount, restrictedOfCompletedErasures, restrictionsInForce, subjectRecordCounts, unrestrictUnclaimed, type PersonMatch, type PrivacyRequestRow, type RecordOutcomeRow,
} from '../repositories/privacy.js';
import { indexMessages } from '../search/sqlite-fts5.js';
import { appendAudit } from './audit.js';
import { afterDisposal, purgeIndexNow } from './disposition.js';
import { certifiedDisposal } from './disposition-certificates.js';
import { storedFtsDocuments } from './index-documents.js';
import { MAX_DEADLINE_DAYS, PRIVACY_KINDS } from './limits.js';
import { loadMessageViews } from './message-views.js';
import { linkWaitingRecalls } from './recalls.js';
import { createFactsReader, type FactsRow } from '../repositories/retention-facts.js';
import { loadRetentionRules, resolveHoldText } from './retention-rules.js';
import { safeFileName } from './show.js';

/**
 * Privacy requests of data subjects (issue 5; PIPL Art. 44–47, GDPR Art. 15, 17, 18). A compliance
 * user opens a request for a subject named by any of their ids; the request records the persons
 * those ids matched, has a deadline (default 15 days, meta `privacy.deadline_days`), a status
 * (open → in-progress → completed | rejected) and an audit trail. Executing it:
 *
 * - access: writes an export directory — records.ndjson (every record the subject sent or received,
 *   canonical JSON), attachments/, subject.json (their personal data), manifest.json (SHA-256 of
 *   every file). The subject's own RESTRICTED records are included and flagged (see docs).
 * - erasure: every record the subject sent or received is decided with decideRetention: held by a
 *   legal hold, or within a retention floor → RESTRICTED (kept, out of search, view and export),
 *   with the grounds and until when; otherwise disposed through disposeRecords (reason `erasure`:
 *   tombstone, index, blobs, rollups, WORM check). The response lists counts and legal grounds.
 *   While the request is open or in progress its records are FROZEN: decideRetention keeps them
 *   (repositories/privacy.ts frozenMessageKeys feeds the facts reader), and no other privacy
 *   request may restrict or lift them.
 * - restriction: marks the subject's records RESTRICTED; `lift` ends it later.
 *
 * Audit events are content-free: request ids, kinds, counts, person row ids, hold and policy ids —
 * never the identifiers given, the requester or message content.
 */

export type { PrivacyRequestKind, PrivacyRequestStatus };

export { MAX_DEADLINE_DAYS, PRIVACY_KINDS };
export const DEFAULT_DEADLINE_DAYS = 15;
export const DEADLINE_DAYS_KEY = 'privacy.deadline_days';
const DAY_MS = 86_400_000;
const BATCH = 500;
const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

// ---------------------------------------------------------------------------------------------
// Views

export interface SubjectPersonView {
  /** The person's id in the archive (WeCom userid, external userid, wxid, …). */
  id: string;
  name: string | null;
  kind: string | null;
  departments: string[];
  position: string | null;
  company: string | null;
  /** The identifiers given that matched this person. */
  matchedBy: string[];
}

export interface LegalGround {
  /**
   * `legal-hold`: a hold of a matter; `retention-floor`: a policy's minimum retention;
   * `other-restriction`: another data subject's restriction request covers the record too.
   */
  type: 'legal-hold' | 'retention-floor' | 'other-restriction';
  /** The other restriction request (`other-restriction`). */
  requestId?: number | undefined;
  holdId?: number | undefined;
  matterId?: number | undefined;
  matter?: string | undefined;
  policyId?: number | undefined;
  policy?: string | undefined;
  /** The policy's stated legal basis. */
  basis?: string | undefined;
  /** Records kept on this ground. */
  records: number;
  /** Kept until (the latest floor end); null: until the hold is released. */
  until: string | null;
  /** The provisions that allow keeping them despite the erasure request. */
  law: string[];
}

export interface ErasureResponse {
  kind: 'erasure';
  /** Records the subject sent or received that were disposed of (tombstones remain). */
  erased: number;
  /** Records kept in the RESTRICTED state, with the grounds below. */
  restricted: number;
  grounds: LegalGround[];
  /** The latest date until which any record is kept on a floor (null: none, or only holds). */
  restrictedUntil: string | null;
  /** Whether the person's directory data (name, departments, position, company) was erased too. */
  personDataErased: boolean;
  /** The answer to the requester, in English and Chinese. */
  notice: { en: string; zh: string };
}

export interface AccessResponse {
  kind: 'access';
  records: number;
  /** Of these, records in the RESTRICTED state by the subject's own request (included, flagged). */
  restricted: number;
  attachments: number;
  /** Attachments not exported: waiting for the malware scan, or found infected. */
  withheldAttachments: number;
  /** Records listed without their content: restricted at another data subject's request. */
  withheldRestricted: number;
  files: number;
  /** SHA-256 of manifest.json. */
  manifestSha256: string;
}

export interface RestrictionResponse {
  kind: 'restriction';
  restricted: number;
  /** Of these, records that were restricted already (by another request). */
  alreadyRestricted: number;
}

export type PrivacyResponse = ErasureResponse | AccessResponse | RestrictionResponse;

export interface PrivacyRequestSummary {
  id: number;
  kind: PrivacyRequestKind;
  status: PrivacyRequestStatus;
  subjects: string[];
  requester: string;
  openedAt: string;
  openedBy: string;
  deadline: string;
  /** Not decided and past its deadline. */
  overdue: boolean;
  /** Whole days left until the deadline, rounded up (negative: overdue by that many), or null when decided. */
  daysLeft: number | null;
  decidedAt: string | null;
  /** Decided after its deadline. */
  late: boolean;
  liftedAt: string | null;
}

export interface PrivacyRequestView extends PrivacyRequestSummary {
  startedAt: string | null;
  startedBy: string | null;
  decidedBy: string | null;
  rejectReason: string | null;
  liftedBy: string | null;
  liftReason: string | null;
  persons: SubjectPersonView[];
  /** The subject's records now: all they sent or received, of which sent, and restricted. */
  records: { total: number; sent: number; received: number; restricted: number };
  /** An erasure request not yet decided: its records are frozen. */
  freezes: boolean;
  /** What the request did, per record outcome. */
  outcomes: { exported: number; erased: number; restricted: number; lifted: number };
  /**
   * Erasure: records of the subject archived after the request was executed (dated up to its
   * decision), kept RESTRICTED until the request is executed again, which decides them.
   */
  awaitingExecution: number;
  response: PrivacyResponse | null;
}

const personView = (p: PersonMatch): SubjectPersonView => ({
  id: p.extId, name: p.name, kind: p.kind, departments: p.departments, position: p.position, company: p.company, matchedBy: p.matchedBy,
});

/** Whole days until a deadline, rounded up (14.2 days → 15); once past it, days overdue as a negative number (1 ms → -1). */
function daysUntil(deadline: number, now: number): number {
  const days = (deadline - now) / DAY_MS;
  return days >= 0 ? Math.ceil(days) : Math.floor(days);
}

function summaryOf(row: PrivacyRequestRow, now: number): PrivacyRequestSummary {
  const undecided = row.status === 'open' || row.status === 'in-progress';
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    subjects: JSON.parse(row.subjects) as string[],
    requester: row.requester,
    openedAt: iso(row.opened_at),
    openedBy: row.opened_by,
    deadline: iso(row.deadline_at),
    overdue: undecided && now > row.deadline_at,
    daysLeft: undecided ? daysUntil(row.deadline_at, now) : null,
    decidedAt: isoOrNull(row.decided_at),
    late: row.decided_at !== null && row.decided_at > row.deadline_at,
    liftedAt: isoOrNull(row.lifted_at),
  };
}

async function viewOf(db: Kysely<Database>, row: PrivacyRequestRow, now: number): Promise<PrivacyRequestView> {
  const persons = await requestPersons(db, row.id);
  const personIds = persons.map((p) => p.personId);
  const keys = await subjectMessageKeys(db, personIds);
  const counts = await subjectRecordCounts(db, personIds, keys);
  return {
    ...summaryOf(row, now),
    startedAt: isoOrNull(row.started_at),
    startedBy: row.started_by,
    decidedBy: row.decided_by,
    rejectReason: row.reject_reason,
    liftedBy: row.lifted_by,
    liftReason: row.lift_reason,
    persons: persons.map(personView),
    records: { total: keys.length, sent: counts.sent, received: keys.length - counts.sent, restricted: counts.restricted },
    freezes: row.kind === 'erasure' && (row.status === 'open' || row.status === 'in-progress'),
    outcomes: await outcomeCounts(db, row.id),
    awaitingExecution: await awaitingErasureCount(db, row.id),
    response: row.result === null ? null : (JSON.parse(row.result) as PrivacyResponse),
  };
}

async function findRequest(db: Kysely<Database>, id: number): Promise<PrivacyRequestRow> {
  const row = await requestById(db, id);
  if (row === undefined) throw notFound('privacy.not_found', `no privacy request ${id}`);
  return row;
}

// ---------------------------------------------------------------------------------------------
// Settings

/** The default number of days to answer a request (meta `privacy.deadline_days`, else 15). */
export async function deadlineDays(db: Kysely<Database>): Promise<number> {
  const v = await readMeta(db, DEADLINE_DAYS_KEY);
  const n = v === undefined ? NaN : Number(v);
  return Number.isInteger(n) && n >= 1 && n <= MAX_DEADLINE_DAYS ? n : DEFAULT_DEADLINE_DAYS;
}

function checkDays(n: number, option: string): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_DEADLINE_DAYS) throw usageError('privacy.bad_deadline', `${option} must be a whole number of days from 1 to ${MAX_DEADLINE_DAYS}`);
  return n;
}

export async function setDeadlineDays(ctx: Context, days: number): Promise<{ deadlineDays: number }> {
  const n = checkDays(days, '--deadline-days');
  await ctx.db.transaction().execute(async (trx) => {
    const before = await deadlineDays(trx);
    await writeMeta(trx, DEADLINE_DAYS_KEY, String(n));
    await appendAudit(ctx, trx, { action: 'privacy.settings_changed', details: { deadlineDays: n, before } });
  });
  return { deadlineDays: n };
}

// ---------------------------------------------------------------------------------------------
// Open, list, show

export interface OpenInput {
  kind: PrivacyRequestKind;
  /** Identifiers of the data subject: WeCom userid, external userid, wxid, phone, email, name. */
  subjects: readonly string[];
  /** Who asked (the subject or their representative). */
  requester: string;
  /** Days to answer; default: the store's setting (15). */
  deadlineDays?: number | undefined;
}

function checkOpenInput(input: OpenInput): { subjects: string[]; requester: string } {
  if (!(PRIVACY_KINDS as readonly string[]).includes(input.kind)) throw usageError('privacy.bad_kind', `--kind must be one of ${PRIVACY_KINDS.join(', ')}`);
  const subjects = [...new Set(input.subjects.map((s) => s.trim()).filter((s) => s !== ''))];
  if (subjects.length === 0) throw usageError('privacy.needs_subject', 'name the data subject with at least one --subject (userid, external userid, wxid, phone, email or name)');
  if (subjects.length > 50 || subjects.some((s) => s.length > 200)) throw usageError('privacy.too_long', 'at most 50 subject identifiers of at most 200 characters each');
  const requester = input.requester.trim();
  if (requester === '') throw usageError('privacy.needs_requester', 'say who asked (--requester)');
  if (requester.length > 1000) throw usageError('privacy.too_long', 'the requester is at most 1000 characters');
  return { subjects, requester };
}

/** Who the identifiers match and how many records they sent or received, without opening a request (nothing is written). */
export async function previewSubject(ctx: Context, subjects: readonly string[]): Promise<{ persons: SubjectPersonView[]; records: number }> {
  const { subjects: ids } = checkOpenInput({ kind: 'access', subjects, requester: '-' });
  const persons = await matchPersons(ctx.db, ids);
  const keys = await subjectMessageKeys(ctx.db, persons.map((p) => p.personId));
  await ctx.db.transaction().execute(async (trx) => {
    await appendAudit(ctx, trx, { action: 'privacy.subject_previewed', details: { identifiers: ids.length, persons: persons.map((p) => p.personId), records: keys.length } });
  });
  return { persons: persons.map(personView), records: keys.length };
}

export async function openPrivacyRequest(ctx: Context, input: OpenInput): Promise<PrivacyRequestView> {
  const { subjects, requester } = checkOpenInput(input);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const days = input.deadlineDays === undefined ? await deadlineDays(trx) : checkDays(input.deadlineDays, '--deadline-days');
    const persons = await matchPersons(trx, subjects);
    if (persons.length === 0) {
      throw usageError('privacy.no_match', 'no person in the archive matches these identifiers (ids are matched exactly or case-insensitively, names exactly; phone numbers with or without +86)');
    }
    const row = await trx.insertInto('privacy_requests').values({
      kind: input.kind, status: 'open', subjects: JSON.stringify(subjects), requester, opened_at: now, opened_by: ctx.actor, deadline_at: now + days * DAY_MS,
      started_at: null, started_by: null, decided_at: null, decided_by: null, reject_reason: null, result: null, lifted_at: null, lifted_by: null, lift_reason: null,
    }).returningAll().executeTakeFirstOrThrow();
    await trx.insertInto('privacy_request_persons').values(persons.map((p) => ({ request_id: row.id, person_id: p.personId, matched_by: JSON.stringify(p.matchedBy) }))).execute();
    const view = await viewOf(trx, row, now);
    await appendAudit(ctx, trx, {
      action: 'privacy.opened', subject: `privacy:${row.id}`,
      details: { kind: input.kind, identifiers: subjects.length, persons: persons.map((p) => p.personId), records: view.records.total, deadlineDays: days, deadline: view.deadline, freezes: view.freezes },
    });
    return view;
  });
}

export async function listPrivacyRequests(ctx: Context, filter: { status?: PrivacyRequestStatus | undefined; overdue?: boolean | undefined } = {}): Promise<PrivacyRequestSummary[]> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    let rows = (await listRequestRows(trx)).map((r) => summaryOf(r, now));
    if (filter.status !== undefined) rows = rows.filter((r) => r.status === filter.status);
    if (filter.overdue === true) rows = rows.filter((r) => r.overdue);
    await appendAudit(ctx, trx, { action: 'privacy.listed', details: { returned: rows.length, overdue: rows.filter((r) => r.overdue).length } });
    return rows;
  });
}

export async function showPrivacyRequest(ctx: Context, id: number): Promise<PrivacyRequestView> {
  return ctx.db.transaction().execute(async (trx) => {
    const view = await viewOf(trx, await findRequest(trx, id), ctx.clock.now());
    await appendAudit(ctx, trx, { action: 'privacy.viewed', subject: `privacy:${id}` });
    return view;
  });
}

// ---------------------------------------------------------------------------------------------
// Status transitions

/** open → in-progress (idempotent for a request already in progress); audited. */
async function start(ctx: Context, row: PrivacyRequestRow): Promise<void> {
  if (row.status === 'in-progress') return;
  await ctx.db.transaction().execute(async (trx) => {
    const r = await trx.updateTable('privacy_requests').set({ status: 'in-progress', started_at: ctx.clock.now(), started_by: ctx.actor })
      .where('id', '=', row.id).where('status', '=', 'open').executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw conflict('privacy.changed', `privacy request ${row.id} changed meanwhile; try again`);
    await appendAudit(ctx, trx, { action: 'privacy.started', subject: `privacy:${row.id}`, details: { kind: row.kind } });
  });
}

async function complete(ctx: Context, trx: Kysely<Database>, row: PrivacyRequestRow, response: PrivacyResponse): Promise<void> {
  const now = ctx.clock.now();
  const r = await trx.updateTable('privacy_requests').set({ status: 'completed', decided_at: row.decided_at ?? now, decided_by: row.decided_by ?? ctx.actor, result: JSON.stringify(response) })
    .where('id', '=', row.id).where('status', 'in', ['in-progress', 'completed']).executeTakeFirst();
  // Rejected by someone else while it ran: what was done stays done (and audited batch by batch), but it is not "completed".
  if (Number(r.numUpdatedRows) !== 1) throw conflict('privacy.changed', `privacy request ${row.id} was rejected while it was executed; what it did so far is in its audit trail`);
  const followUp = row.status === 'completed';
  const recallsLinked = await linkWaitingRecalls(ctx, trx);
  await appendAudit(ctx, trx, {
    action: 'privacy.completed', subject: `privacy:${row.id}`,
    details: { ...auditCounts(response), late: !followUp && now > row.deadline_at, followUp, ...(recallsLinked > 0 ? { recallsLinked } : {}) },
  });
}

/** A response's counts and ids for the audit log (no notice text, no names). */
function auditCounts(r: PrivacyResponse): Record<string, unknown> {
  switch (r.kind) {
    case 'access':
      return { kind: r.kind, records: r.records, restricted: r.restricted, attachments: r.attachments, withheldAttachments: r.withheldAttachments, files: r.files, manifestSha256: r.manifestSha256 };
    case 'restriction':
      return { kind: r.kind, restricted: r.restricted, alreadyRestricted: r.alreadyRestricted };
    case 'erasure':
      return {
        kind: r.kind, erased: r.erased, restricted: r.restricted, restrictedUntil: r.restrictedUntil, personDataErased: r.personDataErased,
        grounds: r.grounds.map((g) => ({ type: g.type, holdId: g.holdId, matterId: g.matterId, policyId: g.policyId, requestId: g.requestId, records: g.records, until: g.until })),
      };
  }
}

export async function rejectPrivacyRequest(ctx: Context, id: number, reason: string): Promise<PrivacyRequestView> {
  const why = reason.trim();
  if (why === '') throw usageError('privacy.needs_reason', 'a rejection needs a reason (--reason), which is the answer to the requester');
  if (why.length > 4000) throw usageError('privacy.too_long', 'the reason is at most 4000 characters');
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const row = await findRequest(trx, id);
    if (row.status !== 'open' && row.status !== 'in-progress') throw conflict('privacy.decided', `privacy request ${id} is ${row.status}: only an open or in-progress request can be rejected`);
    await trx.updateTable('privacy_requests').set({ status: 'rejected', decided_at: now, decided_by: ctx.actor, reject_reason: why }).where('id', '=', id).execute();
    // Recalls held back while the request froze their originals apply now.
    const recallsLinked = await linkWaitingRecalls(ctx, trx);
    await appendAudit(ctx, trx, { action: 'privacy.rejected', subject: `privacy:${id}`, details: { kind: row.kind, reason: why, late: now > row.deadline_at, wasInProgress: row.status === 'in-progress', ...(recallsLinked > 0 ? { recallsLinked } : {}) } });
    return viewOf(trx, (await requestById(trx, id))!, now);
  });
}

// ---------------------------------------------------------------------------------------------
// Execute

export interface ExecuteOptions {
  /** Access requests: the directory to write the export to (must not exist, or be empty). */
  out?: string | undefined;
}

export interface ExecuteResult {
  request: PrivacyRequestView;
  response: PrivacyResponse;
  /** Access: where the export was written. */
  out?: string | undefined;
}

/**
 * Executes a request: open → in-progress → completed. An erasure or restriction request that is
 * completed can be executed again (a follow-up: records archived since, holds released or floors
 * passed since); an interrupted execution (left in progress) is resumed by executing it again.
 */
export async function executePrivacyRequest(ctx: Context, id: number, options: ExecuteOptions = {}): Promise<ExecuteResult> {
  const row = await findRequest(ctx.db, id);
  if (row.status === 'rejected') throw conflict('privacy.decided', `privacy request ${id} was rejected`);
  if (row.status === 'completed' && row.kind === 'access') throw conflict('privacy.decided', `access request ${id} is completed; open a new request for a new export`);
  if (row.status === 'completed' && row.lifted_at !== null) throw conflict('privacy.decided', `the restriction of request ${id} was lifted; open a new request`);
  if (row.kind === 'access' && options.out === undefined) {
    throw conflict('privacy.export_needs_cli', `an access request is executed into a directory of files: run \`wekeep privacy execute ${id} --out DIR\` on the server`);
  }
  const out = options.out === undefined ? undefined : resolve(options.out);
  if (out !== undefined) {
    assertOutsideDataDir(out, ctx.config.dataDir, 'privacy.bad_out', 'the export directory (--out)');
    if (existsSync(out) && !statSync(out).isDirectory()) throw usageError('privacy.bad_out', `${out} is not a directory; choose an empty or new directory`);
    if (existsSync(out) && readdirSync(out).length > 0) throw usageError('privacy.out_not_empty', `${out} is not empty; choose an empty or new directory`);
  }
  const persons = await requestPersons(ctx.db, id);
  const personIds = persons.map((p) => p.personId);
  if (row.kind === 'restriction') {
    // Frozen records (an open erasure request of someone else) may not change: decide that one first.
    const blocking = await freezingRequests(ctx.db, await subjectMessageKeys(ctx.db, personIds), id);
    if (blocking.length > 0) throw frozenConflict(blocking);
  }
  if (row.status === 'open') await start(ctx, row);
  const current = (await requestById(ctx.db, id))!;
  let response: PrivacyResponse;
  switch (row.kind) {
    case 'access':
      response = await executeAccess(ctx, current, persons, out!);
      break;
    case 'erasure':
      response = await executeErasure(ctx, current, personIds);
      break;
    case 'restriction':
      response = await executeRestriction(ctx, current, personIds);
      break;
  }
  const view = await ctx.db.transaction().execute(async (trx) => {
    await complete(ctx, trx, current, response);
    return viewOf(trx, (await requestById(trx, id))!, ctx.clock.now());
  });
  return { request: view, response, ...(out === undefined ? {} : { out }) };
}

const frozenConflict = (blocking: { requestId: number; records: number }[]) =>
  conflict('privacy.frozen', `${blocking.reduce((n, b) => n + b.records, 0)} of these records are frozen by open erasure request(s) ${blocking.map((b) => `#${b.requestId}`).join(', ')}: decide ${blocking.length === 1 ? 'it' : 'them'} first`);

/**
 * Rewrites the index rows of messages whose restricted state changed, in the same transaction:
 * a restricted message's row carries the `privrestricted` token that search excludes.
 */
async function reindex(trx: Kysely<Database>, keys: readonly number[]): Promise<void> {
  for (const part of chunks(keys)) await indexMessages(trx, await storedFtsDocuments(trx, await messagesByKeys(trx, part)));
}

// ---- erasure ----------------------------------------------------------------------------------

const PIPL_47 = 'PIPL Art. 47 para. 2';
const GDPR_HOLD = 'GDPR Art. 17(3)(e)';
const GDPR_FLOOR = 'GDPR Art. 17(3)(b)';
const GDPR_RESTRICTION = 'GDPR Art. 18(2)';

/**
 * Reads the facts of these keys (ascending, possibly sparse) through the facts reader: a run of
 * keys with one range query when the rows between them are few, the rest one by one.
 */
async function factsOf(reader: ReturnType<typeof createFactsReader>, keys: readonly number[]): Promise<FactsRow[]> {
  const out: FactsRow[] = [];
  for (let i = 0; i < keys.length; i += 50) {
    const run = keys.slice(i, i + 50);
    const want = new Set(run);
    const limit = run.length * 4;
    const rows = await reader.read(run[0]! - 1, limit, run[run.length - 1]! + 1);
    const got = new Set<number>();
    for (const f of rows) {
      if (!want.has(f.key)) continue;
      out.push(f);
      got.add(f.key);
    }
    if (rows.length < limit) continue;
    // The range held more rows than the limit: read the keys not reached yet one by one.
    for (const k of run) {
      if (got.has(k)) continue;
      const [f] = await reader.read(k - 1, 1, k + 1);
      if (f !== undefined && f.key === k) out.push(f);
    }
  }
  return out.sort((a, b) => a.key - b.key);
}

/**
 * Of these keys, those a restriction request of ANOTHER data subject (one sharing no person with
 * `requestId`) keeps restricted: that subject's right (GDPR Art. 18) is not overridden by this erasure.
 */
async function otherSubjectsRestrictions(db: Kysely<Database>, requestId: number, keys: readonly number[]): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>();
  if (keys.length === 0) return out;
  const rows = await db
    .selectFrom('privacy_request_records as r')
    .innerJoin('privacy_requests as q', 'q.id', 'r.request_id')
    .select(['r.message_key', 'q.id'])
    .where('q.kind', '=', 'restriction')
    .where('q.id', '!=', requestId)
    .where('q.lifted_at', 'is', null)
    .where('r.outcome', '=', 'restricted')
    .where('r.message_key', 'in', [...keys])
    .where((eb) => eb.not(eb.exists(eb.selectFrom('privacy_request_persons as a')
      .innerJoin('privacy_request_persons as b', 'b.person_id', 'a.person_id')
      .select('a.person_id')
      .whereRef('a.request_id', '=', 'q.id')
      .where('b.request_id', '=', requestId))))
    .execute();
  for (const r of rows) out.set(Number(r.message_key), [...(out.get(Number(r.message_key)) ?? []), r.id]);
  return out;
}

async function executeErasure(ctx: Context, row: PrivacyRequestRow, personIds: readonly number[]): Promise<ErasureResponse> {
  const keys = await subjectMessageKeys(ctx.db, personIds);
  const reader = createFactsReader(ctx);
  for (const part of chunks(keys, BATCH)) {
    await ctx.db.transaction().execute(async (trx) => {
      const now = ctx.clock.now();
      // Decided inside the write transaction with the rules as they are now: a hold placed
      // meanwhile is seen here, or this transaction fails (SQLite serializes writers).
      const rules = await loadRetentionRules(trx, ctx.config.timeZone);
      const facts = await factsOf(reader, part);
      if (facts.length === 0) return;
      const holds = await resolveHoldText(trx, rules.holds, facts[0]!.key, facts[facts.length - 1]!.key);
      const others = await otherSubjectsRestrictions(trx, row.id, facts.map((f) => f.key));
      const free: FactsRow[] = [];
      const decisions = new Map<number, RetentionDecision>();
      const kept: RecordOutcomeRow[] = [];
      for (const f of facts) {
        // The request's own freeze does not protect its records from itself.
        const d = decideRetention({ ...f, frozen: false }, rules.policies, holds, now);
        decisions.set(f.key, d);
        const floorOpen = d.floor !== undefined && d.floor.until > now;
        const restrictedFor = others.get(f.key) ?? [];
        if (d.holdIds.length === 0 && !floorOpen && restrictedFor.length === 0) {
          free.push(f);
          continue;
        }
        const grounds = [...d.holdIds.map((h) => `hold:${h}`), ...(floorOpen ? [`policy:${d.floor!.policyId}`] : []), ...restrictedFor.map((q) => `restriction:${q}`)];
        kept.push({ key: f.key, outcome: 'restricted', grounds: JSON.stringify(grounds), untilMs: floorOpen ? d.floor!.until : null });
      }
      // Certified like the sweep's disposals: a run of its own per batch (trigger `erasure`).
      const disposed = await certifiedDisposal(ctx, trx, 'erasure', free, { reason: 'erasure', policyIdOf: () => null, rules: { ...rules, holds }, decisions });
      await restrictMessages(trx, kept.map((k) => k.key), now, JSON.stringify({ requestId: row.id, kind: 'erasure' }));
      await reindex(trx, kept.map((k) => k.key));
      await recordOutcomes(trx, row.id, [...disposed.keys.map((key): RecordOutcomeRow => ({ key, outcome: 'erased', grounds: null, untilMs: null })), ...kept], now);
      await appendAudit(ctx, trx, {
        action: 'privacy.erasure_batch', subject: `privacy:${row.id}`,
        details: { erased: disposed.count, restricted: kept.length, firstKey: facts[0]!.key, lastKey: facts[facts.length - 1]!.key, runId: disposed.runId },
      });
    });
  }
  await afterDisposal(ctx); // blob files and retired backup bucket keys
  // Erased means gone from the search index too: its tokens are dropped now, not at the next sweep.
  await purgeIndexNow(ctx, `privacy:${row.id}`);
  return ctx.db.transaction().execute(async (trx) => {
    const remaining = await subjectMessageKeys(trx, personIds);
    let personDataErased = false;
    if (remaining.length === 0 && personIds.length > 0) {
      // Nothing they sent or received is kept: their directory data goes too. The person id and
      // their conversation memberships stay: later imports refer to the id, and memberships decide
      // which records a custodian hold on them covers (removing them could unprotect held records).
      await trx.updateTable('persons').set({ name: null, name_key: null, departments: null, department_history: null, position: null, company: null, email: null }).where('id', 'in', [...personIds]).execute();
      await appendAudit(ctx, trx, { action: 'privacy.person_data_erased', subject: `privacy:${row.id}`, details: { persons: [...personIds] } });
      personDataErased = true;
    }
    return erasureResponse(trx, row.id, personDataErased);
  });
}

/**
 * Completed erasure requests that have restricted records whose every ground has ended — the hold
 * was released, the floor (`until_ms`) has passed, the other subject's restriction was lifted — or
 * that arrived after the request was executed (`awaiting-erasure`). The erasure notice promises the
 * requester that such records are erased when their grounds end: runErasureFollowUps keeps it.
 */
export async function erasureFollowUpsDue(ctx: Context): Promise<number[]> {
  const now = ctx.clock.now();
  const rows = await restrictedOfCompletedErasures(ctx.db);
  if (rows.length === 0) return [];
  const activeHolds = new Set((await loadRetentionRules(ctx.db, ctx.config.timeZone)).holds.map((h) => h.id));
  const inForce = await restrictionsInForce(ctx.db);
  const ended = (ground: string, untilMs: number | null): boolean => {
    if (ground === AWAITING_ERASURE) return true;
    const [kind, id] = ground.split(':');
    if (kind === 'hold') return !activeHolds.has(Number(id));
    if (kind === 'policy') return untilMs !== null && untilMs <= now;
    if (kind === 'restriction') return !inForce.has(Number(id));
    return false;
  };
  const due = new Set<number>();
  for (const r of rows) if (r.grounds.every((g) => ended(g, r.untilMs))) due.add(r.requestId);
  return [...due].sort((a, b) => a - b);
}

export interface ErasureFollowUp {
  requestId: number;
  erased: number;
  restricted: number;
  /** The error code when the follow-up could not run now (another request freezes the records, …); it is tried again after the next run. */
  error?: string;
}

/** Executes again every erasure request with records whose grounds ended (the daily disposition job and `retention run` call it). */
export async function runErasureFollowUps(ctx: Context): Promise<ErasureFollowUp[]> {
  const out: ErasureFollowUp[] = [];
  const erasedSoFar = async (id: number): Promise<number> => (await outcomeCounts(ctx.db, id)).erased;
  for (const id of await erasureFollowUpsDue(ctx)) {
    const before = await erasedSoFar(id);
    let response: PrivacyResponse;
    try {
      ({ response } = await executePrivacyRequest(ctx, id));
    } catch (e) {
      // One request that cannot be followed up now must not fail the run or keep the others from theirs.
      if (!isAppError(e)) throw e;
      out.push({ requestId: id, erased: 0, restricted: 0, error: e.code });
      continue;
    }
    if (response.kind !== 'erasure') continue;
    out.push({ requestId: id, erased: (await erasedSoFar(id)) - before, restricted: response.restricted });
  }
  return out;
}

/** The answer to the requester, from what the request did to each record (complete across resumed runs). */
async function erasureResponse(db: Kysely<Database>, requestId: number, personDataErased: boolean): Promise<ErasureResponse> {
  const rows = await db.selectFrom('privacy_request_records').select(['outcome', 'grounds', 'until_ms']).where('request_id', '=', requestId).execute();
  // A restricted record that was disposed later (by a follow-up or a sweep after its floor) no longer counts as kept.
  const restrictedKeys = await keysWithOutcome(db, requestId, 'restricted');
  const existing = new Set<number>();
  for (const part of chunks(restrictedKeys)) for (const r of await db.selectFrom('messages').select('id').where('id', 'in', part).execute()) existing.add(r.id);
  // Records restricted on arrival while the request ran wait for its next execution: not an answer to the requester yet.
  const restrictedRows = (await db.selectFrom('privacy_request_records').select(['message_key', 'grounds', 'until_ms']).where('request_id', '=', requestId).where('outcome', '=', 'restricted').execute())
    .filter((r) => existing.has(Number(r.message_key)) && r.grounds !== JSON.stringify([AWAITING_ERASURE]));
  const erased = rows.filter((r) => r.outcome === 'erased').length + (restrictedKeys.length - existing.size);
  const byGround = new Map<string, { records: number; until: number | null }>();
  const rowGrounds = restrictedRows.map((r) => JSON.parse(r.grounds ?? '[]') as string[]);
  let latest: number | null = null;
  restrictedRows.forEach((r, i) => {
    for (const g of rowGrounds[i]!) {
      const cur = byGround.get(g) ?? { records: 0, until: null };
      cur.records++;
      if (g.startsWith('policy:') && r.until_ms !== null) cur.until = Math.max(cur.until ?? 0, r.until_ms);
      byGround.set(g, cur);
    }
    if (r.until_ms !== null) latest = Math.max(latest ?? 0, r.until_ms);
  });
  const matterOfHold = new Map<string, { id: number; name: string } | undefined>();
  for (const g of byGround.keys()) {
    if (!g.startsWith('hold:')) continue;
    const h = await db.selectFrom('legal_holds as h').innerJoin('matters as m', 'm.id', 'h.matter_id').select(['m.id', 'm.name']).where('h.id', '=', Number(g.slice(5))).executeTakeFirst();
    matterOfHold.set(g, h);
  }
  // The notice counts each record once per matter, however many of the matter's holds cover it.
  const heldByMatter = new Map<string, number>();
  for (const gs of rowGrounds) {
    for (const matter of new Set(gs.filter((g) => g.startsWith('hold:')).map((g) => matterOfHold.get(g)?.name ?? ''))) heldByMatter.set(matter, (heldByMatter.get(matter) ?? 0) + 1);
  }
  const grounds: LegalGround[] = [];
  for (const [g, v] of [...byGround].sort(([a], [b]) => a.localeCompare(b))) {
    const [type, idText] = g.split(':');
    const id = Number(idText);
    if (type === 'restriction') {
      grounds.push({ type: 'other-restriction', requestId: id, records: v.records, until: null, law: [GDPR_RESTRICTION] });
    } else if (type === 'hold') {
      const m = matterOfHold.get(g);
      grounds.push({ type: 'legal-hold', holdId: id, matterId: m?.id, matter: m?.name, records: v.records, until: null, law: [PIPL_47, GDPR_HOLD] });
    } else {
      const p = await db.selectFrom('retention_policies').select(['name', 'basis']).where('id', '=', id).executeTakeFirst();
      grounds.push({ type: 'retention-floor', policyId: id, policy: p?.name, basis: p?.basis, records: v.records, until: v.until === null ? null : iso(v.until), law: [PIPL_47, GDPR_FLOOR] });
    }
  }
  const restricted = restrictedRows.length;
  return { kind: 'erasure', erased, restricted, grounds, restrictedUntil: latest === null ? null : iso(latest), personDataErased, notice: erasureNotice(erased, restricted, grounds, heldByMatter) };
}

/** `heldByMatter`: records under a legal hold per matter name ('' when unknown), each counted once per matter. */
function erasureNotice(erased: number, restricted: number, grounds: readonly LegalGround[], heldByMatter: ReadonlyMap<string, number>): { en: string; zh: string } {
  const en = [`We have erased ${erased} record(s) of your personal information.`];
  const zh = [`我们已删除您的 ${erased} 条个人信息记录。`];
  if (restricted > 0) {
    en.push(`${restricted} record(s) cannot be erased yet. They are kept in storage only, with security measures, and are not otherwise processed (PIPL Art. 47 para. 2; GDPR Art. 17(3)):`);
    zh.push(`另有 ${restricted} 条记录暂不能删除。依据《个人信息保护法》第四十七条第二款，我们仅对其进行存储和采取必要的安全保护措施，停止除此之外的处理：`);
    for (const [matter, records] of [...heldByMatter].sort(([a], [b]) => a.localeCompare(b))) {
      en.push(`- ${records} record(s) are preserved for the establishment, exercise or defence of legal claims (legal hold${matter ? ` in matter "${matter}"` : ''}; GDPR Art. 17(3)(e)) until the hold is released.`);
      zh.push(`- ${records} 条记录因法律程序需要（诉讼保全${matter ? `，案件"${matter}"` : ''}）予以保存，直至保全解除。`);
    }
    for (const g of grounds) {
      if (g.type === 'other-restriction') {
        en.push(`- ${g.records} record(s) also concern another person who asked for them to be restricted (GDPR Art. 18(2)); they are kept until that restriction ends.`);
        zh.push(`- ${g.records} 条记录同时涉及另一位个人，其已要求限制处理，须保存至该限制解除。`);
      } else if (g.type === 'legal-hold') {
        continue; // said per matter above
      } else {
        en.push(`- ${g.records} record(s) must be kept to comply with a legal obligation (${g.basis ?? `retention policy ${g.policy ?? g.policyId}`}; GDPR Art. 17(3)(b)) until ${g.until ?? 'the retention period ends'}.`);
        zh.push(`- ${g.records} 条记录因法律、行政法规规定的保存期限未届满（${g.basis ?? `保留策略 ${g.policy ?? g.policyId}`}）须保存至 ${g.until ?? '保存期限届满'}。`);
      }
    }
    en.push('They will be erased when these grounds end.');
    zh.push('上述理由消除后，我们将予以删除。');
  }
  return { en: en.join('\n'), zh: zh.join('\n') };
}

// ---- restriction ------------------------------------------------------------------------------

async function executeRestriction(ctx: Context, row: PrivacyRequestRow, personIds: readonly number[]): Promise<RestrictionResponse> {
  const keys = await subjectMessageKeys(ctx.db, personIds);
  let already = 0;
  for (const part of chunks(keys, BATCH)) {
    await ctx.db.transaction().execute(async (trx) => {
      const now = ctx.clock.now();
      const changed = await restrictMessages(trx, part, now, JSON.stringify({ requestId: row.id, kind: 'restriction' }));
      await reindex(trx, part);
      already += part.length - changed;
      await recordOutcomes(trx, row.id, part.map((key): RecordOutcomeRow => ({ key, outcome: 'restricted', grounds: null, untilMs: null })), now);
      await appendAudit(ctx, trx, { action: 'privacy.restriction_batch', subject: `privacy:${row.id}`, details: { restricted: part.length, newly: changed, firstKey: part[0], lastKey: part[part.length - 1] } });
    });
  }
  return { kind: 'restriction', restricted: keys.length, alreadyRestricted: already };
}

/** Ends a restriction: its records leave the restricted state unless another request still restricts them. */
export async function liftRestriction(ctx: Context, id: number, reason: string): Promise<PrivacyRequestView & { lifted: number; stillRestricted: number }> {
  const why = reason.trim();
  // Lifting puts the records back into processing: the audit trail says why (GDPR Art. 18(3) also asks that the subject be told first).
  if (why === '') throw usageError('privacy.reason_required', 'lifting a restriction needs a reason (--reason): it is kept in the audit log');
  if (why.length > 4000) throw usageError('privacy.too_long', 'the reason is at most 4000 characters');
  const row = await findRequest(ctx.db, id);
  if (row.kind !== 'restriction') throw conflict('privacy.not_restriction', `privacy request ${id} is an ${row.kind} request: only a restriction can be lifted`);
  if (row.status !== 'completed') throw conflict('privacy.not_completed', `privacy request ${id} is ${row.status}: only an executed restriction can be lifted`);
  if (row.lifted_at !== null) throw conflict('privacy.already_lifted', `the restriction of request ${id} was lifted already`);
  const keys = await keysWithOutcome(ctx.db, id, 'restricted');
  const blocking = await freezingRequests(ctx.db, keys, id);
  if (blocking.length > 0) throw frozenConflict(blocking);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    await recordOutcomes(trx, id, keys.map((key): RecordOutcomeRow => ({ key, outcome: 'lifted', grounds: null, untilMs: null })), now);
    const lifted = await unrestrictUnclaimed(trx, keys);
    await reindex(trx, keys);
    await trx.updateTable('privacy_requests').set({ lifted_at: now, lifted_by: ctx.actor, lift_reason: why === '' ? null : why }).where('id', '=', id).execute();
    await appendAudit(ctx, trx, { action: 'privacy.restriction_lifted', subject: `privacy:${id}`, details: { records: keys.length, lifted, stillRestricted: keys.length - lifted, ...(why === '' ? {} : { reason: why }) } });
    const view = await viewOf(trx, (await requestById(trx, id))!, now);
    return { ...view, lifted, stillRestricted: keys.length - lifted };
  });
}

// ---- access -----------------------------------------------------------------------------------

export const ACCESS_EXPORT_FORMAT = 'wekeep-privacy-access/1';

interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

async function executeAccess(ctx: Context, row: PrivacyRequestRow, persons: readonly PersonMatch[], out: string): Promise<AccessResponse> {
  const personIds = new Set(persons.map((p) => p.personId));
  const keys = await subjectMessageKeys(ctx.db, [...personIds]);
  // Audited before any byte leaves the archive: a failed write may leave an audit entry, never an unaudited read.
  await ctx.db.transaction().execute(async (trx) => {
    await appendAudit(ctx, trx, { action: 'privacy.access_export_started', subject: `privacy:${row.id}`, details: { records: keys.length, persons: [...personIds] } });
  });
  mkdirSync(join(out, 'attachments'), { recursive: true, mode: 0o700 });
  const files: ManifestFile[] = [];
  const counts = { records: 0, restricted: 0, attachments: 0, withheldAttachments: 0, withheldRestricted: 0 };
  /** Listed without content (restricted at another subject's request): not recorded as exported. */
  const withheld = new Set<number>();

  const recordsPath = join(out, 'records.ndjson');
  const handle = await open(recordsPath, 'wx', 0o600);
  const hash = createHash('sha256');
  let size = 0;
  try {
    for (const part of chunks(keys, BATCH)) {
      const { rows, views } = await loadMessageViews(ctx.db, part);
      const state = new Map((await ctx.db.selectFrom('messages').select(['id', 'from_person_id', 'restricted_at']).where('id', 'in', part).execute()).map((r) => [r.id, r]));
      const blobsOf = await attachmentsOf(ctx.db, part);
      // Restricted at another data subject's request (not the requester's own): their restriction
      // stands, so only that such a record exists is reported, without its content.
      const othersRestricted = await restrictedForOthersOnly(ctx.db, part, [...personIds]);
      let text = '';
      for (let i = 0; i < views.length; i++) {
        const v = views[i]!;
        const r = rows[i]!;
        const subjectRole = personIds.has(state.get(v.key)?.from_person_id ?? -1) ? 'sender' : 'recipient';
        if (othersRestricted.has(v.key)) {
          counts.withheldRestricted++;
          counts.records++;
          withheld.add(v.key);
          text += `${canonicalJson({ key: String(v.key), source: v.source, id: v.id, time: v.time, timeMs: v.timeMs, subjectRole, restricted: true, withheld: 'restricted-for-another-subject' })}\n`;
          continue;
        }
        const attachments = [];
        for (const a of v.attachments) {
          const servable = a.scan === 'clean' || a.scan === 'not_scanned';
          let file: string | null = null;
          if (servable) {
            file = `attachments/${v.key}-${safeFileName(a.name, a.ordinal)}`;
            const b = blobsOf.get(v.key)?.find((x) => x.ordinal === a.ordinal);
            if (b === undefined) throw new Error(`attachment ${a.ordinal} of message ${v.key} vanished during the export`);
            // Decrypted and verified against its SHA-256 and size while written.
            await ctx.blobs.writeTo({ id: b.blobId, sha256: b.sha256, size: b.size, compression: b.compression, bucket: b.bucket, wrappedDek: b.wrappedDek }, join(out, file));
            files.push({ path: file, size: a.size, sha256: a.sha256 });
            counts.attachments++;
          } else {
            counts.withheldAttachments++;
          }
          attachments.push({ ordinal: a.ordinal, name: a.name, mime: a.mime, size: a.size, sha256: a.sha256, file, ...(servable ? {} : { withheld: a.scan }) });
        }
        const isRestricted = (state.get(v.key)?.restricted_at ?? null) !== null;
        if (isRestricted) counts.restricted++;
        const record = {
          key: String(v.key), source: v.source, id: v.id, seq: v.seq, time: v.time, timeMs: v.timeMs,
          conversation: v.conversation, from: v.from, to: v.to, type: v.type, text: v.text, fields: v.fields,
          raw: r.raw === null ? null : (JSON.parse(r.raw) as unknown),
          recalled: v.recalled, recalledAt: v.recalledAt, recalledBy: v.recalledBy, attachments,
          recordHash: r.recordHash, archivedAt: iso(r.archivedAt),
          subjectRole,
          restricted: isRestricted,
        };
        text += `${canonicalJson(record)}\n`;
        counts.records++;
      }
      const bytes = Buffer.from(text, 'utf8');
      await handle.write(bytes);
      hash.update(bytes);
      size += bytes.length;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  files.push({ path: 'records.ndjson', size, sha256: hash.digest('hex') });

  const memberships = await membershipsOf(ctx.db, [...personIds]);
  const subject = {
    format: ACCESS_EXPORT_FORMAT,
    request: { id: row.id, kind: row.kind, subjects: JSON.parse(row.subjects) as string[], requester: row.requester, openedAt: iso(row.opened_at), deadline: iso(row.deadline_at) },
    persons: persons.map((p) => ({
      id: p.extId, name: p.name, kind: p.kind, departments: p.departments,
      departmentHistory: p.departmentHistory.map(([until, departments]) => ({ until: iso(until), departments })),
      position: p.position, company: p.company, directoryUpdatedAt: isoOrNull(p.directoryUpdatedAt), matchedBy: p.matchedBy,
      conversations: memberships.filter((m) => m.personId === p.personId).map((m) => ({ source: m.source, id: m.id, type: m.kind, title: m.title })),
    })),
    consentEvents: (await consentEventsOf(ctx.db, persons.map((p) => p.extId))).map((e) => ({ source: e.source, messageId: e.messageId, party: e.party, action: e.action, time: iso(e.timeMs) })),
    records: { total: counts.records, restricted: counts.restricted, withheldRestricted: counts.withheldRestricted },
  };
  files.push(writeJsonFile(out, 'subject.json', subject));
  files.sort((a, b) => a.path.localeCompare(b.path));
  const manifest = {
    format: ACCESS_EXPORT_FORMAT, requestId: row.id, generatedAt: iso(ctx.clock.now()), generatedBy: ctx.actor, algorithm: 'sha256',
    counts: { records: counts.records, restricted: counts.restricted, withheldRestricted: counts.withheldRestricted, attachments: counts.attachments, withheldAttachments: counts.withheldAttachments },
    files,
  };
  const manifestFile = writeJsonFile(out, 'manifest.json', manifest);
  await ctx.db.transaction().execute(async (trx) => {
    await recordOutcomes(trx, row.id, keys.filter((key) => !withheld.has(key)).map((key): RecordOutcomeRow => ({ key, outcome: 'exported', grounds: null, untilMs: null })), ctx.clock.now());
  });
  return { kind: 'access', ...counts, files: files.length + 1, manifestSha256: manifestFile.sha256 };
}

function writeJsonFile(dir: string, name: string, value: unknown): ManifestFile {
  const bytes = Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
  writeFileSync(join(dir, name), bytes, { mode: 0o600, flag: 'wx' });
  return { path: name, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}
