import { describe, expect, it } from 'vitest';
import { passwordProblem } from '../../../src/domain/password-policy';
import { translate } from '../i18n';
import { passwordRefusal } from './ui';

describe('passwordRefusal', () => {
  it('says why the server refused a password in the user\'s language, for every rule of domain/password-policy.ts', () => {
    const zh = (key: Parameters<typeof translate>[1], params?: Record<string, string | number>): string => translate('zh-CN', key, params);
    const en = (key: Parameters<typeof translate>[1], params?: Record<string, string | number>): string => translate('en', key, params);
    expect(passwordRefusal(zh, 'password is a commonly used password')).toBe('这是常见密码');
    expect(passwordRefusal(zh, 'password must be at least 12 characters long')).toBe('密码至少需要 12 个字符');
    expect(passwordRefusal(en, 'password must not contain the username')).toBe('the password must not contain the username');
    for (const reason of ['is too repetitive', 'is a common password with digits or symbols added', 'must not consist of digits only', 'must be at most 256 characters long']) {
      expect(passwordRefusal(zh, `password ${reason}`)).not.toMatch(/[a-z]{3}/);
    }
    // Every rule the server applies (src/domain/password-policy.ts) has its sentence here.
    const problems = new Set<string>();
    for (const [password, username] of [['short', undefined], ['x'.repeat(300), undefined], ['aaaaaaaaaaaaaaaa', undefined], ['1qaz2wsx3edc', undefined], ['password12345!', undefined], ['123456789012345', undefined], ['zhangsan-garden-7', 'zhangsan']] as const) {
      const problem = passwordProblem(password, username);
      expect(problem, password).not.toBeNull();
      problems.add(problem!);
      expect(passwordRefusal(zh, `password ${problem!}`), problem!).not.toMatch(/[a-z]{3}/);
    }
    expect(problems.size).toBe(7);
    // A reason this console does not know yet is shown as the server wrote it.
    expect(passwordRefusal(zh, 'password is new')).toBe('is new');
  });
});
