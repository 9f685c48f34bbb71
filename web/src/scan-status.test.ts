import { describe, expect, it } from 'vitest';
import { messages } from './messages';
import { isServable, lagLevelKey, lagText, syncStatusKey } from './scan-status';

describe('scan status', () => {
  it('serves only clean, not scanned and unknown (older server) attachments', () => {
    expect(isServable('clean')).toBe(true);
    expect(isServable('not_scanned')).toBe(true);
    expect(isServable(undefined)).toBe(true);
    expect(isServable('pending')).toBe(false);
    expect(isServable('infected')).toBe(false);
  });
});

describe('connector lag', () => {
  it('shows the largest two units', () => {
    expect(lagText(4 * 86_400_000 + 3 * 3_600_000 + 59_000)).toEqual({ key: 'sources.lagDays', params: { d: 4, h: 3 } });
    expect(lagText(5 * 3_600_000 + 12 * 60_000)).toEqual({ key: 'sources.lagHours', params: { h: 5, m: 12 } });
    expect(lagText(30_000)).toEqual({ key: 'sources.lagMinutes', params: { m: 0 } });
    expect(lagText(-5)).toEqual({ key: 'sources.lagMinutes', params: { m: 0 } });
  });

  it('has a label for every lag level and known sync status in both languages', () => {
    for (const level of ['ok', 'warning', 'critical', 'never_synced'] as const) {
      expect(messages['zh-CN'][lagLevelKey(level)]).toBeTruthy();
      expect(messages.en[lagLevelKey(level)]).toBeTruthy();
    }
    for (const s of ['completed', 'partial', 'failed']) expect(messages.en[syncStatusKey(s) ?? 'app.name']).not.toBe(messages.en['app.name']);
    expect(syncStatusKey('something-new')).toBeUndefined();
  });
});
