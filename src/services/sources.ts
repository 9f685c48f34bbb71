import type { Context } from '../context.js';
import { gapsBetween, type Gap } from '../domain/watermark.js';
import { listSources, seqRuns } from '../repositories/sources.js';

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
    });
  }
  return out;
}
