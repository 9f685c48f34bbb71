import type { Context } from '../context.js';
import { blobsPendingScan, infectedBlobs, recordScan, scanStatusCounts } from '../repositories/blobs.js';
import { appendAudit } from './audit.js';
import { AppError } from '../errors.js';

/**
 * Malware scanning after the fact: attachments that arrived while the scanner was unreachable
 * wait as `pending` (never served) until `rescanPending` gets an answer for them; the status
 * report lists infected attachments (kept encrypted, never served) for administrators.
 */

export interface RescanSummary {
  scanned: number;
  clean: number;
  infected: number;
  stillPending: number;
  engine: string | undefined;
}

export async function rescanPending(ctx: Context, options: { limit?: number } = {}): Promise<RescanSummary> {
  const scanner = ctx.scanner;
  if (!scanner) throw new AppError('scan.not_configured', 'no malware scanner is configured (--clamd or WEKEEP_CLAMD)', { exitCode: 2, status: 400 });
  const summary: RescanSummary = { scanned: 0, clean: 0, infected: 0, stillPending: 0, engine: await scanner.version() };
  const pending = await blobsPendingScan(ctx.db, options.limit ?? 10_000);
  for (const blob of pending) {
    const verdict = await scanner.scan(ctx.blobs.read(blob));
    summary.scanned++;
    if (verdict.status === 'unavailable') {
      summary.stillPending++;
      continue;
    }
    const now = ctx.clock.now();
    await ctx.db.transaction().execute(async (trx) => {
      if (verdict.status === 'clean') {
        summary.clean++;
        await recordScan(trx, blob.id, { status: 'clean', signature: null, engine: verdict.engine }, now);
      } else {
        summary.infected++;
        await recordScan(trx, blob.id, { status: 'infected', signature: verdict.signature, engine: verdict.engine }, now);
        await appendAudit(ctx, trx, { action: 'attachment.infected', subject: `blob:${blob.id.slice(0, 16)}`, details: { signature: verdict.signature, engine: verdict.engine } });
      }
    });
  }
  if (summary.scanned > 0) {
    await appendAudit(ctx, ctx.db, { action: 'attachment.rescanned', details: { scanned: summary.scanned, clean: summary.clean, infected: summary.infected, stillPending: summary.stillPending, engine: summary.engine ?? null } });
  }
  return summary;
}

export interface ScanReport {
  scanner: { configured: boolean; reachable: boolean; engine: string | undefined };
  counts: Record<'not_scanned' | 'clean' | 'pending' | 'infected', number>;
  infected: { blob: string; signature: string | null; engine: string | null; scannedAt: string | null; size: number; messageKeys: number[] }[];
}

/** Scanner health, counts by status, and the infected attachments (no content: ids, signatures, sizes). */
export async function scanReport(ctx: Context): Promise<ScanReport> {
  const reachable = ctx.scanner ? await ctx.scanner.ping() : false;
  const engine = reachable ? await ctx.scanner?.version() : undefined;
  return {
    scanner: { configured: ctx.scanner !== undefined, reachable, engine },
    counts: await scanStatusCounts(ctx.db),
    infected: (await infectedBlobs(ctx.db, 1000)).map((b) => ({ blob: b.id.slice(0, 16), signature: b.signature, engine: b.engine, scannedAt: b.scannedAt === null ? null : new Date(b.scannedAt).toISOString(), size: b.size, messageKeys: b.messageKeys })),
  };
}
