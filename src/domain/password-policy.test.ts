import { describe, expect, it } from 'vitest';
import { passwordProblem } from './password-policy.js';

describe('passwordProblem', () => {
  it('accepts a long, uncommon password', () => {
    expect(passwordProblem('horse-battery-staple-合同')).toBeNull();
    expect(passwordProblem('Correct Horse 7 Battery')).toBeNull();
  });

  it.each([
    ['short1!', 'at least 12'],
    ['password1234', 'common'],
    ['PASSWORD!!!!2024', 'common password with digits'],
    ['woaini1314!!!!', 'common password with digits'],
    ['qwertyuiop123', 'common'],
    ['123456789012', 'common'],
    ['839201748291', 'digits only'],
    ['abababababababab', 'repetitive'],
  ])('refuses %s', (pw, reason) => {
    expect(passwordProblem(pw)).toContain(reason);
  });

  it('refuses a password containing the username', () => {
    expect(passwordProblem('zhangsan-is-great', 'zhangsan')).toContain('username');
  });
});
