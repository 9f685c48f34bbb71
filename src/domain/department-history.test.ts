import { describe, expect, it } from 'vitest';
import { departmentPeriod, departmentsAt, parseDepartmentHistory, recordDepartmentChange } from './department-history.js';

describe('department history', () => {
  const history = parseDepartmentHistory(JSON.stringify([[2000, ['销售']], [1000, ['法务']]]));

  it('answers the departments a person had at a time, the current set after the last change', () => {
    expect(history).toEqual([[1000, ['法务']], [2000, ['销售']]]);
    expect(departmentsAt(['技术'], history, 0)).toEqual(['法务']);
    expect(departmentsAt(['技术'], history, 999)).toEqual(['法务']);
    expect(departmentsAt(['技术'], history, 1000)).toEqual(['销售']);
    expect(departmentsAt(['技术'], history, 2000)).toEqual(['技术']);
    expect([0, 999, 1000, 1999, 2000, 5000].map((t) => departmentPeriod(history, t))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(departmentsAt(['技术'], [], 0)).toEqual(['技术']);
  });

  it('records a change only when the set differs and a previous sync knew it', () => {
    expect(recordDepartmentChange([], undefined, ['法务'], 500)).toEqual([]);
    expect(recordDepartmentChange([], ['法务', '合规'], ['合规', '法务'], 500)).toEqual([]);
    expect(recordDepartmentChange([], ['销售'], ['销售', '销售'], 500)).toEqual([]);
    // Two departments may share a name (华东/销售, 华南/销售): leaving 法务 for the other 销售 is a change.
    expect(recordDepartmentChange([], ['销售', '法务'], ['销售', '销售'], 500)).toEqual([[500, ['销售', '法务']]]);
    expect(recordDepartmentChange([], ['法务'], ['销售'], 500)).toEqual([[500, ['法务']]]);
    expect(recordDepartmentChange([[500, ['法务']]], ['销售'], [], 900)).toEqual([[500, ['法务']], [900, ['销售']]]);
    // A clock set back: the newer observation replaces what lies after it.
    expect(recordDepartmentChange([[500, ['法务']], [900, ['销售']]], ['技术'], ['运营'], 700)).toEqual([[500, ['法务']], [700, ['技术']]]);
  });

  it('reads a malformed column as no history', () => {
    for (const bad of ['{', '{}', '[[1]]', '[["x", []]]', '[1]']) expect(parseDepartmentHistory(bad)).toEqual([]);
    expect(parseDepartmentHistory(null)).toEqual([]);
  });
});
