import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/cli.js';
import { IOS_IDS, writeIosExport, type IosFixture } from '../../../../test/support/wechat-fixtures/ios.js';
import { fixtureMedia, type FixtureMedia } from '../../../../test/support/wechat-fixtures/pc4.js';
import { MEMBER_WANG, MEMBER_WANG_ROOM_NAME, OWNER, PEER } from '../../../../test/support/wechat-fixtures/sample-messages.js';
import type { WeChatItem, WeChatMessage } from '../types.js';
import { openIosReader } from './index.js';
import type { ConnectorAttachment } from '../../../services/import-prepare.js';

/** The bytes of an attachment read into memory (media of the fixtures are small). */
const bytes = (a: ConnectorAttachment | undefined): Buffer => {
  if (a === undefined || !('data' in a)) throw new Error('expected an attachment in memory');
  return a.data;
};

const tmp = tempDir('ios-reader');
let media: FixtureMedia;
let fx: IosFixture;

async function readAll(path: string, ownerWxid?: string): Promise<WeChatItem[]> {
  const reader = await openIosReader({ path, custodian: 'P1', tz: 'Asia/Shanghai', ownerWxid });
  try {
    const out: WeChatItem[] = [];
    for await (const i of reader.items()) out.push(i);
    return out;
  } finally {
    reader.close();
  }
}

beforeAll(async () => {
  media = await fixtureMedia();
  fx = writeIosExport(tmp.path, media);
}, 60_000);
afterAll(() => tmp.cleanup());

describe('the iOS reader', () => {
  it('opens the user folder from any level (app folder, user folder, DB folder, MM.sqlite) with the same rows', async () => {
    const counts = [];
    for (const p of [fx.app, fx.userDir, join(fx.userDir, 'DB'), fx.mmSqlite]) counts.push((await readAll(p)).length);
    expect(counts).toEqual([fx.expectedRows, fx.expectedRows, fx.expectedRows, fx.expectedRows]);
  });

  it('takes direction from Des and the group sender from the prefix, named by the room\'s member list', async () => {
    const items = (await readAll(fx.userDir)).filter((i): i is WeChatMessage => i.kind === 'message');
    const text = items.find((i) => i.record.id === IOS_IDS.text)!.record;
    expect(text).toMatchObject({ from: { id: PEER }, to: [{ id: OWNER }], wechat: { des: 1, direction: 'received' } });
    const group = items.find((i) => i.record.id === IOS_IDS.groupWang)!.record;
    expect(group).toMatchObject({ from: { id: MEMBER_WANG, name: MEMBER_WANG_ROOM_NAME } });
    const video = items.find((i) => i.record.id === IOS_IDS.video)!;
    expect(video.record).toMatchObject({ from: { id: OWNER }, wechat: { des: 0, direction: 'sent' } });
    expect(bytes(video.media[0]).equals(media.mp4)).toBe(true);
  });

  it('refuses a backup still in its hashed form, and asks for the owner when no contact names the user folder', async () => {
    const hashed = join(tmp.path, 'hashed');
    mkdirSync(hashed, { recursive: true });
    writeFileSync(join(hashed, 'Manifest.db'), '');
    await expect(openIosReader({ path: hashed, custodian: 'P1', tz: 'Asia/Shanghai' })).rejects.toThrow(/hashed form \(Manifest\.db\); extract the WeChat app's files first/);
    const other = writeIosExport(join(tmp.path, 'renamed'), media);
    const moved = join(other.app, 'Documents', '0123456789abcdef0123456789abcdef');
    renameSync(other.userDir, moved);
    await expect(openIosReader({ path: moved, custodian: 'P1', tz: 'Asia/Shanghai' })).rejects.toThrow(/cannot tell the account owner's wxid .*pass --owner-wxid/);
    expect((await readAll(moved, OWNER)).length).toBe(other.expectedRows);
  });
});
