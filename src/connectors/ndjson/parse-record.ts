import { describeIssues, parseRecordInput, toArchiveRecord, type ArchiveRecord } from '../../domain/record.js';

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The path of the first string (value or member name) holding an unpaired surrogate, if any. */
function loneSurrogateAt(v: unknown, path: string): string | undefined {
  if (typeof v === 'string') return LONE_SURROGATE.test(v) ? path : undefined;
  if (typeof v !== 'object' || v === null) return undefined;
  for (const [k, child] of Object.entries(v)) {
    const at = path === '' ? k : `${path}.${k}`;
    if (LONE_SURROGATE.test(k)) return at;
    const found = loneSurrogateAt(child, at);
    if (found !== undefined) return found;
  }
  return undefined;
}

export type ParsedLine = { ok: true; record: ArchiveRecord } | { ok: false; reason: string };

/** One NDJSON line → a canonical record, or the reason it is not one (naming the bad field). */
export function parseRecordLine(text: string): ParsedLine {
  if (text.trim() === '') return { ok: false, reason: 'empty line' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `invalid JSON: ${(e as Error).message}` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, reason: 'a line must hold one JSON object' };
  // JSON may escape half of a UTF-16 pair (\ud800) that no text can hold: archived, it would come
  // back as U+FFFD, unlike the input its hash was made from. Only lines with such an escape are searched.
  if (SURROGATE_ESCAPE.test(text)) {
    const where = loneSurrogateAt(json, '');
    if (where !== undefined) return { ok: false, reason: `invalid record: ${where || 'a member name'}: not valid Unicode (an unpaired surrogate escape such as \\ud800)` };
  }
  const parsed = parseRecordInput(json);
  if (!parsed.success) return { ok: false, reason: `invalid record: ${describeIssues(parsed.issues)}` };
  return { ok: true, record: toArchiveRecord(parsed.data, text) };
}
