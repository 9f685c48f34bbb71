import { z } from 'zod';
import { daysInMonth } from './clock.js';

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

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$/i;
/** An offset of hours only (`+08`, ISO 8601 allows it; search's after:/before: accept it too), which Date.parse does not read. */
const HOURS_ONLY_OFFSET = /[+-]\d{2}$/;

/** Parses `time`: ISO 8601 with an explicit offset, or epoch milliseconds. */
export function parseRecordTime(value: string | number): number | string {
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) return 'must be an integer number of epoch milliseconds';
    ms = value;
  } else {
    if (!ISO_WITH_OFFSET.test(value)) return 'must be ISO 8601 with an offset (e.g. 2026-03-01T09:30:00+08:00) or epoch milliseconds';
    ms = Date.parse(HOURS_ONLY_OFFSET.test(value) ? `${value}:00` : value);
    if (Number.isNaN(ms)) return 'is not a valid date';
    // Date.parse rolls an impossible day over (2026-02-30 → 03-02): an archive must not move a time.
    const day = Number(value.slice(8, 10));
    if (day > 28 && day > daysInMonth(Number(value.slice(0, 4)), Number(value.slice(5, 7)))) return 'is not a valid date (no such day in that month)';
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
/** A source name: no "/" (it separates source and id in `<source>/<id>`) and no whitespace. */
const SOURCE_NAME = /^[^/\s]+$/;

const attachmentVariants = z.union([
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
/** An attachment is given inline (`data`) or as a file (`path`); with both, which one is the evidence is unclear: refused. */
export const attachmentInputSchema = z.preprocess((v, ctx) => {
  // null is absent, as many capture tools write it.
  if (typeof v === 'object' && v !== null && (v as { data?: unknown }).data != null && (v as { path?: unknown }).path != null) {
    ctx.issues.push({ code: 'custom', message: 'give either data or path, not both', input: v });
  }
  return v;
}, attachmentVariants);
export type AttachmentInput = z.infer<typeof attachmentInputSchema>;

export const callSchema = z.object({
  media: z.enum(['voice', 'video']),
  durationSeconds: z.number().nonnegative().max(7 * 24 * 3600),
});

/** One NDJSON line, exactly as the import format names its fields. Unknown extra fields are kept in `fields`. */
export const recordInputSchema = z
  .object({
    source: z.string().min(1).max(200).regex(SOURCE_NAME, 'must not contain "/" or whitespace'),
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

/**
 * Validates a record input: `recordInputSchema`, with a fast path for the inputs nearly every line
 * and connector row is — plain objects whose ids are strings. The fast path checks exactly what the
 * schema checks and builds the same output (the same objects, keys in the same order; unknown
 * fields kept after the declared ones); anything it does not accept as plainly valid (a number id,
 * a bad field, an unusual shape) goes to the schema, which decides and names the problem. Zod's
 * parse took ~11 µs of a WeChat row's ~38 µs on the reader thread (docs/benchmarks.md, issue 6);
 * domain/record-fast-path.test.ts checks both agree on generated inputs. Change both together.
 */
export function parseRecordInput(input: unknown): { success: true; data: RecordInput } | { success: false; issues: readonly { path: readonly PropertyKey[]; message: string }[] } {
  const fast = fastRecordInput(input);
  if (fast !== undefined) return { success: true, data: fast };
  const parsed = recordInputSchema.safeParse(input);
  return parsed.success ? { success: true, data: parsed.data } : { success: false, issues: parsed.error.issues };
}

const DECLARED_KEYS: ReadonlySet<string> = new Set(['source', 'id', 'seq', 'time', 'conversation', 'from', 'to', 'type', 'text', 'attachments', 'recalls', 'call', 'raw']);
const MAX_CALL_SECONDS = 7 * 24 * 3600;

type Plain = { [key: string]: unknown };
/** An object as JSON.parse makes them (or with no prototype at all): no inherited fields to consider. */
const isPlain = (v: unknown): v is Plain => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};
const isText = (v: unknown, min: number, max: number): v is string => typeof v === 'string' && v.length >= min && v.length <= max;
/** An absent or undefined optional field, or one that passes `check`. */
const optional = (o: Plain, key: string, check: (v: unknown) => boolean): boolean => !(key in o) || o[key] === undefined || check(o[key]);

function fastPerson(v: unknown): Person | undefined {
  if (!isPlain(v) || !isText(v.id, 1, 1024) || !optional(v, 'name', (n) => isText(n, 0, 1024))) return undefined;
  return 'name' in v ? { id: v.id, name: v.name as string | undefined } : { id: v.id };
}

function fastAttachment(v: unknown): AttachmentInput | undefined {
  if (!isPlain(v) || !isText(v.name, 1, 1024) || !optional(v, 'mime', (m) => isText(m, 0, 255))) return undefined;
  const head = 'mime' in v ? { name: v.name, mime: v.mime as string | undefined } : { name: v.name };
  if (typeof v.data === 'string') return v.data.length % 4 === 0 && BASE64.test(v.data) && v.path == null ? { ...head, data: v.data } : undefined;
  if (v.data == null && isText(v.path, 1, 4096)) return { ...head, path: v.path };
  return undefined;
}

/** An optional list: undefined as given, the parsed items, or null when the list or an item is not plainly valid. */
function fastList<T>(v: unknown, max: number, item: (x: unknown) => T | undefined): T[] | undefined | null {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length > max) return null;
  const out: T[] = [];
  for (const x of v as unknown[]) {
    const parsed = item(x);
    if (parsed === undefined) return null;
    out.push(parsed);
  }
  return out;
}

/** The fast path alone (exported for its test): the parsed input, or undefined to let the schema decide. */
export function fastRecordInput(input: unknown): RecordInput | undefined {
  if (!isPlain(input)) return undefined;
  const r = input;
  if (!isText(r.source, 1, 200) || !SOURCE_NAME.test(r.source) || !isText(r.id, 1, 1024) || !isText(r.type, 1, 64)) return undefined;
  if (!optional(r, 'seq', (v) => Number.isSafeInteger(v) && (v as number) >= 0)) return undefined;
  if ((typeof r.time !== 'number' && typeof r.time !== 'string') || typeof parseRecordTime(r.time) !== 'number') return undefined;
  if (!optional(r, 'text', (v) => isText(v, 0, 10_000_000)) || !optional(r, 'recalls', (v) => isText(v, 1, 1024))) return undefined;
  if (r.type === 'recall' && r.recalls === undefined) return undefined;
  if (r.type === 'call' && r.call === undefined) return undefined;
  const c = r.conversation;
  if (!isPlain(c) || !isText(c.id, 1, 1024) || (c.type !== 'direct' && c.type !== 'group') || !optional(c, 'title', (v) => isText(v, 0, 2048))) return undefined;
  const from = fastPerson(r.from);
  if (from === undefined) return undefined;
  const out: Plain = { source: r.source, id: r.id };
  if ('seq' in r) out.seq = r.seq;
  out.time = r.time;
  out.conversation = 'title' in c ? { id: c.id, type: c.type, title: c.title } : { id: c.id, type: c.type };
  out.from = from;
  if ('to' in r) {
    const to = fastList(r.to, 100_000, fastPerson);
    if (to === null) return undefined;
    out.to = to;
  }
  out.type = r.type;
  if ('text' in r) out.text = r.text;
  if ('attachments' in r) {
    const attachments = fastList(r.attachments, 1000, fastAttachment);
    if (attachments === null) return undefined;
    out.attachments = attachments;
  }
  if ('recalls' in r) out.recalls = r.recalls;
  if ('call' in r && r.call !== undefined) {
    const call = r.call;
    if (!isPlain(call) || (call.media !== 'voice' && call.media !== 'video')) return undefined;
    const d = call.durationSeconds;
    if (typeof d !== 'number' || !Number.isFinite(d) || d < 0 || d > MAX_CALL_SECONDS) return undefined;
    out.call = { media: call.media, durationSeconds: d };
  } else if ('call' in r) out.call = undefined;
  if ('raw' in r) out.raw = r.raw;
  for (const k in r) if (!DECLARED_KEYS.has(k) && k !== '__proto__') out[k] = r[k];
  return out as RecordInput;
}

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
