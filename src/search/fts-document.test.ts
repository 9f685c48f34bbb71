import { describe, expect, it } from 'vitest';
import { META_ALL_ROWS, META_HAS_ATTACHMENT, META_RECALLED, filterValueKey, ftsRow, metaTypeToken, metaValueToken, type FtsDocument } from './fts-document.js';

const doc: FtsDocument = {
  text: '發票ＰＤＦ已发，请查收',
  source: 'wecom-main',
  conversationId: 'wrOgQhDgAAcwMTB7YmDkbeBsgT_AAAA',
  fromId: 'ZhangSan',
  fromName: '张三',
  to: [{ id: 'lisi', name: 'Li Si' }, { id: 'wangwu' }],
  type: 'text',
  hasAttachment: true,
  recalled: true,
};

describe('ftsRow', () => {
  it('puts the text tokens in body', () => {
    expect(ftsRow(doc).body).toBe('发票 票 pdf 已发 发 请查 查收 收');
    expect(ftsRow({ ...doc, text: undefined }).body).toBe('');
    expect(ftsRow({ ...doc, text: '' }).body).toBe('');
  });

  it('puts one namespaced token per filter value in meta', () => {
    const meta = ftsRow(doc).meta.split(' ');
    expect(meta).toEqual([
      META_ALL_ROWS,
      'ytext',
      metaValueToken('c', doc.conversationId),
      metaValueToken('s', 'wecom-main'),
      metaValueToken('f', 'ZhangSan'),
      metaValueToken('f', '张三'),
      metaValueToken('t', 'lisi'),
      metaValueToken('t', 'Li Si'),
      metaValueToken('t', 'wangwu'),
      META_HAS_ATTACHMENT,
      META_RECALLED,
    ]);
    for (const t of meta.slice(2, 9)) expect(t).toMatch(/^[ftcs][0-9a-f]{16}$/);
  });

  it('omits flags that are not set', () => {
    const meta = ftsRow({ ...doc, hasAttachment: false, recalled: false, to: [] }).meta.split(' ');
    expect(meta).not.toContain(META_HAS_ATTACHMENT);
    expect(meta).not.toContain(META_RECALLED);
    expect(meta).toHaveLength(6);
  });
});

describe('meta tokens', () => {
  it('compare filter values folded, trimmed and with collapsed whitespace', () => {
    expect(filterValueKey('  Zhang　 San ')).toBe('zhang san');
    expect(metaValueToken('f', 'Zhang San')).toBe(metaValueToken('f', ' zhang  san'));
    expect(metaValueToken('f', '張三')).toBe(metaValueToken('f', '张三'));
    expect(metaValueToken('f', 'ＺｈａｎｇＳａｎ')).toBe(metaValueToken('f', 'zhangsan'));
  });

  it('keep namespaces and values apart', () => {
    expect(metaValueToken('f', 'x')).not.toBe(metaValueToken('t', 'x'));
    expect(metaValueToken('f', 'x').slice(1)).toBe(metaValueToken('t', 'x').slice(1));
    expect(metaValueToken('f', 'x')).not.toBe(metaValueToken('f', 'y'));
  });

  it('spell types directly when they are plain, else hash them', () => {
    expect(metaTypeToken('miniprogram')).toBe('yminiprogram');
    expect(metaTypeToken('Some Type')).toMatch(/^y[0-9a-f]{16}$/);
  });

  it('are cheap for repeated values', () => {
    const started = performance.now();
    for (let i = 0; i < 100_000; i++) ftsRow({ ...doc, text: '好的' });
    // 100k rows with 7 hashed values each; hashing every time would take several hundred ms.
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('the uni column', () => {
  it('holds each distinct CJK character of the folded text once, and nothing else', () => {
    const row = ftsRow({ text: '合同合同 abc 發票 ＰＤＦ', source: 's', conversationId: 'c', fromId: 'f', to: [], type: 'text', hasAttachment: false, recalled: false });
    expect(row.uni).toBe('合 同 发 票');
    expect(ftsRow({ text: 'only latin 123', source: 's', conversationId: 'c', fromId: 'f', to: [], type: 'text', hasAttachment: false, recalled: false }).uni).toBe('');
  });
});
