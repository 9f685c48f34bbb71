import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3-multiple-ciphers';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createContext, type Context } from '../src/context.js';
import { listQuarantined } from '../src/services/quarantine.js';
import { searchMessages } from '../src/services/search.js';
import { showMessage } from '../src/services/show.js';
import { initStore } from '../src/services/store.js';
import { cliEnv, runCli, startCli, tempDir, type CliResult } from './support/cli.js';
import { GROUP_TEXT, MULTILINE_TEXT, writeCorruptWeChatMsgCsv, writeWeChatMsgCsv, type CsvFixture } from './support/wechat-fixtures/csv.js';
import { IOS_IDS, IOS_PEER2, IOS_TEXTS, writeIosExport, type IosFixture } from './support/wechat-fixtures/ios.js';
import { ANDROID, buildAndroidExport, type AndroidExport } from './support/wechat-fixtures/android.js';
import { buildPc3Export, PC3, PC3_BAD, SVR, type Pc3Export } from './support/wechat-fixtures/pc3.js';
import { corruptLastLeaf, fixtureMedia, md5, PC4_IDS, PC4_TEXTS, truncatedCopy, writePc4Export, type FixtureMedia, type Pc4Fixture } from './support/wechat-fixtures/pc4.js';
import {
  BASE_TIME, FILE_NAME, IMAGE_MD5, MEMBER_LI, MEMBER_WANG, MEMBER_WANG_NAME, MEMBER_WANG_ROOM_NAME, OWNER, OWNER_NAME, PEER, PEER_REMARK, ROOM, ROOM_NAME,
} from './support/wechat-fixtures/sample-messages.js';

// Personal WeChat exports through the real CLI (`wekeep import --format …`), each on fixtures we
// build from the documented schemas: every record checked field by field through `wekeep show`,
// per-conversation summaries, quarantine reasons naming file/table/row, exit codes, detection,
// idempotent re-imports, and kill -9 in the middle of an import.

interface Conversation {
  id: string;
  title: string | null;
  type: 'direct' | 'group' | null;
  rows: number;
  archived: number;
  duplicates: number;
  quarantined: number;
  missingMedia: number;
}

interface Summary {
  importId: number;
  status: 'completed' | 'partial';
  format: string;
  found: string;
  ownerWxid: string;
  source: string;
  custodian: string;
  totalRows: number;
  rows: number;
  imported: number;
  duplicates: number;
  duplicatesWithChangedDetails: number;
  quarantined: number;
  recallsLinked: number;
  recallsPending: number;
  attachments: { total: number; stored: number; deduplicated: number; bytes: number };
  conversations: Conversation[];
  missingMedia: { messages: number; files: number; list: { source: string; id: string; conversation: string; files: string[] }[]; truncated: boolean };
  detected?: { format: string; evidence: string; path: string };
}

interface Attachment {
  name: string;
  mime: string | null;
  size: number;
  sha256: string;
}

interface Message {
  source: string;
  id: string;
  time: string;
  conversation: { id: string; type: string; title: string | null };
  from: { id: string; name: string | null };
  to: { id: string; name: string | null }[];
  type: string;
  text: string | null;
  recalled: boolean;
  recalledBy: string | null;
  attachments: Attachment[];
  fields: { [k: string]: unknown } & { custodian?: string; parent?: string; originalType?: string; call?: unknown; wechat?: { [k: string]: unknown } };
  raw: { [k: string]: unknown };
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const CUSTODIAN = 'P0042';
const SOURCE = `wechat:${OWNER}`;

function parseSummary(r: CliResult, status: number): Summary {
  expect(r.status, r.stderr).toBe(status);
  return JSON.parse(r.stdout) as Summary;
}

async function inStore<T>(data: string, fn: (ctx: Context) => Promise<T>): Promise<T> {
  const ctx = await createContext(loadConfig({ data }));
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

/** A data dir initialized once (what `wekeep init` does, in-process), copied for every store of the file. */
let pristine: string | undefined;

async function preparePristineStore(root: string): Promise<void> {
  pristine = join(root, 'data-pristine');
  await (await initStore(loadConfig({ data: pristine }, cliEnv()))).ctx.close();
}

/** A fresh initialized data dir (a copy of the pristine one, with its own master key file), and helpers bound to it. */
function store(root: string, name: string) {
  const data = join(root, `data-${name}`);
  cpSync(pristine!, data, { recursive: true });
  const cli = (args: string[]): CliResult => runCli(['--data', data, ...args]);
  return {
    data,
    cli,
    importJson: (args: string[], status: number): Summary => parseSummary(cli(['import', ...args, '--json']), status),
    /** One archived message, read in-process through the show service (the CLI's `show` is checked once per format). */
    show: (id: string): Promise<Message> => inStore(data, async (ctx) => (await showMessage(ctx, { source: SOURCE, id }, { context: 0 })).message as unknown as Message),
    search: (query: string): Promise<{ total: number; hits: { id: string; type: string; recalled: boolean }[] }> =>
      inStore(data, async (ctx) => {
        const r = await searchMessages(ctx, { query, limit: 50, offset: 0 });
        return { total: r.total, hits: r.hits.map((h) => ({ id: h.id, type: h.type, recalled: h.recalled })) };
      }),
    /** The quarantine, read in-process through the quarantine service (`wekeep quarantine list --json` is checked once, for pc4). */
    quarantine: (): Promise<{ file: string; line: number; reason: string }[]> => inStore(data, async (ctx) => (await listQuarantined(ctx, { limit: 100, offset: 0 })).entries),
  };
}

const conv = (s: Summary, id: string): Conversation => {
  const c = s.conversations.find((x) => x.id === id);
  expect(c, `conversation ${id} in the summary`).toBeDefined();
  return c!;
};

describe('wekeep import: personal WeChat exports', { timeout: 240_000 }, () => {
  const tmp = tempDir('wechat');
  let media: FixtureMedia;
  let pc4: Pc4Fixture;
  let ios: IosFixture;
  let csv: CsvFixture;

  beforeAll(async () => {
    await preparePristineStore(tmp.path);
    media = await fixtureMedia();
    pc4 = writePc4Export(join(tmp.path, 'pc4'), media);
    ios = writeIosExport(join(tmp.path, 'ios'), media);
    csv = writeWeChatMsgCsv(join(tmp.path, 'csv'));
  }, 60_000);
  afterAll(() => tmp.cleanup());

  describe('usage errors (exit status 2)', () => {
    let s: ReturnType<typeof store>;
    beforeAll(() => {
      s = store(tmp.path, 'usage');
    });

    it('requires --custodian for the WeChat formats', async () => {
      const r = s.cli(['import', '--format', 'wechat-pc4', pc4.account]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/--custodian PERSON_ID is required for --format wechat-pc4/);
      const auto = s.cli(['import', '--format', 'auto', csv.root]);
      expect(auto.status).toBe(2);
      expect(auto.stderr).toMatch(/detected wechatmsg-csv/);
      expect(auto.stderr).toMatch(/--custodian PERSON_ID is required/);
    });

    it('refuses an unknown format, a bad time zone, half an Android key, and an unrecognizable folder', async () => {
      const bad = s.cli(['import', '--format', 'wechat-pc9', pc4.account, '--custodian', CUSTODIAN]);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/unknown --format "wechat-pc9" \(supported: ndjson, wechat-pc3, wechat-pc4, wechat-android, wechat-ios, wechatmsg-csv, auto\)/);
      const tz = s.cli(['import', '--format', 'wechatmsg-csv', csv.root, '--custodian', CUSTODIAN, '--tz', 'Mars/Olympus']);
      expect(tz.status).toBe(2);
      expect(tz.stderr).toMatch(/--tz: unknown time zone/);
      const key = s.cli(['import', '--format', 'wechat-android', pc4.account, '--custodian', CUSTODIAN, '--imei', '123']);
      expect(key.status).toBe(2);
      expect(key.stderr).toMatch(/--imei and --uin go together/);
      const empty = join(tmp.path, 'empty');
      mkdirSync(empty, { recursive: true });
      const none = s.cli(['import', '--format', 'auto', empty, '--custodian', CUSTODIAN]);
      expect(none.status).toBe(2);
      expect(none.stderr).toMatch(/no WeChat export found in this folder/);
      // "No export of that kind here" is a usage error whichever format was named.
      for (const format of ['wechat-pc3', 'wechat-pc4', 'wechat-android', 'wechat-ios', 'wechatmsg-csv']) {
        const r = s.cli(['import', '--format', format, empty, '--custodian', CUSTODIAN, '--owner-wxid', 'wxid_x']);
        expect([format, r.status], r.stderr).toEqual([format, 2]);
        expect(r.stderr).toContain(empty);
      }
      // The wrong --format for the folder: the error names the kind of export it holds.
      const wrong = s.cli(['import', '--format', 'wechat-pc3', pc4.account, '--custodian', CUSTODIAN]);
      expect(wrong.status).toBe(2);
      expect(wrong.stderr).toMatch(/no PC WeChat 3\.x message databases .*; it looks like a wechat-pc4 export \(.*\): pass --format wechat-pc4, or --format auto/);
      // An iTunes backup still hashed: auto says what --format wechat-ios says.
      const hashed = join(tmp.path, 'hashed');
      mkdirSync(hashed, { recursive: true });
      writeFileSync(join(hashed, 'Manifest.db'), '');
      const backup = s.cli(['import', '--format', 'auto', hashed, '--custodian', CUSTODIAN]);
      expect(backup.status).toBe(2);
      expect(backup.stderr).toMatch(/an iTunes backup in its hashed form \(Manifest\.db\); extract the WeChat app's files first/);
      // A 0-byte message database (a failed copy) is not an export without messages.
      const zero = join(tmp.path, 'zero', 'db_storage', 'message');
      mkdirSync(zero, { recursive: true });
      writeFileSync(join(zero, 'message_0.db'), '');
      const truncated = s.cli(['import', '--format', 'auto', join(tmp.path, 'zero'), '--custodian', CUSTODIAN, '--owner-wxid', 'wxid_z']);
      expect(truncated.status).toBe(1);
      expect(truncated.stderr).toMatch(/message_0\.db: not a readable SQLite database: the file is empty \(0 bytes\)/);
    });

    it('says what the import command accepts', async () => {
      const help = s.cli(['import', '--help']);
      expect(help.status).toBe(0);
      for (const f of ['wechat-pc3', 'wechat-pc4', 'wechat-android', 'wechat-ios', 'wechatmsg-csv', 'auto', '--custodian', '--owner-wxid', '--tz', '--imei', '--uin', '--key']) expect(help.stdout).toContain(f);
    });
  });

  describe('wechat-pc4 (WeChat 4.x db_storage)', () => {
    let s: ReturnType<typeof store>;
    let first: Summary;
    let stderr: string;

    beforeAll(() => {
      s = store(tmp.path, 'pc4');
      // `auto` on the folder above the account: it finds db_storage and says so.
      const r = s.cli(['import', '--format', 'auto', join(tmp.path, 'pc4', 'xwechat_files'), '--custodian', CUSTODIAN, '--json']);
      stderr = r.stderr;
      first = parseSummary(r, 3);
    }, 60_000);

    it('detects the format and reports what it found', async () => {
      expect(stderr).toMatch(/detected wechat-pc4: wxid_owner8k2_a1b2\/db_storage \(WeChat 4\.x db_storage folder\)/);
      expect(first.detected).toMatchObject({ format: 'wechat-pc4', path: pc4.account });
      expect(first.found).toMatch(/^WeChat 4\.x: 2 message database\(s\), 2 chat\(s\), 30 messages; 5 contacts; 1 voice database\(s\)$/);
    });

    it('summarizes totals, per conversation and missing media', async () => {
      expect(first).toMatchObject({
        status: 'partial', format: 'wechat-pc4', ownerWxid: OWNER, source: SOURCE, custodian: CUSTODIAN,
        totalRows: pc4.expectedRows, rows: pc4.expectedRows, imported: pc4.expectedRows - 2, duplicates: 0, quarantined: 2, recallsLinked: 1, recallsPending: 0,
      });
      // image, voice (SILK + WAV), video, file
      expect(first.attachments).toMatchObject({ total: 5, stored: 5, deduplicated: 0 });
      expect(conv(first, PEER)).toEqual({ id: PEER, title: PEER_REMARK, type: 'direct', rows: 21, archived: 19, duplicates: 0, quarantined: 2, missingMedia: 1 });
      expect(conv(first, ROOM)).toEqual({ id: ROOM, title: ROOM_NAME, type: 'group', rows: 9, archived: 9, duplicates: 0, quarantined: 0, missingMedia: 0 });
      expect(first.missingMedia).toEqual({
        messages: 1, files: 1, truncated: false,
        list: [{ source: SOURCE, id: PC4_IDS.missingImage, conversation: PEER, files: [`image msg/attach/${md5(PEER)}/2026-03/Img/ffffffffffffffffffffffffffffffff.dat`] }],
      });
    });

    it('quarantines bad rows with file, table and row', async () => {
      const r = s.cli(['quarantine', 'list', '--json']);
      expect(r.status, r.stderr).toBe(0);
      const q = (JSON.parse(r.stdout) as { entries: { file: string; line: number; reason: string }[] }).entries;
      expect(q).toEqual(await s.quarantine());
      expect(q.map((e) => e.reason).sort()).toEqual([
        `db_storage/message/message_0.db table Msg_${md5(PEER)} row 17: content: app message XML is not well-formed (line 1)`,
        `db_storage/message/message_0.db table Msg_${md5(PEER)} row 20: column message_content: zstd frame cannot be decompressed`,
      ]);
      expect(q.every((e) => e.file === pc4.account)).toBe(true);
    });

    it('archives a received text with sender, recipient, conversation, time, custodian and the raw row', async () => {
      const m = await s.show(PC4_IDS.firstText);
      expect(m).toMatchObject({
        source: SOURCE, id: PC4_IDS.firstText, time: new Date(BASE_TIME * 1000).toISOString(), type: 'text', text: PC4_TEXTS.first, recalled: false, attachments: [],
        conversation: { id: PEER, type: 'direct', title: PEER_REMARK },
        from: { id: PEER, name: PEER_REMARK },
        to: [{ id: OWNER, name: OWNER_NAME }],
      });
      expect(m.fields.custodian).toBe(CUSTODIAN);
      expect(m.fields.wechat).toMatchObject({ format: 'wechat-pc4', type: 1, subType: 0, direction: 'received', serverId: PC4_IDS.firstText, localId: 1, talker: PEER, table: `Msg_${md5(PEER)}` });
      // ids above 2^53 keep every digit
      expect(m.raw).toMatchObject({ local_id: 1, server_id: PC4_IDS.firstText, message_content: PC4_TEXTS.first, create_time: BASE_TIME });
      // the same through `wekeep show`
      const viaCli = s.cli(['show', `${SOURCE}/${PC4_IDS.firstText}`, '--json']);
      expect(viaCli.status, viaCli.stderr).toBe(0);
      const shown = (JSON.parse(viaCli.stdout) as { message: Message }).message;
      expect({ ...shown, archivedAt: undefined }).toEqual({ ...m, archivedAt: undefined });
    });

    it('archives the owner\'s messages as sent', async () => {
      const m = await s.show((7_100_000_000_000_000_000n + 2n).toString());
      expect(m).toMatchObject({ type: 'text', text: '收到，谢谢', from: { id: OWNER, name: OWNER_NAME }, to: [{ id: PEER, name: PEER_REMARK }] });
      expect(m.fields.wechat).toMatchObject({ direction: 'sent' });
    });

    it('attaches media: the decoded .dat image, SILK voice with its WAV, the video and the file', async () => {
      const image = await s.show(PC4_IDS.image);
      expect(image.type).toBe('image');
      expect(image.attachments).toEqual([expect.objectContaining({ name: `${IMAGE_MD5}.jpg`, mime: 'image/jpeg', sha256: sha256(media.jpeg), size: media.jpeg.length })]);
      const voice = await s.show(PC4_IDS.voice);
      expect(voice.type).toBe('voice');
      expect(voice.text).toBe(PC4_TEXTS.transcript);
      expect(voice.attachments.map((a) => [a.name, a.mime])).toEqual([[`voice-${PC4_IDS.voice}.silk`, 'audio/silk'], [`voice-${PC4_IDS.voice}.wav`, 'audio/wav']]);
      expect(voice.attachments[0]!.sha256).toBe(sha256(media.silk));
      expect(voice.attachments[1]!.size).toBeGreaterThan(44 + 2 * 24_000); // 2 s of 24 kHz 16-bit PCM
      const video = await s.show(PC4_IDS.video);
      expect(video).toMatchObject({ type: 'video', from: { id: OWNER } });
      expect(video.attachments).toEqual([expect.objectContaining({ mime: 'video/mp4', sha256: sha256(media.mp4) })]);
      const file = await s.show(PC4_IDS.file);
      expect(file).toMatchObject({ type: 'file', text: FILE_NAME });
      expect(file.attachments).toEqual([expect.objectContaining({ name: FILE_NAME, sha256: sha256(media.docx) })]);
    });

    it('maps the other types: link, call, location, card, emoji, transfer, unknown, local notice', async () => {
      const id = (n: number): string => (7_100_000_000_000_000_000n + BigInt(n)).toString();
      const link = await s.show(id(7));
      expect(link.type).toBe('link');
      expect(link.text).toContain('2026年度采购框架协议解读');
      expect(link.text).toContain('https://example.invalid/a?id=1&x=2');
      const call = await s.show(id(8));
      expect(call.type).toBe('call');
      expect(call.fields.call).toEqual({ media: 'voice', durationSeconds: 125 });
      const location = await s.show(id(9));
      expect(location).toMatchObject({ type: 'location' });
      expect(location.text).toContain('人民广场');
      expect(await s.show(id(10))).toMatchObject({ type: 'card' });
      expect((await s.show(id(10))).text).toContain('陈律师');
      expect(await s.show(id(11))).toMatchObject({ type: 'emoji' });
      const transfer = await s.show(id(12));
      expect(transfer.type).toBe('transfer');
      expect(transfer.text).toContain('￥1,280.00');
      const unknown = await s.show(id(16));
      expect(unknown).toMatchObject({ type: 'other', text: '未知类型的消息内容' });
      expect(unknown.fields.originalType).toBe('9999');
      const notice = await s.search('打招呼');
      expect(notice.total).toBe(1);
      expect(notice.hits[0]).toMatchObject({ type: 'system' });
      expect(notice.hits[0]!.id).toMatch(/^local-[0-9a-f]{24}$/);
    });

    it('links quotes to their parent and marks revoked messages recalled', async () => {
      const quote = await s.show(PC4_IDS.quote);
      expect(quote.fields.parent).toBe(PC4_IDS.firstText);
      expect(quote.text).toBe(`好的，按这个执行\n${PC4_TEXTS.first}`);
      const revoked = await s.show(PC4_IDS.toBeRevoked);
      expect(revoked).toMatchObject({ recalled: true, recalledBy: PC4_IDS.revoke, text: PC4_TEXTS.revoked });
      expect(await s.show(PC4_IDS.revoke)).toMatchObject({ type: 'recall' });
      // still found, and findable as recalled
      expect((await s.search('底价 is:recalled')).hits.map((h) => h.id)).toEqual([PC4_IDS.toBeRevoked]);
    });

    it('reads group chats: the real sender from the wxid prefix, names, system notices, quotes', async () => {
      const m = await s.show(PC4_IDS.groupWang);
      expect(m).toMatchObject({ type: 'text', text: PC4_TEXTS.group, from: { id: MEMBER_WANG, name: MEMBER_WANG_NAME }, conversation: { id: ROOM, type: 'group', title: ROOM_NAME }, to: [] });
      const id = (n: number): string => (7_100_000_000_000_000_000n + BigInt(n)).toString();
      expect(await s.show(id(103))).toMatchObject({ from: { id: OWNER } });
      expect(await s.show(id(104))).toMatchObject({ type: 'redpacket', from: { id: MEMBER_WANG } });
      const record = await s.show(id(105));
      expect(record).toMatchObject({ type: 'chatrecord', from: { id: MEMBER_LI } });
      expect(record.text).toContain('价格再降5%');
      expect(await s.show(id(106))).toMatchObject({ type: 'system', from: { id: ROOM } });
      expect(await s.show(id(107))).toMatchObject({ type: 'miniprogram' });
      expect((await s.show(id(108))).text).toContain('新能源汽车出口数据解读');
      expect((await s.show(PC4_IDS.groupQuote)).fields.parent).toBe(id(102));
    });

    it('reads every message shard', async () => {
      expect(await s.show(PC4_IDS.laterShard)).toMatchObject({ text: PC4_TEXTS.later, time: new Date((BASE_TIME + 86_400) * 1000).toISOString() });
    });

    it('archives nothing twice on a second import', async () => {
      const again = s.importJson(['--format', 'wechat-pc4', pc4.account, '--custodian', CUSTODIAN], 3);
      expect(again).toMatchObject({ imported: 0, duplicates: first.imported, quarantined: 2, duplicatesWithChangedDetails: 0 });
      expect(conv(again, PEER)).toMatchObject({ archived: 0, duplicates: 19, quarantined: 2 });
      expect(conv(again, ROOM)).toMatchObject({ archived: 0, duplicates: 9 });
    });

    it('imports a newer export of the same phone: only what is new, renamed contacts kept as archived', async () => {
      const newer = join(tmp.path, 'pc4-newer');
      const fx = writePc4Export(newer, media);
      // The contact renamed, and a new message in a new shard.
      const contact = new Sqlite(join(fx.dbStorage, 'contact', 'contact.db'));
      contact.prepare('UPDATE contact SET remark = ? WHERE username = ?').run('张三（已离职）', PEER);
      contact.close();
      const later = new Sqlite(join(fx.dbStorage, 'message', 'message_1.db'));
      later.prepare(`INSERT INTO Msg_${md5(PEER)}(local_id, server_id, local_type, sort_seq, real_sender_id, create_time, status, message_content) VALUES (2, ?, 1, 0, 1, ?, 4, ?)`)
        .run(7_100_000_000_000_000_999n, BASE_TIME + 90_000, '新导出里的新消息');
      later.close();
      const s2 = s.importJson(['--format', 'wechat-pc4', fx.account, '--custodian', CUSTODIAN], 3);
      expect(s2).toMatchObject({ imported: 1, quarantined: 2, duplicates: first.imported });
      expect(s2.duplicatesWithChangedDetails).toBe(19); // the peer chat's archived messages: the chat and the peer renamed
      expect(await s.show('7100000000000000999')).toMatchObject({ text: '新导出里的新消息', from: { id: PEER } });
      expect((await s.show(PC4_IDS.firstText)).from.name).toBe(PEER_REMARK);
    });
  });

  describe('wechat-pc4, damaged exports', () => {
    it('quarantines a table with unexpected columns and the unreadable part of a damaged table, and imports the rest', async () => {
      const s = store(tmp.path, 'pc4-corrupt');
      const fx = writePc4Export(join(tmp.path, 'pc4-corrupt'), media, { corrupt: true });
      corruptLastLeaf(fx.messageDb, `Msg_${md5(PEER)}`);
      const sum = s.importJson(['--format', 'wechat-pc4', fx.dbStorage, '--custodian', CUSTODIAN], 3);
      const reasons = (await s.quarantine()).map((e) => e.reason);
      expect(reasons).toContain(`db_storage/message/message_0.db table Msg_${md5('wxid_odd9table')}: unexpected columns: no sort_seq, real_sender_id, status, message_content; the table is not imported`);
      expect(reasons.some((r) => new RegExp(`^db_storage/message/message_0\\.db table Msg_${md5(PEER)}: read error after row \\d+: database disk image is malformed \\(SQLITE_CORRUPT\\); the rest of the table is not imported$`).test(r))).toBe(true);
      expect(conv(sum, ROOM)).toMatchObject({ archived: 9, quarantined: 0 });
      expect(conv(sum, PEER).archived).toBeGreaterThanOrEqual(10);
      expect((await s.show(PC4_IDS.firstText)).text).toBe(PC4_TEXTS.first);
    });

    it('quarantines a truncated message database by name and imports the others; stops when none can be read', async () => {
      const s = store(tmp.path, 'pc4-truncated');
      const fx = writePc4Export(join(tmp.path, 'pc4-truncated'), media);
      const cut = (file: string): void => {
        truncatedCopy(file, `${file}.cut`, 0.5);
        writeFileSync(file, readFileSync(`${file}.cut`));
      };
      cut(join(fx.dbStorage, 'message', 'message_1.db'));
      const sum = s.importJson(['--format', 'wechat-pc4', fx.account, '--custodian', CUSTODIAN], 3);
      expect(sum.imported).toBe(fx.expectedRows - 2 - 1);
      expect(sum.found).toContain('1 message database(s) unreadable');
      expect((await s.quarantine()).map((q) => q.reason)).toContain(
        'db_storage/message/message_1.db: not a readable SQLite database: database disk image is malformed (SQLITE_CORRUPT) (is it decrypted and complete?); the database is not imported',
      );
      cut(fx.messageDb);
      const none = s.cli(['import', '--format', 'wechat-pc4', fx.account, '--custodian', CUSTODIAN]);
      expect(none.status).toBe(1);
      expect(none.stderr).toMatch(/db_storage\/message\/message_0\.db: not a readable SQLite database: .*\(is it decrypted and complete\?\)/);
      expect(none.stderr).not.toContain(PC4_TEXTS.first);
    });
  });

  describe('wechat-ios (an iOS backup\'s WeChat folder)', () => {
    let s: ReturnType<typeof store>;
    let first: Summary;
    let stderr: string;

    beforeAll(() => {
      s = store(tmp.path, 'ios');
      const r = s.cli(['import', '--format', 'auto', ios.app, '--custodian', CUSTODIAN, '--json']);
      stderr = r.stderr;
      first = parseSummary(r, 3);
    }, 60_000);

    it('detects the format, finds the owner by the user folder\'s hash, and summarizes', async () => {
      expect(stderr).toMatch(/detected wechat-ios: Documents\/[0-9a-f]{32}\/DB\/MM\.sqlite \(iOS WeChat message database\)/);
      expect(first.found).toContain(`owner ${OWNER} (the contact whose md5 names the user folder)`);
      expect(first).toMatchObject({ format: 'wechat-ios', ownerWxid: OWNER, totalRows: ios.expectedRows, rows: ios.expectedRows, imported: ios.expectedRows - 1, quarantined: 1, recallsLinked: 1 });
      expect(conv(first, PEER)).toEqual({ id: PEER, title: PEER_REMARK, type: 'direct', rows: 19, archived: 18, duplicates: 0, quarantined: 1, missingMedia: 1 });
      expect(conv(first, ROOM)).toMatchObject({ type: 'group', title: ROOM_NAME, archived: 8 });
      expect(conv(first, IOS_PEER2)).toMatchObject({ archived: 1 });
      expect(first.missingMedia.list).toEqual([{ source: SOURCE, id: IOS_IDS.missingVoice, conversation: PEER, files: [`voice Audio/${md5(PEER)}/17.aud`] }]);
      expect((await s.quarantine()).map((q) => q.reason)).toEqual([`DB/MM.sqlite table Chat_${md5(PEER)} row 18: content: app message XML is not well-formed (line 1)`]);
    });

    it('archives direction from Des, names from the protobuf remark, and media from the backup folders', async () => {
      const m = await s.show(IOS_IDS.text);
      expect(m).toMatchObject({ type: 'text', text: IOS_TEXTS.first, from: { id: PEER, name: PEER_REMARK }, to: [{ id: OWNER, name: OWNER_NAME }], conversation: { id: PEER, title: PEER_REMARK } });
      expect(m.fields.wechat).toMatchObject({ format: 'wechat-ios', des: 1, direction: 'received', serverId: IOS_IDS.text });
      expect(m.raw).toMatchObject({ MesLocalID: 1, MesSvrID: IOS_IDS.text, Des: 1 });
      const image = await s.show(IOS_IDS.image);
      expect(image.attachments).toEqual([expect.objectContaining({ mime: 'image/jpeg', sha256: sha256(media.jpeg) })]);
      const voice = await s.show(IOS_IDS.voice);
      expect(voice.attachments.map((a) => a.mime)).toEqual(['audio/silk', 'audio/wav']);
      expect(voice.attachments[0]!.sha256).toBe(sha256(media.silk));
      const video = await s.show(IOS_IDS.video);
      expect(video).toMatchObject({ type: 'video', from: { id: OWNER }, to: [{ id: PEER }] });
      expect(video.attachments[0]!.sha256).toBe(sha256(media.mp4));
      const file = await s.show(IOS_IDS.file);
      expect(file.attachments).toEqual([expect.objectContaining({ name: FILE_NAME, sha256: sha256(media.docx) })]);
    });

    it('links quotes and revokes, keeps group members\' room nicknames, reads the second message database', async () => {
      expect((await s.show(IOS_IDS.quote)).fields.parent).toBe(IOS_IDS.text);
      expect(await s.show(IOS_IDS.revoked)).toMatchObject({ recalled: true, recalledBy: IOS_IDS.revoke });
      const group = await s.show(IOS_IDS.groupWang);
      expect(group).toMatchObject({ text: IOS_TEXTS.group, from: { id: MEMBER_WANG, name: MEMBER_WANG_ROOM_NAME }, conversation: { id: ROOM, type: 'group' } });
      expect(await s.show(IOS_IDS.secondDb)).toMatchObject({ text: IOS_TEXTS.secondDb, from: { id: IOS_PEER2, name: '孙七' } });
    });

    it('archives nothing twice', async () => {
      const again = s.importJson(['--format', 'wechat-ios', ios.userDir, '--custodian', CUSTODIAN], 3);
      expect(again).toMatchObject({ imported: 0, duplicates: first.imported, quarantined: 1 });
    });

    it('quarantines a chat table with unexpected columns', async () => {
      const bad = store(tmp.path, 'ios-corrupt');
      const fx = writeIosExport(join(tmp.path, 'ios-corrupt'), media, { corrupt: true });
      const sum = bad.importJson(['--format', 'wechat-ios', fx.mmSqlite, '--custodian', CUSTODIAN], 3);
      expect(sum.imported).toBe(first.imported);
      expect((await bad.quarantine()).map((q) => q.reason)).toContain(`DB/MM.sqlite table Chat_${md5('wxid_odd9table')}: unexpected columns: no MesSvrID, Message, Des; the table is not imported`);
    });
  });

  describe('wechatmsg-csv (the WeChatMsg tool\'s CSV export)', () => {
    let s: ReturnType<typeof store>;
    let first: Summary;

    beforeAll(() => {
      s = store(tmp.path, 'csv');
      const r = s.cli(['import', '--format', 'auto', csv.root, '--custodian', CUSTODIAN, '--json']);
      expect(r.stderr).toMatch(/detected wechatmsg-csv: .*_utf8\.csv \(CSV with WeChatMsg's header\)/);
      first = parseSummary(r, 0);
    }, 60_000);

    it('tells direct chats from groups, finds the owner, and reports the media a CSV cannot hold', async () => {
      expect(first).toMatchObject({ status: 'completed', format: 'wechatmsg-csv', ownerWxid: OWNER, rows: 23, imported: 23, quarantined: 0 });
      expect(first.found).toBe(`WeChatMsg CSV export: 2 chat file(s) (1 direct, 1 group), 23 rows; owner ${OWNER} from the sent rows`);
      expect(conv(first, PEER)).toEqual({ id: PEER, title: PEER_REMARK, type: 'direct', rows: 15, archived: 15, duplicates: 0, quarantined: 0, missingMedia: 3 });
      expect(conv(first, `csv:${ROOM_NAME}`)).toEqual({ id: `csv:${ROOM_NAME}`, title: ROOM_NAME, type: 'group', rows: 8, archived: 8, duplicates: 0, quarantined: 0, missingMedia: 0 });
      expect(first.missingMedia.list.map((m) => m.files[0])).toEqual(['image (a CSV export holds no media)', 'voice (a CSV export holds no media)', `file ${FILE_NAME} (a CSV export holds no media)`]);
    });

    it('archives rows field by field (ids from TalkerId, localId and CreateTime)', async () => {
      const m = await s.show(`csv:5:101:${BASE_TIME}`);
      expect(m).toMatchObject({
        type: 'text', text: '周经理，合同已经盖章，发票明天寄出。', time: new Date(BASE_TIME * 1000).toISOString(),
        from: { id: PEER, name: PEER_REMARK }, to: [{ id: OWNER }], conversation: { id: PEER, type: 'direct', title: PEER_REMARK },
      });
      expect(m.fields.wechat).toMatchObject({ format: 'wechatmsg-csv', localId: 101, talkerId: '5', timeFrom: 'CreateTime', direction: 'received' });
      expect(m.raw).toMatchObject({ localId: '101', StrTime: '2026-03-02 09:00:00', Sender: PEER });
      expect(await s.show(`csv:5:115:${BASE_TIME + 14 * 60}`)).toMatchObject({ text: MULTILINE_TEXT, from: { id: OWNER, name: OWNER_NAME } });
      expect((await s.show(`csv:5:107:${BASE_TIME + 6 * 60}`)).fields.call).toEqual({ media: 'voice', durationSeconds: 83 });
      // No server ids in a CSV: the revoke stays a notice and the reply has no parent.
      const revoke = await s.show(`csv:5:113:${BASE_TIME + 12 * 60}`);
      expect(revoke.type).toBe('system');
      expect(revoke.fields.wechat).toMatchObject({ notes: [expect.stringMatching(/the CSV has no server ids/)] });
      const quote = await s.show(`csv:5:112:${BASE_TIME + 11 * 60}`);
      expect(quote.fields.parent).toBeUndefined();
      expect(quote.text).toContain('周经理，合同已经盖章');
      const group = await s.show(`csv:9:201:${BASE_TIME + 3600}`);
      expect(group).toMatchObject({ text: GROUP_TEXT, from: { id: MEMBER_WANG, name: MEMBER_WANG_NAME }, conversation: { id: `csv:${ROOM_NAME}`, type: 'group', title: ROOM_NAME } });
      expect(await s.show(`csv:9:206:${BASE_TIME + 3600 + 5 * 60}`)).toMatchObject({ type: 'system', from: { id: `csv:${ROOM_NAME}` } });
    });

    it('archives nothing twice', async () => {
      const again = s.importJson(['--format', 'wechatmsg-csv', csv.root, '--custodian', CUSTODIAN], 0);
      expect(again).toMatchObject({ imported: 0, duplicates: 23 });
    });

    it('quarantines malformed lines with their line number, reads local times in --tz, ignores other CSV files', async () => {
      const bad = store(tmp.path, 'csv-corrupt');
      const fx = writeCorruptWeChatMsgCsv(join(tmp.path, 'csv-corrupt'));
      const sum = bad.importJson(['--format', 'wechatmsg-csv', join(tmp.path, 'csv-corrupt'), '--custodian', CUSTODIAN, '--owner-wxid', OWNER, '--tz', 'Asia/Tokyo'], 3);
      expect(sum.found).toContain('1 other CSV file(s) ignored');
      expect(sum).toMatchObject({ imported: 2, quarantined: fx.badLines.length });
      const q = await bad.quarantine();
      for (const b of fx.badLines) {
        const entry = q.find((e) => e.reason.startsWith(`${PEER_REMARK}_utf8.csv line ${b.line}: `));
        expect(entry, `line ${b.line}`).toBeDefined();
        expect(entry!.reason).toMatch(b.reason);
      }
      const local = (await bad.search('只有本地时间')).hits[0]!;
      const m = await bad.show(local.id);
      expect(m.time).toBe('2026-03-02T02:05:00.000Z'); // 11:05 in Tokyo
      expect(m.fields.wechat).toMatchObject({ timeFrom: 'StrTime' });
    });
  });

  describe('wechat-pc3 through the same service', () => {
    it('imports, reports, and archives nothing twice', async () => {
      const pc3: Pc3Export = await buildPc3Export(join(tmp.path, 'pc3'));
      const s = store(tmp.path, 'pc3');
      const r = s.cli(['import', '--format', 'auto', pc3.account, '--custodian', CUSTODIAN, '--json']);
      expect(r.stderr).toMatch(/detected wechat-pc3/);
      const sum = parseSummary(r, 3);
      expect(sum).toMatchObject({ format: 'wechat-pc3', ownerWxid: PC3.owner, quarantined: PC3_BAD.length });
      expect(sum.conversations.map((c) => c.id)).toEqual(expect.arrayContaining([PC3.peer, PC3.room]));
      const text = s.cli(['show', `wechat:${PC3.owner}/${SVR.text}`, '--json']);
      expect(text.status, text.stderr).toBe(0);
      // Detection hands the reader the account folder, so an explicit re-import (or one naming the
      // Msg folder) finds the same messages with nothing changed.
      expect(r.stderr).not.toMatch(/reading .*Multi/);
      const again = s.importJson(['--format', 'wechat-pc3', pc3.account, '--custodian', CUSTODIAN], 3);
      expect(again).toMatchObject({ imported: 0, duplicates: sum.imported, duplicatesWithChangedDetails: 0 });
      const viaMsg = s.importJson(['--format', 'wechat-pc3', join(pc3.account, 'Msg'), '--custodian', CUSTODIAN], 3);
      expect(viaMsg).toMatchObject({ imported: 0, duplicates: sum.imported, duplicatesWithChangedDetails: 0 });
    }, 120_000);
  });

  describe('wechat-android through the same service', () => {
    it('detects EnMicroMsg.db, opens it with the IMEI and uin, and archives nothing twice', async () => {
      const android: AndroidExport = await buildAndroidExport(join(tmp.path, 'android'));
      const s = store(tmp.path, 'android');
      const key = ['--imei', ANDROID.imei, '--uin', ANDROID.uin];
      const r = s.cli(['import', '--format', 'auto', android.root, ...key, '--custodian', CUSTODIAN, '--json']);
      expect(r.stderr).toMatch(/detected wechat-android: MicroMsg\/[0-9a-f]{32}\/EnMicroMsg\.db \(Android WeChat database\)/);
      const sum = JSON.parse(r.stdout) as Summary;
      expect([0, 3]).toContain(r.status);
      expect(sum).toMatchObject({ format: 'wechat-android', ownerWxid: ANDROID.owner, custodian: CUSTODIAN });
      expect(sum.imported).toBeGreaterThan(0);
      expect(sum.conversations.map((c) => c.id)).toEqual(expect.arrayContaining([ANDROID.peer, ANDROID.room]));
      const wrongKey = s.cli(['import', '--format', 'wechat-android', android.db, '--key', 'abcdef0', '--custodian', CUSTODIAN]);
      expect(wrongKey.status).toBe(2);
      expect(wrongKey.stderr).toMatch(/EnMicroMsg\.db: the key does not open this database/);
      const again = parseSummary(s.cli(['import', '--format', 'wechat-android', android.db, '--key', android.key, '--custodian', CUSTODIAN, '--json']), r.status);
      expect(again).toMatchObject({ imported: 0, duplicates: sum.imported });
    }, 120_000);
  });

  describe('kill -9 in the middle of an import', () => {
    it('holds every message exactly once after repeated kills and a final run', async () => {
      const fx = writePc4Export(join(tmp.path, 'pc4-bulk'), media, { filler: 40_000 });
      const s = store(tmp.path, 'crash');
      const args = ['--data', s.data, 'import', '--format', 'wechat-pc4', fx.account, '--custodian', CUSTODIAN];
      const killed: number[] = [];
      for (const ms of [1200, 2000, 2800, 3800]) {
        const child = startCli(args);
        let sent = false;
        const timer = setTimeout(() => {
          sent = child.kill('SIGKILL');
        }, ms);
        const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
        clearTimeout(timer);
        if (sent && code === null) killed.push(ms);
      }
      expect(killed.length).toBeGreaterThanOrEqual(2);
      const final = s.importJson(['--format', 'wechat-pc4', fx.account, '--custodian', CUSTODIAN], 3);
      const archivable = fx.expectedRows - 2;
      expect(final.quarantined).toBe(2);
      expect(final.imported + final.duplicates).toBe(archivable);
      const ctx = await createContext(loadConfig({ data: s.data }));
      try {
        const count = async (q: ReturnType<typeof sql<{ n: number }>>): Promise<number> => Number((await q.execute(ctx.db)).rows[0]!.n);
        expect(await count(sql`SELECT count(*) AS n FROM messages`)).toBe(archivable);
        expect(await count(sql`SELECT count(DISTINCT ext_id) AS n FROM messages`)).toBe(archivable);
        expect(await count(sql`SELECT count(*) AS n FROM message_fts`)).toBe(archivable);
        expect(await count(sql`SELECT count(*) AS n FROM attachments`)).toBe(5);
        expect(await count(sql`SELECT coalesce(sum(ref_count), 0) AS n FROM blobs`)).toBe(5);
        expect(await count(sql`SELECT count(*) AS n FROM imports WHERE status = 'running'`)).toBe(0);
      } finally {
        await ctx.close();
      }
      expect(s.cli(['audit', 'verify']).status).toBe(0);
      const again = s.importJson(['--format', 'wechat-pc4', fx.account, '--custodian', CUSTODIAN], 3);
      expect(again).toMatchObject({ imported: 0, duplicates: archivable });
    }, 300_000);
  });
});
