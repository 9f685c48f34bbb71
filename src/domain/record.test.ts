import { describe, expect, it } from 'vitest';
import { firstKeyOf, lastKeyOf, preferredSlot, SLOTS_PER_MS, timeOfKey } from './message-key.js';
import { describeIssues, parseRecordInput, parseRecordTime, recordInputSchema, toArchiveRecord } from './record.js';

const base = { source: 'demo', id: 'm1', time: '2026-03-01T09:30:00+08:00', conversation: { id: 'c1', type: 'direct' }, from: { id: 'zhangsan' }, type: 'text', text: '你好' };

describe('record time', () => {
  it('accepts ISO 8601 with an offset or Z, and epoch milliseconds', () => {
    expect(parseRecordTime('2026-03-01T09:30:00+08:00')).toBe(Date.UTC(2026, 2, 1, 1, 30));
    expect(parseRecordTime('2026-03-01T01:30:00.250Z')).toBe(Date.UTC(2026, 2, 1, 1, 30, 0, 250));
    expect(parseRecordTime(1772328600000)).toBe(1772328600000);
    // Offsets of hours only, and without a colon, as ISO 8601 allows.
    expect(parseRecordTime('2026-03-01T09:30:00+08')).toBe(Date.UTC(2026, 2, 1, 1, 30));
    expect(parseRecordTime('2026-03-01T09:30-05')).toBe(Date.UTC(2026, 2, 1, 14, 30));
    expect(parseRecordTime('2026-03-01T09:30:00+0800')).toBe(Date.UTC(2026, 2, 1, 1, 30));
  });

  it('rejects times without an offset, garbage, fractions and out-of-range instants with a reason', () => {
    expect(parseRecordTime('2026-03-01 09:30')).toMatch(/offset/);
    expect(parseRecordTime('yesterday')).toMatch(/offset/);
    expect(parseRecordTime(1.5)).toMatch(/integer/);
    expect(parseRecordTime('1970-01-01T00:00:00Z')).toMatch(/outside/);
  });

  it('refuses a day the month does not have instead of rolling it over; accepts the last day', () => {
    for (const bad of ['2026-02-30T09:30:00+08:00', '2026-04-31T00:00:00Z', '2026-02-29T12:00:00Z', '2100-02-29T00:00:00Z']) expect(parseRecordTime(bad), bad).toMatch(/not a valid date|outside/);
    expect(parseRecordTime('2024-02-29T12:00:00Z')).toBe(Date.UTC(2024, 1, 29, 12));
    expect(parseRecordTime('2026-04-30T00:00:00Z')).toBe(Date.UTC(2026, 3, 30));
    expect(parseRecordTime('2026-12-31T23:59:59+08:00')).toBe(Date.UTC(2026, 11, 31, 15, 59, 59));
  });
});

describe('the NDJSON record schema', () => {
  it('normalizes a valid line, taking integer ids as strings and keeping extra fields', () => {
    const parsed = recordInputSchema.parse({ ...base, id: 42, extra: { a: 1 } });
    const r = toArchiveRecord(parsed);
    expect(r).toMatchObject({ source: 'demo', id: '42', timeMs: Date.UTC(2026, 2, 1, 1, 30), type: 'text', to: [], attachments: [] });
    expect(r.fields).toEqual({ extra: { a: 1 } });
  });

  it('archives an unknown type as other, keeping its type and the whole line when no raw is given', () => {
    const line = JSON.stringify({ ...base, type: 'hongbao_v9' });
    const r = toArchiveRecord(recordInputSchema.parse(JSON.parse(line)), line);
    expect(r.type).toBe('other');
    expect(r.fields?.originalType).toBe('hongbao_v9');
    expect(r.raw).toBe(line);
  });

  it('names every bad field', () => {
    const bad = recordInputSchema.safeParse({ ...base, source: 'a/b', time: 'soon', type: 'recall', conversation: { id: 'c', type: 'room' } });
    expect(bad.success).toBe(false);
    const text = describeIssues(bad.error!.issues);
    for (const f of ['source', 'time', 'conversation.type']) expect(text).toContain(f);
    // cross-field rules are checked once the fields themselves are valid
    const recall = recordInputSchema.safeParse({ ...base, type: 'recall' });
    expect(describeIssues(recall.error!.issues)).toContain('recalls: is required');
  });

  it('requires call details for calls and base64 for inline attachments', () => {
    expect(recordInputSchema.safeParse({ ...base, type: 'call' }).success).toBe(false);
    expect(recordInputSchema.safeParse({ ...base, attachments: [{ name: 'a', data: 'not base64!' }] }).success).toBe(false);
    expect(recordInputSchema.safeParse({ ...base, type: 'call', call: { media: 'video', durationSeconds: 12 } }).success).toBe(true);
  });

  it('refuses an attachment given both inline and as a file, by the schema and the fast path alike', () => {
    const both = { ...base, attachments: [{ name: 'a.pdf', data: 'AAAA', path: 'a.pdf' }] };
    const r = parseRecordInput(both);
    expect(r.success).toBe(false);
    if (!r.success) expect(describeIssues(r.issues)).toBe('attachments.0: give either data or path, not both');
    expect(recordInputSchema.safeParse(both).success).toBe(false);
    expect(parseRecordInput({ ...base, attachments: [{ name: 'a.pdf', data: 'AAAA', path: undefined }] }).success).toBe(true);
    // null is absent, as capture tools write it.
    expect(parseRecordInput({ ...base, attachments: [{ name: 'a.pdf', data: 'AAAA', path: null }] })).toMatchObject({ success: true, data: { attachments: [{ name: 'a.pdf', data: 'AAAA' }] } });
    expect(parseRecordInput({ ...base, attachments: [{ name: 'a.pdf', data: null, path: 'a.pdf' }] })).toMatchObject({ success: true, data: { attachments: [{ name: 'a.pdf', path: 'a.pdf' }] } });
  });
});

describe('time-ordered message keys', () => {
  it('orders keys by time and maps them back, with a stable preferred slot per record', () => {
    const t = Date.UTC(2026, 2, 1);
    expect(lastKeyOf(t)).toBeLessThan(firstKeyOf(t + 1));
    expect(timeOfKey(firstKeyOf(t) + 2047)).toBe(t);
    expect(preferredSlot('demo', 'm1')).toBe(preferredSlot('demo', 'm1'));
    expect(preferredSlot('demo', 'm1')).toBeLessThan(SLOTS_PER_MS);
    expect(Number.isSafeInteger(lastKeyOf(Date.UTC(2099, 11, 31)))).toBe(true);
  });
});
