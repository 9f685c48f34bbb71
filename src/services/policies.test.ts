import { describe, expect, it } from 'vitest';
import { draftPolicy } from './policies.js';

describe('draftPolicy', () => {
  it('keeps a locked preset locked: sec-17a-4 cannot be saved unlocked (as the API could ask)', () => {
    expect(draftPolicy({ name: 'sec', preset: 'sec-17a-4' }, 'Asia/Shanghai')).toMatchObject({ locked: true, preset: 'sec-17a-4' });
    expect(() => draftPolicy({ name: 'sec', preset: 'sec-17a-4', locked: false }, 'Asia/Shanghai')).toThrow(/cannot be saved unlocked/u);
    // An unlocked preset may be locked or not.
    expect(draftPolicy({ name: 'm', preset: 'mifid-ii', locked: false }, 'Asia/Shanghai').locked).toBe(false);
  });

  it('refuses a name of digits only (commands would take it for an id)', () => {
    expect(() => draftPolicy({ name: '1', max: '1y', action: 'delete', purpose: 'p', basis: 'b' }, 'UTC')).toThrow(/only digits/u);
    expect(draftPolicy({ name: '1y-texts', max: '1y', action: 'delete', purpose: 'p', basis: 'b' }, 'UTC').name).toBe('1y-texts');
  });
});
