import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createContext, type Context } from '../src/context.js';
import { openConfiguredSdk } from '../src/connectors/wecom/open-configured.js';
import { addWeComSource, loadWeComSource, updateWeComSource } from '../src/services/connectors/wecom-source.js';
import { syncWeComSource } from '../src/services/connectors/wecom-sync.js';
import { connectorStatuses, type ConnectorStatus } from '../src/services/connectors/connector-status.js';
import { normalizeWeComMessage } from '../src/connectors/wecom/normalize.js';
import { listAuditEvents, verifyAuditLog } from '../src/services/audit.js';
import { conversationConsent, readAttachment } from '../src/services/conversations.js';
import { searchMessages } from '../src/services/search.js';
import { reportSources } from '../src/services/sources.js';
import { initStore } from '../src/services/store.js';
import { tempDir } from './support/cli.js';
import { tryBuildFakeSdk } from './support/wecom-sdk/build.js';
import { FakeSdkScenario, generateTestKeyPair, md5Hex, type TestKeyPair } from './support/wecom-sdk/scenario.js';

/**
 * The WeCom connector end to end: `sources add wecom` settings, the real koffi client loading the C
 * double of Tencent's SDK, RSA-wrapped random keys of two versions, every fixture message type,
 * chunked media with injected faults, the common ingest (dedupe, index, audit), and the cursor.
 */

const build = tryBuildFakeSdk();
const dir = tempDir('wecom-sync');
const fixtures = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'wecom', 'messages.json'), 'utf8')) as Record<string, Record<string, unknown>>;
let ctx: Context;
let keys: TestKeyPair[];
const fast = (): Promise<void> => Promise.resolve();

function scenarioDir(name: string): string {
  return join(dir.path, name);
}
const mediaBytes = (id: string): Buffer => Buffer.concat(Array.from({ length: 40 }, (_, i) => Buffer.from(`${id}:${i}:` + 'media'.repeat(50))));

/**
 * The fixture message as the double serves it: every md5sum replaced by the md5 of the bytes the
 * double serves for that file (the fixtures' own sums describe files we do not have), nested JSON
 * strings (mixed, chatrecord) included; plus the media the connector will ask for.
 */
function servable(name: string): { json: string; media: Map<string, Buffer> } {
  let json = JSON.stringify(fixtures[name]);
  const media = new Map<string, Buffer>();
  const n = normalizeWeComMessage(fixtures[name], { source: 'x', seq: 1, corpId: 'c' });
  if (n.ok) {
    for (const ref of n.media) {
      const bytes = mediaBytes(ref.sdkfileid);
      media.set(ref.sdkfileid, bytes);
      if (ref.md5sum) json = json.split(ref.md5sum).join(md5Hex(bytes));
    }
  }
  return { json, media };
}

function buildScenario(names: string[], startSeq: number): FakeSdkScenario {
  const s = new FakeSdkScenario({ keyPairs: keys, chunkSize: 4096 });
  names.forEach((name, i) => {
    const { json, media } = servable(name);
    s.addMessage({ seq: startSeq + i, publickeyVer: i % 2 === 0 ? 1 : 2, message: json, msgid: String(fixtures[name]!.msgid) });
    for (const [id, data] of media) s.addMedia(id, data);
  });
  return s;
}

describe.skipIf(!build.available)('WeCom sync through the SDK double', () => {
  beforeAll(async () => {
    keys = [generateTestKeyPair(1), generateTestKeyPair(2), generateTestKeyPair(3)];
    const config = loadConfig({ data: join(dir.path, 'data') }, {});
    await (await initStore(config)).ctx.close();
    ctx = await createContext(config);
    writeFileSync(join(dir.path, 'secret'), 'the-archive-secret\n');
    for (const k of keys) writeFileSync(join(dir.path, `key${k.version}.pem`), k.privateKeyPem);
    await addWeComSource(ctx, {
      name: 'acme', corpId: 'ww-test-corp', secretFile: join(dir.path, 'secret'),
      privateKeys: [`1=${join(dir.path, 'key1.pem')}`, `2=${join(dir.path, 'key2.pem')}`], sdkPath: build.available ? build.libraryPath : '',
    });
  }, 60_000);
  afterAll(async () => {
    delete process.env.WECOM_FAKE_DIR;
    await ctx?.close();
    dir.cleanup();
  });

  it('stores the secret and keys sealed: nothing readable in the database rows', async () => {
    const row = await sql<{ secrets: Buffer; config: string }>`SELECT secrets, config FROM source_settings`.execute(ctx.db);
    expect(row.rows[0]!.secrets.toString('latin1')).not.toContain('the-archive-secret');
    expect(row.rows[0]!.secrets.toString('latin1')).not.toContain('PRIVATE KEY');
    expect(row.rows[0]!.config).not.toContain('the-archive-secret');
    expect((await loadWeComSource(ctx, 'acme')).secrets.secret).toBe('the-archive-secret');
  });

  it('archives every message type with its media, consent events and control-character repair, then advances the cursor', async () => {
    const names = Object.keys(fixtures);
    const s = buildScenario(names, 101);
    s.failGetChatData(0, 10001, 2); // the first call (from cursor 0) fails twice: retryable
    const raw = readFileSync(join(import.meta.dirname, 'fixtures', 'wecom', 'text-with-control-chars.txt'), 'utf8');
    s.addMessage({ seq: 101 + names.length, publickeyVer: 1, message: raw, msgid: /"msgid":"([^"]+)"/u.exec(raw)![1]! });
    const fileId = String((fixtures.file!.file as { sdkfileid: string }).sdkfileid);
    s.corruptMediaChunk(fileId, 4096, 1); // one corrupt chunk: md5 mismatch, downloaded again
    const videoId = String((fixtures.video!.video as { sdkfileid: string }).sdkfileid);
    s.corruptMediaChunk(videoId, 0, 'always'); // never matches: kept, with a flag
    process.env.WECOM_FAKE_DIR = s.write(scenarioDir('first')).dir;

    const r = await syncWeComSource(ctx, 'acme', { limit: 7, openClient: openConfiguredSdk, sleep: fast });
    expect(r.fetched).toBe(names.length + 1);
    expect(r.imported + r.duplicates).toBe(names.length + 1);
    expect(r.quarantined).toBe(0);
    expect(r.controlCharsStripped).toBeGreaterThan(0);
    expect(r.toSeq).toBe(101 + names.length);
    expect(r.retries).toBeGreaterThanOrEqual(2);
    expect(r.batches).toBe(Math.ceil((names.length + 1) / 7));
    expect(r.consentEvents).toBe(2);
    expect(r.media.failed).toBe(0);
    expect(r.media.md5Mismatches).toBe(1);
    const video = (await searchMessages(ctx, { query: 'type:video source:wecom:acme', limit: 5, offset: 0 })).messages.find((m) => m.id === fixtures.video!.msgid)!;
    expect((video.fields as { wecom: { md5Mismatch?: string[] } }).wecom.md5Mismatch).toHaveLength(1);
    expect(video.attachments).toHaveLength(1);
    expect((await loadWeComSource(ctx, 'acme')).cursorSeq).toBe(r.toSeq);

    // Searchable, attributed to the right source, with the media byte-identical.
    const hits = await searchMessages(ctx, { query: '报价单', limit: 10, offset: 0 });
    expect(hits.total).toBeGreaterThan(0);
    expect(hits.messages[0]!.source).toBe('wecom:acme');
    const file = (await searchMessages(ctx, { query: 'type:file source:wecom:acme has:attachment', limit: 50, offset: 0 })).messages.find((m) => m.id === fixtures.file!.msgid)!;
    const att = await readAttachment(ctx, file.key, 0, { kind: 'all' });
    const parts: Buffer[] = [];
    for await (const c of att.body) parts.push(c);
    expect(md5Hex(Buffer.concat(parts))).toBe(md5Hex(mediaBytes(fileId)));
    const recalled = await searchMessages(ctx, { query: 'is:recalled source:wecom:acme', limit: 10, offset: 0 });
    expect(recalled.total).toBe(2);
    const ledger = await sql<{ action: string }>`SELECT action FROM consent_events ORDER BY action`.execute(ctx.db);
    expect(ledger.rows.map((x) => x.action)).toEqual(['agree', 'disagree']);
    // Visible per conversation: the 1:1 chat of the contact who agreed shows them with the message that said so.
    const conv = await sql<{ conversation_id: number }>`SELECT conversation_id FROM messages WHERE ext_id = ${String(fixtures.agree!.msgid)}`.execute(ctx.db);
    const consent = await conversationConsent(ctx, Number(conv.rows[0]!.conversation_id), { kind: 'all' });
    expect(consent.parties).toEqual([expect.objectContaining({
      id: 'wo7HqJ2mAAAcE4rTz9XnK1pVb6GsLyWd', state: 'agree', since: new Date(1749532872097).toISOString(),
      events: [{ action: 'agree', time: new Date(1749532872097).toISOString(), via: 'message', status: null, messageId: String(fixtures.agree!.msgid) }],
    })]);
  }, 120_000);

  it('fetches nothing twice: a second sync from the cursor archives only what is new', async () => {
    const again = await syncWeComSource(ctx, 'acme', { openClient: openConfiguredSdk, sleep: fast });
    expect(again.fetched).toBe(0);
    const first = buildScenario(Object.keys(fixtures), 101);
    const more = buildScenario(['text', 'file'], 500);
    // The double serves both old and new items; the cursor skips the old ones.
    for (const item of more.items) first.items.push({ ...item, msgid: `${item.msgid}-new`, messageJson: item.messageJson.replace(/"msgid":"[^"]+"/u, `"msgid":"${item.msgid}-new"`) });
    const rebuilt = new FakeSdkScenario({ keyPairs: keys, chunkSize: 4096 });
    for (const i of first.items) rebuilt.addMessage({ seq: i.seq, publickeyVer: i.publickeyVer, message: i.messageJson, msgid: i.msgid });
    for (const [id, data] of first.media) rebuilt.addMedia(id, data);
    for (const [id, data] of more.media) rebuilt.addMedia(id, data);
    process.env.WECOM_FAKE_DIR = rebuilt.write(scenarioDir('second')).dir;
    const r = await syncWeComSource(ctx, 'acme', { openClient: openConfiguredSdk, sleep: fast });
    expect(r.fetched).toBe(2);
    expect(r.imported).toBe(2);
    expect(r.toSeq).toBe(501);
  }, 120_000);

  it('stops before storing anything when a message needs a key version it does not hold, and resumes once the key is added', async () => {
    const s = new FakeSdkScenario({ keyPairs: keys, chunkSize: 4096 });
    s.addMessage({ seq: 600, publickeyVer: 1, message: { ...fixtures.text!, msgid: 'k-600' }, msgid: 'k-600' });
    s.addMessage({ seq: 601, publickeyVer: 3, message: { ...fixtures.text!, msgid: 'k-601' }, msgid: 'k-601' });
    process.env.WECOM_FAKE_DIR = s.write(scenarioDir('third')).dir;
    const statusOf = async (): Promise<ConnectorStatus> => (await connectorStatuses(ctx)).find((c) => c.name === 'wecom:acme')!;
    const before = await statusOf();
    expect(before).toMatchObject({ lastSyncStatus: 'completed', lastSuccessAt: before.lastSyncAt, lagLevel: 'ok' });
    await expect(syncWeComSource(ctx, 'acme', { openClient: openConfiguredSdk, sleep: fast })).rejects.toMatchObject({ code: 'wecom.sdk_private_key_missing', message: expect.stringContaining('3') });
    expect((await loadWeComSource(ctx, 'acme')).cursorSeq).toBe(501);
    const failed = await listAuditEvents(ctx, { limit: 5, action: 'source.sync_failed' });
    expect(failed[0]!.details).toMatchObject({ error: 'wecom.sdk_private_key_missing' });
    // The failed attempt is shown, but the lag still counts from the last sync that fetched anything.
    const after = await statusOf();
    expect(after).toMatchObject({ lastSyncStatus: 'failed', lastError: expect.stringMatching(/^wecom\.sdk_private_key_missing/), lastSuccessAt: before.lastSuccessAt });
    expect(Date.parse(after.lastSyncAt!)).toBeGreaterThanOrEqual(Date.parse(before.lastSuccessAt!));
    expect(after.lagMs).toBeGreaterThanOrEqual(Date.parse(after.lastSyncAt!) - Date.parse(before.lastSuccessAt!));

    await updateWeComSource(ctx, { name: 'acme', privateKeys: [`3=${join(dir.path, 'key3.pem')}`] });
    const r = await syncWeComSource(ctx, 'acme', { openClient: openConfiguredSdk, sleep: fast });
    expect(r).toMatchObject({ fetched: 2, imported: 2, toSeq: 601 });
    expect((await verifyAuditLog(ctx)).ok).toBe(true);
  }, 120_000);

  it('a cursor past WeCom\'s retention (10010) skips to the first seq still served, records the lost range as unrecoverable, and archives the rest', async () => {
    const s = new FakeSdkScenario({ keyPairs: keys, chunkSize: 4096, expiredBeforeSeq: 700 });
    for (let seq = 700; seq <= 704; seq++) s.addMessage({ seq, publickeyVer: 1, message: { ...fixtures.text!, msgid: `x-${seq}` }, msgid: `x-${seq}` });
    process.env.WECOM_FAKE_DIR = s.write(scenarioDir('expired')).dir;
    expect((await loadWeComSource(ctx, 'acme')).cursorSeq).toBe(601);
    const r = await syncWeComSource(ctx, 'acme', { openClient: openConfiguredSdk, sleep: fast });
    // Cursor 601: every cursor below 700 is expired; the message at seq 700 needed cursor 699, so it is lost too.
    expect(r).toMatchObject({ status: 'partial', fetched: 4, imported: 4, toSeq: 704, unrecoverable: [{ from: 602, to: 700 }] });
    expect((await loadWeComSource(ctx, 'acme')).cursorSeq).toBe(704);
    const [report] = (await reportSources(ctx)).filter((x) => x.name === 'wecom:acme');
    expect(report!.unrecoverable).toEqual([{ from: 602, to: 700, reason: 'expired', detectedAt: expect.any(String) }]);
    const [event] = await listAuditEvents(ctx, { limit: 1, action: 'source.gap_unrecoverable' });
    expect(event!.details).toEqual({ fromSeq: 602, toSeq: 700, reason: 'expired', resumedAfter: 700 });
    // The next sync goes on from the new cursor.
    expect(await syncWeComSource(ctx, 'acme', { openClient: openConfiguredSdk, sleep: fast })).toMatchObject({ status: 'completed', fetched: 0, unrecoverable: [] });
    expect((await verifyAuditLog(ctx)).ok).toBe(true);
  }, 120_000);
  it('a file that could not be downloaded is attached to its archived message by a later sync; one past Tencent\'s retention is abandoned', async () => {
    const { json, media } = servable('image');
    const [fileId, bytes] = [...media][0]!;
    const message = json.replace(/"msgid":"[^"]+"/u, '"msgid":"late-1"');
    const cursor = (await loadWeComSource(ctx, 'acme')).cursorSeq;
    const first = new FakeSdkScenario({ keyPairs: keys, chunkSize: 4096 });
    first.addMessage({ seq: cursor + 1, publickeyVer: 1, message, msgid: 'late-1' });
    first.addMedia(fileId, bytes);
    first.failGetMediaData(fileId, 0, 10005, 'always'); // this file id is refused during the first sync
    process.env.WECOM_FAKE_DIR = first.write(scenarioDir('late-first')).dir;
    const r1 = await syncWeComSource(ctx, 'acme', { openClient: openConfiguredSdk, sleep: fast });
    expect(r1).toMatchObject({ status: 'partial', imported: 1, media: { failed: 1, attachedLate: 0 } });
    const archived = async () => (await sql<{ id: number; attachment_count: number; fields: string }>`SELECT id, attachment_count, fields FROM messages WHERE ext_id = 'late-1'`.execute(ctx.db)).rows[0]!;
    const before = await archived();
    expect(before.attachment_count).toBe(0);
    const name = (JSON.parse(before.fields) as { wecom: { missingAttachments: string[] } }).wecom.missingAttachments[0]!;
    expect(name).toBeTruthy();
    const status = async () => (await connectorStatuses(ctx)).find((c) => c.name === 'wecom:acme')!.missingMedia;
    expect(await status()).toEqual({ waiting: 1 });

    // A second file, missing since longer than Tencent keeps media: given up, audited.
    await sql`INSERT INTO missing_media (source_id, message_ext_id, file_id, name, mime, md5sum, status, attempts, created_at, updated_at)
      SELECT source_id, 'late-1', 'expired-file-id', 'old.jpg', 'image/jpeg', NULL, 'waiting', 0, ${Date.now() - 6 * 86_400_000}, ${Date.now()} FROM missing_media WHERE message_ext_id = 'late-1'`.execute(ctx.db);

    // The next sync (WeCom serves the file again) attaches it to the archived message.
    const second = new FakeSdkScenario({ keyPairs: keys, chunkSize: 4096 });
    second.addMessage({ seq: cursor + 1, publickeyVer: 1, message, msgid: 'late-1' });
    second.addMedia(fileId, bytes);
    process.env.WECOM_FAKE_DIR = second.write(scenarioDir('late-second')).dir;
    const r2 = await syncWeComSource(ctx, 'acme', { openClient: openConfiguredSdk, sleep: fast });
    expect(r2).toMatchObject({ status: 'completed', fetched: 0, media: { attachedLate: 1, abandoned: 1, failed: 0 } });
    const after = await archived();
    expect(after.attachment_count).toBe(1);
    expect((JSON.parse(after.fields) as { wecom: Record<string, unknown> }).wecom.missingAttachments).toBeUndefined();
    const att = await readAttachment(ctx, after.id, 0, { kind: 'all' });
    const parts: Buffer[] = [];
    for await (const c of att.body) parts.push(c);
    expect(md5Hex(Buffer.concat(parts))).toBe(md5Hex(bytes));
    expect(att.name).toBe(name);
    const hits = await searchMessages(ctx, { query: 'has:attachment source:wecom:acme', limit: 100, offset: 0 });
    expect(hits.messages.map((m) => m.id)).toContain('late-1');
    const [attached] = await listAuditEvents(ctx, { limit: 1, action: 'attachment.attached_late' });
    expect(attached!.details).toMatchObject({ key: after.id, ordinal: 0, size: bytes.length });
    const [gaveUp] = await listAuditEvents(ctx, { limit: 1, action: 'source.media_abandoned' });
    expect(gaveUp!.details).toEqual({ count: 1, messages: ['late-1'] });
    const statuses = await sql<{ file_id: string; status: string }>`SELECT file_id, status FROM missing_media WHERE message_ext_id = 'late-1' ORDER BY file_id`.execute(ctx.db);
    expect(statuses.rows).toEqual([{ file_id: 'expired-file-id', status: 'abandoned' }, { file_id: fileId, status: 'attached' }].sort((a, b) => a.file_id.localeCompare(b.file_id)));
    expect(await status()).toEqual({ attached: 1, abandoned: 1 });
    // Nothing is waiting any more: the next sync has nothing to retry.
    expect((await syncWeComSource(ctx, 'acme', { openClient: openConfiguredSdk, sleep: fast })).media).toMatchObject({ attachedLate: 0, abandoned: 0 });
    expect((await verifyAuditLog(ctx)).ok).toBe(true);
  }, 120_000);

  it('a message WeCom serves again under a later seq is a duplicate when only its media differ, and a conflict when its content differs', async () => {
    const { json, media } = servable('image');
    const [fileId, bytes] = [...media][0]!;
    const image = json.replace(/"msgid":"[^"]+"/u, '"msgid":"again-1"');
    const text = JSON.stringify({ ...fixtures.text, msgid: 'again-2' });
    const cursor = (await loadWeComSource(ctx, 'acme')).cursorSeq;
    const first = new FakeSdkScenario({ keyPairs: keys, chunkSize: 4096 });
    first.addMessage({ seq: cursor + 1, publickeyVer: 1, message: image, msgid: 'again-1' });
    first.addMessage({ seq: cursor + 2, publickeyVer: 1, message: text, msgid: 'again-2' });
    first.addMedia(fileId, bytes);
    first.failGetMediaData(fileId, 0, 10005, 'always'); // the image cannot be fetched the first time
    process.env.WECOM_FAKE_DIR = first.write(scenarioDir('again-first')).dir;
    const r1 = await syncWeComSource(ctx, 'acme', { openClient: openConfiguredSdk, sleep: fast });
    expect(r1).toMatchObject({ imported: 2, duplicates: 0, duplicatesWithChangedDetails: 0, media: { failed: 1 } });
    const stored = async () => (await sql<{ ext_id: string; hash: string; text: string | null }>`SELECT ext_id, hex(record_hash) AS hash, text FROM messages WHERE ext_id IN ('again-1', 'again-2') ORDER BY ext_id`.execute(ctx.db)).rows;
    const before = await stored();

    // Served again under later seqs: the image now with its file, the text changed.
    const second = new FakeSdkScenario({ keyPairs: keys, chunkSize: 4096 });
    second.addMessage({ seq: cursor + 3, publickeyVer: 1, message: image, msgid: 'again-1' });
    second.addMessage({ seq: cursor + 4, publickeyVer: 1, message: text.replace('12.80', '13.80'), msgid: 'again-2' });
    second.addMedia(fileId, bytes);
    process.env.WECOM_FAKE_DIR = second.write(scenarioDir('again-second')).dir;
    const r2 = await syncWeComSource(ctx, 'acme', { openClient: openConfiguredSdk, sleep: fast });
    expect(r2).toMatchObject({ status: 'partial', fetched: 2, imported: 0, duplicates: 1, duplicatesWithChangedDetails: 1, quarantined: 1, media: { attachedLate: 1, failed: 0 } });
    // The archived records are kept as they were (the late file attached to the image by the retry).
    expect(await stored()).toEqual(before);
    const reasons = (await sql<{ reason: string }>`SELECT reason FROM quarantine WHERE reason LIKE '%again-%'`.execute(ctx.db)).rows.map((q) => q.reason);
    expect(reasons).toEqual([expect.stringMatching(/^conflict: wecom:acme\/again-2 is already archived with different content/u)]);
  }, 120_000);

  it('a file over the media size limit is reported missing and not retried by later syncs', async () => {
    const { json, media } = servable('file');
    const [fileId, bytes] = [...media][0]!;
    const message = json.replace(/"msgid":"[^"]+"/u, '"msgid":"too-big-1"');
    const cursor = (await loadWeComSource(ctx, 'acme')).cursorSeq;
    const s = new FakeSdkScenario({ keyPairs: keys, chunkSize: 4096 });
    s.addMessage({ seq: cursor + 1, publickeyVer: 1, message, msgid: 'too-big-1' });
    s.addMedia(fileId, bytes);
    process.env.WECOM_FAKE_DIR = s.write(scenarioDir('too-big')).dir;
    const limit = bytes.length - 1;
    const r = await syncWeComSource(ctx, 'acme', { openClient: openConfiguredSdk, sleep: fast, maxMediaBytes: limit });
    expect(r).toMatchObject({ status: 'partial', imported: 1, media: { failed: 1 } });
    const row = (await sql<{ fields: string; attachment_count: number }>`SELECT fields, attachment_count FROM messages WHERE ext_id = 'too-big-1'`.execute(ctx.db)).rows[0]!;
    expect(row.attachment_count).toBe(0);
    expect((JSON.parse(row.fields) as { wecom: { missingAttachments: string[] } }).wecom.missingAttachments).toHaveLength(1);
    // It would fail the same way every time: nothing waits for a retry.
    expect((await sql<{ n: number }>`SELECT count(*) AS n FROM missing_media WHERE message_ext_id = 'too-big-1'`.execute(ctx.db)).rows[0]!.n).toBe(0);
    const problem = (await sql<{ problem: string }>`SELECT problem FROM connector_media WHERE file_id = ${fileId}`.execute(ctx.db)).rows[0]!.problem;
    expect(problem).toBe('wecom.media_too_large');
  }, 120_000);
});
