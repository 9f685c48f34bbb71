import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * Safe, bounded parsing of the XML WeChat keeps in message rows (appmsg, sysmsg, emoji, location…).
 *
 * - No entity expansion: `processEntities` is off and a DOCTYPE is refused outright (WeChat never
 *   writes one), so no "billion laughs" and no external entities. The five predefined XML entities
 *   and numeric character references are decoded here, by a plain replace, in text and attributes;
 *   CDATA is kept literal.
 * - A size limit: content above `MAX_XML_CHARS` is not parsed.
 * - Well-formedness is checked (`XMLValidator`) before parsing, because the parser alone accepts
 *   almost anything. Two known harmless defects are repaired first: control characters (the
 *   reference, C.1) and bare `&` (e.g. in URLs).
 * - Never throws: the result is a node or a problem text naming the field and what is wrong, never
 *   quoting the content.
 */

/** 1 MiB of UTF-16 code units (what `string.length` counts); an appmsg is a few KiB. */
export const MAX_XML_CHARS = 1024 * 1024;

export type XmlValue = string | XmlNode | XmlValue[];
export interface XmlNode {
  [name: string]: XmlValue;
}

export type XmlResult = { ok: true; root: XmlNode } | { ok: false; problem: string };

const ENTITY = /&(lt|gt|amp|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});/g;
const NAMED: { [name: string]: string } = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes the predefined entities and character references (never anything a DOCTYPE declares). */
export function decodeXmlEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(ENTITY, (whole, name: string) => {
    if (name.charCodeAt(0) !== 0x23 /* # */) return NAMED[name] ?? whole;
    const code = name.charCodeAt(1) === 0x78 /* x */ ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    // Control characters other than tab/LF/CR, surrogates and out-of-range values are dropped.
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) || (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d)) return '';
    return String.fromCodePoint(code);
  });
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  cdataPropName: '#cdata',
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  tagValueProcessor: (_name: string, value: string) => decodeXmlEntities(value),
  attributeValueProcessor: (_name: string, value: string) => decodeXmlEntities(value),
});

// eslint-disable-next-line no-control-regex -- removing control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;
const BARE_AMPERSAND = /&(?!(?:[A-Za-z][\w.-]*|#\d+|#x[0-9A-Fa-f]+);)/g;
const DECLARATION = /^\s*<\?xml[^>]*\?>/;
const WRAPPER = 'wekeep-xml-root';

/**
 * Parses one XML text. `field` names where it came from and `what` what it is, for the problem text
 * (e.g. `content: app message XML is not well-formed (line 3)`).
 */
export function parseWeChatXml(xml: string, field: string, what: string): XmlResult {
  if (xml.length > MAX_XML_CHARS) return { ok: false, problem: `${field}: ${what} XML is larger than 1 MiB, not parsed` };
  let body = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  body = body.replace(DECLARATION, '');
  if (/<!DOCTYPE/i.test(body)) return { ok: false, problem: `${field}: ${what} XML has a DOCTYPE (refused)` };
  body = body.replace(CONTROL, '');
  if (body.trim() === '') return { ok: false, problem: `${field}: ${what} XML is empty` };
  // One synthetic root: some rows hold several top-level elements (Android's VoIP rows).
  body = `<${WRAPPER}>${body}</${WRAPPER}>`;
  let check = XMLValidator.validate(body);
  if (check !== true) {
    body = body.replace(BARE_AMPERSAND, '&amp;');
    check = XMLValidator.validate(body);
  }
  if (check !== true) return { ok: false, problem: `${field}: ${what} XML is not well-formed (line ${check.err.line})` };
  try {
    const parsed = parser.parse(body) as unknown;
    const root = isNode(parsed) ? parsed[WRAPPER] : undefined;
    if (root === '') return { ok: false, problem: `${field}: ${what} XML has no element` };
    if (!isNode(root)) return { ok: false, problem: `${field}: ${what} XML is not well-formed` };
    return { ok: true, root };
  } catch {
    // Deep nesting can exhaust the parser's stack; anything else is equally unreadable.
    return { ok: false, problem: `${field}: ${what} XML is not well-formed` };
  }
}

export const isNode = (v: unknown): v is XmlNode => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The first element of that name (elements that repeat come as arrays). */
export function child(node: XmlValue | undefined, name: string): XmlNode | undefined {
  if (node === undefined || typeof node === 'string') return undefined;
  const v = Array.isArray(node) ? firstNode(node)?.[name] : node[name];
  if (Array.isArray(v)) return firstNode(v);
  if (typeof v === 'string') return v === '' ? {} : { '#text': v };
  return v;
}

/** Every element of that name, in document order. */
export function children(node: XmlValue | undefined, name: string): XmlNode[] {
  if (node === undefined || typeof node === 'string' || Array.isArray(node)) return [];
  const v = node[name];
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => (typeof x === 'string' ? { '#text': x } : isNode(x) ? x : {}));
}

function firstNode(list: XmlValue[]): XmlNode | undefined {
  for (const x of list) {
    if (typeof x === 'string') return { '#text': x };
    if (isNode(x)) return x;
  }
  return undefined;
}

/** The text of an element (text and CDATA), trimmed; `undefined` when absent or empty. */
export function textOf(node: XmlNode | undefined): string | undefined {
  if (node === undefined) return undefined;
  const parts: string[] = [];
  for (const key of ['#text', '#cdata']) {
    const v = node[key];
    if (typeof v === 'string') parts.push(v);
    else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string') parts.push(x);
  }
  const t = parts.join('').trim();
  return t === '' ? undefined : t;
}

/** Text of the child element `name`. */
export const textAt = (node: XmlNode | undefined, name: string): string | undefined => textOf(child(node, name));

/** An attribute value, trimmed; `undefined` when absent or empty. */
export function attr(node: XmlNode | undefined, name: string): string | undefined {
  const v = node?.[`@${name}`];
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

/** A non-negative integer from text, `undefined` when absent or not a number. */
export function intOf(s: string | undefined): number | undefined {
  if (s === undefined || !/^-?\d{1,15}$/.test(s)) return undefined;
  return Number(s);
}

/** A decimal number from text (coordinates). */
export function numberOf(s: string | undefined): number | undefined {
  if (s === undefined || !/^-?\d{1,12}(\.\d{1,15})?$/.test(s)) return undefined;
  return Number(s);
}
