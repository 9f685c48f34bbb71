/** Sequence watermarks: archived `seq` values kept as contiguous runs; holes between runs are gaps. */

export type Run = readonly [lo: number, hi: number];

/** Sorted, de-duplicated seqs → contiguous runs. */
export function runsOf(seqs: readonly number[]): [number, number][] {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (const s of sorted) {
    const last = runs[runs.length - 1];
    if (last && s === last[1] + 1) last[1] = s;
    else runs.push([s, s]);
  }
  return runs;
}

export interface Gap {
  /** First missing seq. */
  from: number;
  /** Last missing seq. */
  to: number;
  missing: number;
}

/** The holes between sorted, disjoint runs. Nothing before the first run counts as a gap (a cursor may start anywhere). */
export function gapsBetween(runs: readonly Run[]): Gap[] {
  const gaps: Gap[] = [];
  for (let i = 1; i < runs.length; i++) {
    const from = runs[i - 1]![1] + 1;
    const to = runs[i]![0] - 1;
    if (to >= from) gaps.push({ from, to, missing: to - from + 1 });
  }
  return gaps;
}
