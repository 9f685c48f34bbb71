/**
 * Policy presets a user applies and adjusts (`wekeep policies add --preset NAME [--max …]`).
 * The regulatory facts behind them: ../shared/reference/compliance.md section 5.
 */
export interface RetentionPreset {
  name: string;
  title: { en: string; zh: string };
  scope: string;
  min?: string;
  max?: string;
  action: 'delete' | 'review';
  locked: boolean;
  purpose: string;
  basis: string;
  /** What the user must or may adjust. */
  note: string;
  /** The preset needs a ceiling chosen by the user (`--max`). */
  needsMax?: boolean;
}

export const RETENTION_PRESETS: readonly RetentionPreset[] = [
  {
    name: 'pipl-minimum-necessary',
    title: { en: 'PRC PIPL minimum necessary', zh: '个人信息保护法 · 最小必要' },
    scope: '',
    action: 'delete',
    locked: false,
    needsMax: true,
    purpose: 'Personal information is kept only for the shortest time necessary for the purpose of processing',
    basis: 'PIPL Art. 19 (storage period: shortest necessary); Art. 47 (deletion when the purpose is achieved)',
    note: 'Set the ceiling with --max (for example 3y); narrow the scope with --scope.',
  },
  {
    name: 'sec-17a-4',
    title: { en: 'SEC 17a-4 / FINRA 4511 (6 years, locked)', zh: 'SEC 17a-4 / FINRA 4511（6 年，锁定）' },
    scope: '',
    min: '6y',
    action: 'review',
    locked: true,
    purpose: 'Broker-dealer business communications are preserved for the required period',
    basis: 'SEC Rule 17a-4(b)(4) (6 years for communications relating to the business); FINRA Rule 4511 (6 years where no period is specified)',
    note: 'Locked (compliance mode): it can be extended, never shortened, disabled or deleted.',
  },
  {
    name: 'mifid-ii',
    title: { en: 'MiFID II (5 years, extendable to 7)', zh: 'MiFID II（5 年，可延长至 7 年）' },
    scope: '',
    min: '5y',
    action: 'review',
    locked: false,
    purpose: 'Records of communications relating to transactions are kept for the required period',
    basis: 'MiFID II Art. 16(7); Delegated Regulation (EU) 2017/565 Art. 76 (5 years; up to 7 where the competent authority requires)',
    note: 'Extend the minimum to 7y with --min 7y when your competent authority requires it.',
  },
  {
    name: 'gdpr-storage-limitation',
    title: { en: 'GDPR storage limitation', zh: 'GDPR 存储限制' },
    scope: 'party:external',
    max: '2y',
    action: 'review',
    locked: false,
    purpose: 'Personal data of external parties is kept no longer than necessary for the purposes for which it is processed',
    basis: 'GDPR Art. 5(1)(e) (storage limitation); Art. 17 (right to erasure)',
    note: 'Adjust the ceiling (--max) to your documented retention schedule.',
  },
  {
    name: 'voice-video-default',
    title: { en: 'Voice and video notes (default)', zh: '语音与视频（默认）' },
    scope: 'type:voice OR type:video',
    max: '1y',
    action: 'review',
    locked: false,
    purpose: 'Voice and video recordings are the most sensitive personal data in chats; they are reviewed for disposal after a year',
    basis: 'PIPL Art. 19 and Art. 28 (biometric-adjacent sensitive data: minimum retention); GDPR Art. 5(1)(e)',
    note: 'Shorten to 90d with --max 90d and --action delete if your business does not need recordings.',
  },
];

export const findPreset = (name: string): RetentionPreset | undefined => RETENTION_PRESETS.find((p) => p.name === name);
