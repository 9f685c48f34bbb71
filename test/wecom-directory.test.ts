import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createContext, type Context } from '../src/context.js';
import { generateKeyPairSync } from 'node:crypto';
import { addWeComSource } from '../src/services/connectors/wecom-source.js';
import { syncWeComDirectory } from '../src/services/connectors/wecom-directory.js';
import { conversationConsent } from '../src/services/conversations.js';
import { importNdjson } from '../src/services/import.js';
import { previewSubject } from '../src/services/privacy-requests.js';
import { searchMessages } from '../src/services/search.js';
import { initStore } from '../src/services/store.js';
import { tempDir } from './support/cli.js';
import { textRecord, toNdjson } from './support/records.js';
import { startWeComApiServer, type WeComApiServer } from './support/wecom-api-server.js';

/** Directory sync against a local double of WeCom's HTTPS APIs: names, departments, companies, room titles. */

const dir = tempDir('wecom-dir');
let ctx: Context;
let api: WeComApiServer;

beforeAll(async () => {
  api = await startWeComApiServer();
  const config = loadConfig({ data: join(dir.path, 'data') }, {});
  await (await initStore(config)).ctx.close();
  ctx = await createContext(config);
  const file = (name: string, content: string): string => {
    const p = join(dir.path, name);
    writeFileSync(p, content);
    return p;
  };
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  await addWeComSource(ctx, {
    name: 'spruce', corpId: api.corpId, secretFile: file('secret', api.secret), privateKeys: [`1=${file('k.pem', privateKey)}`], sdkPath: '/unused.so', apiBase: api.baseUrl,
    contactsSecretFile: file('contacts', api.secret), customerSecretFile: file('customer', api.secret),
  });
  // Messages archived before the directory was known: ids only, an untitled room.
  const records = [
    textRecord({ source: 'wecom:spruce', id: 'r1', conversation: { id: 'wrSpruceRoom0001', type: 'group' }, from: { id: 'dubo' }, to: [{ id: 'qinlei' }, { id: 'wmSpruceExt0001AAAA' }], text: '报价明天发' }),
    textRecord({ source: 'wecom:spruce', id: 'r2', conversation: { id: 'dubo|wmSpruceExt0002BBBB', type: 'direct' }, from: { id: 'wmSpruceExt0002BBBB' }, to: [{ id: 'dubo' }], text: '收到报价' }),
    textRecord({ source: 'wecom:spruce', id: 'r3', conversation: { id: 'wrSpruceInternal01', type: 'group' }, from: { id: 'qinlei' }, to: [{ id: 'hanxue' }], text: '内部周会' }),
  ];
  writeFileSync(join(dir.path, 'm.ndjson'), toNdjson(records));
  await importNdjson(ctx, { file: join(dir.path, 'm.ndjson') });
}, 60_000);
afterAll(async () => {
  await ctx?.close();
  await api?.close();
  dir.cleanup();
});

describe('WeCom directory sync', () => {
  it('brings member names and departments, external contacts and room titles into the archive', async () => {
    const r = await syncWeComDirectory(ctx, 'spruce');
    expect(r).toMatchObject({ members: 5, externalContacts: 2, rooms: 1, archivedUsers: 3 }); // permit list without an edition: every archived user
    // A room msgaudit/groupchat/get does not serve (here: unknown to the test server) keeps its id; the sync goes on.
    expect(r.skipped).toContain('titles of 1 room(s) WeCom gave no details for');
    // A contact listed but no longer readable is skipped; the rest of the directory arrives.
    expect(r.skipped).toContain('1 external contact(s) WeCom listed but gave no details for');
    expect(r.skipped.filter((s) => !s.startsWith('titles of') && !s.includes('gave no details')).every((s) => s.includes('without the customer-contact permission'))).toBe(true);
    const dubo = await sql<{ name: string; kind: string; departments: string; position: string }>`SELECT name, kind, departments, position FROM persons WHERE ext_id = 'dubo'`.execute(ctx.db);
    expect(dubo.rows[0]).toEqual({ name: '杜博', kind: 'member', departments: JSON.stringify(['上海客户组']), position: '客户经理' });
    const zhao = await sql<{ kind: string; company: string }>`SELECT kind, company FROM persons WHERE ext_id = 'wmSpruceExt0002BBBB'`.execute(ctx.db);
    expect(zhao.rows[0]).toEqual({ kind: 'external', company: '北辰机械制造有限公司' });
    const hit = (await searchMessages(ctx, { query: '报价明天', limit: 5, offset: 0 })).messages[0]!;
    expect(hit.conversation.title).toBe('上海客户项目群');
    expect(hit.from.name).toBe('杜博');
    // Names learnt from the directory find messages archived before they were known.
    expect((await searchMessages(ctx, { query: 'from:杜博', limit: 5, offset: 0 })).total).toBe(1);
    expect((await searchMessages(ctx, { query: 'from:赵工', limit: 5, offset: 0 })).total).toBe(1);
    expect((await searchMessages(ctx, { query: '报价 -from:杜博', limit: 5, offset: 0 })).total).toBe(1);
    // A privacy request may name its subject by the work e-mail the directory gave (mobile numbers are not kept).
    const ids = async (subject: string): Promise<string[]> => (await previewSubject(ctx, [subject])).persons.map((p) => p.id);
    expect(await ids('QinLei@spruce.example')).toEqual(['qinlei']);
    expect(await ids('hanxue@spruce.example')).toEqual(['hanxue']); // biz_mail
    expect(await sql`SELECT count(*) AS n FROM persons WHERE ext_id = 'dubo' AND email IS NULL`.execute(ctx.db).then((r) => Number((r.rows[0] as { n: number }).n))).toBe(1);
  });

  it('skips what a missing secret cannot fetch, and says so', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    writeFileSync(join(dir.path, 'k2.pem'), privateKey);
    await addWeComSource(ctx, { name: 'bare', corpId: api.corpId, secretFile: join(dir.path, 'secret'), privateKeys: [`1=${join(dir.path, 'k2.pem')}`], sdkPath: '/unused.so', apiBase: api.baseUrl });
    const r = await syncWeComDirectory(ctx, 'bare');
    expect(r.members).toBe(0);
    expect(r.skipped).toHaveLength(2);
  });

  it('writes WeCom\'s consent status of 1:1 pairs and rooms into the consent ledger, once per status and change', async () => {
    const ledger = async () => (await sql<{ message_ext_id: string; party: string; action: string; time_ms: number; details: string }>`
      SELECT message_ext_id, party, action, time_ms, details FROM consent_events ORDER BY party`.execute(ctx.db)).rows;
    const before = (await ledger()).length;
    const r = await syncWeComDirectory(ctx, 'spruce');
    // The first test's sync recorded them already: nothing new, nothing changed.
    expect(r.consent).toEqual({ pairs: 1, rooms: 1, recorded: 0, disagree: 0, unknown: 0 });
    // Only rooms with an external member are asked about (the internal room of this archive is not).
    expect(api.requests('msgaudit/check_room_agree').map((q) => (q.body as { roomid: string }).roomid)).toEqual(['wrSpruceRoom0001', 'wrSpruceRoom0001']);
    expect((await ledger()).length).toBe(before);
    const rows = await ledger();
    expect(rows.map((e) => ({ party: e.party, action: e.action, time: Number(e.time_ms), details: JSON.parse(e.details) as unknown }))).toEqual([
      { party: 'wmSpruceExt0001AAAA', action: 'agree', time: (1_767_225_600 + 3_700) * 1000, details: { conversation: 'wrSpruceRoom0001', via: 'check_room_agree', status: 'Agree' } },
      { party: 'wmSpruceExt0002BBBB', action: 'disagree', time: (1_767_225_600 + 90_000) * 1000, details: { conversation: 'dubo|wmSpruceExt0002BBBB', via: 'check_single_agree', status: 'Disagree', counterparts: ['dubo'] } },
    ]);
    const audit = await sql<{ details: string }>`SELECT details FROM audit_events WHERE action = 'source.directory_synced' ORDER BY seq`.execute(ctx.db);
    expect(JSON.parse(audit.rows[0]!.details)).toMatchObject({ consent: { pairs: 1, rooms: 1, recorded: 2, disagree: 1, unknown: 0 } });

    // Visible per conversation: each external party of the chat with their latest consent and its history.
    const keyOf = async (id: string): Promise<number> => Number((await sql<{ id: number }>`SELECT id FROM conversations WHERE ext_id = ${id}`.execute(ctx.db)).rows[0]!.id);
    const direct = await conversationConsent(ctx, await keyOf('dubo|wmSpruceExt0002BBBB'), { kind: 'all' });
    expect(direct.parties).toEqual([{
      id: 'wmSpruceExt0002BBBB', name: '赵工', company: '北辰机械制造有限公司', state: 'disagree', status: 'Disagree', since: new Date((1_767_225_600 + 90_000) * 1000).toISOString(),
      events: [{ action: 'disagree', time: new Date((1_767_225_600 + 90_000) * 1000).toISOString(), via: 'check_single_agree', status: 'Disagree', messageId: null }],
    }]);
    const room = await conversationConsent(ctx, await keyOf('wrSpruceRoom0001'), { kind: 'all' });
    expect(room.parties.map((p) => [p.id, p.state, p.events[0]!.via])).toEqual([['wmSpruceExt0001AAAA', 'agree', 'check_room_agree']]);
    // Someone who may not read the conversation learns nothing.
    await expect(conversationConsent(ctx, await keyOf('wrSpruceRoom0001'), { kind: 'person', personId: 'nobody' })).rejects.toMatchObject({ code: 'conversation.not_found' });
  });
});
