import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ScanStatus } from '../db/tables/blobs.js';
import { personsByIds } from '../repositories/directory.js';
import { attachmentsOf, conversationMemberLabels, messagesByKeys, type AttachmentRow, type MessageRow } from '../repositories/messages.js';

/** The public shape of an archived message (search hits, show). Built explicitly; no row is spread. */
export interface MessageView {
  /** The archive's key of the message (time-ordered; used by the API's URLs). */
  key: number;
  /** The archive's key of its conversation. */
  conversationKey: number;
  source: string;
  id: string;
  seq: number | null;
  time: string;
  timeMs: number;
  /** `label`: what the console calls it (conversationLabel). */
  conversation: { id: string; type: 'direct' | 'group'; title: string | null; label: string };
  from: { id: string; name: string | null };
  to: { id: string; name: string | null }[];
  type: string;
  text: string | null;
  recalled: boolean;
  recalledAt: string | null;
  recalledBy: string | null;
  attachments: AttachmentView[];
  fields: Record<string, unknown> | null;
}

export interface AttachmentView {
  ordinal: number;
  name: string;
  mime: string | null;
  size: number;
  sha256: string;
  /** Malware scan: `clean`, `not_scanned` (servable), `pending` (waits for the scanner), `infected` (never served). */
  scan: ScanStatus;
}

/** The compact view used for search hits (the fields `wekeep search --json` documents). */
export interface HitView {
  source: string;
  id: string;
  time: string;
  conversation: { id: string; type: 'direct' | 'group'; title: string | null; label: string };
  from: { id: string; name: string | null };
  type: string;
  text: string | null;
  recalled: boolean;
  attachments: AttachmentView[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * What a conversation is called on screen: its title; else, for one without (a 1:1 chat, an unnamed
 * group), its members (`张三 · 王经理`, at most four, then `…`); else its id.
 */
export function conversationLabel(c: { id: string; title: string | null }, members: readonly string[] | undefined): string {
  if (c.title) return c.title;
  if (!members || members.length === 0) return c.id;
  return members.length > 4 ? `${members.slice(0, 4).join(' · ')} …` : members.join(' · ');
}

const attachmentView = (a: AttachmentRow): AttachmentView => ({ ordinal: a.ordinal, name: a.name, mime: a.mime, size: a.size, sha256: a.sha256, scan: a.scanStatus });

export async function loadMessageViews(db: Kysely<Database>, keys: readonly number[]): Promise<{ rows: MessageRow[]; views: MessageView[] }> {
  const rows = await messagesByKeys(db, keys);
  const persons = await personsByIds(db, rows.flatMap((r) => r.toPersonIds));
  const atts = await attachmentsOf(db, rows.map((r) => r.key));
  const untitled = [...new Set(rows.filter((r) => !r.conversation.title).map((r) => r.conversationRowId))];
  const members = await conversationMemberLabels(db, untitled);
  const views = rows.map((r): MessageView => ({
    key: r.key,
    conversationKey: r.conversationRowId,
    source: r.source,
    id: r.extId,
    seq: r.seq,
    time: iso(r.timeMs),
    timeMs: r.timeMs,
    conversation: { id: r.conversation.id, type: r.conversation.type, title: r.conversation.title, label: conversationLabel(r.conversation, members.get(r.conversationRowId)) },
    from: { id: r.from.id, name: r.from.name },
    to: r.toPersonIds.map((pid) => {
      const p = persons.get(pid);
      return { id: p?.extId ?? '', name: p?.name ?? null };
    }),
    type: r.type,
    text: r.text,
    recalled: r.recalledAt !== null,
    recalledAt: r.recalledAt === null ? null : iso(r.recalledAt),
    recalledBy: r.recalledBy,
    attachments: (atts.get(r.key) ?? []).map(attachmentView),
    fields: r.fields,
  }));
  return { rows, views };
}

export const toHitView = (v: MessageView): HitView => ({
  source: v.source,
  id: v.id,
  time: v.time,
  conversation: v.conversation,
  from: v.from,
  type: v.type,
  text: v.text,
  recalled: v.recalled,
  attachments: v.attachments,
});
