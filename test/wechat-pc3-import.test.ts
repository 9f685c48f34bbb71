import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, type CliResult } from './support/cli.js';
import { buildPc3Export, PC3, PC3_BAD, pc3Messages, SVR, type Pc3Export } from './support/wechat-fixtures/pc3.js';

// The PC 3.x fixture through the real CLI into a real data dir: what the archive holds for the
// mapped rows (people, reply parent, recall, attachments with the WAV), the quarantine entries of the
// bad rows, and a second import of the same export that adds nothing.

interface Summary {
  status: string;
  format: string;
  ownerWxid: string;
  source: string;
  totalRows: number;
  rows: number;
  imported: number;
  duplicates: number;
  quarantined: number;
  recallsPending: number;
  missingMedia: { messages: number; files: number };
}

interface Shown {
  id: string;
  type: string;
  text: string | null;
  from: { id: string; name: string | null };
  conversation: { id: string; type: string; title: string | null };
  attachments: { name: string; mime: string | null; size: number; sha256: string }[];
  fields: { custodian?: string; parent?: string; wechat?: { [k: string]: unknown } };
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const SOURCE = `wechat:${PC3.owner}`;

describe('wekeep import --format wechat-pc3, end to end', { timeout: 240_000 }, () => {
  const tmp = tempDir('wechat-pc3-import');
  const data = join(tmp.path, 'data');
  const cli = (args: string[]): CliResult => runCli(['--data', data, ...args]);
  let exp: Pc3Export;
  let first: Summary;

  const importOnce = (): Summary => {
    const r = cli(['import', '--format', 'wechat-pc3', exp.account, '--custodian', 'P0007', '--json']);
    expect(r.status, r.stderr).toBe(3); // the two bad rows are quarantined
    return JSON.parse(r.stdout) as Summary;
  };
  const show = (svr: bigint): Shown => {
    const r = cli(['show', `${SOURCE}/${svr}`, '--context', '0', '--json']);
    expect(r.status, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { message: Shown }).message;
  };

  beforeAll(async () => {
    exp = await buildPc3Export(join(tmp.path, 'export'));
    expect(cli(['init']).status).toBe(0);
    first = importOnce();
  }, 120_000);
  afterAll(() => tmp.cleanup());

  it('archives every readable row and quarantines the two bad ones', () => {
    const rows = pc3Messages().shard0.length + pc3Messages().shard1.length;
    expect(first).toMatchObject({ status: 'partial', format: 'wechat-pc3', ownerWxid: PC3.owner, source: SOURCE, totalRows: rows, rows, imported: rows - PC3_BAD.length, duplicates: 0, quarantined: PC3_BAD.length });
    expect(first.missingMedia).toMatchObject({ messages: 2, files: 2 });
    const q = JSON.parse(cli(['quarantine', 'list', '--json']).stdout) as { entries: { reason: string }[] };
    expect(q.entries.map((e) => e.reason).sort()).toEqual([
      expect.stringMatching(/^Msg\/Multi\/MSG0\.db table MSG row 24: BytesExtra: malformed protobuf/),
      'Msg/Multi/MSG1.db table MSG row 2: content: app message XML is not well-formed (line 1)',
    ]);
  });

  it('keeps the people, the reply parent, the custodian and the media (voice with its WAV)', () => {
    const group = show(SVR.groupNick);
    expect(group).toMatchObject({ type: 'text', from: { id: PC3.member2, name: PC3.member2GroupNick }, conversation: { id: PC3.room, type: 'group', title: PC3.roomName }, fields: { custodian: 'P0007' } });
    expect(show(SVR.quote).fields.parent).toBe(SVR.text.toString());
    const voice = show(SVR.voice);
    expect(voice.attachments.map((a) => [a.name, a.mime])).toEqual([[`voice-${SVR.voice}.silk`, 'audio/silk'], [`voice-${SVR.voice}.wav`, 'audio/wav']]);
    expect(voice.attachments[0]!.sha256).toBe(sha256(exp.media.silk));
    const image = show(SVR.image);
    expect(image.attachments).toEqual([expect.objectContaining({ name: 'a1b2c3d4e5f60718293a4b5c6d7e8f90.jpg', mime: 'image/jpeg', sha256: sha256(exp.media.jpeg) })]);
    expect(show(SVR.file).attachments[0]!.sha256).toBe(sha256(exp.media.docx));
  });

  it('finds bundled and quoted words', () => {
    const hits = (q: string) => (JSON.parse(cli(['search', q, '--json']).stdout) as { hits: { id: string }[] }).hits.map((h) => h.id);
    expect(hits('对账单')).toContain(SVR.chatrecord.toString());
    expect(hits('律师费首付款')).toEqual([SVR.transfer.toString()]);
    expect(hits('您好，合同草稿')).toEqual(expect.arrayContaining([SVR.text.toString(), SVR.quote.toString()]));
  });

  it('a second import of the same export adds nothing', () => {
    const again = importOnce();
    expect(again).toMatchObject({ imported: 0, duplicates: first.imported, quarantined: PC3_BAD.length });
    const stats = JSON.parse(cli(['stats', '--json']).stdout) as { totals: { messages: number } };
    expect(stats.totals.messages).toBe(first.imported);
  });
});
