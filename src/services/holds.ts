import type { Kysely, Selectable } from 'kysely';
import type { Context } from '../context.js';
import type { Database } from '../db/schema.js';
import type { LegalHoldsTable, MattersTable } from '../db/tables/retention.js';
import { holdHasCriteria, type LegalHold } from '../domain/retention.js';
import { parseRetentionScope } from '../domain/retention-scope.js';
import { parseSearchQuery } from '../domain/search-query.js';
import { conflict, isAppError, notFound, usageError } from '../errors.js';
import { asciiLower, existingConversationExtIds, personExtIdsIgnoringCase } from '../repositories/directory.js';
import { jsonArray } from '../repositories/json-columns.js';
import { appendAudit } from './audit.js';
import { countHoldCoverage } from './retention-forecast.js';
import { bumpRulesVersion, custodianIds } from './retention-rules.js';

/**
 * Matters (cases) and their legal holds. A record matching any active hold is never disposed and
 * never shredded, whatever the policies say. A hold is never deleted: it is released, with who and
 * why; closing a matter releases its holds. Every change is audited and bumps the rules version in
 * the same write transaction, so a running disposition sees it before its next batch.
 */

export interface MatterView {
  id: number;
  name: string;
  description: string | null;
  status: 'open' | 'closed';
  createdAt: number;
  createdBy: string;
  closedAt: number | null;
  closedBy: string | null;
  closeReason: string | null;
  activeHolds: number;
  releasedHolds: number;
}

export interface HoldView {
  id: number;
  matterId: number;
  matter: string;
  scope: string | null;
  custodians: string[];
  conversations: string[];
  afterMs: number | null;
  beforeMs: number | null;
  reason: string;
  placedAt: number;
  placedBy: string;
  status: 'active' | 'released';
  releasedAt: number | null;
  releasedBy: string | null;
  releaseReason: string | null;
  /** The zone its scope's dates (`after:`, `before:`) are read in: the one it was placed in. */
  timeZone: string | null;
}

const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._#:-]{0,99}$/u;


const holdView = (h: Selectable<LegalHoldsTable>, matter: string): HoldView => ({
  id: h.id, matterId: h.matter_id, matter, scope: h.scope, custodians: jsonArray(h.custodians), conversations: jsonArray(h.conversations),
  afterMs: h.after_ms, beforeMs: h.before_ms, reason: h.reason, placedAt: h.placed_at, placedBy: h.placed_by,
  status: h.released_at === null ? 'active' : 'released', releasedAt: h.released_at, releasedBy: h.released_by, releaseReason: h.release_reason,
  timeZone: h.time_zone,
});

async function matterView(db: Kysely<Database>, m: Selectable<MattersTable>): Promise<MatterView> {
  const counts = await db.selectFrom('legal_holds')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.count<number>('released_at').as('released')])
    .where('matter_id', '=', m.id).executeTakeFirstOrThrow();
  return {
    id: m.id, name: m.name, description: m.description, status: m.status, createdAt: m.created_at, createdBy: m.created_by,
    closedAt: m.closed_at, closedBy: m.closed_by, closeReason: m.close_reason,
    activeHolds: Number(counts.n) - Number(counts.released), releasedHolds: Number(counts.released),
  };
}

async function findMatter(db: Kysely<Database>, ref: string | number): Promise<Selectable<MattersTable>> {
  const q = db.selectFrom('matters').selectAll();
  const row = typeof ref === 'number' || /^\d+$/.test(ref)
    ? await q.where((eb) => eb.or([eb('id', '=', Number(ref)), eb('name', '=', String(ref))])).executeTakeFirst()
    : await q.where('name', '=', ref).executeTakeFirst();
  if (row === undefined) throw notFound('holds.matter_not_found', `no matter "${ref}"`);
  return row;
}

export async function addMatter(ctx: Context, input: { name: string; description?: string | undefined }): Promise<MatterView> {
  const name = input.name.trim();
  if (!NAME.test(name)) throw usageError('holds.bad_matter_name', `matter name "${input.name}" must start with a letter or digit (at most 100 characters of letters, digits, spaces, . _ # : -)`);
  if ((input.description?.length ?? 0) > 4000) throw usageError('holds.too_long', 'the description is at most 4000 characters');
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    if (await trx.selectFrom('matters').select('id').where('name', '=', name).executeTakeFirst()) throw conflict('holds.matter_exists', `a matter named "${name}" exists already`);
    const row = await trx.insertInto('matters').values({ name, description: input.description?.trim() || null, status: 'open', created_at: now, created_by: ctx.actor })
      .returningAll().executeTakeFirstOrThrow();
    await appendAudit(ctx, trx, { action: 'holds.matter_opened', subject: `matter:${row.id}`, details: { name } });
    return matterView(trx, row);
  });
}

export async function listMatters(ctx: Context): Promise<MatterView[]> {
  const rows = await ctx.db.selectFrom('matters').selectAll().orderBy('id').execute();
  return Promise.all(rows.map((m) => matterView(ctx.db, m)));
}

export async function showMatter(ctx: Context, ref: string | number): Promise<MatterView & { holds: HoldView[] }> {
  const m = await findMatter(ctx.db, ref);
  const holds = await ctx.db.selectFrom('legal_holds').selectAll().where('matter_id', '=', m.id).orderBy('id').execute();
  return { ...(await matterView(ctx.db, m)), holds: holds.map((h) => holdView(h, m.name)) };
}

/** Closes a matter and releases its active holds (with the closing reason). */
export async function closeMatter(ctx: Context, ref: string | number, reason: string): Promise<MatterView> {
  if (reason.trim() === '') throw usageError('holds.needs_reason', 'closing a matter needs a reason (--reason)');
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const m = await findMatter(trx, ref);
    if (m.status === 'closed') throw conflict('holds.matter_closed', `matter ${m.name} is closed already`);
    const released = await trx.updateTable('legal_holds').set({ released_at: now, released_by: ctx.actor, release_reason: `matter closed: ${reason.trim()}` })
      .where('matter_id', '=', m.id).where('released_at', 'is', null).returning('id').execute();
    const row = await trx.updateTable('matters').set({ status: 'closed', closed_at: now, closed_by: ctx.actor, close_reason: reason.trim() })
      .where('id', '=', m.id).returningAll().executeTakeFirstOrThrow();
    await bumpRulesVersion(trx);
    await appendAudit(ctx, trx, [
      ...released.map((h) => ({ action: 'holds.released', subject: `hold:${h.id}`, details: { matter: m.name, reason: 'matter closed' } })),
      { action: 'holds.matter_closed', subject: `matter:${m.id}`, details: { name: m.name, reason: reason.trim(), holdsReleased: released.length } },
    ]);
    return matterView(trx, row);
  });
}

export interface HoldInput {
  matter: string | number;
  scope?: string | undefined;
  custodians?: readonly string[] | undefined;
  conversations?: readonly string[] | undefined;
  /** `YYYY-MM-DD` or ISO (the search language's after:/before: forms), or epoch ms. */
  after?: string | number | undefined;
  before?: string | number | undefined;
  reason: string;
}

function timeBound(value: string | number | undefined, kind: 'after' | 'before', timeZone: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'number') return value;
  try {
    const q = parseSearchQuery(`${kind}:${value}`, { timeZone });
    return kind === 'after' ? q.afterMs : q.beforeMs;
  } catch (e) {
    // The position is of the query built here, not of anything the user typed: name the field instead.
    if (isAppError(e)) throw usageError('holds.bad_time', `--${kind}: ${e.message.replace(/ \(at position \d+\)$/u, '')}`);
    throw e;
  }
}

/** The ids among `personIds` that no person in the archive has (yet): a custodian hold on them covers records only once they arrive. */
export async function unknownPersons(ctx: Context, personIds: readonly string[]): Promise<string[]> {
  if (personIds.length === 0) return [];
  const archived = new Set((await personExtIdsIgnoringCase(ctx.db, personIds)).map(asciiLower));
  return personIds.filter((p) => !archived.has(asciiLower(p)));
}

/** Of these conversation ids, those no archived conversation has (a hold on them covers records that arrive later only). */
export async function unknownConversations(ctx: Context, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const known = await existingConversationExtIds(ctx.db, ids);
  return ids.filter((id) => !known.has(id));
}

/** Places a hold. Returns it with the number of records it covers at placement. */
export async function placeHold(ctx: Context, input: HoldInput): Promise<HoldView & { coveredAtPlacement: number }> {
  const reason = input.reason.trim();
  if (reason === '') throw usageError('holds.needs_reason', 'a hold needs a reason (--reason)');
  if (reason.length > 4000) throw usageError('holds.too_long', 'the reason is at most 4000 characters');
  const scopeText = input.scope?.trim() ?? '';
  const scope = scopeText === '' ? undefined : parseRetentionScope(scopeText, { allowText: true, timeZone: ctx.config.timeZone, field: 'scope' });
  const custodians = [...new Set((input.custodians ?? []).map((c) => c.trim()).filter((c) => c !== ''))];
  const conversations = [...new Set((input.conversations ?? []).map((c) => c.trim()).filter((c) => c !== ''))];
  const afterMs = timeBound(input.after, 'after', ctx.config.timeZone);
  const beforeMs = timeBound(input.before, 'before', ctx.config.timeZone);
  if (afterMs !== undefined && beforeMs !== undefined && afterMs >= beforeMs) throw usageError('holds.bad_range', 'the hold\'s start is not before its end');
  if (!holdHasCriteria({ custodians, conversations, afterMs, beforeMs, scope })) {
    throw usageError('holds.needs_criteria', 'a hold needs at least one of --scope, --custodian, --conversation, --after, --before');
  }
  const now = ctx.clock.now();
  const placed = await ctx.db.transaction().execute(async (trx) => {
    const m = await findMatter(trx, input.matter);
    if (m.status === 'closed') throw conflict('holds.matter_closed', `matter ${m.name} is closed: holds cannot be placed on it`);
    const row = await trx.insertInto('legal_holds').values({
      matter_id: m.id, scope: scope?.text ?? null, custodians: JSON.stringify(custodians), conversations: JSON.stringify(conversations),
      after_ms: afterMs ?? null, before_ms: beforeMs ?? null, reason, placed_at: now, placed_by: ctx.actor, time_zone: ctx.config.timeZone,
    }).returningAll().executeTakeFirstOrThrow();
    await bumpRulesVersion(trx);
    await appendAudit(ctx, trx, {
      action: 'holds.placed', subject: `hold:${row.id}`,
      details: { matter: m.name, scope: row.scope, custodians, conversations, afterMs: row.after_ms, beforeMs: row.before_ms, reason },
    });
    return holdView(row, m.name);
  });
  return { ...placed, coveredAtPlacement: await countCovered(ctx, placed) };
}

const toDomain = (h: HoldView, timeZone: string): LegalHold => ({
  id: h.id, matterId: h.matterId, active: true, custodians: h.custodians, conversations: h.conversations,
  afterMs: h.afterMs ?? undefined, beforeMs: h.beforeMs ?? undefined,
  scope: h.scope === null ? undefined : parseRetentionScope(h.scope, { allowText: true, timeZone: h.timeZone ?? timeZone, field: 'scope' }),
});

/** How many archived records a hold covers (one grouped pass over the records' metadata). */
export async function countCovered(ctx: Context, hold: HoldView): Promise<number> {
  const domain = toDomain(hold, ctx.config.timeZone);
  return countHoldCoverage(ctx, { ...domain, custodians: await custodianIds(ctx.db, domain.custodians) });
}

async function findHold(db: Kysely<Database>, id: number): Promise<HoldView> {
  const h = await db.selectFrom('legal_holds').innerJoin('matters', 'matters.id', 'legal_holds.matter_id').selectAll('legal_holds').select('matters.name as matter_name')
    .where('legal_holds.id', '=', id).executeTakeFirst();
  if (h === undefined) throw notFound('holds.not_found', `no legal hold #${id}`);
  return holdView(h, h.matter_name);
}

export async function listHolds(ctx: Context, filter: { matter?: string | number | undefined; status?: 'active' | 'released' | undefined } = {}): Promise<HoldView[]> {
  let q = ctx.db.selectFrom('legal_holds').innerJoin('matters', 'matters.id', 'legal_holds.matter_id').selectAll('legal_holds').select('matters.name as matter_name');
  if (filter.matter !== undefined) q = q.where('legal_holds.matter_id', '=', (await findMatter(ctx.db, filter.matter)).id);
  if (filter.status === 'active') q = q.where('legal_holds.released_at', 'is', null);
  if (filter.status === 'released') q = q.where('legal_holds.released_at', 'is not', null);
  return (await q.orderBy('legal_holds.id').execute()).map((h) => holdView(h, h.matter_name));
}

export async function showHold(ctx: Context, id: number, options: { count?: boolean } = {}): Promise<HoldView & { covered?: number }> {
  const h = await findHold(ctx.db, id);
  return options.count === true && h.status === 'active' ? { ...h, covered: await countCovered(ctx, h) } : h;
}

export async function releaseHold(ctx: Context, id: number, reason: string): Promise<HoldView> {
  if (reason.trim() === '') throw usageError('holds.needs_reason', 'releasing a hold needs a reason (--reason)');
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const h = await findHold(trx, id);
    if (h.status === 'released') throw conflict('hold.already_released', `hold #${id} was released already (${new Date(h.releasedAt ?? 0).toISOString()} by ${h.releasedBy ?? '?'})`);
    await trx.updateTable('legal_holds').set({ released_at: now, released_by: ctx.actor, release_reason: reason.trim() }).where('id', '=', id).execute();
    await bumpRulesVersion(trx);
    await appendAudit(ctx, trx, { action: 'holds.released', subject: `hold:${id}`, details: { matter: h.matter, reason: reason.trim() } });
    return findHold(trx, id);
  });
}
