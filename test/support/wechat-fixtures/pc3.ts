import Sqlite from 'better-sqlite3-multiple-ciphers';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compressBlock } from 'lz4js';
import { amrVoice, docxFile, GIF_1X1, jpegImage, mp4Video, pngImage, silkVoice, xorDat } from './media.js';

/**
 * A decrypted PC WeChat 3.x export built from the documented schemas (shared/reference/
 * ingest-formats.md B.1, C.1–C.4), with our own people, texts and ids:
 *
 *   <dir>/wxid_owner0001/Msg/Multi/MSG0.db, MSG1.db   two message shards (times interleave)
 *   <dir>/wxid_owner0001/Msg/Multi/MediaMSG0.db       voice notes (SILK with WeChat's 0x02, one AMR)
 *   <dir>/wxid_owner0001/Msg/MicroMsg.db              Contact, ChatRoom, Session
 *   <dir>/wxid_owner0001/FileStorage/…                .dat images (XOR), an mp4, a docx
 *
 * Every message kind the importer maps, in a direct chat and a group, plus the awkward rows: an app
 * message with broken XML, a malformed BytesExtra, media that are missing, rows without a server id.
 * `PC3` holds the ids and values tests assert on.
 */

export const PC3 = {
  owner: 'wxid_owner0001',
  ownerName: '周明',
  peer: 'wxid_peer0001',
  peerName: '陈律师',
  peer2: 'wxid_peer0002',
  peer2Name: '刘会计',
  member1: 'wxid_member0001',
  member1Name: '张三',
  /** Not a contact: known only by the group nickname in ChatRoom.DisplayNameList. */
  member2: 'wxid_member0002',
  member2GroupNick: '李四(华东)',
  room: '20260301888@chatroom',
  roomName: '华东区销售群',
  /** 2026-03-02 09:16:00 +08:00, epoch seconds. */
  t0: 1772414160,
  docxName: '采购合同v3.docx',
} as const;

/** Server ids (MsgSvrID): int64, most above 2^53 (must survive as strings). */
export const SVR = {
  text: 7000000000000000001n,
  textSent: 7000000000000000002n,
  image: 7000000000000000003n,
  voice: 7000000000000000004n,
  video: 7000000000000000005n,
  file: 7000000000000000006n,
  link: 7000000000000000007n,
  quote: 7000000000000000008n,
  revoke: 7000000000000000009n,
  revoked: 7000000000000000099n,
  call: 7000000000000000010n,
  card: 7000000000000000011n,
  location: 7000000000000000012n,
  emoji: 7000000000000000013n,
  transfer: 7000000000000000014n,
  redpacket: 7000000000000000015n,
  miniprogram: 7000000000000000016n,
  channels: 7000000000000000017n,
  chatrecord: 7000000000000000018n,
  music: 7000000000000000019n,
  unknownApp: 7000000000000000020n,
  unknownType: 7000000000000000021n,
  badXml: 7000000000000000022n,
  system: 7000000000000000023n,
  imageMissing: 7000000000000000024n,
  voiceMissing: 7000000000000000025n,
  voiceBroken: 7000000000000000026n,
  groupText: 7100000000000000001n,
  groupOwner: 7100000000000000002n,
  groupNick: 7100000000000000003n,
  badExtra: 7100000000000000004n,
  groupImage: 7100000000000000005n,
  groupSystem: 7100000000000000006n,
  groupQuote: 7100000000000000007n,
  groupAmr: 7100000000000000008n,
  groupGif: 7100000000000000009n,
  peer2Text: 7200000000000000001n,
} as const;

// ---------------------------------------------------------------------------------------------------
// Encoders the importer does NOT share: protobuf (BytesExtra) written by hand, LZ4 by lz4js.

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}
const lengthDelimited = (field: number, payload: Buffer): Buffer => Buffer.concat([varint((field << 3) | 2), varint(payload.length), payload]);
const varintField = (field: number, n: number): Buffer => Buffer.concat([varint(field << 3), varint(n)]);

/** BytesExtra: `{ 1: { 1: 16, 2: 0 }, repeated 3: { 1: kind, 2: value } }`. */
export function bytesExtra(entries: readonly [kind: number, value: string][]): Buffer {
  return Buffer.concat([
    lengthDelimited(1, Buffer.concat([varintField(1, 16), varintField(2, 0)])),
    ...entries.map(([kind, value]) => lengthDelimited(3, Buffer.concat([varintField(1, kind), lengthDelimited(2, Buffer.from(value, 'utf8'))]))),
  ]);
}

/** LZ4 block of UTF-8 text, as `CompressContent` holds app messages. */
export function lz4(text: string): Buffer {
  const src = Buffer.from(text, 'utf8');
  const out = new Uint8Array(src.length + Math.ceil(src.length / 255) + 32);
  const n = compressBlock(src, out, 0, src.length, new Uint32Array(1 << 16));
  if (n === 0) throw new Error('fixture text does not compress; make it longer');
  return Buffer.from(out.subarray(0, n));
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

// ---------------------------------------------------------------------------------------------------
// Schemas (reference B.1)

export const MSG_COLUMNS = [
  'localId', 'TalkerId', 'MsgSvrID', 'Type', 'SubType', 'IsSender', 'CreateTime', 'Sequence', 'StatusEx', 'FlagEx', 'Status',
  'MsgServerSeq', 'MsgSequence', 'StrTalker', 'StrContent', 'DisplayContent', 'Reserved0', 'Reserved1', 'Reserved2',
  'Reserved3', 'Reserved4', 'Reserved5', 'Reserved6', 'CompressContent', 'BytesExtra', 'BytesTrans',
] as const;

const COLUMN_TYPES: { [c: string]: string } = {
  localId: 'INTEGER PRIMARY KEY AUTOINCREMENT', StrTalker: 'TEXT', StrContent: 'TEXT', DisplayContent: 'TEXT', Reserved4: 'TEXT', Reserved5: 'TEXT',
  Reserved6: 'TEXT', CompressContent: 'BLOB', BytesExtra: 'BLOB', BytesTrans: 'BLOB',
};

export interface MsgRow {
  svr: bigint;
  type: number;
  subType?: number;
  isSender?: 0 | 1;
  time: number;
  talker: string;
  content?: string;
  /** Put the content LZ4-compressed into CompressContent and leave StrContent empty (app messages). */
  compress?: boolean;
  extra?: Buffer | null;
}

/** Writes an MSG shard; `omit` leaves columns out (a damaged or foreign schema). */
export function writeMsgShard(file: string, rows: readonly MsgRow[], options: { omit?: readonly string[]; filler?: number } = {}): void {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Sqlite(file);
  const cols = MSG_COLUMNS.filter((c) => !options.omit?.includes(c));
  db.exec(`CREATE TABLE MSG (${cols.map((c) => `${c} ${COLUMN_TYPES[c] ?? 'INT'}`).join(', ')})`);
  db.exec('CREATE INDEX MSG_CREATETIME ON MSG (CreateTime)');
  const values = (r: MsgRow, seq: number): { [c: string]: unknown } => ({
    TalkerId: 0, MsgSvrID: r.svr, Type: r.type, SubType: r.subType ?? 0, IsSender: r.isSender ?? 0, CreateTime: r.time,
    Sequence: r.time * 1000 + seq, StatusEx: 0, FlagEx: 0, Status: r.isSender === 1 ? 2 : 3, MsgServerSeq: 1, MsgSequence: 700000 + seq,
    StrTalker: r.talker, StrContent: r.compress ? '' : r.content ?? '', DisplayContent: '', Reserved0: 0, Reserved1: 0, Reserved2: 0, Reserved3: 0,
    Reserved4: '', Reserved5: '', Reserved6: '', CompressContent: r.compress ? lz4(r.content ?? '') : null, BytesExtra: r.extra ?? null, BytesTrans: null,
  });
  const insertCols = cols.filter((c) => c !== 'localId');
  const insert = db.prepare(`INSERT INTO MSG (${insertCols.join(', ')}) VALUES (${insertCols.map((c) => `@${c}`).join(', ')})`);
  db.transaction(() => {
    rows.forEach((r, i) => {
      const v = values(r, i);
      insert.run(Object.fromEntries(insertCols.map((c) => [c, v[c]])));
    });
    for (let i = 0; i < (options.filler ?? 0); i++) {
      const v = values({ svr: 7900000000000000000n + BigInt(i), type: 1, time: PC3.t0 + 5000 + i, talker: PC3.peer2, content: `填充消息 ${i} ${'x'.repeat(200)}` }, i);
      insert.run(Object.fromEntries(insertCols.map((c) => [c, v[c]])));
    }
  })();
  db.close();
}

// ---------------------------------------------------------------------------------------------------
// The messages

const appmsg = (inner: string, from = ''): string => `<?xml version="1.0"?>\n<msg>\n\t<appmsg appid="" sdkver="0">${inner}</appmsg>\n\t<fromusername>${from}</fromusername>\n\t<scene>0</scene>\n</msg>\n`;
const fileStorage = (...parts: string[]): string => [PC3.owner, 'FileStorage', ...parts].join('\\');

/** Paths of the media files, relative to the account folder. */
export const FILES = {
  image: ['FileStorage', 'MsgAttach', md5(PC3.peer), 'Image', '2026-03', 'a1b2c3d4e5f60718293a4b5c6d7e8f90.dat'],
  imageThumb: ['FileStorage', 'MsgAttach', md5(PC3.peer), 'Thumb', '2026-03', 'a1b2c3d4e5f60718293a4b5c6d7e8f90_t.dat'],
  groupImage: ['FileStorage', 'MsgAttach', md5(PC3.room), 'Image', '2026-03', '0badc0de0badc0de0badc0de0badc0de.dat'],
  groupGif: ['FileStorage', 'MsgAttach', md5(PC3.room), 'Image', '2026-03', 'feedfacefeedfacefeedfacefeedface.dat'],
  video: ['FileStorage', 'Video', '2026-03', '9f8e7d6c5b4a39281706f5e4d3c2b1a0.mp4'],
  videoThumb: ['FileStorage', 'Video', '2026-03', '9f8e7d6c5b4a39281706f5e4d3c2b1a0.jpg'],
  file: ['FileStorage', 'File', '2026-03', PC3.docxName],
  missingImage: ['FileStorage', 'MsgAttach', md5(PC3.peer), 'Image', '2026-03', '00000000000000000000000000000000.dat'],
} as const;

export const RECORD_ITEMS_XML = '<recordinfo><title>群聊的聊天记录</title><desc>张三: 发票已开</desc><datalist count="2">'
  + '<dataitem datatype="1" dataid="r1"><datadesc>发票已开，请查收</datadesc><sourcename>张三</sourcename><sourcetime>2026-03-01 10:00</sourcetime></dataitem>'
  + '<dataitem datatype="8" dataid="r2"><datatitle>对账单.xlsx</datatitle><sourcename>刘会计</sourcename><datafmt>xlsx</datafmt><datasize>8192</datasize></dataitem>'
  + '</datalist></recordinfo>';

export interface Pc3Messages {
  shard0: MsgRow[];
  shard1: MsgRow[];
}

export function pc3Messages(): Pc3Messages {
  const t = PC3.t0;
  const peer = PC3.peer;
  const room = PC3.room;
  const shard0: MsgRow[] = [
    { svr: SVR.text, type: 1, time: t, talker: peer, content: '您好，合同草稿已发您邮箱' },
    { svr: SVR.textSent, type: 1, isSender: 1, time: t + 60, talker: peer, content: '收到，下午看' },
    {
      svr: SVR.image, type: 3, time: t + 120, talker: peer,
      content: '<?xml version="1.0"?>\n<msg>\n\t<img aeskey="00112233" encryver="1" length="2048" md5="a1b2c3d4e5f60718293a4b5c6d7e8f90" />\n</msg>\n',
      extra: bytesExtra([[3, fileStorage(...FILES.imageThumb.slice(1))], [4, fileStorage(...FILES.image.slice(1))]]),
    },
    { svr: SVR.voice, type: 34, time: t + 180, talker: peer, content: '<msg><voicemsg endflag="1" cancelflag="0" voiceformat="4" voicelength="2000" length="1500" /></msg>' },
    {
      svr: SVR.video, type: 43, isSender: 1, time: t + 240, talker: peer,
      content: '<?xml version="1.0"?>\n<msg>\n\t<videomsg aeskey="k" length="4096" playlength="1" md5="9f8e7d6c5b4a39281706f5e4d3c2b1a0" />\n</msg>\n',
      extra: bytesExtra([[3, fileStorage(...FILES.videoThumb.slice(1))], [4, fileStorage(...FILES.video.slice(1))]]),
    },
    {
      svr: SVR.file, type: 49, subType: 6, time: t + 300, talker: peer, compress: true,
      content: appmsg(`<title>${PC3.docxName}</title><des></des><type>6</type><appattach><totallen>4321</totallen><fileext>docx</fileext></appattach><md5>0123456789abcdef0123456789abcdef</md5>`, peer),
      extra: bytesExtra([[4, fileStorage(...FILES.file.slice(1))]]),
    },
    { svr: SVR.link, type: 49, subType: 5, isSender: 1, time: t + 360, talker: peer, content: appmsg('<title>新版报价说明</title><des>2026 年价格调整</des><type>5</type><url>https://news.example/p?id=7&amp;s=1</url><sourcedisplayname>行业周刊</sourcedisplayname>') },
    {
      svr: SVR.quote, type: 49, subType: 57, time: t + 420, talker: peer, compress: true,
      content: appmsg(`<title>好的，我周五前确认</title><type>57</type><refermsg><type>1</type><svrid>${SVR.text}</svrid><fromusr>${peer}</fromusr><chatusr>${peer}</chatusr><displayname>陈律师</displayname><content>您好，合同草稿已发您邮箱</content><createtime>${t}</createtime></refermsg>`),
    },
    { svr: SVR.revoke, type: 10002, time: t + 480, talker: peer, content: `<sysmsg type="revokemsg"><revokemsg><session>${peer}</session><msgid>1043</msgid><newmsgid>${SVR.revoked}</newmsgid><replacemsg><![CDATA["陈律师" 撤回了一条消息]]></replacemsg></revokemsg></sysmsg>` },
    { svr: SVR.call, type: 50, isSender: 1, time: t + 540, talker: peer, content: '<voipmsg type="VoIPBubbleMsg"><VoIPBubbleMsg><msg><![CDATA[通话时长 01:23]]></msg>\n<room_type>1</room_type>\n<red_dot>false</red_dot>\n<duration>0</duration>\n</VoIPBubbleMsg></voipmsg>' },
    { svr: SVR.card, type: 42, time: t + 600, talker: peer, content: '<?xml version="1.0"?>\n<msg bigheadimgurl="" username="wxid_card7777" nickname="王经理" alias="wang_mgr" province="上海" city="" sex="1" />\n' },
    { svr: SVR.location, type: 48, time: t + 660, talker: peer, content: '<?xml version="1.0"?>\n<msg>\n\t<location x="31.230416" y="121.473701" scale="16" label="上海市黄浦区人民大道200号" poiname="人民广场" maptype="roadmap" />\n</msg>\n' },
    { svr: SVR.emoji, type: 47, time: t + 720, talker: peer, content: '<msg><emoji fromusername="wxid_peer0001" type="2" md5="e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1" len="1234" cdnurl="http://emoji.example/e1?m=1&amp;f=2" width="240" height="240" /></msg>' },
    { svr: SVR.transfer, type: 49, subType: 2000, isSender: 1, time: t + 780, talker: peer, content: appmsg('<title>微信转账</title><des>转账1000.00元</des><type>2000</type><wcpayinfo><paysubtype>1</paysubtype><feedesc>￥1,000.00</feedesc><transferid>1000050001202603</transferid><pay_memo>律师费首付款</pay_memo></wcpayinfo>') },
    { svr: SVR.redpacket, type: 49, subType: 2001, time: t + 840, talker: peer, content: appmsg('<title>微信红包</title><des>我给你发了一个红包</des><type>2001</type><wcpayinfo><sendertitle>新年快乐，万事如意</sendertitle><scenetext>微信红包</scenetext></wcpayinfo>') },
    { svr: SVR.miniprogram, type: 49, subType: 33, time: t + 900, talker: peer, content: appmsg('<title>快递单号查询</title><type>33</type><sourcedisplayname>快递助手</sourcedisplayname><weappinfo><username>gh_0001@app</username><appid>wx0001</appid><pagepath>pages/q.html</pagepath></weappinfo>') },
    { svr: SVR.channels, type: 49, subType: 51, time: t + 960, talker: peer, content: appmsg('<title>当前微信版本不支持展示该内容</title><type>51</type><finderFeed><objectId>14000001</objectId><nickname>城市观察</nickname><desc>外滩夜景延时摄影</desc></finderFeed>') },
    { svr: SVR.chatrecord, type: 49, subType: 19, isSender: 1, time: t + 1020, talker: peer, compress: true, content: appmsg(`<title>群聊的聊天记录</title><des>张三: 发票已开</des><type>19</type><recorditem><![CDATA[${RECORD_ITEMS_XML}]]></recorditem>`) },
    { svr: SVR.music, type: 49, subType: 3, time: t + 1080, talker: peer, content: appmsg('<title>茉莉花</title><des>民乐合奏</des><type>3</type><url>http://music.example/jasmine</url>') },
    { svr: SVR.unknownApp, type: 49, subType: 999, time: t + 1140, talker: peer, content: appmsg('<title>新玩法卡片</title><des>暂不支持</des><type>999</type>') },
    { svr: SVR.groupText, type: 1, time: t + 30, talker: room, content: '王经理，发票明天寄出', extra: bytesExtra([[1, PC3.member1], [7, '<msgsource><silence>0</silence></msgsource>']]) },
    { svr: SVR.groupOwner, type: 1, isSender: 1, time: t + 90, talker: room, content: '好的，辛苦', extra: bytesExtra([[1, PC3.owner]]) },
    { svr: SVR.groupNick, type: 1, time: t + 150, talker: room, content: '我是新来的李四', extra: bytesExtra([[1, PC3.member2]]) },
    { svr: SVR.badExtra, type: 1, time: t + 210, talker: room, content: '这一行的 BytesExtra 坏了', extra: Buffer.from([0x1a, 0x40, 0x08, 0x01, 0x12]) },
    {
      svr: SVR.groupImage, type: 3, time: t + 270, talker: room, content: '<msg><img length="100" md5="0badc0de0badc0de0badc0de0badc0de" /></msg>',
      extra: bytesExtra([[1, PC3.member1], [4, fileStorage(...FILES.groupImage.slice(1))]]),
    },
    { svr: SVR.groupSystem, type: 10000, time: t + 330, talker: room, content: '"张三"邀请"李四(华东)"加入了群聊' },
  ];
  const shard1: MsgRow[] = [
    { svr: SVR.unknownType, type: 35, time: t + 1200, talker: peer, content: '<msg><pushmail><content><subject><![CDATA[季度对账邮件]]></subject></content></pushmail></msg>' },
    { svr: SVR.badXml, type: 49, subType: 5, time: t + 1260, talker: peer, content: '<msg><appmsg><title>机密链接</title><type>5</type></msg>' },
    { svr: SVR.system, type: 10000, time: t + 1320, talker: peer, content: '你已添加了陈律师，现在可以开始聊天了。' },
    {
      svr: SVR.imageMissing, type: 3, time: t + 1380, talker: peer, content: '<msg><img length="100" md5="00000000000000000000000000000000" /></msg>',
      extra: bytesExtra([[4, fileStorage(...FILES.missingImage.slice(1))]]),
    },
    { svr: SVR.voiceMissing, type: 34, time: t + 1440, talker: peer, content: '<msg><voicemsg voicelength="1000" /></msg>' },
    { svr: SVR.voiceBroken, type: 34, time: t + 1450, talker: peer, content: '<msg><voicemsg voicelength="500" /></msg>' },
    // Two identical local notices without a server id, in the same second.
    { svr: 0n, type: 10000, time: t + 1500, talker: peer, content: '消息已发出，但被对方拒收了。' },
    { svr: 0n, type: 10000, time: t + 1500, talker: peer, content: '消息已发出，但被对方拒收了。' },
    {
      svr: SVR.groupQuote, type: 49, subType: 57, time: t + 390, talker: room, compress: true,
      content: appmsg(`<title>明天几点？</title><type>57</type><refermsg><type>1</type><svrid>${SVR.groupText}</svrid><fromusr>${room}</fromusr><chatusr>${PC3.member1}</chatusr><displayname>张三</displayname><content>王经理，发票明天寄出</content></refermsg>`, PC3.member2),
      extra: bytesExtra([[1, PC3.member2]]),
    },
    { svr: SVR.groupAmr, type: 34, time: t + 450, talker: room, content: '<msg><voicemsg voicelength="1500" /></msg>', extra: bytesExtra([[1, PC3.member1]]) },
    {
      svr: SVR.groupGif, type: 3, isSender: 1, time: t + 510, talker: room, content: '<msg><img length="43" md5="feedfacefeedfacefeedfacefeedface" /></msg>',
      extra: bytesExtra([[1, PC3.owner], [4, fileStorage(...FILES.groupGif.slice(1))]]),
    },
    { svr: SVR.peer2Text, type: 1, isSender: 1, time: t + 2000, talker: PC3.peer2, content: '刘会计，请把三月的对账单发我' },
  ];
  return { shard0, shard1 };
}

// ---------------------------------------------------------------------------------------------------
// The export

export interface Pc3Export {
  /** The account folder (`WeChat Files/<wxid>`): what the user imports. */
  account: string;
  msg0: string;
  msg1: string;
  mediaMsg: string;
  microMsg: string;
  media: { jpeg: Buffer; png: Buffer; gif: Buffer; silk: Buffer; amr: Buffer; mp4: Buffer; thumb: Buffer; docx: Buffer };
  messages: Pc3Messages;
}

export async function buildPc3Export(dir: string, options: { filler?: number } = {}): Promise<Pc3Export> {
  const account = join(dir, PC3.owner);
  const multi = join(account, 'Msg', 'Multi');
  const messages = pc3Messages();
  const exp: Pc3Export = {
    account,
    msg0: join(multi, 'MSG0.db'),
    msg1: join(multi, 'MSG1.db'),
    mediaMsg: join(multi, 'MediaMSG0.db'),
    microMsg: join(account, 'Msg', 'MicroMsg.db'),
    media: { jpeg: jpegImage(1), png: pngImage(), gif: GIF_1X1, silk: await silkVoice(2), amr: amrVoice(1.5), mp4: mp4Video(), thumb: jpegImage(2), docx: docxFile() },
    messages,
  };
  writeMsgShard(exp.msg0, messages.shard0);
  writeMsgShard(exp.msg1, messages.shard1, { filler: options.filler ?? 0 });

  const media = new Sqlite(exp.mediaMsg);
  media.exec('CREATE TABLE Media (Key TEXT, Reserved0 INT, Buf BLOB, Reserved1 INT, Reserved2 TEXT)');
  const addVoice = media.prepare('INSERT INTO Media (Key, Reserved0, Buf, Reserved1, Reserved2) VALUES (?, ?, ?, 0, ?)');
  addVoice.run('k1', SVR.voice, exp.media.silk, '');
  addVoice.run('k2', SVR.groupAmr, exp.media.amr, '');
  addVoice.run('k3', 123n, Buffer.from('#!SILK_V3 not ours'), '');
  addVoice.run('k4', SVR.voiceBroken, BROKEN_SILK, '');
  media.close();

  const micro = new Sqlite(exp.microMsg);
  micro.exec(`CREATE TABLE Contact (UserName TEXT PRIMARY KEY, Alias TEXT, EncryptUserName TEXT, DelFlag INT, Type INT, VerifyFlag INT, Reserved1 INT, Reserved2 INT,
    Reserved3 TEXT, Reserved4 TEXT, Remark TEXT, NickName TEXT, LabelIDList TEXT, DomainList TEXT, ChatRoomType INT, PYInitial TEXT, QuanPin TEXT,
    RemarkPYInitial TEXT, RemarkQuanPin TEXT, BigHeadImgUrl TEXT, SmallHeadImgUrl TEXT, HeadImgMd5 TEXT, ChatRoomNotify INT, Reserved5 INT,
    Reserved6 TEXT, Reserved7 TEXT, ExtraBuf BLOB)`);
  micro.exec(`CREATE TABLE ChatRoom (ChatRoomName TEXT PRIMARY KEY, UserNameList TEXT, DisplayNameList TEXT, ChatRoomFlag INT DEFAULT 0, Owner INT DEFAULT 0,
    IsShowName INT DEFAULT 0, SelfDisplayName TEXT, Reserved1 INT, Reserved2 TEXT, Reserved3 INT, Reserved4 TEXT, Reserved5 INT, Reserved6 TEXT, RoomData BLOB,
    Reserved7 INT, Reserved8 TEXT)`);
  micro.exec('CREATE TABLE Session (strUsrName TEXT PRIMARY KEY, nOrder INT, nUnReadCount INT, strNickName TEXT, nStatus INT, nIsSend INT, strContent TEXT, nMsgLocalID INT, nMsgStatus INT, nTime INT, nMsgType INT, Reserved2 INT)');
  const contact = micro.prepare('INSERT INTO Contact (UserName, Alias, DelFlag, Type, VerifyFlag, Remark, NickName, ChatRoomType) VALUES (?, ?, 0, ?, 0, ?, ?, ?)');
  contact.run(PC3.owner, 'zhouming', 1, '', PC3.ownerName, 0);
  contact.run(PC3.peer, 'chen_lawyer', 3, PC3.peerName, 'Chen', 0);
  contact.run(PC3.peer2, '', 3, '', PC3.peer2Name, 0);
  contact.run(PC3.member1, '', 3, '', PC3.member1Name, 0);
  contact.run(PC3.room, '', 2, '', PC3.roomName, 1);
  micro.prepare('INSERT INTO ChatRoom (ChatRoomName, UserNameList, DisplayNameList, Reserved2) VALUES (?, ?, ?, ?)').run(
    PC3.room, [PC3.owner, PC3.member1, PC3.member2].join('\u0007'), ['', '', PC3.member2GroupNick].join('\u0007'), PC3.member1,
  );
  micro.prepare('INSERT INTO Session (strUsrName, nOrder, nTime, nMsgType) VALUES (?, 1, ?, 1)').run(PC3.peer, PC3.t0 + 1500);
  micro.close();

  const put = (parts: readonly string[], data: Buffer): void => {
    const full = join(account, ...parts);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, data);
  };
  put(FILES.image, xorDat(exp.media.jpeg, 0x5a));
  put(FILES.imageThumb, xorDat(exp.media.thumb, 0x5a));
  put(FILES.groupImage, xorDat(exp.media.png, 0xc3));
  put(FILES.groupGif, xorDat(exp.media.gif, 0x01));
  put(FILES.video, exp.media.mp4);
  put(FILES.videoThumb, exp.media.thumb);
  put(FILES.file, exp.media.docx);
  return exp;
}

/** A voice note whose SILK header is fine and whose frames are not: archived, but no WAV. */
export const BROKEN_SILK = Buffer.concat([Buffer.from('\x02#!SILK_V3', 'latin1'), Buffer.from([0xff, 0xff, 1, 2, 3])]);

/** Rows the reader yields as messages (all but the bad XML and the bad BytesExtra). */
export const PC3_BAD = [SVR.badXml, SVR.badExtra] as const;
