import { z } from 'zod';
import type { MessageView } from '../../services/message-views.js';

/** How archived messages leave the API: explicit fields, keys as decimal strings. */

const party = z.object({ id: z.string(), name: z.string().nullable() });

export const attachmentSchema = z.object({ ordinal: z.number(), name: z.string(), mime: z.string().nullable(), size: z.number(), sha256: z.string(), scan: z.enum(['not_scanned', 'clean', 'pending', 'infected']) });

export const hitSchema = z.object({
  key: z.string(),
  source: z.string(),
  id: z.string(),
  time: z.string(),
  conversation: z.object({ key: z.string(), id: z.string(), type: z.enum(['direct', 'group']), title: z.string().nullable(), label: z.string() }),
  from: party,
  type: z.string(),
  text: z.string().nullable(),
  recalled: z.boolean(),
  recalledAt: z.string().nullable(),
  attachments: z.array(attachmentSchema),
  fields: z.record(z.string(), z.unknown()).nullable(),
});

export const messageSchema = hitSchema.extend({ to: z.array(party), seq: z.number().nullable(), recalledBy: z.string().nullable(), recordHash: z.string(), archivedAt: z.string() });

export type HitJson = z.input<typeof hitSchema>;

export function presentHit(v: MessageView): HitJson {
  return {
    key: String(v.key),
    source: v.source,
    id: v.id,
    time: v.time,
    conversation: { key: String(v.conversationKey), id: v.conversation.id, type: v.conversation.type, title: v.conversation.title, label: v.conversation.label },
    from: { id: v.from.id, name: v.from.name },
    type: v.type,
    text: v.text,
    recalled: v.recalled,
    recalledAt: v.recalledAt,
    attachments: v.attachments.map((a) => ({ ordinal: a.ordinal, name: a.name, mime: a.mime, size: a.size, sha256: a.sha256, scan: a.scan })),
    fields: v.fields,
  };
}

export function presentMessage(v: MessageView & { recordHash: string; archivedAt: string }): z.input<typeof messageSchema> {
  return { ...presentHit(v), to: v.to.map((t) => ({ id: t.id, name: t.name })), seq: v.seq, recalledBy: v.recalledBy, recordHash: v.recordHash, archivedAt: v.archivedAt };
}
