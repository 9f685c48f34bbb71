/**
 * A person's departments over time, so that a retention scope's `dept:NAME` means the department
 * the sender or recipient belonged to when the record was made, not the one they are in today. A
 * person who moves from 法务 to 销售 keeps their earlier records under a `dept:法务` hold, and a
 * `dept:销售` ceiling does not reach them.
 *
 * Stored per person as `persons.departments` (the current set) plus `persons.department_history`:
 * JSON `[[untilMs, [name, …]], …]`, ascending, each entry the set the person had until `untilMs`
 * (from the previous entry's `untilMs` on). A directory sync that sees a different set appends the
 * old one with its own time. Before a person's first directory sync nothing is known, so the first
 * set the directory gives applies to every earlier record.
 */

export type DepartmentHistory = readonly (readonly [untilMs: number, departments: readonly string[]])[];

/** Parses the column; anything malformed reads as no history (the current set for all times). */
export function parseDepartmentHistory(text: string | null | undefined): DepartmentHistory {
  if (text === null || text === undefined || text === '') return [];
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(v)) return [];
  const out: [number, string[]][] = [];
  for (const e of v) {
    if (!Array.isArray(e) || typeof e[0] !== 'number' || !Array.isArray(e[1])) return [];
    out.push([e[0], (e[1] as unknown[]).map(String)]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** The departments a person had at `timeMs`. */
export function departmentsAt(current: readonly string[], history: DepartmentHistory, timeMs: number): readonly string[] {
  for (const [until, departments] of history) if (timeMs < until) return departments;
  return current;
}

/** Which period of the history `timeMs` falls in (0 … history.length; the last is the current set). */
export function departmentPeriod(history: DepartmentHistory, timeMs: number): number {
  let i = 0;
  while (i < history.length && timeMs >= history[i]![0]) i++;
  return i;
}

/** The same departments, whatever the order or repetition (two departments may share a name). */
const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((d) => y.has(d));
};

/**
 * The history after a directory sync at `nowMs` that found `next` where `previous` was stored:
 * unchanged when the set is the same (order does not matter) or when the person had never been in
 * a directory sync (`previous` undefined: nothing was known before).
 */
export function recordDepartmentChange(history: DepartmentHistory, previous: readonly string[] | undefined, next: readonly string[], nowMs: number): DepartmentHistory {
  if (previous === undefined || sameSet(previous, next)) return history;
  // Two syncs in the same millisecond (or a clock set back): the newer observation replaces the entry.
  const kept = history.filter(([until]) => until < nowMs);
  return [...kept, [nowMs, [...previous]]];
}
