import { describe, expect, it } from 'vitest';
import { gapsBetween, runsOf } from './watermark.js';

describe('sequence watermarks', () => {
  it('collapses seqs into sorted contiguous runs, ignoring duplicates and order', () => {
    expect(runsOf([5, 3, 4, 9, 10, 4, 1])).toEqual([[1, 1], [3, 5], [9, 10]]);
    expect(runsOf([])).toEqual([]);
  });

  it('reports the holes between runs and not before the first run', () => {
    expect(gapsBetween([[100, 105], [107, 107], [200, 300]])).toEqual([
      { from: 106, to: 106, missing: 1 },
      { from: 108, to: 199, missing: 92 },
    ]);
    expect(gapsBetween([[1, 10]])).toEqual([]);
  });
});
