import { crc32, deflateSync } from 'node:zlib';
import type { TestRecord } from '../support/records.js';
import { wavOf } from '../../src/media/voice.js';

/**
 * The browser tests' own conversations, added on top of the demo corpus: a direct chat of 张伟
 * (e2e-zhang) and 李娜 with every kind of bubble (a playable WAV voice note, an image, a call, a
 * recalled message, a link, a location, a file), a group 张伟 is in, and a direct chat of two
 * other people that 张伟 must never see. "蓝鲸项目" occurs in all three and nowhere in the demo.
 */

export const KEYWORD = '蓝鲸项目';
export const EMPLOYEE_PERSON = 'e2e-zhang';
export const SECRET_TITLE = '王强 × 赵敏';
export const VISIBLE_TITLES = ['李娜', '蓝鲸项目组'];

/** 16-bit mono PCM WAV: a 440 Hz tone. */
export function wavTone(seconds: number, rate = 8000): Buffer {
  const n = Math.round(seconds * rate);
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 8000), i * 2);
  return wavOf(data, rate);
}

/** An RGB PNG with a diagonal two-colour pattern. */
export function png(width: number, height: number): Buffer {
  const chunk = (type: string, body: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    const tb = Buffer.concat([Buffer.from(type, 'ascii'), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(tb) >>> 0);
    return Buffer.concat([len, tb, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      const on = (x + y) % 24 < 12;
      raw[row + 1 + x * 3] = on ? 0x07 : 0xe8;
      raw[row + 2 + x * 3] = on ? 0xa3 : 0xf4;
      raw[row + 3 + x * 3] = on ? 0x5a : 0xec;
    }
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

export function browserFixture(): TestRecord[] {
  const zhang = { id: 'e2e-zhang', name: '张伟' };
  const li = { id: 'e2e-li', name: '李娜' };
  const wang = { id: 'e2e-wang', name: '王强' };
  const zhao = { id: 'e2e-zhao', name: '赵敏' };
  const dm = { id: 'e2e-dm-zhang-li', type: 'direct' as const, title: '李娜' };
  const group = { id: 'e2e-group', type: 'group' as const, title: '蓝鲸项目组' };
  const secret = { id: 'e2e-dm-wang-zhao', type: 'direct' as const, title: SECRET_TITLE };
  const t = (hhmm: string, day = '2026-11-18'): string => `${day}T${hhmm}:00+08:00`;
  let seq = 0;
  type Input = Pick<TestRecord, 'id' | 'time' | 'conversation' | 'from' | 'type'> & Partial<Pick<TestRecord, 'to' | 'text' | 'attachments' | 'recalls' | 'call'>>;
  const r = (x: Input): TestRecord => ({ source: 'e2e:wecom', seq: ++seq, ...x });
  const b64 = (b: Buffer): string => b.toString('base64');
  return [
    r({ id: 'dm1', time: t('09:02'), conversation: dm, from: zhang, to: [li], type: 'text', text: `李娜，${KEYWORD}的季度报价单今天能发我吗？` }),
    r({ id: 'dm2', time: t('09:05'), conversation: dm, from: li, to: [zhang], type: 'text', text: '可以，上午整理好就发。合同条款我也一起看一下。' }),
    r({ id: 'dm3', time: t('09:06'), conversation: dm, from: li, to: [zhang], type: 'voice', attachments: [{ name: 'voice-0918.wav', mime: 'audio/wav', data: b64(wavTone(1.6)) }] }),
    r({ id: 'dm4', time: t('09:20'), conversation: dm, from: zhang, to: [li], type: 'image', attachments: [{ name: '白板照片.png', mime: 'image/png', data: b64(png(240, 160)) }] }),
    r({ id: 'dm5', time: t('09:31'), conversation: dm, from: li, to: [zhang], type: 'file', text: '蓝鲸项目报价单.pdf', attachments: [{ name: '蓝鲸项目报价单.pdf', mime: 'application/pdf', data: b64(Buffer.from('%PDF-1.4\n% WeKeep browser test\n')) }] }),
    r({ id: 'dm6', time: t('10:12'), conversation: dm, from: zhang, to: [li], type: 'text', text: '价格能再低 5% 吗？这句先撤回' }),
    r({ id: 'dm7', time: t('10:13'), conversation: dm, from: zhang, to: [li], type: 'recall', recalls: 'dm6', text: '张伟撤回了一条消息' }),
    r({ id: 'dm8', time: t('14:00'), conversation: dm, from: zhang, to: [li], type: 'call', call: { media: 'voice', durationSeconds: 192 }, text: '语音通话 通话时长 03:12' }),
    r({ id: 'dm9', time: t('14:05'), conversation: dm, from: li, to: [zhang], type: 'link', text: '蓝鲸项目招标公告\n第二批设备采购，截止 12 月 5 日\nhttps://example.com/bid/2026-118' }),
    r({ id: 'dm10', time: t('09:10', '2026-11-19'), conversation: dm, from: li, to: [zhang], type: 'location', text: '[位置] 浦东软件园\n上海市浦东新区郭守敬路 498 号' }),
    r({ id: 'dm11', time: t('09:12', '2026-11-19'), conversation: dm, from: zhang, to: [li], type: 'text', text: 'OK，下午去现场 meeting。' }),
    r({ id: 'g1', time: t('11:00'), conversation: group, from: wang, to: [zhang, li], type: 'text', text: `${KEYWORD}周会改到周四下午三点。` }),
    r({ id: 'g2', time: t('11:02'), conversation: group, from: zhang, to: [wang, li], type: 'text', text: '收到 👍' }),
    r({ id: 's1', time: t('16:40'), conversation: secret, from: wang, to: [zhao], type: 'text', text: `${KEYWORD}的底价别告诉张伟。` }),
    r({ id: 's2', time: t('16:41'), conversation: secret, from: zhao, to: [wang], type: 'text', text: '明白。' }),
  ];
}

/**
 * The retention browser test's records (source `e2e:retention`), dated relative to `now` so that a
 * policy with a 30-day maximum over them has fixed numbers: 40 and 35 days old (due now), 25 days
 * (due within 7 days), 12 and 2 days (due within 30 days). The oldest carries a file attachment of
 * RETENTION_ATTACHMENT_BYTES bytes.
 */
export const RETENTION_SOURCE = 'e2e:retention';
export const RETENTION_CUSTODIAN = 'e2e-ret-chen';
export const RETENTION_ATTACHMENT_BYTES = 4096;

export function retentionFixture(now: number): TestRecord[] {
  const chen = { id: RETENTION_CUSTODIAN, name: '陈静' };
  const liu = { id: 'e2e-ret-liu', name: '刘洋' };
  const dm = { id: 'e2e-ret-dm', type: 'direct' as const, title: '陈静 × 刘洋' };
  const day = 86_400_000;
  const at = (daysAgo: number): number => now - daysAgo * day;
  const file = Buffer.alloc(RETENTION_ATTACHMENT_BYTES, 0x41);
  return [
    { source: RETENTION_SOURCE, seq: 1, id: 'r40', time: at(40), conversation: dm, from: chen, to: [liu], type: 'file', text: '旧合同扫描件.txt', attachments: [{ name: '旧合同扫描件.txt', mime: 'text/plain', data: file.toString('base64') }] },
    { source: RETENTION_SOURCE, seq: 2, id: 'r35', time: at(35), conversation: dm, from: liu, to: [chen], type: 'text', text: '收到，合同我存档了。' },
    { source: RETENTION_SOURCE, seq: 3, id: 'r25', time: at(25), conversation: dm, from: chen, to: [liu], type: 'text', text: '下周一开会讨论续约。' },
    { source: RETENTION_SOURCE, seq: 4, id: 'r12', time: at(12), conversation: dm, from: liu, to: [chen], type: 'text', text: '续约条款已发邮件。' },
    { source: RETENTION_SOURCE, seq: 5, id: 'r2', time: at(2), conversation: dm, from: chen, to: [liu], type: 'text', text: '好的，谢谢。' },
  ];
}
