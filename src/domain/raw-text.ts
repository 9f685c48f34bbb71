/**
 * The `raw` payload exactly as received. JSON.parse followed by JSON.stringify is not the identity:
 * integers beyond 2^53 are rounded (a 20-digit msgid), `100.10` becomes `100.1`, `1e2` becomes `100`,
 * `-0` becomes `0`. An archive that keeps a payload "as received, for evidential fidelity" must keep
 * the text, so the import takes the member's text from the line itself (the line has already been
 * parsed by JSON.parse, so it is well-formed JSON and this scanner only needs to skip values).
 */

const isWs = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

/** The index just after the string starting at `i` (a `"`). */
function skipString(s: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = s.indexOf('"', j);
    if (q === -1) return s.length;
    let backslashes = 0;
    for (let k = q - 1; k > i && s.charCodeAt(k) === 0x5c; k--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}

/** The index just after the value starting at `i`. */
function skipValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 0x22) return skipString(s, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    let j = i;
    while (j < s.length) {
      const d = s.charCodeAt(j);
      if (d === 0x22) {
        j = skipString(s, j);
        continue;
      }
      if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    return j;
  }
  let j = i;
  while (j < s.length) {
    const d = s.charCodeAt(j);
    if (d === 0x2c || d === 0x7d || d === 0x5d || isWs(d)) break;
    j++;
  }
  return j;
}

/**
 * The exact text of a top-level member's value in a JSON object line (the last one, as JSON.parse
 * keeps the last of duplicate keys), or undefined when the line has no such member.
 */
export function memberText(line: string, key: string): string | undefined {
  let i = skipWs(line, 0);
  if (line.charCodeAt(i) !== 0x7b) return undefined;
  i++;
  let found: string | undefined;
  for (;;) {
    i = skipWs(line, i);
    if (i >= line.length || line.charCodeAt(i) === 0x7d || line.charCodeAt(i) !== 0x22) return found;
    const keyEnd = skipString(line, i);
    const rawKey = line.slice(i + 1, keyEnd - 1);
    const name = rawKey.includes('\\') ? (JSON.parse(line.slice(i, keyEnd)) as string) : rawKey;
    i = skipWs(line, keyEnd);
    if (line.charCodeAt(i) !== 0x3a) return found;
    i = skipWs(line, i + 1);
    const start = i;
    i = skipValue(line, i);
    if (name === key) found = line.slice(start, i);
    i = skipWs(line, i);
    if (line.charCodeAt(i) === 0x2c) i++;
    else return found;
  }
}

/**
 * Whether JSON.stringify(JSON.parse(text)) keeps every number of a JSON text as written (strings and
 * whitespace aside): false when a number would be rounded or rewritten (`12345678901234567890`,
 * `100.10`, `1e2`, `-0`).
 */
export function numbersSurviveParsing(text: string): boolean {
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = skipString(text, i);
      continue;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const end = skipValue(text, i);
      const token = text.slice(i, end);
      if (String(Number(token)) !== token) return false;
      i = end;
      continue;
    }
    i++;
  }
  return true;
}

/** A JSON text without the whitespace between its tokens (strings kept as written). */
export function compactJson(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const end = skipString(text, i);
      out += text.slice(i, end);
      i = end;
    } else {
      if (!isWs(c)) out += text[i];
      i++;
    }
  }
  return out;
}
