import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { parseDepartmentHistory, recordDepartmentChange } from '../domain/department-history.js';
import { filterValueKey } from '../search/fts-document.js';
import { jsonArray } from './json-columns.js';

/** Persons and conversations: the archive's directory of who and where. */

export interface PersonRef {
  id: string;
  name?: string | undefined;
}

const CHUNK = 500;

/** persons.name_key of a name (migration 0022). */
export const nameKeyOf = (name: string | null | undefined): string | null => (name ? filterValueKey(name) : null);

/** Sets name_key where a name has none (rows restored from a backup made before migration 0022). */
export async function fillPersonNameKeys(db: Kysely<Database>): Promise<void> {
  const rows = await db.selectFrom('persons').select(['id', 'name']).where('name', 'is not', null).where('name_key', 'is', null).execute();
  for (const r of rows) await db.updateTable('persons').set({ name_key: nameKeyOf(r.name) }).where('id', '=', r.id).execute();
}

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Resolves person ext ids to row ids, creating missing persons and filling in names that were
 * unknown. `cache` (ext id → row id) spans a whole import.
 */
export async function resolvePersons(db: Kysely<Database>, people: readonly PersonRef[], cache: Map<string, { id: number; name: string | null }>): Promise<void> {
  const wanted = new Map<string, string | undefined>();
  for (const p of people) {
    const cached = cache.get(p.id);
    if (cached && (cached.name !== null || !p.name)) continue;
    if (!wanted.has(p.id) || (p.name && !wanted.get(p.id))) wanted.set(p.id, p.name);
  }
  if (wanted.size === 0) return;
  const ids = [...wanted.keys()];
  for (const part of chunks(ids)) {
    const rows = await db.selectFrom('persons').select(['id', 'ext_id', 'name']).where('ext_id', 'in', part).execute();
    for (const r of rows) cache.set(r.ext_id, { id: r.id, name: r.name });
  }
  const missing = ids.filter((id) => !cache.has(id));
  for (const part of chunks(missing)) {
    const inserted = await db
      .insertInto('persons')
      .values(part.map((ext_id) => ({ ext_id, name: wanted.get(ext_id) ?? null, name_key: nameKeyOf(wanted.get(ext_id)) })))
      .returning(['id', 'ext_id', 'name'])
      .execute();
    for (const r of inserted) cache.set(r.ext_id, { id: r.id, name: r.name });
  }
  for (const [extId, name] of wanted) {
    const row = cache.get(extId);
    if (row && row.name === null && name) {
      await db.updateTable('persons').set({ name, name_key: nameKeyOf(name) }).where('id', '=', row.id).execute();
      row.name = name;
    }
  }
}

export interface ConversationRef {
  sourceId: number;
  id: string;
  kind: 'direct' | 'group';
  title?: string | undefined;
}

export const conversationCacheKey = (sourceId: number, extId: string): string => `${sourceId}\u0000${extId}`;

/** Resolves conversations to row ids, creating missing ones; a new title replaces an old or missing one. */
export async function resolveConversations(
  db: Kysely<Database>,
  refs: readonly ConversationRef[],
  cache: Map<string, { id: number; title: string | null; kind: 'direct' | 'group' }>,
): Promise<void> {
  const wanted = new Map<string, ConversationRef>();
  for (const r of refs) {
    const key = conversationCacheKey(r.sourceId, r.id);
    const cached = cache.get(key);
    if (cached && (!r.title || cached.title === r.title)) continue;
    // The first record of a new conversation decides its kind (a later one that differs is refused
    // by the import); the latest title wins.
    const first = wanted.get(key);
    wanted.set(key, first ? { ...r, kind: first.kind, title: r.title ?? first.title } : r);
  }
  for (const ref of wanted.values()) {
    const key = conversationCacheKey(ref.sourceId, ref.id);
    let row = cache.get(key);
    if (!row) {
      const found = await db
        .selectFrom('conversations')
        .select(['id', 'title', 'kind'])
        .where('source_id', '=', ref.sourceId)
        .where('ext_id', '=', ref.id)
        .executeTakeFirst();
      if (found) row = { id: found.id, title: found.title, kind: found.kind };
    }
    if (!row) {
      const inserted = await db
        .insertInto('conversations')
        .values({ source_id: ref.sourceId, ext_id: ref.id, kind: ref.kind, title: ref.title ?? null })
        .returning(['id', 'title', 'kind'])
        .executeTakeFirstOrThrow();
      row = { id: inserted.id, title: inserted.title, kind: inserted.kind };
    } else if (ref.title && row.title !== ref.title) {
      await db.updateTable('conversations').set({ title: ref.title }).where('id', '=', row.id).execute();
      row = { ...row, title: ref.title };
    }
    cache.set(key, row);
  }
}

export async function personsByIds(db: Kysely<Database>, ids: readonly number[]): Promise<Map<number, { extId: string; name: string | null }>> {
  const out = new Map<number, { extId: string; name: string | null }>();
  for (const part of chunks([...new Set(ids)])) {
    const rows = await db.selectFrom('persons').select(['id', 'ext_id', 'name']).where('id', 'in', part).execute();
    for (const r of rows) out.set(r.id, { extId: r.ext_id, name: r.name });
  }
  return out;
}

export { chunks };

/** Records that persons took part in conversations (idempotent). */
export async function addConversationMembers(db: Kysely<Database>, pairs: readonly { conversationId: number; personId: number }[]): Promise<void> {
  for (const part of chunks(pairs)) {
    await db
      .insertInto('conversation_members')
      .values(part.map((p) => ({ conversation_id: p.conversationId, person_id: p.personId })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

/** Row ids and source-local ids of the conversations a person took part in. */
export async function conversationsOfPerson(db: Kysely<Database>, personExtId: string): Promise<{ rowId: number; extId: string }[]> {
  const rows = await db
    .selectFrom('conversation_members as cm')
    .innerJoin('persons as p', 'p.id', 'cm.person_id')
    .innerJoin('conversations as c', 'c.id', 'cm.conversation_id')
    .select(['c.id', 'c.ext_id'])
    .where('p.ext_id', '=', personExtId)
    .execute();
  return rows.map((r) => ({ rowId: r.id, extId: r.ext_id }));
}

/** Whether a person took part in a conversation. */
export async function isConversationMember(db: Kysely<Database>, conversationRowId: number, personExtId: string): Promise<boolean> {
  const r = await db
    .selectFrom('conversation_members as cm')
    .innerJoin('persons as p', 'p.id', 'cm.person_id')
    .select('cm.conversation_id')
    .where('cm.conversation_id', '=', conversationRowId)
    .where('p.ext_id', '=', personExtId)
    .executeTakeFirst();
  return r !== undefined;
}

export interface DirectoryPerson {
  extId: string;
  name: string | undefined;
  kind: 'member' | 'external';
  departments: string[];
  position: string | undefined;
  company: string | undefined;
  email?: string | undefined;
}

/**
 * Creates or updates persons from a directory sync (names become searchable on new messages; filters
 * match ids and names). A changed set of departments keeps the old one in `department_history` with
 * the sync's time, so that retention's `dept:` reads the department a record was made in.
 */
export async function upsertDirectoryPersons(db: Kysely<Database>, people: readonly DirectoryPerson[], now: number): Promise<number> {
  let changed = 0;
  for (const p of people) {
    const before = await db.selectFrom('persons').select(['departments', 'department_history', 'directory_updated_at']).where('ext_id', '=', p.extId).executeTakeFirst();
    // Departments were known only if an earlier directory sync saw the person.
    const previous = before?.directory_updated_at === null || before === undefined ? undefined : jsonArray(before.departments);
    const history = recordDepartmentChange(parseDepartmentHistory(before?.department_history), previous, p.departments, now);
    const values = {
      name: p.name ?? null, name_key: nameKeyOf(p.name), kind: p.kind, departments: p.departments.length > 0 ? JSON.stringify(p.departments) : null, position: p.position ?? null,
      company: p.company ?? null, directory_updated_at: now, email: p.email ?? null,
      department_history: history.length > 0 ? JSON.stringify(history) : null,
    };
    const r = await db
      .insertInto('persons')
      .values({ ext_id: p.extId, ...values })
      .onConflict((oc) => oc.column('ext_id').doUpdateSet(values))
      .executeTakeFirst();
    changed += Number(r.numInsertedOrUpdatedRows ?? 0);
  }
  return changed;
}

/** Group conversations of a source (room ids), for fetching their names. */
export async function groupConversationIds(db: Kysely<Database>, sourceId: number): Promise<string[]> {
  const rows = await db.selectFrom('conversations').select('ext_id').where('source_id', '=', sourceId).where('kind', '=', 'group').execute();
  return rows.map((r) => r.ext_id);
}

/** The conversations of one kind (1:1 or group) of a source with the persons in each (their directory kind, when known). */
export async function conversationMembersOfKind(db: Kysely<Database>, sourceId: number, kind: 'direct' | 'group'): Promise<{ conversation: string; persons: { extId: string; kind: string | null }[] }[]> {
  const rows = await db
    .selectFrom('conversations as c')
    .innerJoin('conversation_members as cm', 'cm.conversation_id', 'c.id')
    .innerJoin('persons as p', 'p.id', 'cm.person_id')
    .select(['c.ext_id as conversation', 'p.ext_id as person', 'p.kind'])
    .where('c.source_id', '=', sourceId)
    .where('c.kind', '=', kind)
    .orderBy('c.id')
    .execute();
  const out = new Map<string, { extId: string; kind: string | null }[]>();
  for (const r of rows) out.set(r.conversation, [...(out.get(r.conversation) ?? []), { extId: r.person, kind: r.kind }]);
  return [...out].map(([conversation, persons]) => ({ conversation, persons }));
}

export async function setConversationTitle(db: Kysely<Database>, sourceId: number, extId: string, title: string): Promise<void> {
  await db.updateTable('conversations').set({ title }).where('source_id', '=', sourceId).where('ext_id', '=', extId).execute();
}

/** Ids of persons whose directory name (from a directory sync) is one of these (exact, or case-insensitive for Latin). */
export async function personIdsByNames(db: Kysely<Database>, names: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const part of chunks([...new Set(names)])) {
    const rows = await db
      .selectFrom('persons')
      .select(['ext_id', 'name'])
      .where('directory_updated_at', 'is not', null)
      .where((eb) => eb.or([eb('name', 'in', part), eb(eb.fn('lower', ['name']), 'in', part.map((n) => n.toLowerCase()))]))
      .execute();
    for (const r of rows) {
      for (const n of part) {
        if (r.name !== null && (r.name === n || r.name.toLowerCase() === n.toLowerCase())) out.set(n, [...(out.get(n) ?? []), r.ext_id]);
      }
    }
  }
  return out;
}

/** Of these conversation ids (any source), those some archived conversation has. */
export async function existingConversationExtIds(db: Kysely<Database>, extIds: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const part of chunks([...new Set(extIds)])) {
    for (const r of await db.selectFrom('conversations').select('ext_id').where('ext_id', 'in', part).execute()) out.add(r.ext_id);
  }
  return out;
}

/** Latin letters folded to lower case (what SQLite's lower() does without ICU). */
export const asciiLower = (s: string): string => s.replace(/[A-Z]+/gu, (m) => m.toLowerCase());

/** The archived person ids equal to one of these ids ignoring the case of Latin letters (WeCom userids ignore case). */
export async function personExtIdsIgnoringCase(db: Kysely<Database>, extIds: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  // lower(ext_id) IN (…) uses the index persons_ext_id_lower (migration 0030).
  for (const part of chunks([...new Set(extIds.map(asciiLower))])) {
    for (const r of await db.selectFrom('persons').select('ext_id').where(sql<string>`lower(ext_id)`, 'in', part).execute()) out.add(r.ext_id);
  }
  return [...out];
}
