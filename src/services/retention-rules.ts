import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { parseDuration } from '../domain/retention-duration.js';
import { parseRetentionScope } from '../domain/retention-scope.js';
import type { LegalHold, RetentionPolicy } from '../domain/retention.js';
import { readMeta, writeMeta } from '../repositories/meta.js';
import { matchingKeysInRange } from '../search/sqlite-fts5.js';
import { asciiLower, personExtIdsIgnoringCase } from '../repositories/directory.js';
import { jsonArray } from '../repositories/json-columns.js';

/**
 * What retention decides with: the policies and active holds as domain objects, and a version that
 * changes with every policy or hold change (bumped in the same transaction). The records' facts
 * are read by repositories/retention-facts.ts.
 */

export const RULES_VERSION_KEY = 'retention.rules_version';

export interface RetentionRules {
  policies: RetentionPolicy[];
  holds: LegalHold[];
  version: number;
}

export async function rulesVersion(db: Kysely<Database>): Promise<number> {
  return Number((await readMeta(db, RULES_VERSION_KEY)) ?? '0');
}

/** Call in the transaction of every policy or hold change: running sweeps reload the rules before their next batch. */
export async function bumpRulesVersion(db: Kysely<Database>): Promise<number> {
  const next = (await rulesVersion(db)) + 1;
  await writeMeta(db, RULES_VERSION_KEY, String(next));
  return next;
}


/** Every policy (enabled or not: decideRetention skips disabled ones) and every active hold. */
export async function loadRetentionRules(db: Kysely<Database>, timeZone: string): Promise<RetentionRules> {
  const version = await rulesVersion(db);
  const policyRows = await db.selectFrom('retention_policies').selectAll().orderBy('id').execute();
  const policies: RetentionPolicy[] = policyRows.map((p) => ({
    id: p.id,
    name: p.name,
    scope: parseRetentionScope(p.scope, { allowText: false, timeZone: p.time_zone ?? timeZone, field: `policy ${p.name} scope` }),
    min: p.min === null ? undefined : parseDuration(p.min, `policy ${p.name} minimum`),
    max: p.max === null ? undefined : parseDuration(p.max, `policy ${p.name} maximum`),
    action: p.action,
    enabled: p.enabled === 1,
    locked: p.locked === 1,
  }));
  const holdRows = await db.selectFrom('legal_holds').selectAll().where('released_at', 'is', null).orderBy('id').execute();
  // Every hold's custodians in one lookup.
  const written = holdRows.map((h) => jsonArray(h.custodians));
  const archived = await personExtIdsIgnoringCase(db, written.flat());
  const holds: LegalHold[] = holdRows.map((h, i) => ({
    id: h.id,
    matterId: h.matter_id,
    active: true,
    custodians: withArchivedCase(written[i]!, archived),
    conversations: jsonArray(h.conversations),
    afterMs: h.after_ms ?? undefined,
    beforeMs: h.before_ms ?? undefined,
    scope: h.scope === null ? undefined : parseRetentionScope(h.scope, { allowText: true, timeZone: h.time_zone ?? timeZone, field: `hold ${h.id} scope` }),
  }));
  return { policies, holds, version };
}

/**
 * A hold's custodians as the person ids it covers: each as written plus the archived ids equal to
 * it ignoring the case of Latin letters (like `from:`), since a hold that misses a custodian's
 * records over a capital letter would let them be disposed.
 */
export async function custodianIds(db: Kysely<Database>, custodians: readonly string[]): Promise<string[]> {
  return custodians.length === 0 ? [] : withArchivedCase(custodians, await personExtIdsIgnoringCase(db, custodians));
}

/** The custodians as written plus the archived ids (`archived`) equal to one of them ignoring case. */
function withArchivedCase(custodians: readonly string[], archived: readonly string[]): string[] {
  if (custodians.length === 0) return [];
  const wanted = new Set(custodians.map(asciiLower));
  return [...new Set([...custodians, ...archived.filter((id) => wanted.has(asciiLower(id)))])];
}

/** For holds whose scope has words to search for: the keys in [minKey, maxKey] that their query matches. */
export async function resolveHoldText(db: Kysely<Database>, holds: LegalHold[], minKey: number, maxKey: number): Promise<LegalHold[]> {
  return Promise.all(holds.map(async (h) => (h.scope?.hasText === true && h.scope.query !== undefined
    ? { ...h, textMatches: await matchingKeysInRange(db, h.scope.query, minKey, maxKey) }
    : h)));
}

