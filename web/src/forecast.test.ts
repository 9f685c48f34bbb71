import { describe, expect, it } from 'vitest';
import { addDays, daysBetween, fillDays, forecastGrowth, linearFit } from './forecast';

describe('forecast', () => {
  it('does calendar arithmetic on YYYY-MM-DD', () => {
    expect(addDays('2026-02-27', 2)).toBe('2026-03-01');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(daysBetween('2025-12-30', '2026-01-02')).toEqual(['2025-12-30', '2025-12-31', '2026-01-01', '2026-01-02']);
  });

  it('fills missing days with zero', () => {
    expect(fillDays(new Map([['2026-01-01', 3], ['2026-01-03', 5]]), '2026-01-01', '2026-01-03').map((d) => d.value)).toEqual([3, 0, 5]);
  });

  it('fits a straight line exactly', () => {
    const { slope, intercept } = linearFit([1, 3, 5, 7]);
    expect(slope).toBeCloseTo(2);
    expect(intercept).toBeCloseTo(1);
    expect(linearFit([4])).toEqual({ slope: 0, intercept: 4 });
  });

  it('accumulates the history and extends the daily trend', () => {
    const daily = [10, 20, 30].map((value, i) => ({ day: addDays('2026-01-01', i), value }));
    const f = forecastGrowth(daily, 2, 90);
    expect(f.history.map((h) => h.cumulative)).toEqual([10, 30, 60]);
    expect(f.forecast.map((p) => p.day)).toEqual(['2026-01-03', '2026-01-04', '2026-01-05']);
    // Trend +10/day: 40 and 50 more.
    expect(f.forecast.map((p) => Math.round(p.cumulative))).toEqual([60, 100, 150]);
    expect(f.window).toBe(3);
  });

  it('never forecasts a negative daily volume', () => {
    const daily = [30, 20, 10].map((value, i) => ({ day: addDays('2026-01-01', i), value }));
    const f = forecastGrowth(daily, 5);
    for (const p of f.forecast) expect(p.daily).toBeGreaterThanOrEqual(0);
    expect(f.forecast[f.forecast.length - 1]?.cumulative).toBeGreaterThanOrEqual(60);
    expect(forecastGrowth([]).forecast).toEqual([]);
  });
});
