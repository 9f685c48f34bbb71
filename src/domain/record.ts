import { z } from 'zod';

/**
 * The canonical archive record: what every connector produces and what the store keeps.
 * `recordInputSchema` is the NDJSON import format (docs/formats/ndjson.md); `ArchiveRecord` is the
 * validated, normalized form (UTC epoch milliseconds, defaults filled in).
 */

/** Message types WeKeep knows. Anything else is archived as `other`, its original type and payload kept. */
export const RECORD_TYPES = [
  'text', 'image', 'voice', 'video', 'file', 'emoji', 'link', 'card', 'location', 'call', 'system', 'recall',
  'miniprogram', 'chatrecord', 'redpacket', 'transfer', 'meeting', 'calendar', 'doc', 'todo', 'vote',
  'markdown', 'news', 'mixed', 'other',
] as const;
export type RecordType = (typeof RECORD_TYPES)[number];
const knownTypes: ReadonlySet<string> = new Set(RECORD_TYPES);
export const isRecordType = (t: string): t is RecordType => knownTypes.has(t);

/** Earliest and latest instants accepted (the store's time-ordered keys cover 1970..2109). */
export const MIN_TIME_MS = Date.UTC(1980, 0, 1);
export const MAX_TIME_MS = Date.UTC(2100, 0, 1);

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** Parses `time`: ISO 8601 with an explicit offset, or epoch milliseconds. */
export function parseRecordTime(value: string | number): number | string {
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) return 'must be an integer number of epoch milliseconds';
    ms = value;
  } else {
    if (!ISO_WITH_OFFSET.test(value)) return 'must be ISO 8601 with an offset (e.g. 2026-03-01T09:30:00+08:00) or epoch milliseconds';
    ms = Date.parse(value);
    if (Number.isNaN(ms)) return 'is not a valid date';
  }
  if (ms < MIN_TIME_MS || ms >= MAX_TIME_MS) return 'is outside 1980-01-01..2100-01-01';
  return ms;
}

const idString = z.union([z.string(), z.number().int().transform(String)]).pipe(z.string().min(1).max(1024));

export const personSchema = z.object({
  id: idString,
  name: z.string().max(1024).optional(),
});
export type Person = z.infer<typeof personSchema>;

export const conversationSchema = z.object({
  id: idString,
  type: z.enum(['direct', 'group']),
  title: z.string().max(2048).optional(),
});
export type Conversation = z.infer<typeof conversationSchema>;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export const attachmentInputSchema = z.union([
  z.object({
    name: z.string().min(1).max(1024),
    mime: z.string().max(255).optional(),
    data: z.string().refine((s) => s.length % 4 === 0 && BASE64.test(s), 'must be standard base64'),
  }),
  z.object({
    name: z.string().min(1).max(1024),
    mime: z.string().max(255).optional(),
    path: z.string().min(1).max(4096),
  }),
]);
export type AttachmentInput = z.infer<typeof attachmentInputSchema>;

export const callSchema = z.object({
  media: z.enum(['voice', 'video']),
  durationSeconds: z.number().nonnegative().max(7 * 24 * 3600),
});

/** One NDJSON line, exactly as the import format names its fields. Unknown extra fields are kept in `fields`. */
export const recordInputSchema = z
  .object({
    source: z.string().min(1).max(200).regex(/^[^/\s]+$/, 'must not contain "/" or whitespace'),
    id: idString,
    seq: z.number().int().nonnegative().optional(),
    // Checked on the field itself, so a bad time is reported together with other bad fields.
    time: z.union([z.string(), z.number()]).superRefine((t, ctx) => {
      const parsed = parseRecordTime(t);
      if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
    }),
    conversation: conversationSchema,
    from: personSchema,
    to: z.array(personSchema).max(100_000).optional(),
    type: z.string().min(1).max(64),
    text: z.string().max(10_000_000).optional(),
    attachments: z.array(attachmentInputSchema).max(1000).optional(),
    recalls: idString.optional(),
    call: callSchema.optional(),
    raw: z.unknown().optional(),
  })
  .passthrough()
  // Cross-field rules (checked once the fields themselves are valid).
  .superRefine((r, ctx) => {
    if (r.type === 'recall' && r.recalls === undefined) ctx.addIssue({ code: 'custom', path: ['recalls'], message: 'is required when type is "recall"' });
    if (r.type === 'call' && r.call === undefined) ctx.addIssue({ code: 'custom', path: ['call'], message: 'is required when type is "call"' });
  });
export type RecordInput = z.infer<typeof recordInputSchema>;

export interface ArchiveRecord {
  source: string;
  id: string;
  seq: number | undefined;
  timeMs: number;
  conversation: Conversation;
  from: Person;
  to: Person[];
  type: RecordType;
  text: string | undefined;
  attachments: AttachmentInput[];
  recalls: string | undefined;
  call: z.infer<typeof callSchema> | undefined;
  /** Structured fields beyond the core ones (unknown input fields, the original type of an `other`). */
  fields: { [key: string]: unknown } | undefined;
  /** The original payload, kept as received (JSON). */
  raw: unknown;
}

const CORE_FIELDS = new Set(['source', 'id', 'seq', 'time', 'conversation', 'from', 'to', 'type', 'text', 'attachments', 'recalls', 'call', 'raw']);

/** Validated input → canonical record. Unknown types become `other`, keeping the original type and payload. */
export function toArchiveRecord(input: RecordInput, rawLine?: string): ArchiveRecord {
  const timeMs = parseRecordTime(input.time) as number;
  const extra: { [key: string]: unknown } = {};
  for (const [k, v] of Object.entries(input)) if (!CORE_FIELDS.has(k)) extra[k] = v;
  let type: RecordType;
  let raw: unknown = input.raw;
  if (isRecordType(input.type)) {
    type = input.type;
  } else {
    type = 'other';
    extra.originalType = input.type;
    if (raw === undefined && rawLine !== undefined) raw = rawLine;
  }
  return {
    source: input.source,
    id: input.id,
    seq: input.seq,
    timeMs,
    conversation: input.conversation,
    from: input.from,
    to: input.to ?? [],
    type,
    text: input.text,
    attachments: input.attachments ?? [],
    recalls: input.recalls,
    call: input.call,
    fields: Object.keys(extra).length > 0 ? extra : undefined,
    raw,
  };
}

/** Formats zod issues as `field: message; field: message`, naming every bad field. */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : '(record)'}: ${i.message}`)
    .join('; ');
}
