import { describe, expect, it } from 'vitest';
import { sameContent } from './redelivery.js';

describe('sameContent: one message delivered twice', () => {
  const stored = { type: 'text', text: '收到', timeMs: 1_767_225_600_437, from: { id: 'wxid_a' }, conversation: { id: 'wxid_b' } };
  const again = { type: 'text', text: '收到', timeMs: 1_767_225_600_437, from: { id: 'wxid_a' }, conversation: { id: 'wxid_b', type: 'direct' as const } };

  it('is the same message across a phone export (milliseconds) and a PC export (whole seconds) of one account', () => {
    expect(sameContent(stored, again)).toBe(true);
    expect(sameContent(stored, { ...again, timeMs: 1_767_225_600_000 })).toBe(true);
    expect(sameContent({ ...stored, timeMs: 1_767_225_600_000 }, again)).toBe(true);
    // Another second, or two different millisecond times, is another content.
    expect(sameContent(stored, { ...again, timeMs: 1_767_225_601_000 })).toBe(false);
    expect(sameContent(stored, { ...again, timeMs: 1_767_225_600_438 })).toBe(false);
  });

  it('takes a caption only one client renders for a call or an image as a detail, never a text message\'s words', () => {
    expect(sameContent({ ...stored, type: 'call', text: null }, { ...again, type: 'call', text: '通话时长 01:35' })).toBe(true);
    expect(sameContent({ ...stored, type: 'call', text: '通话时长 01:35' }, { ...again, type: 'call', text: '通话时长 02:00' })).toBe(false);
    expect(sameContent({ ...stored, text: null }, { ...again, text: '收到' })).toBe(false);
    expect(sameContent(stored, { ...again, text: '收到了' })).toBe(false);
    expect(sameContent(stored, { ...again, from: { id: 'wxid_c' } })).toBe(false);
  });
});
