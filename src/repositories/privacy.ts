import { sql, type Kysely, type Selectable } from 'kysely';
import type { SqliteHandle } from '../db/connection.js';
import type { Database } from '../db/schema.js';
import type { PrivacyRecordOutcome, PrivacyRequestsTable } from '../db/tables/privacy.js';
import { chunks } from './directory.js';
import { parseDepartmentHistory, type DepartmentHistory } from '../domain/department-history.js';
import { jsonArray } from './json-columns.js';

/**
 * Privacy requests (migration 0013): requests, the persons they cover, what they did to each
 * record, and the RESTRICTED state of messages. SQL only; the rules live in
 * services/privacy-requests.ts.
 *
 * Which records a request involves: every message the covered persons SENT (messages.from_person_id)
 * or RECEIVED (messages.to_person_ids). Computed from the persons, not from a snapshot, so a message
 * archived after the request was opened is involved too.
 */

export type PrivacyRequestRow = Selectable<PrivacyRequestsTable>;

/** Statuses in which an erasure request freezes its records (nothing else may change them). */
export const FREEZING_STATUSES = ['open', 'in-progress'] as const;

// ---------------------------------------------------------------------------------------------
// Requests

export async function requestById(db: Kysely<Database>, id: number): Promise<PrivacyRequestRow | undefined> {
  return db.selectFrom('privacy_requests').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listRequestRows(db: Kysely<Database>): Promise<PrivacyRequestRow[]> {
  return db.selectFrom('privacy_requests').selectAll().orderBy('id', 'desc').execute();
}

// ---------------------------------------------------------------------------------------------
// Subjects → persons

export interface PersonMatch {
  personId: number;
  extId: string;
  name: string | null;
  kind: string | null;
  departments: string[];
  /** The departments before each change a directory sync saw. */
  departmentHistory: DepartmentHistory;
  position: string | null;
  company: string | null;
  directoryUpdatedAt: number | null;
  /** The identifiers (as given) that matched this person. */
  matchedBy: string[];
}

const PHONE = /^\+?[\d\s().-]{5,}$/u;

/**
 * The forms an identifier is looked up in: as given, and for a phone number its digits with and
 * without the +86 / 86 country prefix (persons are keyed by whatever id the source used).
 */
export function identifierVariants(identifier: string): string[] {
  const id = identifier.trim();
  const out = new Set([id]);
  if (PHONE.test(id)) {
    const digits = id.replace(/\D/gu, '');
    if (digits.length >= 5) {
      out.add(digits);
      out.add(`+${digits}`);
      if (digits.startsWith('86') && digits.length === 13) {
        out.add(digits.slice(2));
        out.add(`+${digits}`);
      }
      if (digits.length === 11) {
        out.add(`86${digits}`);
        out.add(`+86${digits}`);
      }
    }
  }
  return [...out].filter((v) => v !== '');
}


/**
 * Persons an identifier names: its person id exactly (a WeCom userid, an external userid `wm…`, a
 * wxid, a phone or email used as id) or case-insensitively, or their name (exact, or
 * case-insensitive for Latin script).
 */
export async function matchPersons(db: Kysely<Database>, identifiers: readonly string[]): Promise<PersonMatch[]> {
  const byPerson = new Map<number, PersonMatch>();
  for (const given of identifiers) {
    const variants = identifierVariants(given);
    if (variants.length === 0) continue;
    const lower = variants.map((v) => v.toLowerCase());
    const rows = await db
      .selectFrom('persons')
      .select(['id', 'ext_id', 'name', 'kind', 'departments', 'department_history', 'position', 'company', 'directory_updated_at'])
      .where((eb) => eb.or([
        eb('ext_id', 'in', variants),
        eb(eb.fn('lower', ['ext_id']), 'in', lower),
        eb('name', 'in', variants),
        eb(eb.fn('lower', ['name']), 'in', lower),
        eb(eb.fn('lower', ['email']), 'in', lower),
      ]))
      .orderBy('id')
      .execute();
    for (const r of rows) {
      const m = byPerson.get(r.id) ?? {
        personId: r.id, extId: r.ext_id, name: r.name, kind: r.kind, departments: jsonArray(r.departments), departmentHistory: parseDepartmentHistory(r.department_history), position: r.position, company: r.company,
        directoryUpdatedAt: r.directory_updated_at, matchedBy: [],
      };
      if (!m.matchedBy.includes(given)) m.matchedBy.push(given);
      byPerson.set(r.id, m);
    }
  }
  return [...byPerson.values()].sort((a, b) => a.personId - b.personId);
}

/** The persons a request covers, with the identifiers that matched them. */
export async function requestPersons(db: Kysely<Database>, requestId: number): Promise<PersonMatch[]> {
  const rows = await db
    .selectFrom('privacy_request_persons as rp')
    .innerJoin('persons as p', 'p.id', 'rp.person_id')
    .select(['p.id', 'p.ext_id', 'p.name', 'p.kind', 'p.departments', 'p.department_history', 'p.position', 'p.company', 'p.directory_updated_at', 'rp.matched_by'])
    .where('rp.request_id', '=', requestId)
    .orderBy('p.id')
    .execute();
  return rows.map((r) => ({
    personId: r.id, extId: r.ext_id, name: r.name, kind: r.kind, departments: jsonArray(r.departments), departmentHistory: parseDepartmentHistory(r.department_history), position: r.position, company: r.company,
    directoryUpdatedAt: r.directory_updated_at, matchedBy: jsonArray(r.matched_by),
  }));
}

// ---------------------------------------------------------------------------------------------
// The records of a subject

/**
 * SQL: message `m` was sent or received by one of the persons in the JSON array `persons`. Received:
 * named in its `to` list; or, when it has none (personal WeChat group messages never do, and a 1:1
 * line may omit it), a member of its conversation (every sender and recipient the archive has seen
 * there), who received it like everyone else in the chat.
 */
const sentOrReceived = (persons: string) => sql<boolean>`(m.from_person_id IN (SELECT value FROM json_each(${persons}))
  OR EXISTS (SELECT 1 FROM json_each(m.to_person_ids) t WHERE t.value IN (SELECT value FROM json_each(${persons})))
  OR (m.to_person_ids IS NULL AND EXISTS (SELECT 1 FROM conversation_members cm WHERE cm.conversation_id = m.conversation_id AND cm.person_id IN (SELECT value FROM json_each(${persons})))))`;

/**
 * Keys (ascending) of the messages the persons sent or received. Narrowed first to the conversations
 * they are members of (every sender and recipient is recorded as a member by the import), so it
 * reads those conversations' messages only (index messages_conversation).
 */
export async function subjectMessageKeys(db: Kysely<Database>, personIds: readonly number[]): Promise<number[]> {
  if (personIds.length === 0) return [];
  const persons = JSON.stringify([...new Set(personIds)]);
  const rows = await sql<{ id: number }>`SELECT m.id FROM messages m
    WHERE m.conversation_id IN (SELECT cm.conversation_id FROM conversation_members cm WHERE cm.person_id IN (SELECT value FROM json_each(${persons})))
      AND ${sentOrReceived(persons)}
    ORDER BY m.id`.execute(db);
  return rows.rows.map((r) => Number(r.id));
}

/** Of these keys: how many the persons sent, and how many are restricted. */
export async function subjectRecordCounts(db: Kysely<Database>, personIds: readonly number[], keys: readonly number[]): Promise<{ sent: number; restricted: number }> {
  let sent = 0;
  let restricted = 0;
  const persons = new Set(personIds);
  for (const part of chunks(keys)) {
    const rows = await db.selectFrom('messages').select(['from_person_id', 'restricted_at']).where('id', 'in', part).execute();
    for (const r of rows) {
      if (persons.has(r.from_person_id)) sent++;
      if (r.restricted_at !== null) restricted++;
    }
  }
  return { sent, restricted };
}

// ---------------------------------------------------------------------------------------------
// Frozen records: covered by an open (or in-progress) erasure request

/** Person ids covered by erasure requests that are not decided yet. */
export async function openErasurePersonIds(db: Kysely<Database>): Promise<number[]> {
  const rows = await db
    .selectFrom('privacy_request_persons as rp')
    .innerJoin('privacy_requests as q', 'q.id', 'rp.request_id')
    .select('rp.person_id')
    .distinct()
    .where('q.kind', '=', 'erasure')
    .where('q.status', 'in', [...FREEZING_STATUSES])
    .execute();
  return rows.map((r) => r.person_id);
}

/**
 * Of `keys`, those frozen by an open (or in-progress) erasure request: records the request's
 * subject sent or received. Nothing but that request may change or dispose of them until it is
 * decided (decideRetention keeps them with keepReason 'privacy-request'). One query per call over
 * the keys' range; no query beyond a cheap check when no erasure request is open.
 */
export async function frozenMessageKeys(db: Kysely<Database>, keys: readonly number[]): Promise<Set<number>> {
  if (keys.length === 0) return new Set();
  const persons = await openErasurePersonIds(db);
  if (persons.length === 0) return new Set();
  const wanted = new Set(keys);
  let lo = Number.MAX_SAFE_INTEGER;
  let hi = Number.MIN_SAFE_INTEGER;
  for (const k of keys) {
    if (k < lo) lo = k;
    if (k > hi) hi = k;
  }
  const rows = await sql<{ id: number }>`SELECT m.id FROM messages m WHERE m.id BETWEEN ${lo} AND ${hi} AND ${sentOrReceived(JSON.stringify(persons))}`.execute(db);
  return new Set(rows.rows.map((r) => Number(r.id)).filter((k) => wanted.has(k)));
}

/**
 * The synchronous form of frozenMessageKeys for readers that run on the raw better-sqlite3 handle
 * (services/retention-rules.ts createFactsReader's `frozenKeys` option): prepared once, then one
 * cheap query per call when no erasure request is open, two otherwise.
 */
export function prepareFrozenKeys(sqlite: SqliteHandle): (keys: readonly number[]) => Set<number> {
  const open = sqlite.prepare(`SELECT DISTINCT rp.person_id FROM privacy_request_persons rp JOIN privacy_requests q ON q.id = rp.request_id
    WHERE q.kind = 'erasure' AND q.status IN ('open', 'in-progress')`).pluck();
  // The condition of sentOrReceived, with the persons bound three times.
  const inRange = sqlite.prepare(`SELECT m.id FROM messages m WHERE m.id BETWEEN ? AND ?
    AND (m.from_person_id IN (SELECT value FROM json_each(?)) OR EXISTS (SELECT 1 FROM json_each(m.to_person_ids) t WHERE t.value IN (SELECT value FROM json_each(?)))
      OR (m.to_person_ids IS NULL AND EXISTS (SELECT 1 FROM conversation_members cm WHERE cm.conversation_id = m.conversation_id AND cm.person_id IN (SELECT value FROM json_each(?)))))`).pluck();
  return (keys) => {
    if (keys.length === 0) return new Set();
    const persons = open.all() as number[];
    if (persons.length === 0) return new Set();
    let lo = Number.MAX_SAFE_INTEGER;
    let hi = Number.MIN_SAFE_INTEGER;
    for (const k of keys) {
      if (k < lo) lo = k;
      if (k > hi) hi = k;
    }
    const wanted = new Set(keys);
    const list = JSON.stringify(persons);
    return new Set((inRange.all(lo, hi, list, list, list) as number[]).map(Number).filter((k) => wanted.has(k)));
  };
}

/**
 * The person form of the freeze, for readers that already hold each record's sender and
 * recipients (FactsRow.fromPersonId / toPersonIds): a record is frozen when any of them is in the
 * returned set. Prepared once; one small query per call.
 */
export function prepareFrozenPersonIds(sqlite: SqliteHandle): () => { persons: ReadonlySet<number>; conversations: ReadonlySet<number> } {
  const open = sqlite.prepare(`SELECT DISTINCT rp.person_id FROM privacy_request_persons rp JOIN privacy_requests q ON q.id = rp.request_id
    WHERE q.kind = 'erasure' AND q.status IN ('open', 'in-progress')`).pluck();
  const memberOf = sqlite.prepare('SELECT DISTINCT conversation_id FROM conversation_members WHERE person_id IN (SELECT value FROM json_each(?))').pluck();
  return () => {
    const persons = new Set((open.all() as number[]).map(Number));
    // A record without a `to` list was received by every member of its conversation (sentOrReceived).
    const conversations = persons.size === 0 ? new Set<number>() : new Set((memberOf.all(JSON.stringify([...persons])) as number[]).map(Number));
    return { persons, conversations };
  };
}

/** [conversation, person] pairs of these persons' memberships in these conversations (restriction on arrival of messages without a `to` list). */
export function membersAmong(sqlite: SqliteHandle, conversationIds: readonly number[], personIds: readonly number[]): [number, number][] {
  const rows = sqlite.prepare(`SELECT conversation_id, person_id FROM conversation_members
    WHERE conversation_id IN (SELECT value FROM json_each(?)) AND person_id IN (SELECT value FROM json_each(?))`).raw().all(JSON.stringify(conversationIds), JSON.stringify(personIds)) as [number, number][];
  return rows.map(([c, p]) => [Number(c), Number(p)]);
}

/** Ground recorded for a record restricted on arrival by an erasure request that was executed already. */
export const AWAITING_ERASURE = 'awaiting-erasure';

/** SQL condition on a privacy request `q`: a restriction in force (being executed or executed, not lifted). */
export const RESTRICTION_IN_FORCE = "q.kind = 'restriction' AND q.status IN ('in-progress', 'completed') AND q.lifted_at IS NULL";

/**
 * SQL condition on a privacy request `q` whose subject's records are restricted as they arrive and
 * who is not listed by name (statistics): a restriction in force, or an erasure being executed or
 * executed (what it had to keep is restricted).
 */
export const SUBJECT_RESTRICTED = `(${RESTRICTION_IN_FORCE}) OR (q.kind = 'erasure' AND q.status IN ('in-progress', 'completed'))`;

/**
 * Of these keys, the records restricted only by requests of other data subjects (none of these
 * persons is a subject of a request that restricts them): an access export withholds their content.
 */
export async function restrictedForOthersOnly(db: Kysely<Database>, keys: readonly number[], personIds: readonly number[]): Promise<Set<number>> {
  if (keys.length === 0) return new Set();
  const rows = await sql<{ id: number }>`
    SELECT m.id FROM messages m
    WHERE m.id IN (SELECT value FROM json_each(${JSON.stringify(keys)})) AND m.restricted_at IS NOT NULL
      AND NOT EXISTS (
        SELECT 1 FROM privacy_request_records r
        JOIN privacy_requests q ON q.id = r.request_id
        JOIN privacy_request_persons rp ON rp.request_id = q.id
        WHERE r.message_key = m.id AND r.outcome = 'restricted' AND (${sql.raw(SUBJECT_RESTRICTED)})
          AND rp.person_id IN (SELECT value FROM json_each(${JSON.stringify(personIds)})))`.execute(db);
  return new Set(rows.rows.map((r) => Number(r.id)));
}

/** Records an erasure request restricted on arrival that wait for its next execution. */
export async function awaitingErasureCount(db: Kysely<Database>, requestId: number): Promise<number> {
  const r = await db.selectFrom('privacy_request_records').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('request_id', '=', requestId).where('outcome', '=', 'restricted').where('grounds', '=', JSON.stringify([AWAITING_ERASURE])).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** A request that restricts its subject's records as they arrive (see prepareArrivalRestrictions). */
export interface ArrivalRestriction {
  requestId: number;
  kind: 'erasure' | 'restriction';
  /** Erasure: only records whose time is at or before this instant (when it was decided); null: any. */
  untilTimeMs: number | null;
}

/**
 * Requests that restrict records of their subject when an import or sync archives them, by person
 * id (services/import.ts, inside each batch's transaction):
 * - a restriction request being executed or executed (in-progress, completed) and not lifted: every
 *   new record the subject sent or received;
 * - an erasure request being executed or executed: new records of the subject dated up to its
 *   decision (an older export imported afterwards, for example). They are kept RESTRICTED with the
 *   ground `awaiting-erasure` until the request is executed again (the follow-up decides them).
 *   Records dated after the decision are new communications and are archived as usual.
 * Prepared once; one small query per call.
 */
export function prepareArrivalRestrictions(sqlite: SqliteHandle): () => Map<number, ArrivalRestriction[]> {
  const stmt = sqlite.prepare(`SELECT rp.person_id AS personId, q.id AS requestId, q.kind AS kind, q.status AS status, q.decided_at AS decidedAt
    FROM privacy_request_persons rp JOIN privacy_requests q ON q.id = rp.request_id
    WHERE ${SUBJECT_RESTRICTED}
    ORDER BY q.id`);
  return () => {
    const out = new Map<number, ArrivalRestriction[]>();
    for (const r of stmt.all() as { personId: number; requestId: number; kind: 'erasure' | 'restriction'; status: string; decidedAt: number | null }[]) {
      const untilTimeMs = r.kind === 'erasure' && r.status === 'completed' && r.decidedAt !== null ? Number(r.decidedAt) : null;
      const list = out.get(Number(r.personId)) ?? [];
      list.push({ requestId: Number(r.requestId), kind: r.kind, untilTimeMs });
      out.set(Number(r.personId), list);
    }
    return out;
  };
}

/** Open erasure requests (other than `exceptId`) that freeze any of these keys, with how many of them each freezes. */
export async function freezingRequests(db: Kysely<Database>, keys: readonly number[], exceptId: number): Promise<{ requestId: number; records: number }[]> {
  if (keys.length === 0) return [];
  const open = await db.selectFrom('privacy_requests').select('id').where('kind', '=', 'erasure').where('status', 'in', [...FREEZING_STATUSES]).where('id', '!=', exceptId).execute();
  const out: { requestId: number; records: number }[] = [];
  for (const { id } of open) {
    const persons = (await db.selectFrom('privacy_request_persons').select('person_id').where('request_id', '=', id).execute()).map((r) => r.person_id);
    const frozen = new Set(await subjectMessageKeys(db, persons));
    const n = keys.filter((k) => frozen.has(k)).length;
    if (n > 0) out.push({ requestId: id, records: n });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The restricted state

/** Whether any message is restricted (index messages_restricted: a single probe). */
export async function anyRestricted(db: Kysely<Database>): Promise<boolean> {
  const r = await db.selectFrom('messages').select('id').where('restricted_at', 'is not', null).limit(1).executeTakeFirst();
  return r !== undefined;
}

/** Of these keys, the restricted ones. */
export async function restrictedMessageKeys(db: Kysely<Database>, keys: readonly number[]): Promise<Set<number>> {
  const out = new Set<number>();
  if (keys.length === 0 || !(await anyRestricted(db))) return out;
  for (const part of chunks([...new Set(keys)])) {
    const rows = await db.selectFrom('messages').select('id').where('id', 'in', part).where('restricted_at', 'is not', null).execute();
    for (const r of rows) out.add(r.id);
  }
  return out;
}

export async function isRestricted(db: Kysely<Database>, key: number): Promise<boolean> {
  return (await restrictedMessageKeys(db, [key])).has(key);
}

/** Marks messages restricted (those already restricted keep their first reason and time). */
export async function restrictMessages(db: Kysely<Database>, keys: readonly number[], at: number, reason: string): Promise<number> {
  let changed = 0;
  for (const part of chunks(keys)) {
    const r = await db.updateTable('messages').set({ restricted_at: at, restricted_reason: reason }).where('id', 'in', part).where('restricted_at', 'is', null).executeTakeFirst();
    changed += Number(r.numUpdatedRows);
  }
  return changed;
}

/**
 * Lifts the restricted state of messages that no request restricts any more (no record row with
 * outcome `restricted` left). Returns how many were lifted.
 */
export async function unrestrictUnclaimed(db: Kysely<Database>, keys: readonly number[]): Promise<number> {
  let changed = 0;
  for (const part of chunks(keys)) {
    const r = await db.updateTable('messages')
      .set({ restricted_at: null, restricted_reason: null })
      .where('id', 'in', part)
      .where('restricted_at', 'is not', null)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('privacy_request_records as r').select('r.message_key').whereRef('r.message_key', '=', 'messages.id').where('r.outcome', '=', 'restricted'))))
      .executeTakeFirst();
    changed += Number(r.numUpdatedRows);
  }
  return changed;
}

// ---------------------------------------------------------------------------------------------
// What a request did to each record

export interface RecordOutcomeRow {
  key: number;
  outcome: PrivacyRecordOutcome;
  grounds: string | null;
  untilMs: number | null;
}

export async function recordOutcomes(db: Kysely<Database>, requestId: number, rows: readonly RecordOutcomeRow[], now: number): Promise<void> {
  for (const part of chunks(rows, 200)) {
    await db.insertInto('privacy_request_records')
      .values(part.map((r) => ({ request_id: requestId, message_key: r.key, outcome: r.outcome, grounds: r.grounds, until_ms: r.untilMs, updated_at: now })))
      .onConflict((oc) => oc.columns(['request_id', 'message_key']).doUpdateSet((eb) => ({
        outcome: eb.ref('excluded.outcome'), grounds: eb.ref('excluded.grounds'), until_ms: eb.ref('excluded.until_ms'), updated_at: eb.ref('excluded.updated_at'),
      })))
      .execute();
  }
}

/** Keys a request left with an outcome. */
export async function keysWithOutcome(db: Kysely<Database>, requestId: number, outcome: PrivacyRecordOutcome): Promise<number[]> {
  const rows = await db.selectFrom('privacy_request_records').select('message_key').where('request_id', '=', requestId).where('outcome', '=', outcome).orderBy('message_key').execute();
  return rows.map((r) => Number(r.message_key));
}

export async function outcomeCounts(db: Kysely<Database>, requestId: number): Promise<Record<PrivacyRecordOutcome, number>> {
  const rows = await db.selectFrom('privacy_request_records').select((eb) => ['outcome', eb.fn.countAll<number>().as('n')]).where('request_id', '=', requestId).groupBy('outcome').execute();
  const out: Record<PrivacyRecordOutcome, number> = { exported: 0, erased: 0, restricted: 0, lifted: 0 };
  for (const r of rows) out[r.outcome] = Number(r.n);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The subject's personal data beyond messages (access exports)

export interface Membership {
  conversationKey: number;
  source: string;
  id: string;
  kind: 'direct' | 'group';
  title: string | null;
  personId: number;
}

export async function membershipsOf(db: Kysely<Database>, personIds: readonly number[]): Promise<Membership[]> {
  if (personIds.length === 0) return [];
  const rows = await db
    .selectFrom('conversation_members as cm')
    .innerJoin('conversations as c', 'c.id', 'cm.conversation_id')
    .innerJoin('sources as s', 's.id', 'c.source_id')
    .select(['c.id', 's.name', 'c.ext_id', 'c.kind', 'c.title', 'cm.person_id'])
    .where('cm.person_id', 'in', [...personIds])
    .orderBy('c.id')
    .execute();
  return rows.map((r) => ({ conversationKey: r.id, source: r.name, id: r.ext_id, kind: r.kind, title: r.title, personId: r.person_id }));
}

export interface ConsentEvent {
  source: string;
  messageId: string;
  party: string;
  action: string;
  timeMs: number;
}

/** Consent events (WeCom agree/disagree) of these person ids (as the party). */
export async function consentEventsOf(db: Kysely<Database>, extIds: readonly string[]): Promise<ConsentEvent[]> {
  if (extIds.length === 0) return [];
  const rows = await db
    .selectFrom('consent_events as e')
    .innerJoin('sources as s', 's.id', 'e.source_id')
    .select(['s.name', 'e.message_ext_id', 'e.party', 'e.action', 'e.time_ms'])
    .where('e.party', 'in', [...extIds])
    .orderBy('e.time_ms')
    .execute();
  return rows.map((r) => ({ source: r.name, messageId: r.message_ext_id, party: r.party, action: r.action, timeMs: r.time_ms }));
}

/** Restricted outcomes of completed, unlifted erasure requests whose record is still archived (the follow-up's candidates). */
export async function restrictedOfCompletedErasures(db: Kysely<Database>): Promise<{ requestId: number; grounds: string[]; untilMs: number | null }[]> {
  const rows = await db.selectFrom('privacy_request_records as r').innerJoin('privacy_requests as q', 'q.id', 'r.request_id').innerJoin('messages as m', 'm.id', 'r.message_key')
    .select(['r.request_id', 'r.grounds', 'r.until_ms'])
    .where('q.kind', '=', 'erasure').where('q.status', '=', 'completed').where('q.lifted_at', 'is', null).where('r.outcome', '=', 'restricted').execute();
  return rows.map((r) => ({ requestId: r.request_id, grounds: JSON.parse(r.grounds ?? '[]') as string[], untilMs: r.until_ms === null ? null : Number(r.until_ms) }));
}

/** Ids of restriction requests in force (RESTRICTION_IN_FORCE). */
export async function restrictionsInForce(db: Kysely<Database>): Promise<Set<number>> {
  return new Set((await db.selectFrom('privacy_requests as q').select('q.id').where(sql.raw<boolean>(RESTRICTION_IN_FORCE)).execute()).map((q) => Number(q.id)));
}
