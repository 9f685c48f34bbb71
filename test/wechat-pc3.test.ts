import { closeSync, copyFileSync, mkdirSync, openSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPc3Reader } from '../src/connectors/wechat/pc3/index.js';
import type { WeChatBadRow, WeChatItem, WeChatMessage, WeChatReader } from '../src/connectors/wechat/types.js';
import { tempDir } from './support/cli.js';
import { BROKEN_SILK, buildPc3Export, bytesExtra, FILES, PC3, pc3Messages, SVR, writeMsgShard, type Pc3Export } from './support/wechat-fixtures/pc3.js';
import type { ConnectorAttachment } from '../src/services/import-prepare.js';

/** The bytes of an attachment read into memory (media of the fixtures are small). */
const bytes = (a: ConnectorAttachment | undefined): Buffer => {
  if (a === undefined || !('data' in a)) throw new Error('expected an attachment in memory');
  return a.data;
};

async function collect(reader: WeChatReader): Promise<WeChatItem[]> {
  const out: WeChatItem[] = [];
  for await (const item of reader.items()) out.push(item);
  return out;
}
const messages = (items: WeChatItem[]): WeChatMessage[] => items.filter((i): i is WeChatMessage => i.kind === 'message');
const bad = (items: WeChatItem[]): WeChatBadRow[] => items.filter((i): i is WeChatBadRow => i.kind === 'bad');
const options = (path: string) => ({ path, custodian: 'emp-zhouming', tz: 'Asia/Shanghai' });
const wavSeconds = (w: Buffer): number => w.readUInt32LE(40) / (w.readUInt32LE(24) * 2);

describe('PC WeChat 3.x reader', () => {
  const tmp = tempDir('wechat-pc3');
  let exp: Pc3Export;
  let items: WeChatItem[];
  let byId: Map<string, WeChatMessage>;
  let reader: WeChatReader;

  beforeAll(async () => {
    exp = await buildPc3Export(tmp.path);
    reader = openPc3Reader(options(exp.account));
    items = await collect(reader);
    byId = new Map(messages(items).map((m) => [m.record.id as string, m]));
  });
  afterAll(() => {
    reader.close();
    tmp.cleanup();
  });

  const msg = (svr: bigint): WeChatMessage => {
    const m = byId.get(svr.toString());
    if (!m) throw new Error(`no message ${svr}`);
    return m;
  };
  const record = (svr: bigint) => msg(svr).record as Record<string, unknown> & { wechat: Record<string, unknown>; raw: Record<string, unknown> };

  it('finds the owner, the shards and the names, and counts the rows', () => {
    const { shard0, shard1 } = pc3Messages();
    expect(reader.format).toBe('wechat-pc3');
    expect(reader.ownerWxid).toBe(PC3.owner); // from a sent group message's BytesExtra
    expect(reader.totalRows()).toBe(shard0.length + shard1.length);
    expect(reader.describe()).toBe(`PC WeChat 3.x: 2 MSG shards, ${shard0.length + shard1.length} messages, MicroMsg.db (5 names), 1 MediaMSG database, FileStorage`);
    expect(items).toHaveLength(shard0.length + shard1.length);
    expect(bad(items)).toHaveLength(2);
  });

  it('streams both shards merged in time order', () => {
    const times = messages(items).map((m) => m.record.time as number);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // A group reply from MSG1 sits between MSG0 rows.
    const shards = messages(items).map((m) => (m.record.wechat as { shard: string }).shard);
    expect(shards.indexOf('Msg/Multi/MSG1.db')).toBeLessThan(shards.lastIndexOf('Msg/Multi/MSG0.db'));
  });

  it('a received direct text: people, conversation, time, facts and the raw row', () => {
    const r = record(SVR.text);
    expect(r).toMatchObject({
      source: `wechat:${PC3.owner}`,
      id: '7000000000000000001',
      time: PC3.t0 * 1000,
      conversation: { id: PC3.peer, type: 'direct', title: PC3.peerName },
      from: { id: PC3.peer, name: PC3.peerName },
      to: [{ id: PC3.owner, name: PC3.ownerName }],
      type: 'text',
      text: '您好，合同草稿已发您邮箱',
      custodian: 'emp-zhouming',
      wechat: { type: 1, subType: 0, isSender: false, talker: PC3.peer, shard: 'Msg/Multi/MSG0.db', localId: 1, direction: 'received' },
    });
    expect(r.parent).toBeUndefined();
    expect(r.raw).toMatchObject({ localId: 1, MsgSvrID: '7000000000000000001', Type: 1, CreateTime: PC3.t0, StrTalker: PC3.peer, IsSender: 0, CompressContent: null, BytesExtra: null });
    expect(msg(SVR.text).location).toEqual({ file: 'Msg/Multi/MSG0.db', table: 'MSG', row: 1 });
    expect(msg(SVR.text).media).toEqual([]);
    expect(msg(SVR.text).missingMedia).toEqual([]);
  });

  it('a sent direct text goes from the owner to the peer', () => {
    expect(record(SVR.textSent)).toMatchObject({ from: { id: PC3.owner, name: PC3.ownerName }, to: [{ id: PC3.peer, name: PC3.peerName }], wechat: { isSender: true, direction: 'sent' } });
  });

  it('group messages: the sender from BytesExtra, names from Contact or the group nickname, no `to`', () => {
    expect(record(SVR.groupText)).toMatchObject({
      conversation: { id: PC3.room, type: 'group', title: PC3.roomName },
      from: { id: PC3.member1, name: PC3.member1Name },
      text: '王经理，发票明天寄出',
    });
    expect(record(SVR.groupText).to).toBeUndefined();
    expect(record(SVR.groupText).raw.BytesExtra).toEqual({ base64: bytesExtra([[1, PC3.member1], [7, '<msgsource><silence>0</silence></msgsource>']]).toString('base64') });
    expect(record(SVR.groupOwner).from).toEqual({ id: PC3.owner, name: PC3.ownerName });
    expect(record(SVR.groupNick).from).toEqual({ id: PC3.member2, name: PC3.member2GroupNick });
    expect(record(SVR.groupSystem)).toMatchObject({ type: 'system', from: { id: PC3.room, name: PC3.roomName }, text: '"张三"邀请"李四(华东)"加入了群聊' });
    expect(record(SVR.groupSystem).wechat.senderUnknown).toBeUndefined();
  });

  it('images: the .dat decoded (JPEG, PNG, GIF under different keys), named after the file', () => {
    expect(msg(SVR.image).media).toEqual([{ name: 'a1b2c3d4e5f60718293a4b5c6d7e8f90.jpg', mime: 'image/jpeg', data: exp.media.jpeg }]);
    expect(record(SVR.image)).toMatchObject({ type: 'image', wechat: { content: { md5: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', sizeBytes: 2048 } } });
    expect(record(SVR.image).text).toBeUndefined();
    expect(msg(SVR.groupImage).media).toEqual([{ name: '0badc0de0badc0de0badc0de0badc0de.png', mime: 'image/png', data: exp.media.png }]);
    expect(msg(SVR.groupGif).media).toEqual([{ name: 'feedfacefeedfacefeedfacefeedface.gif', mime: 'image/gif', data: exp.media.gif }]);
  });

  it('a missing image is reported, not fatal', () => {
    expect(msg(SVR.imageMissing).media).toEqual([]);
    expect(msg(SVR.imageMissing).missingMedia).toEqual([`image ${FILES.missingImage.join('/')}`]);
    expect(record(SVR.imageMissing).type).toBe('image');
  });

  it('voice: the SILK from MediaMSG as is (with its 0x02 byte) plus a WAV; an AMR one too', () => {
    const [silk, wav] = msg(SVR.voice).media;
    expect(silk).toEqual({ name: 'voice-7000000000000000004.silk', mime: 'audio/silk', data: exp.media.silk });
    expect(bytes(silk)[0]).toBe(0x02);
    expect(wav!.name).toBe('voice-7000000000000000004.wav');
    expect(wav!.mime).toBe('audio/wav');
    expect(bytes(wav).subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(wavSeconds(bytes(wav))).toBeCloseTo(2, 0);
    expect(record(SVR.voice)).toMatchObject({ type: 'voice', wechat: { content: { durationMs: 2000 } } });
    expect(record(SVR.voice).wechat.notes).toBeUndefined();

    const [amr, amrWav] = msg(SVR.groupAmr).media;
    expect(amr).toEqual({ name: 'voice-7100000000000000008.amr', mime: 'audio/amr', data: exp.media.amr });
    expect(wavSeconds(bytes(amrWav))).toBeCloseTo(1.5, 1);
    expect(msg(SVR.voiceMissing).missingMedia).toEqual(['voice 7000000000000000025 (not in MediaMSG*.db)']);
  });

  it('a voice note that cannot be transcoded is archived as is, the failure noted in the record', () => {
    expect(msg(SVR.voiceBroken).media).toEqual([{ name: `voice-${SVR.voiceBroken}.silk`, mime: 'audio/silk', data: BROKEN_SILK }]);
    expect(msg(SVR.voiceBroken).missingMedia).toEqual([]);
    expect(record(SVR.voiceBroken).wechat.notes).toEqual(['voice: no WAV made (this voice note could not be decoded)']);
  });

  it('the export can be given as its Msg folder or as one shard file', async () => {
    const viaMsg = openPc3Reader(options(join(exp.account, 'Msg')));
    expect([viaMsg.ownerWxid, viaMsg.totalRows()]).toEqual([PC3.owner, reader.totalRows()]);
    expect(viaMsg.describe()).toBe(reader.describe());
    // Shards are named from the account folder whichever folder was given (re-imports match).
    const shardsOf = (list: WeChatItem[]): string[] => [...new Set(messages(list).map((m) => (m.record.wechat as { shard: string }).shard))].sort();
    expect(shardsOf(await collect(viaMsg))).toEqual(['Msg/Multi/MSG0.db', 'Msg/Multi/MSG1.db']);
    viaMsg.close();
    const one = openPc3Reader(options(exp.msg1));
    expect(one.describe()).toBe(`PC WeChat 3.x: 1 MSG shard, ${pc3Messages().shard1.length} messages, MicroMsg.db (5 names), 1 MediaMSG database, FileStorage`);
    const items = await collect(one);
    expect(messages(items).every((m) => (m.record.wechat as { shard: string }).shard === 'Msg/Multi/MSG1.db')).toBe(true);
    expect(messages(items).find((m) => m.record.id === SVR.groupGif.toString())?.media).toHaveLength(1);
    one.close();
  });

  it('video and file: the files from FileStorage (the file message read from CompressContent)', () => {
    expect(msg(SVR.video).media).toEqual([{ name: '9f8e7d6c5b4a39281706f5e4d3c2b1a0.mp4', mime: 'video/mp4', data: exp.media.mp4 }]);
    expect(record(SVR.video)).toMatchObject({ type: 'video', wechat: { content: { durationSeconds: 1 } } });
    expect(record(SVR.file)).toMatchObject({ type: 'file', text: PC3.docxName, wechat: { content: { kind: 'file', fileName: PC3.docxName, fileExt: 'docx', sizeBytes: 4321 } } });
    expect(msg(SVR.file).media).toEqual([{ name: PC3.docxName, mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', data: exp.media.docx }]);
    expect(record(SVR.file).raw.StrContent).toBe('');
    expect(record(SVR.file).raw.CompressContent).toMatchObject({ base64: expect.any(String) });
  });

  it('replies: the quoted message is the parent and its text is searchable', () => {
    expect(record(SVR.quote)).toMatchObject({ type: 'text', text: '好的，我周五前确认\n您好，合同草稿已发您邮箱', parent: SVR.text.toString() });
    expect(record(SVR.groupQuote)).toMatchObject({ from: { id: PC3.member2 }, parent: SVR.groupText.toString(), text: '明天几点？\n王经理，发票明天寄出' });
  });

  it('a revoke notice recalls the revoked message by its server id', () => {
    expect(record(SVR.revoke)).toMatchObject({ type: 'recall', recalls: SVR.revoked.toString(), text: '"陈律师" 撤回了一条消息', wechat: { content: { revokedLocalId: '1043' } } });
  });

  it('calls, cards, locations, emoji, transfers, red packets, mini-programs, channels, bundles, music', () => {
    expect(record(SVR.call)).toMatchObject({ type: 'call', call: { media: 'voice', durationSeconds: 83 }, from: { id: PC3.owner } });
    expect(record(SVR.card)).toMatchObject({ type: 'card', text: '王经理\nwang_mgr', wechat: { content: { username: 'wxid_card7777' } } });
    expect(record(SVR.location)).toMatchObject({ type: 'location', text: '人民广场\n上海市黄浦区人民大道200号', wechat: { content: { latitude: 31.230416, longitude: 121.473701 } } });
    expect(record(SVR.emoji)).toMatchObject({ type: 'emoji', wechat: { content: { url: 'http://emoji.example/e1?m=1&f=2' } } });
    expect(msg(SVR.emoji).media).toEqual([]);
    expect(msg(SVR.emoji).missingMedia).toEqual([]);
    expect(record(SVR.transfer)).toMatchObject({ type: 'transfer', wechat: { content: { amount: '￥1,000.00', memo: '律师费首付款', transferState: 'sent' } } });
    expect(record(SVR.transfer).text).toContain('律师费首付款');
    expect(record(SVR.redpacket)).toMatchObject({ type: 'redpacket', wechat: { content: { wish: '新年快乐，万事如意' } } });
    expect(record(SVR.redpacket).text).toContain('新年快乐，万事如意');
    expect(record(SVR.miniprogram)).toMatchObject({ type: 'miniprogram', text: '快递单号查询\n快递助手' });
    expect(record(SVR.channels)).toMatchObject({ type: 'link', wechat: { content: { kind: 'channels', feed: { nickname: '城市观察' } } } });
    expect(record(SVR.chatrecord)).toMatchObject({
      type: 'chatrecord',
      text: '群聊的聊天记录\n张三: 发票已开\n发票已开，请查收\n对账单.xlsx',
      wechat: { content: { items: [{ type: 'text', sender: '张三', text: '发票已开，请查收' }, { type: 'file', title: '对账单.xlsx', sizeBytes: 8192 }] } },
    });
    expect(record(SVR.music)).toMatchObject({ type: 'link', wechat: { content: { kind: 'music' } } });
    expect(record(SVR.link)).toMatchObject({ type: 'link', text: '新版报价说明\n2026 年价格调整\n行业周刊\nhttps://news.example/p?id=7&s=1' });
  });

  it('unknown kinds are `other` with their original type', () => {
    expect(record(SVR.unknownApp)).toMatchObject({ type: 'other', originalType: '49/999', text: '新玩法卡片\n暂不支持', wechat: { content: { xml: expect.stringContaining('<type>999</type>') } } });
    expect(record(SVR.unknownType)).toMatchObject({ type: 'other', originalType: '35', text: '季度对账邮件' });
    expect(record(SVR.system)).toMatchObject({ type: 'system', text: '你已添加了陈律师，现在可以开始聊天了。' });
  });

  it('rows without a server id get stable composite ids, numbered when identical', () => {
    const locals = messages(items).filter((m) => (m.record.id as string).startsWith('local-'));
    expect(locals.map((m) => m.record.id)).toEqual([expect.stringMatching(/^local-[0-9a-f]{24}$/), `${locals[0]!.record.id as string}-2`]);
    expect(locals[0]!.record.wechat).toMatchObject({ noServerId: true });
  });

  it('bad rows name the file, table, row and column, never the content', () => {
    const rows = bad(items);
    const xml = rows.find((b) => b.location.row === 2 && b.location.file === 'Msg/Multi/MSG1.db')!;
    expect(xml).toMatchObject({ kind: 'bad', location: { file: 'Msg/Multi/MSG1.db', table: 'MSG', row: 2 }, reason: 'content: app message XML is not well-formed (line 1)', conversation: { id: PC3.peer, type: 'direct', title: PC3.peerName } });
    expect(JSON.parse(xml.content!)).toMatchObject({ MsgSvrID: SVR.badXml.toString(), StrContent: '<msg><appmsg><title>机密链接</title><type>5</type></msg>' });
    const extra = rows.find((b) => b.location.file === 'Msg/Multi/MSG0.db')!;
    expect(extra).toMatchObject({ location: { table: 'MSG', row: 24 }, reason: expect.stringMatching(/^BytesExtra: malformed protobuf \(/), conversation: { id: PC3.room, type: 'group' } });
    for (const b of rows) expect(b.reason).not.toMatch(/机密|坏了/);
  });

  it('reads the same records again (stable ids and content across runs)', async () => {
    const again = openPc3Reader(options(exp.account));
    try {
      const second = await collect(again);
      expect(second.map((i) => (i.kind === 'message' ? i.record : i.reason))).toEqual(items.map((i) => (i.kind === 'message' ? i.record : i.reason)));
    } finally {
      again.close();
    }
  });
});

describe('PC WeChat 3.x reader: what goes wrong', () => {
  const tmp = tempDir('wechat-pc3-bad');
  afterAll(() => tmp.cleanup());

  it('a truncated shard is not imported, the other one is; the problem names file and table', async () => {
    const exp = await buildPc3Export(join(tmp.path, 'truncated'), { filler: 600 });
    truncateSync(exp.msg1, Math.floor(statSync(exp.msg1).size * 0.3));
    const reader = openPc3Reader(options(exp.account));
    try {
      const items = await collect(reader);
      expect(items[0]).toEqual({ kind: 'bad', location: { file: 'Msg/Multi/MSG1.db' }, reason: expect.stringMatching(/^not a readable SQLite database: database disk image is malformed \(SQLITE_CORRUPT\).*; this shard was not imported$/) });
      expect(bad(items)).toHaveLength(2); // that one and the bad BytesExtra row of MSG0
      expect(messages(items)).toHaveLength(pc3Messages().shard0.length - 1);
    } finally {
      reader.close();
    }
  });

  it('damage met while reading ends that shard with one report; the other shard is read', async () => {
    const exp = await buildPc3Export(join(tmp.path, 'damaged'), { filler: 600 });
    const size = statSync(exp.msg1).size;
    const fd = openSync(exp.msg1, 'r+');
    writeSync(fd, Buffer.alloc(Math.floor(size * 0.4), 0xa5), 0, Math.floor(size * 0.4), Math.floor(size * 0.5));
    closeSync(fd);
    const reader = openPc3Reader(options(exp.account));
    try {
      const items = await collect(reader);
      const problems = bad(items).filter((b) => b.location.row === undefined);
      expect(problems).toEqual([{ kind: 'bad', location: { file: 'Msg/Multi/MSG1.db', table: 'MSG' }, reason: expect.stringMatching(/^database disk image is malformed \(SQLITE_CORRUPT\w*\); reading stopped after \d+( of \d+)? rows$/) }]);
      const fromShard0 = messages(items).filter((m) => (m.record.wechat as { shard: string }).shard === 'Msg/Multi/MSG0.db');
      expect(fromShard0).toHaveLength(pc3Messages().shard0.length - 1);
    } finally {
      reader.close();
    }
  });

  it('a shard whose MSG table lacks a column is skipped and reported; alone, it fails to open', async () => {
    const exp = await buildPc3Export(join(tmp.path, 'column'));
    const { shard1 } = pc3Messages();
    const replaced = join(tmp.path, 'column-msg1.db');
    writeMsgShard(replaced, shard1, { omit: ['StrTalker'] });
    copyFileSync(replaced, exp.msg1);
    const reader = openPc3Reader(options(exp.account));
    try {
      const items = await collect(reader);
      expect(items[0]).toEqual({ kind: 'bad', location: { file: 'Msg/Multi/MSG1.db' }, reason: 'table MSG lacks column StrTalker (not a PC WeChat 3.x message database, or a version WeKeep does not know); this shard was not imported' });
      expect(messages(items)).toHaveLength(pc3Messages().shard0.length - 1);
      expect(reader.totalRows()).toBe(pc3Messages().shard0.length);
    } finally {
      reader.close();
    }

    const lone = join(tmp.path, 'lone', 'MSG0.db');
    writeMsgShard(lone, shard1, { omit: ['StrTalker', 'IsSender'] });
    expect(() => openPc3Reader({ ...options(lone), ownerWxid: PC3.owner })).toThrow(expect.objectContaining({ code: 'wechat.table_unexpected', message: expect.stringMatching(/^MSG0\.db: table MSG lacks columns IsSender, StrTalker /) }));
  });

  it('a shard that is not a database at all is reported by name', async () => {
    const exp = await buildPc3Export(join(tmp.path, 'notadb'));
    writeFileSync(exp.msg1, Buffer.alloc(8192, 0x5a));
    const reader = openPc3Reader(options(exp.account));
    try {
      const items = await collect(reader);
      expect(items[0]).toEqual({ kind: 'bad', location: { file: 'Msg/Multi/MSG1.db' }, reason: expect.stringMatching(/^not a readable SQLite database: .*this shard was not imported$/) });
    } finally {
      reader.close();
    }
  });

  it('an export that does not say whose it is needs --owner-wxid; without MicroMsg.db names are unknown', () => {
    const dir = join(tmp.path, 'anonymous', 'export');
    mkdirSync(dir, { recursive: true });
    writeMsgShard(join(dir, 'MSG0.db'), [{ svr: 1n, type: 1, time: PC3.t0, talker: PC3.peer, content: '你好' }]);
    expect(() => openPc3Reader(options(dir))).toThrow(expect.objectContaining({ code: 'wechat.owner_unknown', exitCode: 2 }));
    const reader = openPc3Reader({ ...options(dir), ownerWxid: 'wxid_given0001' });
    expect(reader.ownerWxid).toBe('wxid_given0001');
    expect(reader.describe()).toBe('PC WeChat 3.x: 1 MSG shard, 1 messages, no MicroMsg.db (names unknown), 0 MediaMSG databases, no FileStorage folder');
    reader.close();
  });

  it('no shards at all is a usage error', () => {
    const dir = join(tmp.path, 'empty');
    mkdirSync(dir, { recursive: true });
    expect(() => openPc3Reader(options(dir))).toThrow(expect.objectContaining({ code: 'wechat.pc3_no_shards' }));
  });
});
