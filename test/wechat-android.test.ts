import Sqlite from 'better-sqlite3-multiple-ciphers';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { androidDbKey } from '../src/connectors/wechat/android/database.js';
import { openAndroidReader } from '../src/connectors/wechat/android/index.js';
import type { WeChatBadRow, WeChatItem, WeChatMessage, WeChatReader } from '../src/connectors/wechat/types.js';
import { tempDir } from './support/cli.js';
import { ANDROID, androidMessages, ASVR, buildAndroidExport, IMAGE, type AndroidExport } from './support/wechat-fixtures/android.js';
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
const options = (path: string) => ({ path, custodian: 'emp-wufang', tz: 'Asia/Shanghai', imei: ANDROID.imei, uin: ANDROID.uin });
const wavSeconds = (w: Buffer): number => w.readUInt32LE(40) / (w.readUInt32LE(24) * 2);

describe('Android WeChat reader', () => {
  const tmp = tempDir('wechat-android');
  let exp: AndroidExport;
  let reader: WeChatReader;
  let items: WeChatItem[];
  let byId: Map<string, WeChatMessage>;
  let label: string;

  beforeAll(async () => {
    exp = await buildAndroidExport(tmp.path);
    label = relative(exp.root, exp.db);
    reader = openAndroidReader(options(exp.root));
    items = await collect(reader);
    byId = new Map(items.filter((i): i is WeChatMessage => i.kind === 'message').map((m) => [m.record.id as string, m]));
  });
  afterAll(() => {
    reader.close();
    tmp.cleanup();
  });
  const msg = (svr: bigint): WeChatMessage => byId.get(svr.toString()) ?? (() => { throw new Error(`no message ${svr}`); })();
  const record = (svr: bigint) => msg(svr).record as Record<string, unknown> & { wechat: Record<string, unknown>; raw: Record<string, unknown> };

  it('the key is md5(IMEI + uin), first 7 lowercase hex digits; the file is really encrypted', () => {
    expect(androidDbKey(ANDROID.imei, ANDROID.uin)).toMatch(/^[0-9a-f]{7}$/);
    expect(androidDbKey(ANDROID.imei, ANDROID.uin)).toBe(exp.key);
    const head = readFileSync(exp.db).subarray(0, 16);
    expect(head.toString('latin1')).not.toBe('SQLite format 3\0');
    expect(() => new Sqlite(exp.db, { readonly: true }).prepare('SELECT 1 FROM message').get()).toThrow(/not a database/);
  });

  it('finds the database under MicroMsg/<hash>/, the owner in userinfo, and the names', () => {
    expect(reader.format).toBe('wechat-android');
    expect(reader.ownerWxid).toBe(ANDROID.owner);
    expect(reader.totalRows()).toBe(androidMessages().length);
    expect(reader.describe()).toBe(`Android WeChat: ${label} (SQLCipher, key accepted), ${androidMessages().length} messages, 4 names`);
    expect(items).toHaveLength(androidMessages().length);
  });

  it('direct texts: times in ms, owner and peer, the raw row', () => {
    expect(record(ASVR.text)).toMatchObject({
      source: `wechat:${ANDROID.owner}`, id: ASVR.text.toString(), time: ANDROID.t0, type: 'text', text: '吴总，样品已经寄出', custodian: 'emp-wufang',
      conversation: { id: ANDROID.peer, type: 'direct', title: ANDROID.peerName },
      from: { id: ANDROID.peer, name: ANDROID.peerName }, to: [{ id: ANDROID.owner, name: ANDROID.ownerName }],
      wechat: { type: 1, subType: 0, isSender: false, talker: ANDROID.peer, msgId: 1, direction: 'received' },
    });
    expect(record(ASVR.text).raw).toMatchObject({ msgId: 1, msgSvrId: ASVR.text.toString(), createTime: ANDROID.t0, talker: ANDROID.peer, isSend: 0 });
    expect(msg(ASVR.text).location).toEqual({ file: label, table: 'message', row: 1 });
    expect(record(ASVR.textSent)).toMatchObject({ from: { id: ANDROID.owner }, to: [{ id: ANDROID.peer }], wechat: { direction: 'sent' } });
  });

  it('group texts: the `wxid:\\n` prefix is the sender and leaves the text', () => {
    expect(record(ASVR.groupText)).toMatchObject({ conversation: { id: ANDROID.room, type: 'group', title: ANDROID.roomName }, from: { id: ANDROID.member, name: ANDROID.memberName }, text: '周五的评审会改到下午三点' });
    expect(record(ASVR.groupText).to).toBeUndefined();
    expect(record(ASVR.groupText).raw.content).toBe(`${ANDROID.member}:\n周五的评审会改到下午三点`);
    expect(record(ASVR.groupSent)).toMatchObject({ from: { id: ANDROID.owner }, text: '收到' });
    expect(record(ASVR.system)).toMatchObject({ type: 'system', from: { id: ANDROID.room }, text: '"赵六"修改群名为"项目群"' });
  });

  it('voice: voice2/<md5 path>/msg_<imgPath>.amr (SILK inside) plus a WAV; an old AMR one; a missing one', () => {
    const [silk, wav] = msg(ASVR.voice).media;
    expect(silk).toEqual({ name: `voice-${ASVR.voice}.silk`, mime: 'audio/silk', data: exp.media.silk });
    expect(wav!.mime).toBe('audio/wav');
    expect(wavSeconds(bytes(wav))).toBeCloseTo(2, 0);
    expect(record(ASVR.voice)).toMatchObject({ type: 'voice', wechat: { imgPath: 'voicefile0001', content: { durationMs: 2000 } } });
    expect(record(ASVR.groupAmr)).toMatchObject({ from: { id: ANDROID.member }, wechat: { content: { durationMs: 1500 } } });
    expect(msg(ASVR.groupAmr).media.map((m) => [m.name, m.mime])).toEqual([[`voice-${ASVR.groupAmr}.amr`, 'audio/amr'], [`voice-${ASVR.groupAmr}.wav`, 'audio/wav']]);
    expect(bytes(msg(ASVR.groupAmr).media[0]).equals(exp.media.amr)).toBe(true);
    expect(msg(ASVR.missingVoice).media).toEqual([]);
    expect(msg(ASVR.missingVoice).missingMedia).toEqual([expect.stringMatching(/^voice voice2\/[0-9a-f]{2}\/[0-9a-f]{2}\/msg_voicefile0404\.amr$/)]);
  });

  it('images: the full image from ImgInfo2, else the thumbnail with the full one reported missing', () => {
    expect(msg(ASVR.image).media).toEqual([{ name: IMAGE.big, mime: 'image/jpeg', data: exp.media.jpeg }]);
    expect(msg(ASVR.image).missingMedia).toEqual([]);
    expect(msg(ASVR.thumbOnly).media).toEqual([{ name: `${IMAGE.thumbOnly}.png`, mime: 'image/png', data: exp.media.png }]);
    expect(msg(ASVR.thumbOnly).missingMedia).toEqual([`image image2/77/77/${IMAGE.missingBig}`]);
    expect(record(ASVR.thumbOnly).wechat.notes).toEqual(['image: only the thumbnail is in the export']);
  });

  it('video and file', () => {
    expect(msg(ASVR.video).media).toEqual([{ name: 'videofile0001.mp4', mime: 'video/mp4', data: exp.media.mp4 }]);
    expect(record(ASVR.file)).toMatchObject({ type: 'file', text: ANDROID.fileName, wechat: { androidType: 1090519089, subType: 6 } });
    expect(msg(ASVR.file).media).toEqual([{ name: ANDROID.fileName, mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', data: exp.media.docx }]);
  });

  it("Android's own type numbers map to the shared kinds: quote, transfer, red packet", () => {
    expect(record(ASVR.quote)).toMatchObject({ type: 'text', parent: ASVR.groupText.toString(), text: '已改好\n周五的评审会改到下午三点', from: { id: ANDROID.member }, wechat: { androidType: 822083633 } });
    expect(record(ASVR.transfer)).toMatchObject({ type: 'transfer', wechat: { content: { amount: '￥500.00', memo: '样品费', transferState: 'received' } } });
    expect(record(ASVR.redpacket)).toMatchObject({ type: 'redpacket', from: { id: ANDROID.member }, wechat: { content: { wish: '项目顺利' } } });
  });

  it('recall, call, location, card, emoji, unknown type, no server id', () => {
    expect(record(ASVR.revoke)).toMatchObject({ type: 'recall', recalls: ASVR.revoked.toString() });
    expect(record(ASVR.call)).toMatchObject({ type: 'call', call: { media: 'voice', durationSeconds: 95 }, from: { id: ANDROID.owner } });
    expect(record(ASVR.location)).toMatchObject({ type: 'location', text: '天安门广场\n北京市东城区' });
    expect(record(ASVR.card)).toMatchObject({ type: 'card', text: '钱总' });
    expect(record(ASVR.emoji)).toMatchObject({ type: 'emoji', wechat: { content: { md5: 'aaaabbbbccccddddeeeeffff00001111' } } });
    expect(record(ASVR.unknown)).toMatchObject({ type: 'other', originalType: '12345', text: '某种新消息' });
    const local = [...byId.values()].find((m) => (m.record.id as string).startsWith('local-'));
    expect(local?.record).toMatchObject({ type: 'system', wechat: { noServerId: true } });
  });

  it('a broken app message is a bad row naming file, table, msgId and column', () => {
    const bad = items.filter((i): i is WeChatBadRow => i.kind === 'bad');
    expect(bad).toEqual([{
      kind: 'bad', location: { file: label, table: 'message', row: 19 }, reason: 'content: app message XML is not well-formed (line 1)',
      content: expect.stringContaining('"msgSvrId":"5000000000000000019"'), conversation: { id: ANDROID.peer, type: 'direct', title: ANDROID.peerName },
    }]);
  });

  it('the key can be given directly', async () => {
    const r = openAndroidReader({ path: exp.db, custodian: 'e', tz: 'Asia/Shanghai', key: exp.key });
    expect((await collect(r)).length).toBe(androidMessages().length);
    r.close();
  });
});

describe('Android WeChat reader: what goes wrong', () => {
  const tmp = tempDir('wechat-android-bad');
  afterAll(() => tmp.cleanup());

  it('a wrong key names the file and says what to check', async () => {
    const exp = await buildAndroidExport(join(tmp.path, 'wrong'));
    expect(() => openAndroidReader({ ...options(exp.root), uin: '12345' })).toThrow(expect.objectContaining({
      code: 'wechat.android_wrong_key',
      exitCode: 2,
      message: `${relative(exp.root, exp.db)}: the key does not open this database (check --imei/--uin or --key)`,
    }));
    expect(() => openAndroidReader({ path: exp.db, custodian: 'e', tz: 'Asia/Shanghai', key: 'abcdef0' })).toThrow(/^EnMicroMsg\.db: the key does not open this database/);
    expect(() => openAndroidReader({ path: exp.db, custodian: 'e', tz: 'Asia/Shanghai' })).toThrow(expect.objectContaining({ code: 'wechat.android_key_missing' }));
  });

  it('a message table without a needed column fails naming file, table and column', async () => {
    const exp = await buildAndroidExport(join(tmp.path, 'column'), { omit: ['talker'] });
    expect(() => openAndroidReader({ ...options(exp.db) })).toThrow(expect.objectContaining({ code: 'wechat.table_unexpected', message: expect.stringMatching(/^EnMicroMsg\.db: table message lacks column talker /) }));
  });

  it('an already decrypted database opens without a key; without userinfo the owner must be given', async () => {
    const exp = await buildAndroidExport(join(tmp.path, 'plain'), { plain: true, noUserinfo: true });
    expect(readFileSync(exp.db).subarray(0, 15).toString('latin1')).toBe('SQLite format 3');
    expect(() => openAndroidReader({ path: exp.db, custodian: 'e', tz: 'Asia/Shanghai' })).toThrow(expect.objectContaining({ code: 'wechat.owner_unknown' }));
    const r = openAndroidReader({ path: exp.db, custodian: 'e', tz: 'Asia/Shanghai', ownerWxid: ANDROID.owner });
    expect(r.describe()).toMatch(/\(not encrypted\)/);
    const items = await collect(r);
    expect(items.filter((i) => i.kind === 'message')).toHaveLength(androidMessages().length - 1);
    r.close();
  });
});
