/**
 * Password rules for accounts: at least 12 characters, not a common password (nor a common
 * password padded with digits or symbols, nor one character repeated, nor the username).
 * Returns the reason a password is refused, or null when it is acceptable.
 */

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

/**
 * Common passwords and the base words of common passwords (lower case). Sources: the frequent
 * entries of public breach-frequency lists, including those common among Chinese users
 * (pinyin and keyboard patterns). A password is refused when it equals one of these or reduces
 * to one once digits and symbols are stripped from its ends.
 */
const COMMON = new Set(
  `password passw0rd p@ssword p@ssw0rd passwort motdepasse contrasena wachtwoord parola salasana
  123456789012 1234567890ab 12345678910 123456789abc 1234567890 0123456789 9876543210 123123123123
  111111111111 000000000000 112233445566 123321123321 147258369147 159357159357 qwertyuiop qwertyuiop123
  qwertyuiopasdfgh asdfghjkl asdfghjkl123 zxcvbnm zxcvbnm123 1qaz2wsx3edc 1q2w3e4r5t6y 1q2w3e4r5t 1qazxsw2 qazwsxedc
  qazwsxedcrfv zaq12wsx abcdefghijkl abcdefg123456 abc123456789 a1b2c3d4e5f6 aa123456789 aaaaaaaaaaaa
  iloveyou iloveyou123 letmein welcome welcome123 welcomehome admin administrator admin123456 root toor
  changeme changeit default secret password1 password123 password1234 superman batman spiderman
  dragon monkey football baseball basketball soccer master shadow sunshine princess starwars trustno1
  whatever freedom hello helloworld computer internet login access master123 qwerty qwerty123 qwe123
  woaini woaini1314 woaini520 woaini123 wo123456 aini1314 5201314 1314520 520520 zhang123 wang123 li123456
  zhangwei wangwei liwei huawei xiaomi tencent alibaba baidu weixin wechat qq123456 taobao
  a123456789 abc123 abcd1234 a1234567 aa123456 123qwe 123qweasd 123abc qweasdzxc qweasd
  iloveu loveyou lovelove sweetheart michael jennifer jordan23 charlie thomas daniel
  company company123 business office spring summer autumn winter january february
  compliance archive wekeep enterprise corporate
  `.split(/\s+/u).filter(Boolean),
);

const stripEnds = (s: string): string => s.replace(/^[^a-z]+|[^a-z]+$/gu, '');

export function passwordProblem(password: string, username?: string): string | null {
  const length = Array.from(password).length;
  if (length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters long`;
  if (length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters long`;
  const lower = password.toLowerCase();
  if (new Set(Array.from(lower)).size <= 2) return 'is too repetitive';
  if (COMMON.has(lower)) return 'is a commonly used password';
  const core = stripEnds(lower);
  if (core.length > 0 && COMMON.has(core)) return 'is a common password with digits or symbols added';
  if (/^\d+$/u.test(lower)) return 'must not consist of digits only';
  if (username && username.length >= 3 && lower.includes(username.toLowerCase())) return 'must not contain the username';
  return null;
}
