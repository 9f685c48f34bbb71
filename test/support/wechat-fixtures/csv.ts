import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BASE_TIME, MEMBER_LI, MEMBER_LI_NAME, MEMBER_WANG, MEMBER_WANG_NAME, OWNER, OWNER_NAME, PEER, PEER_NAME, PEER_REMARK, ROOM_NAME, content,
} from './sample-messages.js';

/**
 * A WeChatMsg CSV export (reference B.1, "WeChatMsg export formats"), written by us: the tool's
 * folder layout `聊天记录/<name>/<name>_utf8.csv`, UTF-8 with a BOM, CRLF line ends and minimal
 * quoting (as Python's csv module writes), the twelve documented columns. `StrTime` is the
 * `CreateTime` instant written in Asia/Shanghai. A direct chat and a group chat with every message
 * type; `writeCorruptWeChatMsgCsv` adds the broken cases.
 */

export const CSV_HEADER = ['localId', 'TalkerId', 'Type', 'SubType', 'IsSender', 'CreateTime', 'Status', 'StrContent', 'StrTime', 'Remark', 'NickName', 'Sender'];

export interface CsvRow {
  localId: number;
  talkerId: number;
  type: number;
  subType: number;
  isSender: 0 | 1;
  /** Epoch seconds, or '' to leave it out. */
  createTime: number | '';
  content: string;
  /** Overrides the StrTime derived from createTime. */
  strTime?: string;
  remark: string;
  nickname: string;
  sender: string;
}

const csvField = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** `YYYY-MM-DD HH:MM:SS` in Asia/Shanghai (UTC+8, no DST). */
export const shanghaiTime = (epochSeconds: number): string => new Date((epochSeconds + 8 * 3600) * 1000).toISOString().slice(0, 19).replace('T', ' ');

export function csvLine(r: CsvRow): string {
  const strTime = r.strTime ?? (r.createTime === '' ? '' : shanghaiTime(r.createTime));
  return [r.localId, r.talkerId, r.type, r.subType, r.isSender, r.createTime, r.isSender ? 2 : 4, r.content, strTime, r.remark, r.nickname, r.sender].map((v) => csvField(String(v))).join(',');
}

export function writeCsvFile(path: string, rows: readonly (CsvRow | string)[], header: readonly string[] = CSV_HEADER): void {
  const lines = [header.join(','), ...rows.map((r) => (typeof r === 'string' ? r : csvLine(r)))];
  writeFileSync(path, `\ufeff${lines.map((l) => `${l}\r\n`).join('')}`);
}

const me = { remark: OWNER_NAME, nickname: OWNER_NAME, sender: OWNER, isSender: 1 as const };
const zhang = { remark: PEER_REMARK, nickname: PEER_NAME, sender: PEER, isSender: 0 as const };
const li = { remark: '', nickname: MEMBER_LI_NAME, sender: MEMBER_LI, isSender: 0 as const };
const wang = { remark: '', nickname: MEMBER_WANG_NAME, sender: MEMBER_WANG, isSender: 0 as const };

export const DIRECT_TEXT = '周经理，合同已经盖章，发票明天寄出。';
export const MULTILINE_TEXT = '第一行,含逗号\n第二行 "引号"';

/** The direct chat's rows (talker 5). */
export function directRows(): CsvRow[] {
  const t = (i: number): number => BASE_TIME + i * 60;
  const row = (localId: number, who: typeof me | typeof zhang, type: number, subType: number, c: string, i: number): CsvRow => ({ localId, talkerId: 5, type, subType, createTime: t(i), content: c, ...who });
  return [
    row(101, zhang, 1, 0, content.text(DIRECT_TEXT), 0),
    row(102, me, 1, 0, content.text('收到，谢谢'), 1),
    row(103, zhang, 3, 0, content.image(), 2),
    row(104, me, 34, 0, content.voice(1800, OWNER), 3),
    row(105, zhang, 49, 5, content.link('2026年度采购框架协议解读', '关键条款与付款节点', 'https://example.invalid/article?id=1&from=wx'), 4),
    row(106, me, 49, 6, content.file(), 5),
    row(107, zhang, 50, 0, content.call('01:23'), 6),
    row(108, me, 48, 0, content.location(), 7),
    row(109, zhang, 42, 0, content.card(), 8),
    row(110, me, 47, 0, content.emoji(OWNER, PEER), 9),
    row(111, zhang, 49, 2000, content.transfer(), 10),
    row(112, me, 49, 57, content.quote('好的，按这个执行', '7001234567890123456', PEER, PEER_NAME, DIRECT_TEXT), 11),
    row(113, zhang, 10002, 0, content.revoke(PEER, 99, '7009999999999999999', PEER_NAME), 12),
    row(114, zhang, 9999, 0, '未知类型的消息内容', 13),
    row(115, me, 1, 0, MULTILINE_TEXT, 14),
  ];
}

export const GROUP_TEXT = '各位，华东项目下周一启动，请准备材料。';

/** The group chat's rows (talker 9). */
export function groupRows(): CsvRow[] {
  const t = (i: number): number => BASE_TIME + 3600 + i * 60;
  const row = (localId: number, who: typeof me | typeof li | typeof wang, type: number, subType: number, c: string, i: number): CsvRow => ({ localId, talkerId: 9, type, subType, createTime: t(i), content: c, ...who });
  return [
    row(201, wang, 1, 0, GROUP_TEXT, 0),
    row(202, li, 1, 0, '收到，我来整理技术方案', 1),
    row(203, me, 1, 0, '预算表周五前发群里', 2),
    row(204, wang, 49, 2001, content.redPacket(), 3),
    row(205, li, 49, 19, content.chatRecord(), 4),
    { localId: 206, talkerId: 9, type: 10000, subType: 0, createTime: t(5), content: `"${MEMBER_WANG_NAME}"邀请"${MEMBER_LI_NAME}"加入了群聊`, isSender: 0, remark: '', nickname: '', sender: '' },
    row(207, wang, 49, 33, content.miniProgram(), 6),
    row(208, li, 49, 51, content.channels(), 7),
  ];
}

export interface CsvFixture {
  /** The export folder (`聊天记录`). */
  root: string;
  direct: string;
  group: string;
}

/** Writes the export under `dir` and returns its paths. */
export function writeWeChatMsgCsv(dir: string): CsvFixture {
  const root = join(dir, '聊天记录');
  mkdirSync(join(root, PEER_REMARK), { recursive: true });
  mkdirSync(join(root, ROOM_NAME), { recursive: true });
  const direct = join(root, PEER_REMARK, `${PEER_REMARK}_utf8.csv`);
  const group = join(root, ROOM_NAME, `${ROOM_NAME}_utf8.csv`);
  writeCsvFile(direct, directRows());
  writeCsvFile(group, groupRows());
  return { root, direct, group };
}

/**
 * A file with bad rows (talker 12, a direct chat with 张三): a malformed CSV line, a non-numeric
 * Type, a row without a usable time, broken app-message XML, a row with too few columns — and two
 * good rows around them, one of which has no CreateTime (its StrTime is read in --tz).
 */
export function writeCorruptWeChatMsgCsv(dir: string): { file: string; badLines: { line: number; reason: RegExp }[]; goodLocalIds: number[] } {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${PEER_REMARK}_utf8.csv`);
  const base = { talkerId: 12, subType: 0, ...zhang };
  const rows: (CsvRow | string)[] = [
    { ...base, localId: 301, type: 1, createTime: BASE_TIME + 7200, content: '正常的第一条' },
    '302,12,1,0,0,1772420400,4,"坏的"引号,2026-03-02 11:00:00,,张三,wxid_zhang3x',
    { ...base, localId: 303, type: 1, createTime: BASE_TIME + 7320, content: '类型不是数字' },
    { ...base, localId: 304, type: 1, createTime: '', strTime: '昨天下午', content: '没有时间' },
    { ...base, localId: 305, type: 49, subType: 5, createTime: BASE_TIME + 7440, content: content.brokenAppMessage() },
    '306,12,1',
    { ...base, localId: 307, type: 1, createTime: '', strTime: '2026-03-02 11:05:00', content: '只有本地时间' },
  ];
  writeCsvFile(file, rows);
  // Row 303: make Type non-numeric by hand (the builder writes numbers).
  const text = readFileSync(file, 'utf8').replace('303,12,1,0,0,', '303,12,abc,0,0,');
  writeFileSync(file, text);
  // A CSV that is not a WeChatMsg export next to it: ignored when importing the folder.
  writeFileSync(join(dir, 'notes.csv'), 'name,value\r\nfoo,1\r\n');
  return {
    file,
    badLines: [
      { line: 3, reason: /a quoted field is closed but not followed by a comma/ },
      { line: 4, reason: /column Type: not an integer/ },
      { line: 5, reason: /columns CreateTime and StrTime: no usable time/ },
      { line: 6, reason: /content: app message XML is not well-formed/ },
      { line: 7, reason: /expected 12 columns, found 3/ },
    ],
    goodLocalIds: [301, 307],
  };
}
