import Sqlite from 'better-sqlite3-multiple-ciphers';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { amrVoice, docxFile, jpegImage, mp4Video, pngImage, silkVoice } from './media.js';

/**
 * An Android WeChat export built from the documented schemas (shared/reference/ingest-formats.md
 * B.3): `EnMicroMsg.db` really encrypted with SQLCipher 1 settings (SQLite3MultipleCiphers
 * `cipher='sqlcipher'`, `legacy=1`: page 1024, PBKDF2-SHA1 4000 iterations, no HMAC) under the key
 * md5(IMEI + uin)[:7], and the media folders next to it:
 *
 *   <dir>/MicroMsg/<md5("mm" + uin)>/EnMicroMsg.db
 *   …/voice2/<h[0:2]>/<h[2:4]>/msg_<imgPath>.amr    h = md5(imgPath); SILK inside, AMR for one
 *   …/image2/<n[0:2]>/<n[2:4]>/<name>                full images (ImgInfo2.bigImgPath), th_ thumbnails
 *   …/video/<imgPath>.mp4, …/attachment/<file name>
 */

export const ANDROID = {
  /** The dummy IMEI some phones report (reference B.3, wechat-dump issue #70). */
  imei: '1234567890ABCDEF',
  uin: '-1789234561',
  owner: 'wxid_andowner01',
  ownerName: '吴芳',
  peer: 'wxid_andpeer01',
  peerName: '孙经理',
  member: 'wxid_andmember1',
  memberName: '赵六',
  room: '99887766@chatroom',
  roomName: '项目群',
  /** 2026-03-05 10:00:00 +08:00 in ms. */
  t0: Date.UTC(2026, 2, 5, 2, 0, 0),
  fileName: '项目计划.docx',
} as const;

export const androidKey = (imei: string, uin: string): string => createHash('md5').update(imei + uin).digest('hex').slice(0, 7);
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

export const ASVR = {
  text: 5000000000000000001n,
  textSent: 5000000000000000002n,
  groupText: 5000000000000000003n,
  groupSent: 5000000000000000004n,
  voice: 5000000000000000005n,
  groupAmr: 5000000000000000006n,
  image: 5000000000000000007n,
  thumbOnly: 5000000000000000008n,
  video: 5000000000000000009n,
  quote: 5000000000000000010n,
  transfer: 5000000000000000011n,
  redpacket: 5000000000000000012n,
  file: 5000000000000000013n,
  revoke: 5000000000000000014n,
  revoked: 5000000000000000099n,
  call: 5000000000000000015n,
  location: 5000000000000000016n,
  card: 5000000000000000017n,
  emoji: 5000000000000000018n,
  badXml: 5000000000000000019n,
  unknown: 5000000000000000020n,
  system: 5000000000000000021n,
  missingVoice: 5000000000000000022n,
} as const;

export const IMAGE = { thumb: 'th_3c4d5e6f708192a3b4c5d6e7f8091a2b', big: '3c4d5e6f708192a3b4c5d6e7f8091a2b.jpg', thumbOnly: 'th_77778888999900001111222233334444', missingBig: '77778888999900001111222233334444.jpg' };

interface AndroidRow {
  svr: bigint;
  type: number;
  isSend?: 0 | 1;
  time: number;
  talker: string;
  content: string;
  imgPath?: string;
}

const appmsg = (inner: string): string => `<msg><appmsg appid="" sdkver="0">${inner}</appmsg><fromusername></fromusername></msg>`;

export function androidMessages(): AndroidRow[] {
  const t = ANDROID.t0;
  const { peer, room, member } = ANDROID;
  return [
    { svr: ASVR.text, type: 1, time: t, talker: peer, content: '吴总，样品已经寄出' },
    { svr: ASVR.textSent, type: 1, isSend: 1, time: t + 1_000, talker: peer, content: '好的，收到后联系你' },
    { svr: ASVR.groupText, type: 1, time: t + 2_000, talker: room, content: `${member}:\n周五的评审会改到下午三点` },
    { svr: ASVR.groupSent, type: 1, isSend: 1, time: t + 3_000, talker: room, content: '收到' },
    { svr: ASVR.voice, type: 34, time: t + 4_000, talker: peer, content: `${peer}:2000:0\n`, imgPath: 'voicefile0001' },
    { svr: ASVR.groupAmr, type: 34, time: t + 5_000, talker: room, content: `${member}:1500:0\n`, imgPath: 'voicefile0002' },
    { svr: ASVR.image, type: 3, time: t + 6_000, talker: peer, content: '<msg><img length="900" md5="3c4d5e6f708192a3b4c5d6e7f8091a2b" /></msg>', imgPath: `THUMBNAIL_DIRPATH://${IMAGE.thumb}` },
    { svr: ASVR.thumbOnly, type: 3, time: t + 7_000, talker: room, content: `${member}:\n<msg><img length="900" /></msg>`, imgPath: `THUMBNAIL_DIRPATH://${IMAGE.thumbOnly}` },
    { svr: ASVR.video, type: 43, isSend: 1, time: t + 8_000, talker: peer, content: '<msg><videomsg length="2000" playlength="1" /></msg>', imgPath: 'videofile0001' },
    { svr: ASVR.quote, type: 822083633, time: t + 9_000, talker: room, content: `${member}:\n${appmsg(`<title>已改好</title><type>57</type><refermsg><type>1</type><svrid>${ASVR.groupText}</svrid><chatusr>${member}</chatusr><displayname>赵六</displayname><content>周五的评审会改到下午三点</content></refermsg>`)}` },
    { svr: ASVR.transfer, type: 419430449, time: t + 10_000, talker: peer, content: appmsg('<title>微信转账</title><type>2000</type><wcpayinfo><paysubtype>3</paysubtype><feedesc>￥500.00</feedesc><pay_memo>样品费</pay_memo></wcpayinfo>') },
    { svr: ASVR.redpacket, type: 436207665, time: t + 11_000, talker: room, content: `${member}:\n${appmsg('<title>微信红包</title><type>2001</type><wcpayinfo><sendertitle>项目顺利</sendertitle></wcpayinfo>')}` },
    { svr: ASVR.file, type: 1090519089, time: t + 12_000, talker: peer, content: appmsg(`<title>${ANDROID.fileName}</title><type>6</type><appattach><totallen>1234</totallen><fileext>docx</fileext></appattach>`) },
    { svr: ASVR.revoke, type: 10002, time: t + 13_000, talker: peer, content: `<sysmsg type="revokemsg"><revokemsg><session>${peer}</session><newmsgid>${ASVR.revoked}</newmsgid><replacemsg><![CDATA["孙经理" 撤回了一条消息]]></replacemsg></revokemsg></sysmsg>` },
    { svr: ASVR.call, type: 50, isSend: 1, time: t + 14_000, talker: peer, content: '<voipinvitemsg><roomid>1</roomid><status>2</status><invitetype>1</invitetype></voipinvitemsg><voiplocalinfo><wordingtype>4</wordingtype><duration>95</duration></voiplocalinfo>' },
    { svr: ASVR.location, type: 48, time: t + 15_000, talker: peer, content: '<msg><location x="39.908722" y="116.397499" scale="15" label="北京市东城区" poiname="天安门广场" /></msg>' },
    { svr: ASVR.card, type: 42, time: t + 16_000, talker: peer, content: '<msg username="wxid_andcard01" nickname="钱总" alias="" />' },
    { svr: ASVR.emoji, type: 47, time: t + 17_000, talker: peer, content: '<msg><emoji md5="aaaabbbbccccddddeeeeffff00001111" cdnurl="http://emoji.example/a" /></msg>' },
    { svr: ASVR.badXml, type: 49, time: t + 18_000, talker: peer, content: '<msg><appmsg><title>内部链接</title><type>5</appmsg>' },
    { svr: ASVR.unknown, type: 12345, time: t + 19_000, talker: peer, content: '某种新消息' },
    { svr: ASVR.system, type: 10000, time: t + 20_000, talker: room, content: '"赵六"修改群名为"项目群"' },
    { svr: ASVR.missingVoice, type: 34, time: t + 21_000, talker: peer, content: `${peer}:800:0\n`, imgPath: 'voicefile0404' },
    { svr: 0n, type: 10000, time: t + 22_000, talker: peer, content: '你已添加了孙经理，现在可以开始聊天了。' },
  ];
}

export interface AndroidExport {
  /** The folder to import (holds MicroMsg/<hash>/EnMicroMsg.db). */
  root: string;
  db: string;
  key: string;
  media: { silk: Buffer; amr: Buffer; jpeg: Buffer; thumb: Buffer; png: Buffer; mp4: Buffer; docx: Buffer };
}

export interface AndroidBuildOptions {
  /** Leave the database unencrypted (as a decrypting tool would). */
  plain?: boolean;
  /** Leave these columns out of `message`. */
  omit?: readonly string[];
  /** Leave out userinfo (then the owner must be given). */
  noUserinfo?: boolean;
}

const MESSAGE_COLUMNS: readonly [string, string][] = [
  ['msgId', 'INTEGER PRIMARY KEY'], ['msgSvrId', 'INTEGER'], ['type', 'INT'], ['status', 'INT'], ['isSend', 'INT'], ['isShowTimer', 'INTEGER'],
  ['createTime', 'INTEGER'], ['talker', 'TEXT'], ['content', 'TEXT'], ['imgPath', 'TEXT'], ['reserved', 'TEXT'], ['lvbuffer', 'BLOB'],
  ['transContent', 'TEXT'], ['transBrandWording', 'TEXT'], ['talkerId', 'INTEGER'], ['bizClientMsgId', 'TEXT'], ['bizChatId', 'INTEGER DEFAULT -1'],
  ['bizChatUserId', 'TEXT'], ['msgSeq', 'INTEGER'], ['flag', 'INT'],
];

export async function buildAndroidExport(dir: string, options: AndroidBuildOptions = {}): Promise<AndroidExport> {
  const folder = join(dir, 'MicroMsg', md5(`mm${ANDROID.uin}`));
  mkdirSync(folder, { recursive: true });
  const key = androidKey(ANDROID.imei, ANDROID.uin);
  const exp: AndroidExport = {
    root: dir,
    db: join(folder, 'EnMicroMsg.db'),
    key,
    media: { silk: await silkVoice(2), amr: amrVoice(1.5, 11), jpeg: jpegImage(5), thumb: jpegImage(6), png: pngImage(), mp4: mp4Video(), docx: docxFile() },
  };
  const db = new Sqlite(exp.db);
  if (!options.plain) {
    db.pragma(`cipher='sqlcipher'`);
    db.pragma('legacy=1');
    db.pragma(`key='${key}'`);
  }
  const cols = MESSAGE_COLUMNS.filter(([c]) => !options.omit?.includes(c));
  db.exec(`CREATE TABLE message (${cols.map(([c, t]) => `${c} ${t}`).join(', ')})`);
  db.exec('CREATE INDEX messageCreateTimeIndex ON message (createTime)');
  db.exec('CREATE TABLE rcontact (username TEXT PRIMARY KEY, alias TEXT, conRemark TEXT, domainList TEXT, nickname TEXT, pyInitial TEXT, quanPin TEXT, showHead INTEGER, type INT, weiboFlag INT, weiboNickname TEXT, conRemarkPYFull TEXT, conRemarkPYShort TEXT, lvbuff BLOB, verifyFlag INT, encryptUsername TEXT, chatroomFlag INT, deleteFlag INT, contactLabelIds TEXT)');
  db.exec('CREATE TABLE chatroom (chatroomname TEXT PRIMARY KEY, addtime INTEGER, memberlist TEXT, displayname TEXT, chatroomnick TEXT, roomflag INTEGER, roomowner TEXT, roomdata BLOB, isShowname INTEGER, selfDisplayName TEXT)');
  db.exec('CREATE TABLE ImgInfo2 (id INTEGER PRIMARY KEY, msgSvrId INTEGER, offset INT, totalLen INT, bigImgPath TEXT, thumbImgPath TEXT, createtime INT, msglocalid INT, status INT, nettimes INT, reserved1 INT, reserved2 INT, reserved3 TEXT, reserved4 TEXT, hashdthumb INT, iscomplete INT, origImgMD5 TEXT, compressType INT, midImgPath TEXT, forwardType INT, hevcPath TEXT, sendImgType INT)');
  if (!options.noUserinfo) {
    db.exec('CREATE TABLE userinfo (id INTEGER PRIMARY KEY, type INT, value TEXT)');
    db.prepare('INSERT INTO userinfo (id, type, value) VALUES (?, ?, ?)').run(2, 3, ANDROID.owner);
    db.prepare('INSERT INTO userinfo (id, type, value) VALUES (?, ?, ?)').run(4, 3, ANDROID.ownerName);
  }
  const contact = db.prepare('INSERT INTO rcontact (username, alias, conRemark, nickname, type) VALUES (?, ?, ?, ?, ?)');
  contact.run(ANDROID.owner, '', '', ANDROID.ownerName, 1);
  contact.run(ANDROID.peer, '', ANDROID.peerName, 'Sun', 3);
  contact.run(ANDROID.member, '', '', ANDROID.memberName, 3);
  contact.run(ANDROID.room, '', '', ANDROID.roomName, 2);
  db.prepare('INSERT INTO chatroom (chatroomname, memberlist, displayname, roomowner) VALUES (?, ?, ?, ?)').run(ANDROID.room, `${ANDROID.owner};${ANDROID.member}`, `${ANDROID.ownerName}、${ANDROID.memberName}`, ANDROID.member);
  const img = db.prepare('INSERT INTO ImgInfo2 (msgSvrId, bigImgPath, thumbImgPath, totalLen) VALUES (?, ?, ?, ?)');
  img.run(ASVR.image, IMAGE.big, IMAGE.thumb, exp.media.jpeg.length);
  img.run(ASVR.thumbOnly, IMAGE.missingBig, IMAGE.thumbOnly, 0);

  const insertCols = cols.map(([c]) => c).filter((c) => c !== 'msgId');
  const insert = db.prepare(`INSERT INTO message (${insertCols.join(', ')}) VALUES (${insertCols.map((c) => `@${c}`).join(', ')})`);
  db.transaction(() => {
    androidMessages().forEach((r, i) => {
      const v: { [c: string]: unknown } = {
        msgSvrId: r.svr, type: r.type, status: r.isSend === 1 ? 2 : 3, isSend: r.isSend ?? 0, isShowTimer: 0, createTime: r.time, talker: r.talker,
        content: r.content, imgPath: r.imgPath ?? null, reserved: null, lvbuffer: null, transContent: null, transBrandWording: null, talkerId: 0,
        bizClientMsgId: null, bizChatId: -1, bizChatUserId: null, msgSeq: 800000 + i, flag: 0,
      };
      insert.run(Object.fromEntries(insertCols.map((c) => [c, v[c]])));
    });
  })();
  db.close();

  const put = (parts: readonly string[], data: Buffer): void => {
    const full = join(folder, ...parts);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, data);
  };
  const voice = (imgPath: string): string[] => {
    const h = md5(imgPath);
    return ['voice2', h.slice(0, 2), h.slice(2, 4), `msg_${imgPath}.amr`];
  };
  const image = (name: string): string[] => {
    const n = name.replace(/^th_/, '');
    return ['image2', n.slice(0, 2), n.slice(2, 4), name];
  };
  put(voice('voicefile0001'), exp.media.silk);
  put(voice('voicefile0002'), exp.media.amr);
  put(image(IMAGE.big), exp.media.jpeg);
  put(image(IMAGE.thumb), exp.media.thumb);
  put(image(IMAGE.thumbOnly), exp.media.png);
  put(['video', 'videofile0001.mp4'], exp.media.mp4);
  put(['attachment', ANDROID.fileName], exp.media.docx);
  return exp;
}
