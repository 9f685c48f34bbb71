import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createContext, type Context } from '../src/context.js';
import { generateKeyPairSync } from 'node:crypto';
import { addWeComSource } from '../src/services/connectors/wecom-source.js';
import { syncWeComDirectory } from '../src/services/connectors/wecom-directory.js';
import { importNdjson } from '../src/services/import.js';
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
    expect(r.skipped.every((s) => s.includes('without the customer-contact permission'))).toBe(true);
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
  });

  it('skips what a missing secret cannot fetch, and says so', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    writeFileSync(join(dir.path, 'k2.pem'), privateKey);
    await addWeComSource(ctx, { name: 'bare', corpId: api.corpId, secretFile: join(dir.path, 'secret'), privateKeys: [`1=${join(dir.path, 'k2.pem')}`], sdkPath: '/unused.so', apiBase: api.baseUrl });
    const r = await syncWeComDirectory(ctx, 'bare');
    expect(r.members).toBe(0);
    expect(r.skipped).toHaveLength(2);
  });
});
