import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3-multiple-ciphers';
import { md5, pbBytes, pbVarint, type FixtureMedia } from './pc4.js';
import {
  BASE_TIME, FILE_NAME, MEMBER_LI, MEMBER_LI_NAME, MEMBER_WANG, MEMBER_WANG_NAME, MEMBER_WANG_ROOM_NAME, OWNER, OWNER_NAME, PEER, PEER_NAME, PEER_REMARK, ROOM,
  ROOM_NAME, content, xmlEscape,
} from './sample-messages.js';

/**
 * The WeChat folder of an extracted iOS backup (reference B.4), built by us from the documented
 * schema (WechatExporter's reading of it):
 *
 *   Documents/<md5(owner)>/DB/MM.sqlite           Chat_<md5(talker)>(CreateTime, Des, ImgStatus, MesLocalID,
 *                                                 Message, MesSvrID, Status, TableVer, Type); Des 0 = sent
 *   Documents/<md5(owner)>/DB/message_1.sqlite    a second message database (one more chat)
 *   Documents/<md5(owner)>/DB/WCDB_Contact.sqlite Friend(userName, dbContactRemark (protobuf: 1 nickname,
 *                                                 3 remark), dbContactChatRoom (6: RoomData XML), …)
 *   Audio/<md5(talker)>/<MesLocalID>.aud (SILK), Img/…/<id>.pic (JPEG), Video/…/<id>.mp4, OpenData/…/<id>.docx
 */

export const IOS_PEER2 = 'wxid_sun6qi';
export const IOS_PEER2_NAME = '孙七';

/** Server ids above 2^53. */
const sid = (n: number): string => (7_200_000_000_000_000_000n + BigInt(n)).toString();

export interface IosRow {
  localId: number;
  serverId: string;
  type: number;
  /** 0 = sent by the owner, 1 = received. */
  des: 0 | 1;
  /** Group messages from others: the sender, written as the `wxid:\n` prefix. */
  sender?: string;
  at: number;
  message: string;
}

export const IOS_IDS = {
  text: sid(1),
  voice: sid(4),
  image: sid(3),
  video: sid(5),
  file: sid(6),
  quote: sid(12),
  revoked: sid(13),
  revoke: sid(14),
  missingVoice: sid(17),
  groupWang: sid(101),
  secondDb: sid(301),
};

export const IOS_TEXTS = {
  first: '周经理，样品今天寄出，单号稍后发您。',
  revoked: '这条会撤回：报价可以再低三个点',
  group: '明早九点项目例会，地点三楼会议室。',
  secondDb: '第二个消息库里的消息',
};

export function iosDirectRows(): IosRow[] {
  return [
    { localId: 1, serverId: sid(1), type: 1, des: 1, at: 0, message: IOS_TEXTS.first },
    { localId: 2, serverId: sid(2), type: 1, des: 0, at: 60, message: '好的，收到后确认' },
    { localId: 3, serverId: sid(3), type: 3, des: 1, at: 120, message: content.image() },
    { localId: 4, serverId: sid(4), type: 34, des: 1, at: 180, message: content.voice(2000, PEER) },
    { localId: 5, serverId: sid(5), type: 43, des: 0, at: 240, message: content.video() },
    { localId: 6, serverId: sid(6), type: 49, des: 0, at: 300, message: content.file(FILE_NAME) },
    { localId: 7, serverId: sid(7), type: 49, des: 1, at: 360, message: content.link('样品检测报告说明', '第三方检测机构出具', 'https://example.invalid/report?id=7') },
    { localId: 8, serverId: sid(8), type: 50, des: 1, at: 420, message: content.call('00:45') },
    { localId: 9, serverId: sid(9), type: 48, des: 0, at: 480, message: content.location() },
    { localId: 10, serverId: sid(10), type: 42, des: 1, at: 540, message: content.card() },
    { localId: 11, serverId: sid(11), type: 47, des: 0, at: 600, message: content.emoji(OWNER, PEER) },
    { localId: 12, serverId: sid(12), type: 49, des: 0, at: 660, message: content.quote('按这个单号查', sid(1), PEER, PEER_NAME, IOS_TEXTS.first) },
    { localId: 13, serverId: sid(13), type: 1, des: 1, at: 720, message: IOS_TEXTS.revoked },
    { localId: 14, serverId: sid(14), type: 10002, des: 1, at: 740, message: content.revoke(PEER, 13, sid(13), PEER_NAME) },
    { localId: 15, serverId: sid(15), type: 49, des: 1, at: 780, message: content.transfer() },
    { localId: 16, serverId: sid(16), type: 9999, des: 1, at: 840, message: '未知类型的消息内容' },
    // A voice note whose .aud file is not in the backup.
    { localId: 17, serverId: sid(17), type: 34, des: 1, at: 900, message: content.voice(1500, PEER) },
    { localId: 18, serverId: sid(18), type: 49, des: 1, at: 960, message: content.brokenAppMessage() },
    // A local notice without a server id.
    { localId: 19, serverId: '0', type: 10000, des: 1, at: 1020, message: '你已添加了张三，现在可以开始聊天了。' },
  ];
}

export function iosGroupRows(): IosRow[] {
  return [
    { localId: 1, serverId: sid(101), type: 1, des: 1, sender: MEMBER_WANG, at: 3600, message: IOS_TEXTS.group },
    { localId: 2, serverId: sid(102), type: 1, des: 1, sender: MEMBER_LI, at: 3660, message: '收到' },
    { localId: 3, serverId: sid(103), type: 1, des: 0, at: 3720, message: '我会准时到' },
    { localId: 4, serverId: sid(104), type: 49, des: 1, sender: MEMBER_WANG, at: 3780, message: content.redPacket() },
    { localId: 5, serverId: sid(105), type: 49, des: 1, sender: MEMBER_LI, at: 3840, message: content.chatRecord() },
    { localId: 6, serverId: sid(106), type: 10000, des: 1, at: 3900, message: `"${MEMBER_WANG_NAME}"修改群名为"${ROOM_NAME}"` },
    { localId: 7, serverId: sid(107), type: 49, des: 1, sender: MEMBER_WANG, at: 3960, message: content.miniProgram() },
    { localId: 8, serverId: sid(108), type: 49, des: 1, sender: MEMBER_LI, at: 4020, message: content.channels() },
  ];
}

const CHAT_TABLE = (name: string): string =>
  `CREATE TABLE ${name}(TableVer INTEGER DEFAULT 1, MesLocalID INTEGER PRIMARY KEY AUTOINCREMENT, MesSvrID INTEGER DEFAULT 0, CreateTime INTEGER DEFAULT 0,
   Message TEXT, Status INTEGER DEFAULT 0, ImgStatus INTEGER DEFAULT 0, Type INTEGER, Des INTEGER)`;

function writeChats(path: string, chats: { talker: string; rows: IosRow[] }[], extra?: (db: Sqlite.Database) => void): void {
  const db = new Sqlite(path);
  for (const { talker, rows } of chats) {
    const table = `Chat_${md5(talker)}`;
    db.exec(CHAT_TABLE(table));
    const insert = db.prepare(`INSERT INTO ${table}(MesLocalID, MesSvrID, CreateTime, Message, Status, ImgStatus, Type, Des) VALUES (?,?,?,?,?,?,?,?)`);
    for (const r of rows) {
      const message = r.sender !== undefined && r.des === 1 ? `${r.sender}:\n${r.message}` : r.message;
      insert.run(r.localId, BigInt(r.serverId), BASE_TIME + r.at, message, r.des === 0 ? 2 : 4, 1, r.type, r.des);
    }
  }
  extra?.(db);
  db.close();
}

/** `dbContactRemark`: 1 nickname, 2 alias, 3 remark (protobuf). */
const remarkBlob = (nickname: string, remark = '', alias = ''): Buffer => Buffer.concat([pbBytes(1, nickname), pbBytes(2, alias), pbBytes(3, remark)]);

/** `dbContactChatRoom`: field 6 is the room's member XML. */
function roomBlob(members: [id: string, displayName: string][]): Buffer {
  const xml = `<RoomData>${members.map(([id, name]) => `<Member UserName="${id}"><DisplayName>${xmlEscape(name)}</DisplayName></Member>`).join('')}</RoomData>`;
  return Buffer.concat([pbVarint(1, members.length), pbBytes(6, xml)]);
}

export interface IosFixture {
  /** The backup's app folder (holds Documents/). */
  app: string;
  /** `Documents/<md5(owner)>`. */
  userDir: string;
  mmSqlite: string;
  expectedRows: number;
  badRows: { table: string; row?: number; reason: RegExp }[];
}

export function writeIosExport(dir: string, media: FixtureMedia, options: { corrupt?: boolean } = {}): IosFixture {
  const app = join(dir, 'AppDomain-com.tencent.xin');
  const userDir = join(app, 'Documents', md5(OWNER));
  mkdirSync(join(userDir, 'DB'), { recursive: true });
  const direct = iosDirectRows();
  const group = iosGroupRows();
  const mmSqlite = join(userDir, 'DB', 'MM.sqlite');
  writeChats(mmSqlite, [{ talker: PEER, rows: direct }, { talker: ROOM, rows: group }], (db) => {
    if (!options.corrupt) return;
    db.exec(`CREATE TABLE Chat_${md5('wxid_odd9table')}(MesLocalID INTEGER PRIMARY KEY, CreateTime INTEGER, Type INTEGER)`);
    db.prepare(`INSERT INTO Chat_${md5('wxid_odd9table')} VALUES (1, ?, 1)`).run(BASE_TIME);
  });
  const second = [{ localId: 1, serverId: sid(301), type: 1, des: 1 as const, at: 86_400, message: IOS_TEXTS.secondDb }];
  writeChats(join(userDir, 'DB', 'message_1.sqlite'), [{ talker: IOS_PEER2, rows: second }]);

  const contact = new Sqlite(join(userDir, 'DB', 'WCDB_Contact.sqlite'));
  contact.exec('CREATE TABLE Friend(userName TEXT PRIMARY KEY, type INTEGER, certificationFlag INTEGER, dbContactRemark BLOB, dbContactHeadImage BLOB, dbContactProfile BLOB, dbContactChatRoom BLOB, dbContactSocial BLOB, dbContactEncryptSecret BLOB)');
  const add = contact.prepare('INSERT INTO Friend(userName, type, dbContactRemark, dbContactChatRoom) VALUES (?, ?, ?, ?)');
  add.run(OWNER, 1, remarkBlob(OWNER_NAME, '', 'zhou_jl'), null);
  add.run(PEER, 3, remarkBlob(PEER_NAME, PEER_REMARK, 'zhangsan_gys'), null);
  add.run(IOS_PEER2, 3, remarkBlob(IOS_PEER2_NAME), null);
  add.run(MEMBER_LI, 4, remarkBlob(MEMBER_LI_NAME), null);
  add.run(ROOM, 2, remarkBlob(ROOM_NAME), roomBlob([[OWNER, ''], [MEMBER_LI, MEMBER_LI_NAME], [MEMBER_WANG, MEMBER_WANG_ROOM_NAME]]));
  contact.close();

  const put = (folder: string, talker: string, name: string, data: Buffer): void => {
    mkdirSync(join(userDir, folder, md5(talker)), { recursive: true });
    writeFileSync(join(userDir, folder, md5(talker), name), data);
  };
  put('Audio', PEER, '4.aud', media.silk);
  put('Img', PEER, '3.pic', media.jpeg);
  put('Img', PEER, '3.pic_thum', media.jpeg.subarray(0, 100));
  put('Video', PEER, '5.mp4', media.mp4);
  put('OpenData', PEER, '6.docx', media.docx);

  return {
    app,
    userDir,
    mmSqlite,
    expectedRows: direct.length + group.length + second.length + (options.corrupt ? 1 : 0),
    badRows: [
      { table: `Chat_${md5(PEER)}`, row: 18, reason: /content: app message XML is not well-formed/ },
      ...(options.corrupt ? [{ table: `Chat_${md5('wxid_odd9table')}`, reason: /unexpected columns: no MesSvrID, Message, Des/ }] : []),
    ],
  };
}
