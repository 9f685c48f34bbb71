import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Context } from '../context.js';
import type { Database } from '../db/schema.js';
import { usageError } from '../errors.js';
import { readMeta, writeMeta } from '../repositories/meta.js';
import { appendAudit } from './audit.js';

/**
 * WORM mode (write once, read many): once enabled — at `wekeep init --worm` or later with
 * `wekeep settings worm enable --yes` — it can never be turned off. Under WORM no record can be
 * deleted before its retention floor has passed, by any role or command: disposeRecords (the one
 * deletion path: sweeps, approved reviews, privacy erasure) refuses such records. The state lives
 * in meta (`worm`), its enabling is an audit event, and certificates and `audit verify` state it.
 */

export const WORM_META_KEY = 'worm';

export interface WormState {
  enabled: boolean;
  /** When and by whom it was enabled. */
  enabledAt: number | null;
  enabledBy: string | null;
}

const stored = z.object({ enabled: z.literal(true), at: z.number(), actor: z.string() });

export async function wormState(db: Kysely<Database>): Promise<WormState> {
  const text = await readMeta(db, WORM_META_KEY);
  if (text === undefined) return { enabled: false, enabledAt: null, enabledBy: null };
  const parsed = stored.safeParse(JSON.parse(text));
  // Anything unreadable under this key is treated as enabled: WORM fails closed.
  if (!parsed.success) return { enabled: true, enabledAt: null, enabledBy: null };
  return { enabled: true, enabledAt: parsed.data.at, enabledBy: parsed.data.actor };
}

/** Enables WORM mode (irreversible). `confirm` must be true (`--yes`). Enabling it again changes nothing. */
export async function enableWorm(ctx: Context, options: { confirm: boolean }): Promise<WormState & { changed: boolean }> {
  if (!options.confirm) {
    throw usageError('worm.confirm', 'WORM mode cannot be turned off again: no record can then be deleted before its retention floor, by anyone. Repeat with --yes to enable it');
  }
  return ctx.db.transaction().execute(async (trx) => {
    const current = await wormState(trx);
    if (current.enabled) return { ...current, changed: false };
    const at = ctx.clock.now();
    await writeMeta(trx, WORM_META_KEY, JSON.stringify({ enabled: true, at, actor: ctx.actor }));
    await appendAudit(ctx, trx, { action: 'settings.worm_enabled', subject: 'store', details: { worm: true, irreversible: true } });
    return { enabled: true, enabledAt: at, enabledBy: ctx.actor, changed: true };
  });
}
