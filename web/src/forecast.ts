/** Pure helpers for the dashboard: day arithmetic, zero-filled daily series, a least-squares linear forecast. */

const DAY_MS = 86_400_000;

/** 'YYYY-MM-DD' → days since 1970-01-01 (calendar arithmetic, no time zone). */
export const dayNumber = (day: string): number => Math.round(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
export const dayString = (n: number): string => new Date(n * DAY_MS).toISOString().slice(0, 10);
export const addDays = (day: string, n: number): string => dayString(dayNumber(day) + n);

/** Every day from `first` to `last` inclusive. */
export function daysBetween(first: string, last: string): string[] {
  const a = dayNumber(first);
  const b = dayNumber(last);
  const out: string[] = [];
  for (let d = a; d <= b; d++) out.push(dayString(d));
  return out;
}

/** The values per day from `first` to `last`, 0 where a day is missing. */
export function fillDays(values: ReadonlyMap<string, number>, first: string, last: string): { day: string; value: number }[] {
  return daysBetween(first, last).map((day) => ({ day, value: values.get(day) ?? 0 }));
}

/** Ordinary least squares of y over x = 0..n-1. */
export function linearFit(ys: readonly number[]): { slope: number; intercept: number } {
  const n = ys.length;
  if (n === 0) return { slope: 0, intercept: 0 };
  if (n === 1) return { slope: 0, intercept: ys[0] ?? 0 };
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  ys.forEach((y, x) => {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) * (x - mx);
  });
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

export interface GrowthForecast {
  /** Cumulative actual totals per day. */
  history: { day: string; value: number; cumulative: number }[];
  /** Projected cumulative totals for the days after the last actual day (starts with the last actual point). */
  forecast: { day: string; daily: number; cumulative: number }[];
  /** Days of history the trend was fitted on. */
  window: number;
  /** Fitted daily volume on the last actual day and the daily change of that volume. */
  dailyAtEnd: number;
  slope: number;
}

/**
 * Growth with a simple linear forecast: fit a straight line to the daily volumes of the last
 * `window` days, extend it `horizon` days (never below zero) and accumulate on top of the actual total.
 */
export function forecastGrowth(daily: readonly { day: string; value: number }[], horizon = 30, window = 90): GrowthForecast {
  let cumulative = 0;
  const history = daily.map((d) => {
    cumulative += d.value;
    return { day: d.day, value: d.value, cumulative };
  });
  const last = history[history.length - 1];
  if (!last) return { history, forecast: [], window: 0, dailyAtEnd: 0, slope: 0 };
  const recent = daily.slice(-window).map((d) => d.value);
  const { slope, intercept } = linearFit(recent);
  const endX = recent.length - 1;
  const forecast: GrowthForecast['forecast'] = [{ day: last.day, daily: last.value, cumulative: last.cumulative }];
  let total = last.cumulative;
  for (let k = 1; k <= horizon; k++) {
    const predicted = Math.max(0, intercept + slope * (endX + k));
    total += predicted;
    forecast.push({ day: addDays(last.day, k), daily: predicted, cumulative: total });
  }
  return { history, forecast, window: recent.length, dailyAtEnd: Math.max(0, intercept + slope * endX), slope };
}
