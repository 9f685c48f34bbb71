import { describe, expect, it } from 'vitest';
import { conversationLabel } from './conversations.js';

describe('conversationLabel', () => {
  it('is the title, else up to four members then …, else the id', () => {
    expect(conversationLabel({ id: 'wr1', title: '销售群' }, ['张三'])).toBe('销售群');
    expect(conversationLabel({ id: 'zs|wm1', title: null }, ['张三', 'wmExt01'])).toBe('张三 · wmExt01');
    expect(conversationLabel({ id: 'wr2', title: null }, ['a', 'b', 'c', 'd', 'e'])).toBe('a · b · c · d …');
    expect(conversationLabel({ id: 'wr3', title: null }, undefined)).toBe('wr3');
    expect(conversationLabel({ id: 'wr4', title: '' }, [])).toBe('wr4');
  });
});
