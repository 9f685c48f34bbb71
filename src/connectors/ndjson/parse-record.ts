import { describeIssues, parseRecordInput, toArchiveRecord, type ArchiveRecord } from '../../domain/record.js';

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
  const parsed = parseRecordInput(json);
  if (!parsed.success) return { ok: false, reason: `invalid record: ${describeIssues(parsed.issues)}` };
  return { ok: true, record: toArchiveRecord(parsed.data, text) };
}
