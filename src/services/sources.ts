import type { Context } from '../context.js';
import { gapsBetween, type Gap } from '../domain/watermark.js';
import { listSources, seqRuns, unrecoverableGaps } from '../repositories/sources.js';

export interface SourceReport {
  name: string;
  records: number;
  firstSeq: number | null;
  lastSeq: number | null;
  lastTime: string | null;
  gapCount: number;
  missing: number;
  /** The first gaps (up to 100). */
  gaps: Gap[];
  /**
   * Seq ranges the source can never deliver, recorded by the connector that had to skip them
   * (WeCom: `expired`, past Tencent's ~5-day retention). They may overlap `gaps`, or lie before the
   * first archived seq (a first sync that started too late).
   */
  unrecoverable: { from: number; to: number; reason: 'expired'; detectedAt: string }[];
}

/** Every source with its record count, `seq` watermark and the gaps in its sequence. */
export async function reportSources(ctx: Context): Promise<SourceReport[]> {
  const out: SourceReport[] = [];
  for (const s of await listSources(ctx.db)) {
    const runs = await seqRuns(ctx.db, s.id);
    const gaps = gapsBetween(runs);
    out.push({
      name: s.name,
      records: s.recordCount,
      firstSeq: runs[0]?.[0] ?? null,
      lastSeq: s.lastSeq,
      lastTime: s.lastTimeMs === null ? null : new Date(s.lastTimeMs).toISOString(),
      gapCount: gaps.length,
      missing: gaps.reduce((n, g) => n + g.missing, 0),
      gaps: gaps.slice(0, 100),
      unrecoverable: (await unrecoverableGaps(ctx.db, s.id)).map((g) => ({ ...g, detectedAt: new Date(g.detectedAt).toISOString() })),
    });
  }
  return out;
}
