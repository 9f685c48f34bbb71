import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attr, child, children, decodeXmlEntities, MAX_XML_CHARS, parseWeChatXml, textAt } from './xml.js';

const ok = (xml: string) => {
  const r = parseWeChatXml(xml, 'content', 'test');
  if (!r.ok) throw new Error(r.problem);
  return r.root;
};

describe('WeChat XML parsing', () => {
  it('reads elements, attributes and CDATA, decoding the predefined entities only', () => {
    const root = ok('<?xml version="1.0"?>\n<msg><appmsg appid="x&amp;y"><title>A &lt;B&gt; &#x4e2d;&#25991;</title><des><![CDATA[kept &amp; literal]]></des></appmsg></msg>');
    const appmsg = child(child(root, 'msg'), 'appmsg');
    expect(attr(appmsg, 'appid')).toBe('x&y');
    expect(textAt(appmsg, 'title')).toBe('A <B> 中文');
    expect(textAt(appmsg, 'des')).toBe('kept &amp; literal');
  });

  it('gives repeated elements in order', () => {
    const root = ok('<list><item>1</item><item><![CDATA[2]]></item><item a="3"/></list>');
    expect(children(child(root, 'list'), 'item').map((n) => textAt({ x: n }, 'x') ?? attr(n, 'a'))).toEqual(['1', '2', '3']);
  });

  it('repairs control characters and bare ampersands, which real exports contain', () => {
    const root = ok('<msg><url>https://x.test/?a=1&b=2\u0001</url></msg>');
    expect(textAt(child(root, 'msg'), 'url')).toBe('https://x.test/?a=1&b=2');
  });

  it('refuses a DOCTYPE instead of expanding entities', () => {
    const r = parseWeChatXml('<!DOCTYPE x [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><msg>&b;</msg>', 'content', 'app message');
    expect(r).toEqual({ ok: false, problem: 'content: app message XML has a DOCTYPE (refused)' });
  });

  it('names the field and the line when the XML is not well-formed, never the content', () => {
    const r = parseWeChatXml('<msg>\n<appmsg><title>secret words</appmsg></msg>', 'content', 'app message');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problem).toMatch(/^content: app message XML is not well-formed \(line \d+\)$/);
      expect(r.problem).not.toContain('secret');
    }
    expect(parseWeChatXml('   ', 'content', 'app message')).toEqual({ ok: false, problem: 'content: app message XML is empty' });
  });

  it('does not parse XML above the size limit', () => {
    const big = `<msg><title>${'x'.repeat(MAX_XML_CHARS)}</title></msg>`;
    expect(parseWeChatXml(big, 'content', 'app message')).toEqual({ ok: false, problem: 'content: app message XML is larger than 1 MiB, not parsed' });
  });

  it('survives deep nesting', () => {
    const deep = `${'<a>'.repeat(50_000)}${'</a>'.repeat(50_000)}`;
    const r = parseWeChatXml(deep, 'content', 'test');
    expect(typeof r.ok).toBe('boolean');
  });

  it('decodes only well-known entities and valid character references', () => {
    expect(decodeXmlEntities('&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&foo;&#0;&#xD800;')).toBe('<>&"\'AB&foo;');
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom('<', '>', '/', 'a', '&', ';', '"', '=', ' ', '!', '[', ']', '?') })), (s) => {
        const r = parseWeChatXml(s, 'content', 'test');
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 200 },
    );
  });
});
