import type { Kysely, Selectable } from 'kysely';
import type { Context } from '../context.js';
import type { Database } from '../db/schema.js';
import type { RetentionPoliciesTable } from '../db/tables/retention.js';
import { formatDuration, isAtLeast, parseDuration, type RetentionDuration } from '../domain/retention-duration.js';
import { findPreset, RETENTION_PRESETS, type RetentionPreset } from '../domain/retention-presets.js';
import { parseRetentionScope } from '../domain/retention-scope.js';
import { lockedChangeProblem, wormFloorProblem, type RetentionAction } from '../domain/retention.js';
import { AppError, conflict, notFound, usageError } from '../errors.js';
import { appendAudit } from './audit.js';
import { wormState } from './disposition-worm.js';
import { bumpRulesVersion } from './retention-rules.js';

/**
 * Retention policies: add, list, show, update, disable, presets. Every change is audited and bumps
 * the rules version in the same transaction (a running sweep reloads before its next batch).
 * A locked policy (compliance mode) can be extended, never shortened, disabled or deleted.
 */

export interface PolicyView {
  id: number;
  name: string;
  scope: string;
  min: string | null;
  max: string | null;
  action: RetentionAction;
  purpose: string;
  basis: string;
  locked: boolean;
  enabled: boolean;
  preset: string | null;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
  version: number;
  /** The zone its scope's dates (`after:`, `before:`) are read in: the one it was written in. */
  timeZone: string | null;
}

export const policyView = (p: Selectable<RetentionPoliciesTable>): PolicyView => ({
  id: p.id, name: p.name, scope: p.scope, min: p.min, max: p.max, action: p.action, purpose: p.purpose, basis: p.basis,
  locked: p.locked === 1, enabled: p.enabled === 1, preset: p.preset, createdAt: p.created_at, createdBy: p.created_by,
  updatedAt: p.updated_at, updatedBy: p.updated_by, version: p.version, timeZone: p.time_zone,
});

export interface PolicyInput {
  name: string;
  scope?: string | undefined;
  min?: string | undefined;
  max?: string | undefined;
  action?: RetentionAction | undefined;
  purpose?: string | undefined;
  basis?: string | undefined;
  locked?: boolean | undefined;
  /** Start from a preset; the other fields override it. */
  preset?: string | undefined;
}

/** The validated, normalized form of a policy (also what a dry run evaluates). */
export interface PolicyDraft {
  name: string;
  scope: string;
  min: RetentionDuration | undefined;
  max: RetentionDuration | undefined;
  action: RetentionAction;
  purpose: string;
  basis: string;
  locked: boolean;
  preset: string | null;
}

const NAME = /^[\p{L}\p{N}][\p{L}\p{N}._-]{0,99}$/u;

export function draftPolicy(input: PolicyInput, timeZone: string): PolicyDraft {
  let preset: RetentionPreset | undefined;
  if (input.preset !== undefined) {
    preset = findPreset(input.preset);
    if (preset === undefined) throw usageError('retention.unknown_preset', `unknown preset "${input.preset}" (presets: ${RETENTION_PRESETS.map((p) => p.name).join(', ')})`);
  }
  const name = input.name.trim();
  if (!NAME.test(name)) throw usageError('retention.bad_name', `policy name "${input.name}" must start with a letter or digit and use letters, digits, ".", "_" or "-" (at most 100)`);
  // Commands name a policy by id or name: a name of digits only would be taken for an id.
  if (/^\d+$/u.test(name)) throw usageError('retention.bad_name', `policy name "${name}" is only digits: commands would take it for a policy id; add a letter`);
  // A locked preset (sec-17a-4) is locked by its regulation: saved unlocked, it would carry the rule's name and basis without its protection.
  if (preset?.locked === true && input.locked === false) {
    throw usageError('retention.preset_locked', `preset ${preset.name} is locked (compliance mode, as the regulation requires) and cannot be saved unlocked; write a policy without --preset for an unlocked one`);
  }
  const scope = parseRetentionScope(input.scope ?? preset?.scope ?? '', { allowText: false, timeZone, field: 'scope' }).text;
  const minText = input.min ?? preset?.min;
  const maxText = input.max ?? preset?.max;
  if (preset?.needsMax === true && maxText === undefined) throw usageError('retention.needs_max', `preset ${preset.name} needs a ceiling: ${preset.note}`);
  const min = minText === undefined || minText === '' ? undefined : parseDuration(minText, 'minimum');
  const max = maxText === undefined || maxText === '' ? undefined : parseDuration(maxText, 'maximum');
  if (min === undefined && max === undefined) throw usageError('retention.needs_duration', 'a policy needs a minimum (--min), a maximum (--max) or both');
  assertMeetsPreset(preset, min);
  // Within one policy a floor past its own ceiling is a contradiction, not a conflict between policies.
  if (min !== undefined && max !== undefined && !isAtLeast(max, min)) {
    throw usageError('retention.min_above_max', `the minimum (${formatDuration(min)}) cannot be longer than the maximum (${formatDuration(max)}) of the same policy; make the maximum at least the minimum`);
  }
  const purpose = (input.purpose ?? preset?.purpose ?? '').trim();
  const basis = (input.basis ?? preset?.basis ?? '').trim();
  if (purpose === '') throw usageError('retention.needs_purpose', 'a policy must state its purpose (--purpose; PIPL Art. 17)');
  if (basis === '') throw usageError('retention.needs_basis', 'a policy must state its legal basis (--basis; PIPL Art. 17)');
  if (purpose.length > 2000 || basis.length > 2000) throw usageError('retention.too_long', 'purpose and basis are at most 2000 characters');
  return { name, scope, min, max, action: input.action ?? preset?.action ?? 'review', purpose, basis, locked: input.locked ?? preset?.locked ?? false, preset: preset?.name ?? null };
}

const fmt = (d: RetentionDuration | undefined): string | null => (d === undefined ? null : formatDuration(d));

async function findPolicyRow(db: Kysely<Database>, ref: string | number): Promise<Selectable<RetentionPoliciesTable>> {
  const q = db.selectFrom('retention_policies').selectAll();
  const row = typeof ref === 'number' || /^\d+$/.test(ref)
    ? await q.where((eb) => eb.or([eb('id', '=', Number(ref)), eb('name', '=', String(ref))])).executeTakeFirst()
    : await q.where('name', '=', ref).executeTakeFirst();
  if (row === undefined) throw notFound('retention.policy_not_found', `no retention policy "${ref}"`);
  return row;
}

const auditDetails = (p: PolicyView | PolicyDraft): Record<string, unknown> => ({
  name: p.name, scope: p.scope, min: 'id' in p ? p.min : fmt(p.min), max: 'id' in p ? p.max : fmt(p.max), action: p.action, locked: p.locked,
});

export async function addPolicy(ctx: Context, input: PolicyInput): Promise<PolicyView> {
  const d = draftPolicy(input, ctx.config.timeZone);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('retention_policies').select('id').where('name', '=', d.name).executeTakeFirst();
    if (existing !== undefined) throw conflict('retention.policy_exists', `a retention policy named "${d.name}" exists already`);
    const row = await trx.insertInto('retention_policies').values({
      name: d.name, scope: d.scope, min: fmt(d.min), max: fmt(d.max), action: d.action, purpose: d.purpose, basis: d.basis,
      locked: d.locked ? 1 : 0, enabled: 1, preset: d.preset, created_at: now, created_by: ctx.actor, updated_at: now, updated_by: ctx.actor, version: 1,
      time_zone: ctx.config.timeZone,
    }).returningAll().executeTakeFirstOrThrow();
    await bumpRulesVersion(trx);
    const view = policyView(row);
    await appendAudit(ctx, trx, { action: 'retention.policy_added', subject: `policy:${row.id}`, details: { ...auditDetails(view), preset: d.preset, purpose: d.purpose, basis: d.basis } });
    return view;
  });
}

export async function listPolicies(ctx: Context): Promise<PolicyView[]> {
  return (await ctx.db.selectFrom('retention_policies').selectAll().orderBy('id').execute()).map(policyView);
}

export async function showPolicy(ctx: Context, ref: string | number): Promise<PolicyView> {
  return policyView(await findPolicyRow(ctx.db, ref));
}

export interface PolicyChanges {
  scope?: string | undefined;
  min?: string | null | undefined;
  max?: string | null | undefined;
  action?: RetentionAction | undefined;
  purpose?: string | undefined;
  basis?: string | undefined;
  /** Only `true` is accepted for a locked policy (it stays locked). */
  locked?: boolean | undefined;
  enabled?: boolean | undefined;
}

/** A regulatory preset's floor is the regulation's: shorter, the policy would carry its name and basis without meeting it. */
function assertMeetsPreset(preset: RetentionPreset | undefined, min: RetentionDuration | undefined): void {
  if (preset?.min !== undefined && (min === undefined || !isAtLeast(min, parseDuration(preset.min, 'minimum')))) {
    throw usageError('retention.below_preset', `preset ${preset.name} keeps records at least ${preset.min} (${preset.basis}); a shorter minimum does not meet it — extend it, or write a policy of your own without --preset`);
  }
}

/**
 * Refuses a change that a locked policy, or WORM mode for a floor, does not allow (the same
 * errors a save gets), so that a dry run of it says so instead of showing its effect.
 */
export async function assertChangeAllowed(db: Kysely<Database>, before: PolicyView, after: PolicyDraft & { enabled: boolean }): Promise<void> {
  if (before.locked) {
    const problem = lockedChangeProblem(
      { min: before.min === null ? undefined : parseDuration(before.min), max: before.max === null ? undefined : parseDuration(before.max), action: before.action, enabled: before.enabled, scopeText: before.scope },
      { min: after.min, max: after.max, action: after.action, enabled: after.enabled, locked: after.locked, scopeText: after.scope },
    );
    if (problem !== undefined) throw new AppError('retention.policy_locked', `policy ${before.name} is locked: ${problem}`, { exitCode: 2, status: 409, details: { policyId: before.id, name: before.name, problem } });
  }
  const floorBefore = { min: before.min === null ? undefined : parseDuration(before.min), enabled: before.enabled, scopeText: before.scope };
  const wormProblem = wormFloorProblem(floorBefore, { min: after.min, enabled: after.enabled, scopeText: after.scope });
  if (wormProblem !== undefined && (await wormState(db)).enabled) {
    throw new AppError('worm.floor_locked', `policy ${before.name}: ${wormProblem}`, { exitCode: 2, status: 409, details: { policyId: before.id, name: before.name, problem: wormProblem } });
  }
  assertMeetsPreset(before.preset === null ? undefined : findPreset(before.preset), after.min);
}

/** The zone a changed policy's scope dates are read in: the one it was written in, unless the scope itself is rewritten. */
export const scopeZone = (before: PolicyView, changes: PolicyChanges, currentZone: string): string =>
  (changes.scope !== undefined && changes.scope.trim() !== before.scope ? currentZone : (before.timeZone ?? currentZone));

/** The policy as it would be after `changes` (validated), without saving: what a dry run evaluates. */
export function applyChanges(before: PolicyView, changes: PolicyChanges, timeZone: string): PolicyDraft & { enabled: boolean } {
  // Checked before the draft: removing a locked floor is a refused (audited) change, not a missing duration.
  if (before.locked && before.min !== null && changes.min === null) {
    const problem = 'its minimum cannot be removed';
    throw new AppError('retention.policy_locked', `policy ${before.name} is locked: ${problem}`, { exitCode: 2, status: 409, details: { policyId: before.id, name: before.name, problem } });
  }
  const pick = (v: string | null | undefined, old: string | null): string | undefined => (v === undefined ? (old ?? undefined) : (v ?? undefined));
  const draft = draftPolicy({
    name: before.name,
    scope: changes.scope ?? before.scope,
    min: pick(changes.min, before.min),
    max: pick(changes.max, before.max),
    action: changes.action ?? before.action,
    purpose: changes.purpose ?? before.purpose,
    basis: changes.basis ?? before.basis,
    locked: changes.locked ?? before.locked,
  }, timeZone);
  return { ...draft, preset: before.preset, enabled: changes.enabled ?? before.enabled };
}

export async function updatePolicy(ctx: Context, ref: string | number, changes: PolicyChanges): Promise<PolicyView> {
  try {
    return await applyUpdate(ctx, ref, changes);
  } catch (e) {
    // A refused change to a locked policy (or to a floor under WORM) is itself evidence: audited after the rollback.
    if (e instanceof AppError && (e.code === 'retention.policy_locked' || e.code === 'worm.floor_locked')) {
      await appendAudit(ctx, ctx.db, { action: 'retention.policy_change_refused', subject: `policy:${String(e.details?.policyId)}`, details: { name: e.details?.name, problem: e.details?.problem } });
    }
    throw e;
  }
}

async function applyUpdate(ctx: Context, ref: string | number, changes: PolicyChanges): Promise<PolicyView> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const before = policyView(await findPolicyRow(trx, ref));
    const zone = scopeZone(before, changes, ctx.config.timeZone);
    const after = applyChanges(before, changes, zone);
    await assertChangeAllowed(trx, before, after);
    // The version names what decides a record's fate (review items are kept per version): a new
    // purpose, basis or lock alone does not make settled reviews open again.
    const decisive = after.scope !== before.scope || fmt(after.min) !== before.min || fmt(after.max) !== before.max || after.action !== before.action || after.enabled !== before.enabled;
    const row = await trx.updateTable('retention_policies').set({
      scope: after.scope, min: fmt(after.min), max: fmt(after.max), action: after.action, purpose: after.purpose, basis: after.basis,
      locked: after.locked ? 1 : 0, enabled: after.enabled ? 1 : 0, updated_at: now, updated_by: ctx.actor, version: decisive ? before.version + 1 : before.version,
      time_zone: zone,
    }).where('id', '=', before.id).returningAll().executeTakeFirstOrThrow();
    await bumpRulesVersion(trx);
    const view = policyView(row);
    await appendAudit(ctx, trx, {
      action: 'retention.policy_updated', subject: `policy:${row.id}`,
      details: { before: auditDetails(before), after: { ...auditDetails(view), enabled: view.enabled }, version: view.version },
    });
    return view;
  });
}

/** Disables a policy (it stays, with its history). A locked policy cannot be disabled. */
export async function disablePolicy(ctx: Context, ref: string | number): Promise<PolicyView> {
  return updatePolicy(ctx, ref, { enabled: false });
}
