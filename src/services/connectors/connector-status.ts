import type { Context } from '../../context.js';
import { consentLedger, listSourceSettings, mediaCounts, missingMediaCounts } from '../../repositories/source-settings.js';
import { LAG_WARNING_MS, TENCENT_RETENTION_MS } from './wecom-sync.js';

/** The state of each connector source for the Sources page and `wekeep sources --json` (no secrets). */

export interface ConnectorStatus {
  name: string;
  kind: string;
  cursor: number;
  lastSyncAt: string | null;
  lastSyncStatus: string | null;
  lastError: string | null;
  /** The last sync that completed (`completed` or `partial`); null: none yet. */
  lastSuccessAt: string | null;
  /** Time since the last successful sync, ms (null: never synced successfully). Failed attempts do not count. */
  lagMs: number | null;
  /** `ok`, `warning` (approaching Tencent's 5-day retention), `critical` (past it: messages may be lost). */
  lagLevel: 'ok' | 'warning' | 'critical' | 'never_synced';
  media: Record<string, number>;
  /** Files missing from archived messages, by state: `waiting` (the next syncs try again), `attached` (later), `abandoned`, `gone`, `worm`. */
  missingMedia: Record<string, number>;
  consent: { party: string; action: string; time: string }[];
}

export async function connectorStatuses(ctx: Pick<Context, 'db' | 'clock'>): Promise<ConnectorStatus[]> {
  const now = ctx.clock.now();
  const out: ConnectorStatus[] = [];
  for (const s of await listSourceSettings(ctx.db)) {
    const last = s.last_sync_at === null ? null : Number(s.last_sync_at);
    const success = s.last_success_at === null ? null : Number(s.last_success_at);
    const lag = success === null ? null : now - success;
    out.push({
      name: s.name,
      kind: s.kind,
      cursor: Number(s.cursor_seq),
      lastSyncAt: last === null ? null : new Date(last).toISOString(),
      lastSyncStatus: s.last_sync_status,
      lastError: s.last_error,
      lastSuccessAt: success === null ? null : new Date(success).toISOString(),
      lagMs: lag,
      lagLevel: lag === null ? 'never_synced' : lag > TENCENT_RETENTION_MS ? 'critical' : lag > LAG_WARNING_MS ? 'warning' : 'ok',
      media: await mediaCounts(ctx.db, s.source_id),
      missingMedia: await missingMediaCounts(ctx.db, s.source_id),
      consent: (await consentLedger(ctx.db, s.source_id, 50)).map((c) => ({ party: c.party, action: c.action, time: new Date(c.timeMs).toISOString() })),
    });
  }
  return out;
}
