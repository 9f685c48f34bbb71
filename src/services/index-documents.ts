import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ArchiveRecord } from '../domain/record.js';
import { personsByIds } from '../repositories/directory.js';
import { attachmentsOf, type MessageRow } from '../repositories/messages.js';
import { restrictedMessageKeys } from '../repositories/privacy.js';
import type { FtsDocument } from '../search/fts-document.js';

/**
 * What the full-text index holds for a message: its text plus its attachments' names (so a file
 * is found by name), and the filter values. Built from an incoming record, or from the stored
 * message when its state changes (a recall) or the index is rebuilt.
 */
export function searchableText(text: string | null | undefined, attachmentNames: readonly string[]): string {
  return [text ?? '', ...attachmentNames].filter((s) => s !== '').join('\n');
}

export function ftsDocumentOf(r: ArchiveRecord, recalled: boolean): FtsDocument {
  return {
    text: searchableText(r.text, r.attachments.map((a) => a.name)),
    source: r.source,
    conversationId: r.conversation.id,
    fromId: r.from.id,
    ...(r.from.name ? { fromName: r.from.name } : {}),
    to: r.to.map((t) => (t.name ? { id: t.id, name: t.name } : { id: t.id })),
    type: r.type,
    hasAttachment: r.attachments.length > 0,
    recalled,
  };
}

export async function storedFtsDocuments(db: Kysely<Database>, messages: readonly MessageRow[]): Promise<{ id: number; doc: FtsDocument }[]> {
  const persons = await personsByIds(db, messages.flatMap((m) => m.toPersonIds));
  const atts = await attachmentsOf(db, messages.map((m) => m.key));
  // Privacy-restricted messages keep their `privrestricted` token through re-indexing (recalls, rebuilds).
  const restricted = await restrictedMessageKeys(db, messages.map((m) => m.key));
  return messages.map((m) => ({
    id: m.key,
    doc: {
      text: searchableText(m.text, (atts.get(m.key) ?? []).map((a) => a.name)),
      source: m.source,
      conversationId: m.conversation.id,
      fromId: m.from.id,
      ...(m.from.name ? { fromName: m.from.name } : {}),
      to: m.toPersonIds.map((id) => {
        const p = persons.get(id);
        return p?.name ? { id: p.extId, name: p.name } : { id: p?.extId ?? '' };
      }),
      type: m.type,
      hasAttachment: m.attachmentCount > 0,
      recalled: m.recalledAt !== null,
      ...(restricted.has(m.key) ? { restricted: true } : {}),
    },
  }));
}
