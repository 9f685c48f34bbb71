import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { messagesByKeys, type MessageLookups } from '../repositories/messages.js';
import { findSourceId } from '../repositories/sources.js';
import type { PreparedRecord } from './import-prepare.js';

/**
 * Messages delivered again with different details. A record the archive already holds under the
 * same (source, id) but with another hash is a conflict, which the writer quarantines — unless its
 * content is the same: type, text, time, sender and conversation (sameContent: also across a
 * phone's and a PC's export of one account, which keep times and captions differently). Then only details differ (a contact
 * renamed, a status flag, media missing the first time and there now, or the reverse): the archive is
 * append-only, so it counts as a duplicate with changed details and the archived record is kept.
 * Used by the personal WeChat import (a newer export of the same phone) and the WeCom sync (a message
 * WeCom serves again under a later seq).
 */

/**
 * The same instant as two clients keep it: equal, or the same second when one of them keeps whole
 * seconds (WeChat for PC 3.x) and the other milliseconds (Android): a phone's and a PC's export of
 * one account hold the same messages.
 */
const sameTime = (a: number, b: number): boolean => a === b || ((a % 1000 === 0 || b % 1000 === 0) && Math.floor(a / 1000) === Math.floor(b / 1000));

/**
 * The same text: equal; for a message that is not text (a call, an image, a system notice) a caption
 * that one client renders and the other does not (`通话时长 01:35`) is a detail.
 */
const sameText = (type: string, a: string | undefined, b: string | undefined): boolean =>
  (a ?? '') === (b ?? '') || (type !== 'text' && ((a ?? '') === '' || (b ?? '') === ''));

/** What a stored message and a re-delivered one must agree on to be the same message. */
export function sameContent(stored: { type: string; text: string | null; timeMs: number; from: { id: string }; conversation: { id: string } }, r: { type: string; text?: string | undefined; timeMs: number; from: { id: string }; conversation: { id: string } }): boolean {
  return stored.type === r.type && sameText(r.type, stored.text ?? undefined, r.text) && sameTime(stored.timeMs, r.timeMs) && stored.from.id === r.from.id && stored.conversation.id === r.conversation.id;
}

/**
 * Of `list` (records of one source), those archived already with another hash but the same content.
 * `known` is what the archive holds under their ids (MessageLookups.byExtIds).
 */
export async function changedDetailsOnly(db: Kysely<Database>, list: readonly PreparedRecord[], known: ReadonlyMap<string, { id: number; recordHash: string }>): Promise<Set<PreparedRecord>> {
  const differing = list.filter((p) => {
    const prior = known.get(p.record.id);
    return prior !== undefined && prior.recordHash !== p.recordHash;
  });
  const out = new Set<PreparedRecord>();
  if (differing.length === 0) return out;
  const stored = new Map((await messagesByKeys(db, differing.map((p) => known.get(p.record.id)!.id))).map((m) => [m.extId, m]));
  for (const p of differing) {
    const s = stored.get(p.record.id);
    if (s && sameContent(s, p.record)) out.add(p);
  }
  return out;
}

/** The records of `records` (any sources) that are archived already, with another hash but the same content. */
export async function redeliveredWithChangedDetails(db: Kysely<Database>, lookups: MessageLookups, records: readonly PreparedRecord[]): Promise<Set<PreparedRecord>> {
  const out = new Set<PreparedRecord>();
  const bySource = new Map<string, PreparedRecord[]>();
  for (const p of records) {
    const list = bySource.get(p.record.source);
    if (list) list.push(p);
    else bySource.set(p.record.source, [p]);
  }
  for (const [source, list] of bySource) {
    const sourceId = await findSourceId(db, source);
    if (sourceId === undefined) continue;
    const known = lookups.byExtIds(sourceId, list.map((p) => p.record.id));
    for (const p of await changedDetailsOnly(db, list, known)) out.add(p);
  }
  return out;
}
