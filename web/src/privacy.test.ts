import { describe, expect, it } from 'vitest';
import { accessExportCommand, parseDeadlineDays, parseSubjects, privacyActions } from './privacy';
import { mayUse } from './session';
import type { PrivacyKind, PrivacyStatus } from './types';

const req = (kind: PrivacyKind, status: PrivacyStatus, liftedAt: string | null = null) => ({ kind, status, liftedAt });

describe('privacy requests page rules', () => {
  it('reads subject identifiers one per line, trimmed, without repeats (commas and spaces stay)', () => {
    expect(parseSubjects(' wmLiSi00001 \n\n+86 138 0013 8000\r\nLi, Si\nwmLiSi00001\n')).toEqual(['wmLiSi00001', '+86 138 0013 8000', 'Li, Si']);
    expect(parseSubjects('  \n ')).toEqual([]);
  });

  it('reads the optional deadline: empty is the default, else a whole number of days from 1 to 365', () => {
    expect(parseDeadlineDays('')).toBeUndefined();
    expect(parseDeadlineDays(' 30 ')).toBe(30);
    expect(parseDeadlineDays('365')).toBe(365);
    for (const bad of ['0', '366', '1.5', '-3', 'x']) expect(parseDeadlineDays(bad)).toBeNull();
  });

  it('offers only what the workflow allows', () => {
    // Erasure and restriction execute over the API while undecided, and again (follow-up) once completed.
    expect(privacyActions(req('erasure', 'open'))).toEqual({ execute: true, followUp: false, exportByCli: false, reject: true, lift: false });
    expect(privacyActions(req('erasure', 'in-progress'))).toEqual({ execute: true, followUp: false, exportByCli: false, reject: true, lift: false });
    expect(privacyActions(req('erasure', 'completed'))).toEqual({ execute: true, followUp: true, exportByCli: false, reject: false, lift: false });
    expect(privacyActions(req('restriction', 'completed'))).toEqual({ execute: true, followUp: true, exportByCli: false, reject: false, lift: true });
    // A lifted restriction is over: a new request is needed.
    expect(privacyActions(req('restriction', 'completed', '2026-05-01T00:00:00.000Z'))).toEqual({ execute: false, followUp: false, exportByCli: false, reject: false, lift: false });
    // Access: the export is written by the CLI; a completed one is not repeated.
    expect(privacyActions(req('access', 'open'))).toEqual({ execute: false, followUp: false, exportByCli: true, reject: true, lift: false });
    expect(privacyActions(req('access', 'completed'))).toEqual({ execute: false, followUp: false, exportByCli: false, reject: false, lift: false });
    for (const kind of ['access', 'erasure', 'restriction'] as const) {
      expect(privacyActions(req(kind, 'rejected'))).toEqual({ execute: false, followUp: false, exportByCli: false, reject: false, lift: false });
    }
    expect(accessExportCommand(7)).toBe('wekeep privacy execute 7 --out DIR');
  });

  it('is a page for the roles with privacy.manage only (compliance)', () => {
    expect(mayUse('compliance', 'privacy')).toBe(true);
    for (const role of ['admin', 'reviewer', 'auditor', 'employee'] as const) expect(mayUse(role, 'privacy')).toBe(false);
  });
});
