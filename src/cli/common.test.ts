import { describe, expect, it } from 'vitest';
import { terminalSafe } from './common.js';

describe('terminalSafe', () => {
  it('shows control characters of archived text as escapes; keeps tabs, newlines and every other character', () => {
    expect(terminalSafe('合同\x1b[2J\x1b]8;;http://evil\x07link\x1b]8;;\x07')).toBe('合同\\x1b[2J\\x1b]8;;http://evil\\x07link\\x1b]8;;\\x07');
    expect(terminalSafe('a\rb\x9bc\x7f')).toBe('a\\x0db\\x9bc\\x7f');
    expect(terminalSafe('line 1\n\tline 2 ＰＤＦ 😀')).toBe('line 1\n\tline 2 ＰＤＦ 😀');
  });
});
