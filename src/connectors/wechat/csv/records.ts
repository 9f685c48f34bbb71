import { parse } from 'csv-parse/sync';
import { readLineChunks } from '../../ndjson/read-lines.js';

/**
 * A CSV file as a stream of records with the line each starts on, recovering from bad lines.
 *
 * Physical lines (UTF-8, BOM, LF or CRLF: the NDJSON line reader) are joined into one logical
 * record while a quoted field is open (an odd number of quote characters so far; RFC 4180 doubles
 * quotes inside quoted fields, so parity tells), then csv-parse splits the record into fields.
 * A record csv-parse refuses, or one whose open quote never closes (within `MAX_RECORD_LINES` lines
 * or at the end of the file), costs only its first line: that line is reported and reading resumes
 * at the next one. (csv-parse's own `skip_records_with_error` loses the valid records that follow
 * a bad quote.) Problems name the line and the kind of fault, never the content.
 */

export type CsvRecord = { kind: 'record'; line: number; fields: string[]; text: string } | { kind: 'bad'; line: number; problem: string; text: string | null };

/** A quoted field may span this many lines (a chat message with many line breaks). */
export const MAX_RECORD_LINES = 2000;
export const MAX_RECORD_CHARS = 8 * 1024 * 1024;

const CSV_PROBLEMS: { [code: string]: string } = {
  CSV_INVALID_CLOSING_QUOTE: 'a quoted field is closed but not followed by a comma or the end of the line',
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'characters after the closing quote of a field',
  CSV_INVALID_OPENING_QUOTE: 'a quote inside an unquoted field',
};

const quotesIn = (s: string): number => {
  let n = 0;
  for (let i = s.indexOf('"'); i !== -1; i = s.indexOf('"', i + 1)) n++;
  return n;
};

function parseRecord(text: string): { fields: string[] } | { problem: string } {
  try {
    const rows = parse(text, { relax_column_count: true, skip_empty_lines: false }) as string[][];
    if (rows.length !== 1) return { problem: `expected one record, found ${rows.length}` };
    return { fields: rows[0]! };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    return { problem: typeof code === 'string' ? (CSV_PROBLEMS[code] ?? `malformed CSV (${code})`) : 'malformed CSV' };
  }
}

interface Line {
  line: number;
  text: string;
}

/** Streams the records of a CSV file (the header included, as the first record). */
export async function* readCsvRecords(file: string): AsyncGenerator<CsvRecord> {
  let pending: Line[] = [];
  let chars = 0;
  let quotes = 0;

  const reset = (): Line[] => {
    const lines = pending;
    pending = [];
    chars = 0;
    quotes = 0;
    return lines;
  };
  const push = (l: Line): void => {
    pending.push(l);
    chars += l.text.length;
    quotes += quotesIn(l.text);
  };

  /** Closes the pending record if it is complete (or must end); on failure gives up its first line only. */
  function* settle(final: boolean): Generator<CsvRecord> {
    while (pending.length > 0) {
      const open = quotes % 2 === 1;
      const tooLong = pending.length > MAX_RECORD_LINES || chars > MAX_RECORD_CHARS;
      if (open && !final && !tooLong) return;
      const lines = reset();
      if (open) {
        yield* restart(lines, tooLong ? `a quoted field is not closed within ${MAX_RECORD_LINES} lines` : 'a quoted field is never closed');
        continue;
      }
      const text = lines.map((l) => l.text).join('\n');
      const parsed = parseRecord(text);
      if ('fields' in parsed) yield { kind: 'record', line: lines[0]!.line, fields: parsed.fields, text };
      else yield* restart(lines, parsed.problem);
    }
  }

  /** Reports the first line of a failed record and reads the lines after it again. */
  function* restart(lines: Line[], problem: string): Generator<CsvRecord> {
    yield { kind: 'bad', line: lines[0]!.line, problem, text: lines[0]!.text };
    for (const l of lines.slice(1)) {
      push(l);
      yield* settle(false);
    }
  }

  for await (const chunk of readLineChunks(file)) {
    for (const l of chunk) {
      if (l.text === null) {
        // An unreadable line ends whatever was pending: report both.
        yield* settle(true);
        yield { kind: 'bad', line: l.line, problem: l.problem ?? 'unreadable line', text: null };
        continue;
      }
      if (pending.length === 0 && l.text === '') continue;
      push({ line: l.line, text: l.text });
      yield* settle(false);
    }
  }
  yield* settle(true);
}
