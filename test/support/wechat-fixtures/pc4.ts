import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3-multiple-ciphers';
import {
  BASE_TIME, FILE_NAME, IMAGE_MD5, MEMBER_LI, MEMBER_LI_NAME, MEMBER_WANG, MEMBER_WANG_NAME, OWNER, OWNER_NAME, PEER, PEER_NAME, PEER_REMARK, ROOM, ROOM_NAME,
  VIDEO_MD5, content,
} from './sample-messages.js';
import { docxFile, jpegImage, mp4Video, silkVoice, xorDat } from './media.js';

/**
 * A decrypted WeChat 4.x export (reference B.2), built by us from the documented schema:
 *
 *   xwechat_files/<owner>_a1b2/db_storage/message/message_0.db, message_1.db   Name2Id, Timestamp,
 *       one Msg_<md5(talker)> table per chat (the chatlog column list), local_type = (sub << 32) | type,
 *       app-message bodies zstd-compressed (made with Debian's zstd), group bodies `wxid:\n`-prefixed
 *   …/db_storage/message/media_0.db   VoiceInfo (SILK voice)
 *   …/db_storage/contact/contact.db   contact, chat_room
 *   …/msg/attach/<md5(talker)>/2026-03/Img/<md5>.dat (XOR-ed JPEG), msg/video/2026-03/<md5>.mp4,
 *   …/msg/file/2026-03/<name>
 */

export interface FixtureMedia {
  jpeg: Buffer;
  silk: Buffer;
  mp4: Buffer;
  docx: Buffer;
}

/** Real media (media.ts): a JPEG, a SILK voice note from silk-wasm's encoder, an MP4, a DOCX. */
export async function fixtureMedia(): Promise<FixtureMedia> {
  return { jpeg: jpegImage(3), silk: await silkVoice(2), mp4: mp4Video(), docx: docxFile() };
}

export const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

// -- protobuf, hand-encoded (independent of the reader's decoder) --------------------------------

function varint(n: bigint | number): Buffer {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}
export const pbVarint = (field: number, v: number | bigint): Buffer => Buffer.concat([varint((field << 3) | 0), varint(v)]);
export const pbBytes = (field: number, v: Buffer | string): Buffer => {
  const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
  return Buffer.concat([varint((field << 3) | 2), varint(b.length), b]);
};

export function zstd(text: string): Buffer {
  const r = spawnSync('zstd', ['-q', '-c', '-19'], { input: Buffer.from(text, 'utf8') });
  if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr.toString()}`);
  return r.stdout;
}

export const XOR_KEY = 0x37;

// -- the chats --------------------------------------------------------------------------------

export const ACCOUNT = `${OWNER}_a1b2`;

/** Server ids above 2^53 (as real ones are): exact digits must survive. */
const sid = (n: number): string => (7_100_000_000_000_000_000n + BigInt(n)).toString();

export interface Pc4Row {
  localId: number;
  serverId: string;
  type: number;
  subType: number;
  sender: string;
  /** Seconds after BASE_TIME. */
  at: number;
  body: string | Buffer;
  /** Group messages from others carry the `wxid:\n` prefix. */
  prefixed?: boolean;
  compress?: boolean;
  packed?: Buffer;
  status?: number;
}

export const PC4_IDS = {
  firstText: sid(1),
  toBeRevoked: sid(14),
  revoke: sid(15),
  quote: sid(13),
  voice: sid(4),
  image: sid(3),
  video: sid(5),
  file: sid(6),
  missingImage: sid(18),
  groupWang: sid(101),
  groupQuote: sid(109),
  laterShard: sid(201),
};

export const PC4_TEXTS = {
  first: '周经理，合同已经盖章，发票明天寄出。',
  revoked: '这条消息会被撤回：底价是九十万',
  transcript: '明天上午十点到公司签合同',
  group: '各位，华东项目下周一启动，请准备材料。',
  later: '新分库里的消息：尾款已付',
};

function directRows(media: FixtureMedia): Pc4Row[] {
  const imagePacked = Buffer.concat([pbVarint(1, 3), pbVarint(2, 1), pbBytes(3, Buffer.concat([pbVarint(1, 1), pbBytes(4, IMAGE_MD5)]))]);
  const videoPacked = Buffer.concat([pbVarint(1, 43), pbVarint(2, 1), pbBytes(4, Buffer.concat([pbVarint(1, 1), pbBytes(4, VIDEO_MD5)]))]);
  const voicePacked = Buffer.concat([pbVarint(1, 34), pbVarint(2, 1), pbBytes(5, Buffer.concat([pbVarint(1, 2), pbBytes(2, PC4_TEXTS.transcript)]))]);
  const missingPacked = Buffer.concat([pbVarint(1, 3), pbBytes(3, pbBytes(4, 'ffffffffffffffffffffffffffffffff'))]);
  return [
    { localId: 1, serverId: sid(1), type: 1, subType: 0, sender: PEER, at: 0, body: PC4_TEXTS.first },
    { localId: 2, serverId: sid(2), type: 1, subType: 0, sender: OWNER, at: 60, body: '收到，谢谢', status: 2 },
    { localId: 3, serverId: sid(3), type: 3, subType: 0, sender: PEER, at: 120, body: content.image(), compress: true, packed: imagePacked },
    { localId: 4, serverId: sid(4), type: 34, subType: 0, sender: PEER, at: 180, body: content.voice(2000, PEER), packed: voicePacked },
    { localId: 5, serverId: sid(5), type: 43, subType: 0, sender: OWNER, at: 240, body: content.video(), compress: true, packed: videoPacked },
    { localId: 6, serverId: sid(6), type: 49, subType: 6, sender: OWNER, at: 300, body: content.file(FILE_NAME, media.docx.length), compress: true },
    { localId: 7, serverId: sid(7), type: 49, subType: 5, sender: PEER, at: 360, body: content.link('2026年度采购框架协议解读', '关键条款与付款节点', 'https://example.invalid/a?id=1&x=2'), compress: true },
    { localId: 8, serverId: sid(8), type: 50, subType: 0, sender: PEER, at: 420, body: content.call('02:05') },
    { localId: 9, serverId: sid(9), type: 48, subType: 0, sender: OWNER, at: 480, body: content.location() },
    { localId: 10, serverId: sid(10), type: 42, subType: 0, sender: PEER, at: 540, body: content.card() },
    { localId: 11, serverId: sid(11), type: 47, subType: 0, sender: OWNER, at: 600, body: content.emoji(OWNER, PEER) },
    { localId: 12, serverId: sid(12), type: 49, subType: 2000, sender: PEER, at: 660, body: content.transfer(), compress: true },
    { localId: 13, serverId: sid(13), type: 49, subType: 57, sender: OWNER, at: 720, body: content.quote('好的，按这个执行', sid(1), PEER, PEER_NAME, PC4_TEXTS.first), compress: true },
    { localId: 14, serverId: sid(14), type: 1, subType: 0, sender: PEER, at: 780, body: PC4_TEXTS.revoked },
    // 4.x writes revoke notices as type 10000 with sysmsg XML (reference C.4).
    { localId: 15, serverId: sid(15), type: 10000, subType: 0, sender: PEER, at: 800, body: content.revoke(PEER, 14, sid(14), PEER_NAME) },
    { localId: 16, serverId: sid(16), type: 9999, subType: 0, sender: PEER, at: 840, body: '未知类型的消息内容' },
    { localId: 17, serverId: sid(17), type: 49, subType: 5, sender: PEER, at: 900, body: content.brokenAppMessage() },
    { localId: 18, serverId: sid(18), type: 3, subType: 0, sender: PEER, at: 960, body: content.image('ffffffffffffffffffffffffffffffff'), packed: missingPacked },
    // A local notice without a server id.
    { localId: 19, serverId: '0', type: 10000, subType: 0, sender: PEER, at: 1020, body: '以上是打招呼的内容' },
    // A body that claims zstd but is not.
    { localId: 20, serverId: sid(20), type: 1, subType: 0, sender: PEER, at: 1080, body: Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.from('not really zstd')]) },
  ];
}

function groupRows(): Pc4Row[] {
  return [
    { localId: 1, serverId: sid(101), type: 1, subType: 0, sender: MEMBER_WANG, at: 3600, body: PC4_TEXTS.group, prefixed: true },
    { localId: 2, serverId: sid(102), type: 1, subType: 0, sender: MEMBER_LI, at: 3660, body: '收到，我来整理技术方案', prefixed: true },
    { localId: 3, serverId: sid(103), type: 1, subType: 0, sender: OWNER, at: 3720, body: '预算表周五前发群里', status: 2 },
    { localId: 4, serverId: sid(104), type: 49, subType: 2001, sender: MEMBER_WANG, at: 3780, body: content.redPacket(), prefixed: true, compress: true },
    { localId: 5, serverId: sid(105), type: 49, subType: 19, sender: MEMBER_LI, at: 3840, body: content.chatRecord(), prefixed: true, compress: true },
    { localId: 6, serverId: sid(106), type: 10000, subType: 0, sender: ROOM, at: 3900, body: `"${MEMBER_WANG_NAME}"邀请"${MEMBER_LI_NAME}"加入了群聊` },
    { localId: 7, serverId: sid(107), type: 49, subType: 33, sender: MEMBER_WANG, at: 3960, body: content.miniProgram(), prefixed: true, compress: true },
    { localId: 8, serverId: sid(108), type: 49, subType: 51, sender: MEMBER_LI, at: 4020, body: content.channels(), prefixed: true, compress: true },
    { localId: 9, serverId: sid(109), type: 49, subType: 57, sender: MEMBER_WANG, at: 4080, body: content.quote('技术方案周三前给我', sid(102), MEMBER_LI, MEMBER_LI_NAME, '收到，我来整理技术方案'), prefixed: true, compress: true },
  ];
}

const MSG_TABLE = (name: string): string => `CREATE TABLE ${name}(
  local_id INTEGER PRIMARY KEY AUTOINCREMENT, server_id INTEGER, local_type INTEGER, sort_seq INTEGER, real_sender_id INTEGER,
  create_time INTEGER, status INTEGER, upload_status INTEGER, download_status INTEGER, server_seq INTEGER, origin_source INTEGER,
  source TEXT, message_content TEXT, compress_content TEXT, packed_info_data BLOB, WCDB_CT_message_content INTEGER DEFAULT NULL,
  WCDB_CT_source INTEGER DEFAULT NULL)`;

function writeMessageDb(path: string, chats: { talker: string; rows: Pc4Row[] }[], extra?: (db: Sqlite.Database) => void): void {
  const db = new Sqlite(path);
  db.exec('CREATE TABLE Name2Id(user_name TEXT PRIMARY KEY, is_session INTEGER)');
  db.exec('CREATE TABLE Timestamp(timestamp INTEGER)');
  db.prepare('INSERT INTO Timestamp VALUES (?)').run(BASE_TIME - 86_400);
  const nameId = new Map<string, number>();
  const idOf = (name: string): number => {
    let id = nameId.get(name);
    if (id === undefined) {
      id = Number(db.prepare('INSERT INTO Name2Id(user_name, is_session) VALUES (?, 1)').run(name).lastInsertRowid);
      nameId.set(name, id);
    }
    return id;
  };
  for (const { talker, rows } of chats) {
    const table = `Msg_${md5(talker)}`;
    db.exec(MSG_TABLE(table));
    idOf(talker);
    const insert = db.prepare(`INSERT INTO ${table}(local_id, server_id, local_type, sort_seq, real_sender_id, create_time, status, upload_status, download_status,
      server_seq, origin_source, source, message_content, compress_content, packed_info_data, WCDB_CT_message_content) VALUES (?,?,?,?,?,?,?,0,0,0,0,'',?,NULL,?,?)`);
    const run = db.transaction((list: Pc4Row[]) => {
      for (const r of list) {
        const text = typeof r.body === 'string' ? (r.prefixed ? `${r.sender}:\n${r.body}` : r.body) : r.body;
        const body = r.compress && typeof text === 'string' ? zstd(text) : text;
        const localType = (BigInt(r.subType) << 32n) | BigInt(r.type);
        const created = BASE_TIME + r.at;
        insert.run(r.localId, BigInt(r.serverId), localType, BigInt(created) * 1000n + BigInt(r.localId % 1000), idOf(r.sender), created, r.status ?? (r.sender === OWNER ? 2 : 4), body, r.packed ?? null, Buffer.isBuffer(body) ? 4 : 0);
      }
    });
    run(rows);
  }
  extra?.(db);
  db.close();
}

export interface Pc4Fixture {
  /** The account folder (`xwechat_files/<owner>_a1b2`). */
  account: string;
  dbStorage: string;
  messageDb: string;
  expectedRows: number;
  /** Rows that must be quarantined (location parts and reason). */
  badRows: { table: string; row: number; reason: RegExp }[];
}

export const BULK_PEER = 'wxid_bulk7chat';

/** `filler` adds that many text messages in a third chat (for the crash test). */
export function writePc4Export(dir: string, media: FixtureMedia, options: { corrupt?: boolean; filler?: number } = {}): Pc4Fixture {
  const account = join(dir, 'xwechat_files', ACCOUNT);
  const dbStorage = join(account, 'db_storage');
  mkdirSync(join(dbStorage, 'message'), { recursive: true });
  mkdirSync(join(dbStorage, 'contact'), { recursive: true });
  const direct = directRows(media);
  const group = groupRows();
  const messageDb = join(dbStorage, 'message', 'message_0.db');
  const bulk: Pc4Row[] = Array.from({ length: options.filler ?? 0 }, (_, i) => ({
    localId: i + 1, serverId: sid(1_000_000 + i), type: 1, subType: 0, sender: i % 2 === 0 ? BULK_PEER : OWNER, at: 7200 + Math.floor(i / 3), body: `批量消息 ${i} 合同条款第${i % 97}条`,
  }));
  const chats = [{ talker: PEER, rows: direct }, { talker: ROOM, rows: group }, ...(bulk.length > 0 ? [{ talker: BULK_PEER, rows: bulk }] : [])];
  writeMessageDb(messageDb, chats, (db) => {
    if (!options.corrupt) return;
    // A chat table with unexpected columns (no message_content).
    db.exec(`CREATE TABLE Msg_${md5('wxid_odd9table')}(local_id INTEGER PRIMARY KEY, server_id INTEGER, local_type INTEGER, create_time INTEGER)`);
    db.prepare(`INSERT INTO Msg_${md5('wxid_odd9table')} VALUES (1, 1, 1, ?)`).run(BASE_TIME);
    db.prepare('INSERT INTO Name2Id(user_name) VALUES (?)').run('wxid_odd9table');
  });
  const later = [{ localId: 1, serverId: sid(201), type: 1, subType: 0, sender: PEER, at: 86_400, body: PC4_TEXTS.later }];
  writeMessageDb(join(dbStorage, 'message', 'message_1.db'), [{ talker: PEER, rows: later }]);

  const mediaDb = new Sqlite(join(dbStorage, 'message', 'media_0.db'));
  mediaDb.exec('CREATE TABLE VoiceInfo(chat_name_id INTEGER, create_time INTEGER, local_id INTEGER, svr_id INTEGER, voice_data BLOB, data_index TEXT)');
  mediaDb.prepare('INSERT INTO VoiceInfo VALUES (1, ?, 4, ?, ?, ?)').run(BASE_TIME + 180, BigInt(sid(4)), media.silk, '0');
  mediaDb.close();

  const contact = new Sqlite(join(dbStorage, 'contact', 'contact.db'));
  contact.exec(`CREATE TABLE contact(id INTEGER PRIMARY KEY, username TEXT, local_type INTEGER, alias TEXT, encrypt_username TEXT, flag INTEGER, delete_flag INTEGER,
    verify_flag INTEGER, remark TEXT, remark_quan_pin TEXT, remark_pin_yin_initial TEXT, nick_name TEXT, pin_yin_initial TEXT, quan_pin TEXT, big_head_url TEXT,
    small_head_url TEXT, head_img_md5 TEXT, chat_room_notify INTEGER, is_in_chat_room INTEGER, description TEXT, extra_buffer BLOB, chat_room_type INTEGER)`);
  contact.exec('CREATE TABLE chat_room(id INTEGER PRIMARY KEY, username TEXT, owner TEXT, ext_buffer BLOB)');
  const addContact = contact.prepare('INSERT INTO contact(username, local_type, alias, remark, nick_name) VALUES (?, ?, ?, ?, ?)');
  addContact.run(OWNER, 1, 'zhou_jl', '', OWNER_NAME);
  addContact.run(PEER, 1, 'zhangsan_gys', PEER_REMARK, PEER_NAME);
  addContact.run(ROOM, 2, '', '', ROOM_NAME);
  addContact.run(MEMBER_LI, 3, '', '', MEMBER_LI_NAME);
  addContact.run(MEMBER_WANG, 3, '', '', MEMBER_WANG_NAME);
  contact.prepare('INSERT INTO chat_room(username, owner, ext_buffer) VALUES (?, ?, ?)').run(ROOM, MEMBER_WANG, Buffer.alloc(0));
  contact.close();

  // Media, in the folders the 4.x client uses (months in the computer's zone, Asia/Shanghai here).
  const imgDir = join(account, 'msg', 'attach', md5(PEER), '2026-03', 'Img');
  mkdirSync(imgDir, { recursive: true });
  writeFileSync(join(imgDir, `${IMAGE_MD5}.dat`), xorDat(media.jpeg, XOR_KEY));
  mkdirSync(join(account, 'msg', 'video', '2026-03'), { recursive: true });
  writeFileSync(join(account, 'msg', 'video', '2026-03', `${VIDEO_MD5}.mp4`), media.mp4);
  mkdirSync(join(account, 'msg', 'file', '2026-03'), { recursive: true });
  writeFileSync(join(account, 'msg', 'file', '2026-03', FILE_NAME), media.docx);

  return {
    account,
    dbStorage,
    messageDb,
    expectedRows: direct.length + group.length + bulk.length + later.length + (options.corrupt ? 1 : 0),
    badRows: [
      { table: `Msg_${md5(PEER)}`, row: 17, reason: /content: app message XML is not well-formed/ },
      { table: `Msg_${md5(PEER)}`, row: 20, reason: /column message_content: zstd frame cannot be decompressed/ },
      ...(options.corrupt ? [{ table: `Msg_${md5('wxid_odd9table')}`, row: 0, reason: /unexpected columns: no sort_seq, real_sender_id, status, message_content/ }] : []),
    ],
  };
}

/** A copy of a database cut to a fraction of its size (a truncated transfer). */
export function truncatedCopy(source: string, target: string, fraction: number): void {
  const bytes = readFileSync(source);
  writeFileSync(target, bytes.subarray(0, Math.floor(bytes.length * fraction)));
}

/** Overwrites the last leaf page of a table with garbage (a damaged sector): rows before it stay readable. */
export function corruptLastLeaf(file: string, table: string): void {
  const db = new Sqlite(file, { readonly: true });
  const page = db.prepare("SELECT max(pageno) AS p FROM dbstat WHERE name = ? AND pagetype = 'leaf'").pluck().get(table) as number | null;
  const size = db.pragma('page_size', { simple: true }) as number;
  db.close();
  if (!page) throw new Error('table has no leaf page');
  const bytes = readFileSync(file);
  bytes.fill(0xee, (page - 1) * size, page * size);
  writeFileSync(file, bytes);
}
