import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/cli.js';
import { CSV_HEADER, csvLine, writeCsvFile, writeWeChatMsgCsv, type CsvFixture } from '../../../../test/support/wechat-fixtures/csv.js';
import { BASE_TIME, OWNER, PEER } from '../../../../test/support/wechat-fixtures/sample-messages.js';
import type { WeChatItem, WeChatMessage } from '../types.js';
import { localTimeToMs, openCsvReader } from './index.js';

const tmp = tempDir('csv-reader');
let fx: CsvFixture;
beforeAll(() => {
  fx = writeWeChatMsgCsv(tmp.path);
});
afterAll(() => tmp.cleanup());

async function readAll(path: string, options: { ownerWxid?: string; tz?: string } = {}): Promise<WeChatItem[]> {
  const reader = await openCsvReader({ path, custodian: 'P1', tz: options.tz ?? 'Asia/Shanghai', ownerWxid: options.ownerWxid });
  const out: WeChatItem[] = [];
  for await (const i of reader.items()) out.push(i);
  reader.close();
  return out;
}

describe('the WeChatMsg CSV reader', () => {
  it('reads one file or the whole folder', async () => {
    expect(await readAll(fx.direct)).toHaveLength(15);
    expect(await readAll(fx.root)).toHaveLength(23);
  });

  it('needs the owner when no row was sent by the owner, and refuses two owners', async () => {
    const onlyReceived = join(tmp.path, 'received_utf8.csv');
    const row = { localId: 1, talkerId: 3, type: 1, subType: 0, isSender: 0 as const, createTime: BASE_TIME, content: '你好', remark: '', nickname: '张三', sender: PEER };
    writeCsvFile(onlyReceived, [row]);
    await expect(openCsvReader({ path: onlyReceived, custodian: 'P1', tz: 'Asia/Shanghai' })).rejects.toThrow(/pass --owner-wxid/);
    const items = await readAll(onlyReceived, { ownerWxid: OWNER });
    expect((items[0] as WeChatMessage).record).toMatchObject({ source: `wechat:${OWNER}`, from: { id: PEER }, to: [{ id: OWNER }], conversation: { id: PEER, type: 'direct' } });
    writeCsvFile(join(tmp.path, 'two_utf8.csv'), [{ ...row, isSender: 1, sender: 'wxid_a' }, { ...row, localId: 2, isSender: 1, sender: 'wxid_b' }]);
    await expect(openCsvReader({ path: join(tmp.path, 'two_utf8.csv'), custodian: 'P1', tz: 'Asia/Shanghai' })).rejects.toThrow(/2 different senders; pass --owner-wxid/);
  });

  it('reads a group where only one other member spoke as a group, by its system notices', async () => {
    const file = join(tmp.path, '采购群_utf8.csv');
    const base = { talkerId: 9, subType: 0, remark: '', nickname: '' };
    writeCsvFile(file, [
      { ...base, localId: 1, type: 10000, isSender: 0 as const, createTime: BASE_TIME, content: '"张三"邀请"李四"加入了群聊', sender: '' },
      { ...base, localId: 2, type: 1, isSender: 0 as const, createTime: BASE_TIME + 60, content: '报价发群里了', nickname: '李四', sender: 'wxid_li4mem' },
      { ...base, localId: 3, type: 1, isSender: 1 as const, createTime: BASE_TIME + 120, content: '收到', sender: OWNER },
    ]);
    const records = (await readAll(file)).map((i) => (i as WeChatMessage).record);
    expect(records.map((r) => r.conversation)).toEqual(Array.from({ length: 3 }, () => ({ id: 'csv:采购群', type: 'group', title: '采购群' })));
    expect(records[2]).toMatchObject({ from: { id: OWNER } });
    expect(records[2]!.to ?? []).toEqual([]);
    // A 1:1 chat with the same single peer stays a 1:1 chat.
    const direct = join(tmp.path, '李四_utf8.csv');
    writeCsvFile(direct, [{ ...base, localId: 1, type: 1, isSender: 0 as const, createTime: BASE_TIME, content: '在吗', nickname: '李四', sender: 'wxid_li4mem' }, { ...base, localId: 2, type: 1, isSender: 1 as const, createTime: BASE_TIME + 5, content: '在', sender: OWNER }]);
    expect(((await readAll(direct))[0] as WeChatMessage).record.conversation).toMatchObject({ id: 'wxid_li4mem', type: 'direct' });
  });

  it('refuses a single CSV file that is not a WeChatMsg export, naming the missing columns', async () => {
    const other = join(tmp.path, 'other.csv');
    writeCsvFile(other, [], ['localId', 'Type', 'StrContent']);
    await expect(openCsvReader({ path: other, custodian: 'P1', tz: 'Asia/Shanghai' })).rejects.toThrow(/not a WeChatMsg CSV export: the header lacks TalkerId, SubType, IsSender, CreateTime, Status, StrTime, Remark, NickName, Sender/);
  });

  it('accepts reordered and extra columns', async () => {
    const file = join(tmp.path, 'reordered_utf8.csv');
    const header = [...CSV_HEADER].reverse().concat(['Extra']);
    const line = csvLine({ localId: 7, talkerId: 3, type: 1, subType: 0, isSender: 1, createTime: BASE_TIME, content: '顺序不同', remark: '', nickname: '', sender: OWNER });
    const reversed = `${line.split(',').reverse().join(',')},x`;
    writeCsvFile(file, [reversed], header);
    const [item] = await readAll(file);
    expect((item as WeChatMessage).record).toMatchObject({ id: `csv:3:7:${BASE_TIME}`, text: '顺序不同', from: { id: OWNER } });
  });

  it('reads local wall times in a zone, across daylight-saving changes', () => {
    expect(localTimeToMs('2026-03-02 09:00:00', 'Asia/Shanghai')).toBe(Date.parse('2026-03-02T01:00:00Z'));
    expect(localTimeToMs('2026-07-01 12:00:00', 'America/New_York')).toBe(Date.parse('2026-07-01T16:00:00Z'));
    expect(localTimeToMs('2026-01-01 12:00:00', 'America/New_York')).toBe(Date.parse('2026-01-01T17:00:00Z'));
    expect(localTimeToMs('yesterday', 'Asia/Shanghai')).toBeUndefined();
  });
});
