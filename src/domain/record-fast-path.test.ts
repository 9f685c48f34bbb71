import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastRecordInput, parseRecordInput, recordInputSchema, toArchiveRecord } from './record.js';

/**
 * `parseRecordInput` takes a fast path for plainly valid inputs and leaves everything else to
 * `recordInputSchema`. Whatever it accepts on its own, the schema must accept with the same output:
 * the same values, the same keys (present-but-undefined included) in the same order, at every level —
 * the order decides the JSON of `fields`, which the record hash covers.
 */

/** Every key and value, in order, with undefined kept visible (JSON.stringify would drop it). */
function shape(v: unknown): unknown {
  if (v === undefined) return '<undefined>';
  if (Array.isArray(v)) return v.map(shape);
  if (typeof v === 'object' && v !== null) return Object.keys(v).map((k) => [k, shape((v as Record<string, unknown>)[k])]);
  return v;
}

const text = (max: number): fc.Arbitrary<string> => fc.oneof(fc.string({ maxLength: max }), fc.constantFrom('', ' ', 'a/b', '合同', 'x'.repeat(max), 'x'.repeat(max + 1)));
const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });
/** A record field: left out, present as undefined, or a value. */
const field = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<{ v: T | undefined } | null> => fc.oneof(fc.constant(null), fc.constant({ v: undefined }), a.map((v) => ({ v })));
const id = fc.oneof({ weight: 12, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) }, fc.constant(''), fc.integer(), fc.constant('x'.repeat(1025)), fc.constant(null));
const person = fc.record({ id, name: maybe(text(8)), extra: maybe(fc.string()) }, { requiredKeys: ['id'] });
const conversation = fc.record({ id, type: fc.constantFrom('direct', 'group', 'room'), title: maybe(text(8)), extra: maybe(fc.integer()) }, { requiredKeys: ['id', 'type'] });
const attachment = fc.record(
  { name: fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.constant('')), mime: maybe(fc.string({ maxLength: 4 })), data: maybe(fc.constantFrom('aGVsbG8=', 'not base64!', '', 'abc')), path: maybe(fc.constantFrom('a.pdf', '')), other: maybe(fc.integer()) },
  { requiredKeys: ['name'] },
);
const time = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 315532800000, max: 4102444799999 }) }, fc.constantFrom('2026-03-01T09:30:00+08:00', '2026-03-01T01:30:00.250Z', '2026-03-01 09:30', 'soon', '1970-01-01T00:00:00Z'), fc.constantFrom(1772328600000, 1.5, Number.NaN, -1, 0));

const input = fc
  .record({
    source: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('demo', 'wechat:wxid_a') }, fc.constantFrom('a b', 'a/b', ''), fc.string({ maxLength: 6 })),
    id,
    seq: field(fc.oneof(fc.nat(), fc.constant(-1), fc.constant(1.5), fc.constant(2 ** 60))),
    time,
    conversation: fc.oneof({ weight: 8, arbitrary: conversation }, fc.constant(null), fc.constant([])),
    from: fc.oneof({ weight: 8, arbitrary: person }, fc.constant('zhangsan')),
    to: field(fc.array(person, { maxLength: 3 })),
    type: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('text', 'image', 'hongbao_v9') }, fc.constantFrom('recall', 'call', '')),
    text: field(text(12)),
    attachments: field(fc.array(attachment, { maxLength: 3 })),
    recalls: field(id),
    call: field(fc.record({ media: fc.constantFrom('voice', 'video', 'fax'), durationSeconds: fc.oneof(fc.nat(1000), fc.constant(-1), fc.constant(Number.POSITIVE_INFINITY), fc.constant(7 * 24 * 3600 + 1)), extra: maybe(fc.integer()) }, { requiredKeys: ['media', 'durationSeconds'] })),
    raw: field(fc.jsonValue()),
    custodian: field(fc.string({ maxLength: 4 })),
    wechat: field(fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 3 })),
    zz: field(fc.integer()),
  })
  .chain((r) =>
    // Fields in a random order, optional ones left out, present-but-undefined, or set.
    fc.shuffledSubarray(Object.keys(r), { minLength: Object.keys(r).length, maxLength: Object.keys(r).length }).map((keys) => {
      const out: Record<string, unknown> = {};
      for (const k of keys) {
        const v = (r as Record<string, unknown>)[k];
        if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && 'v' in v) out[k] = (v as { v: unknown }).v;
        else if (v === null && ['seq', 'to', 'text', 'attachments', 'recalls', 'call', 'raw', 'custodian', 'wechat', 'zz'].includes(k)) continue;
        else out[k] = v;
      }
      return out;
    }),
  );

describe('the record input fast path', () => {
  it('accepts on its own only what the schema accepts, with the same output', () => {
    let fast = 0;
    let valid = 0;
    fc.assert(
      fc.property(input, (x) => {
        const zod = recordInputSchema.safeParse(x);
        expect(parseRecordInput(x).success).toBe(zod.success);
        if (zod.success) valid++;
        const ours = fastRecordInput(x);
        if (ours === undefined) return;
        fast++;
        expect(zod.success).toBe(true);
        if (!zod.success) return;
        expect(shape(ours)).toEqual(shape(zod.data));
        expect(JSON.stringify(toArchiveRecord(ours))).toBe(JSON.stringify(toArchiveRecord(zod.data)));
      }),
      { numRuns: 20_000 },
    );
    // The generator reaches valid records, most of them by the fast path, some by the schema alone (number ids).
    expect(valid).toBeGreaterThan(200);
    expect(fast).toBeGreaterThan(valid / 2);
    expect(fast).toBeLessThan(valid);
  });

  it('takes the fast path for the records connectors build', () => {
    const record = {
      source: 'wechat:wxid_owner',
      id: '7900000000000005462',
      time: 1772424622000,
      conversation: { id: 'wxid_peer', type: 'direct', title: '刘会计' },
      from: { id: 'wxid_peer', name: '刘会计' },
      to: [{ id: 'wxid_owner', name: '周明' }],
      type: 'text',
      text: '填充消息',
      custodian: 'P-1',
      wechat: { type: 1, subType: 0, isSender: false },
      raw: { localId: 1, StrContent: '填充消息' },
      attachments: undefined,
    };
    const parsed = parseRecordInput(record);
    expect(parsed.success).toBe(true);
    // The fast path keeps `raw` and unknown fields by reference, as the schema does.
    if (parsed.success) {
      expect(parsed.data.raw).toBe(record.raw);
      expect((parsed.data as Record<string, unknown>).wechat).toBe(record.wechat);
      expect(Object.keys(parsed.data)).toEqual(['source', 'id', 'time', 'conversation', 'from', 'to', 'type', 'text', 'attachments', 'raw', 'custodian', 'wechat']);
    }
  });

  it('leaves a bad record to the schema, which names the field', () => {
    const parsed = parseRecordInput({ source: 'demo', id: 'm1', time: 'soon', conversation: { id: 'c', type: 'room' }, from: { id: 'a' }, type: 'text' });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(parsed.issues.map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['time', 'conversation.type']));
  });
});
