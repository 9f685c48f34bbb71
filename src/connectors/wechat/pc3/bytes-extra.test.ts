import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBytesExtra } from './bytes-extra.js';

/** Hand-assembled (not by an encoder of ours): the shape WeChatMsg's msg.proto documents. */
const SAMPLE = Buffer.concat([
  Buffer.from('0a04' + '0810' + '1000', 'hex'), // field 1: { 1: 16, 2: 0 }
  Buffer.from('1a0f' + '0801' + '120b', 'hex'), Buffer.from('wxid_abc123', 'latin1'), // field 3: { 1: 1, 2: "wxid_abc123" }
  Buffer.from('1a0a' + '0807' + '1206', 'hex'), Buffer.from('<msgs>', 'latin1'), // field 3: { 1: 7, 2: "<msgs>" }
  Buffer.from('1a13' + '0804' + '120f', 'hex'), Buffer.from('w\\FileStorage\\a', 'latin1'), // field 3: { 1: 4, 2: path }
]);

describe('PC 3.x BytesExtra', () => {
  it('reads the group sender and the media paths', () => {
    expect(parseBytesExtra(SAMPLE)).toEqual({
      ok: true,
      value: {
        senderWxid: 'wxid_abc123',
        filePath: 'w\\FileStorage\\a',
        entries: [{ kind: 1, value: 'wxid_abc123' }, { kind: 7, value: '<msgs>' }, { kind: 4, value: 'w\\FileStorage\\a' }],
      },
    });
    expect(parseBytesExtra(null)).toEqual({ ok: true, value: { entries: [] } });
  });

  it('names the column when the protobuf is malformed', () => {
    expect(parseBytesExtra(SAMPLE.subarray(0, SAMPLE.length - 3))).toEqual({ ok: false, problem: expect.stringMatching(/^BytesExtra: malformed protobuf \(.+\)$/) });
    expect(parseBytesExtra(Buffer.from([0x1a, 0x02, 0xff, 0xff]))).toMatchObject({ ok: false });
    expect(parseBytesExtra(Buffer.from([0x1b]))).toMatchObject({ ok: false });
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = parseBytesExtra(bytes);
        if (!r.ok) expect(r.problem).toMatch(/^BytesExtra: /);
      }),
      { numRuns: 2000 },
    );
  });
});
