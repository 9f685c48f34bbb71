import type { PrivacyRequestSummary } from './types';

/**
 * The rules the privacy requests page follows (docs/privacy-requests.md, "Workflow"), kept apart
 * from the page so that they can be tested: which actions a request's status allows, and the form's
 * input. The server decides in the end; these only keep the console from offering what it refuses.
 */

/** The most days a deadline may be set to (src/services/limits.ts MAX_DEADLINE_DAYS). */
export const MAX_DEADLINE_DAYS = 365;
/** At most 50 identifiers of at most 200 characters each (the route's body schema). */
export const MAX_SUBJECTS = 50;
export const MAX_SUBJECT_LENGTH = 200;

/** Subject identifiers: one per line (a name or phone number may hold commas and spaces), trimmed, without repeats. */
export const parseSubjects = (text: string): string[] => [...new Set(text.split(/\r?\n/u).map((s) => s.trim()).filter((s) => s !== ''))];

/** The optional deadline field: undefined when empty (the store's default), null when not a whole number from 1 to 365. */
export function parseDeadlineDays(text: string): number | undefined | null {
  const s = text.trim();
  if (s === '') return undefined;
  if (!/^\d+$/u.test(s)) return null;
  const n = Number(s);
  return n >= 1 && n <= MAX_DEADLINE_DAYS ? n : null;
}

export interface PrivacyActions {
  /** Execute over the API (erasure, restriction): open or in-progress, or completed again as a follow-up. */
  execute: boolean;
  /** The execution would be a follow-up of a completed request. */
  followUp: boolean;
  /** An access request still to be executed: its export is written on the server by the CLI. */
  exportByCli: boolean;
  /** Reject: open or in-progress. */
  reject: boolean;
  /** Lift: an executed restriction not lifted yet. */
  lift: boolean;
}

export function privacyActions(r: Pick<PrivacyRequestSummary, 'kind' | 'status' | 'liftedAt'>): PrivacyActions {
  const undecided = r.status === 'open' || r.status === 'in-progress';
  const lifted = r.liftedAt !== null;
  const followUp = r.status === 'completed' && r.kind !== 'access' && !lifted;
  return {
    execute: r.kind !== 'access' && (undecided || followUp),
    followUp,
    exportByCli: r.kind === 'access' && undecided,
    reject: undecided,
    lift: r.kind === 'restriction' && r.status === 'completed' && !lifted,
  };
}

/** The shell command that writes an access request's export on the server. */
export const accessExportCommand = (id: number): string => `wekeep privacy execute ${id} --out DIR`;
