import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/cli.js';
import { fixtureMedia, md5, PC4_IDS, PC4_TEXTS, writePc4Export, type Pc4Fixture } from '../../../../test/support/wechat-fixtures/pc4.js';
import { MEMBER_WANG, OWNER, PEER, ROOM } from '../../../../test/support/wechat-fixtures/sample-messages.js';
import type { WeChatItem, WeChatMessage } from '../types.js';
import { openPc4Reader } from './index.js';

const tmp = tempDir('pc4-reader');
let fx: Pc4Fixture;
let items: WeChatItem[];

async function readAll(path: string, ownerWxid?: string): Promise<WeChatItem[]> {
  const reader = await openPc4Reader({ path, custodian: 'P1', tz: 'Asia/Shanghai', ownerWxid });
  try {
    const out: WeChatItem[] = [];
    for await (const i of reader.items()) out.push(i);
    return out;
  } finally {
    reader.close();
  }
}

const byId = (id: string): WeChatMessage => {
  const m = items.find((i): i is WeChatMessage => i.kind === 'message' && i.record.id === id);
  expect(m, id).toBeDefined();
  return m!;
};

beforeAll(async () => {
  fx = writePc4Export(tmp.path, await fixtureMedia());
  items = await readAll(fx.dbStorage);
}, 60_000);
afterAll(() => tmp.cleanup());

describe('the WeChat 4.x reader', () => {
  it('counts before reading and yields every row once, in table order', async () => {
    const reader = await openPc4Reader({ path: fx.account, custodian: 'P1', tz: 'Asia/Shanghai' });
    expect(reader.totalRows()).toBe(fx.expectedRows);
    expect(reader.ownerWxid).toBe(OWNER);
    reader.close();
    expect(items).toHaveLength(fx.expectedRows);
    expect(items.filter((i) => i.kind === 'bad').map((i) => i.location)).toEqual(fx.badRows.map((b) => ({ file: 'db_storage/message/message_0.db', table: b.table, row: b.row })));
  });

  it('splits local_type into type and subType above 2^32', () => {
    // (2000 << 32) | 49 = 8589934592049
    expect(byId((7_100_000_000_000_000_000n + 12n).toString()).record).toMatchObject({ type: 'transfer', wechat: { type: 49, subType: 2000, localType: '8589934592049' } });
    expect(byId(PC4_IDS.quote).record).toMatchObject({ wechat: { type: 49, subType: 57 }, parent: PC4_IDS.firstText });
  });

  it('decompresses zstd bodies and strips the group sender prefix', () => {
    const red = byId((7_100_000_000_000_000_000n + 104n).toString()).record;
    expect(red).toMatchObject({ type: 'redpacket', from: { id: MEMBER_WANG }, conversation: { id: ROOM, type: 'group' } });
    expect(JSON.stringify(red.wechat)).not.toContain(`${MEMBER_WANG}:\\n`);
    expect(byId(PC4_IDS.groupWang).record.text).toBe(PC4_TEXTS.group);
  });

  it('keeps the raw row exact and media separate', () => {
    const img = byId(PC4_IDS.image);
    expect(img.media.map((m) => m.mime)).toEqual(['image/jpeg']);
    expect(img.record.raw).toMatchObject({ server_id: PC4_IDS.image, local_type: 3 });
    expect((img.record.raw as { message_content: unknown }).message_content).toHaveProperty('base64');
    expect(byId(PC4_IDS.missingImage).missingMedia).toEqual([`image msg/attach/${md5(PEER)}/2026-03/Img/ffffffffffffffffffffffffffffffff.dat`]);
  });

  it('needs the owner when the account folder does not name it', async () => {
    const bare = join(tmp.path, 'bare');
    renameSync(join(fx.account), bare);
    try {
      await expect(openPc4Reader({ path: bare, custodian: 'P1', tz: 'Asia/Shanghai' })).rejects.toThrow(/cannot tell the account owner's wxid .*pass --owner-wxid/);
      const given = await readAll(bare, 'wxid_someone_else');
      expect(given.filter((i) => i.kind === 'message').every((i) => (i as WeChatMessage).record.source === 'wechat:wxid_someone_else')).toBe(true);
    } finally {
      renameSync(bare, fx.account);
    }
  });

  it('refuses a folder without message databases', async () => {
    await expect(openPc4Reader({ path: join(fx.dbStorage, 'contact'), custodian: 'P1', tz: 'Asia/Shanghai' })).rejects.toThrow(/no WeChat 4\.x message databases/);
  });
});
