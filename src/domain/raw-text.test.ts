import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactJson, memberText, numbersSurviveParsing } from './raw-text.js';

describe('raw payload text', () => {
  it('finds the exact text of a top-level member, whatever the spacing, nesting and escapes around it', () => {
    expect(memberText('{"a":1,"raw":{"msgid":12345678901234567890,"v":100.10},"b":"x"}', 'raw')).toBe('{"msgid":12345678901234567890,"v":100.10}');
    expect(memberText(' { "raw" : [1e2, "\\"}", {"x":-0}] , "z" : null } ', 'raw')).toBe('[1e2, "\\"}", {"x":-0}]');
    expect(memberText('{"text":"say \\"raw\\": 1","raw":"a\\\\"}', 'raw')).toBe('"a\\\\"');
    expect(memberText('{"r\\u0061w":true}', 'raw')).toBe('true');
    expect(memberText('{"raw":1,"raw":2}', 'raw')).toBe('2');
    expect(memberText('{"nested":{"raw":1}}', 'raw')).toBeUndefined();
    expect(memberText('{}', 'raw')).toBeUndefined();
  });

  it('agrees with JSON.parse on any object line', () => {
    fc.assert(fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue(), fc.boolean(), (others, raw, spaced) => {
      const obj = { ...others, raw };
      const line = spaced ? JSON.stringify(obj, null, 1).replace(/\n/g, ' ') : JSON.stringify(obj);
      const text = memberText(line, 'raw');
      expect(text).toBeDefined();
      expect(JSON.parse(text!)).toEqual(JSON.parse(line).raw);
    }));
  });

  it('tells which numbers JSON.parse would change', () => {
    for (const ok of ['{"a":1,"b":-2.5,"c":"100.10"}', '[0, 9007199254740991, 1.5e-7]', '"12345678901234567890"']) expect(numbersSurviveParsing(ok)).toBe(true);
    for (const lossy of ['{"msgid":12345678901234567890}', '[100.10]', '{"n":1e2}', '{"z":-0}', '[1.0]']) expect(numbersSurviveParsing(lossy)).toBe(false);
  });

  it('compacts a JSON text without touching its strings', () => {
    expect(compactJson(' { "a b" : [ 1 , 100.10 ] ,\n "c":"x  y" } ')).toBe('{"a b":[1,100.10],"c":"x  y"}');
  });
});
