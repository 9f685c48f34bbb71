import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { listAuditEvents } from './audit.js';
import { conversationConsent, listReadableConversations, readConversation } from './conversations.js';
import { collectStats } from './stats.js';
import { conversationLabel } from './message-views.js';
import { importNdjson } from './import.js';
import { executePrivacyRequest, openPrivacyRequest } from './privacy-requests.js';
import { searchMessages } from './search.js';
import { initStore } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'wekeep-labels-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('conversationLabel', () => {
  it('is the title, else up to four members then …, else the id', () => {
    expect(conversationLabel({ id: 'wr1', title: '销售群' }, ['张三'])).toBe('销售群');
    expect(conversationLabel({ id: 'zs|wm1', title: null }, ['张三', 'wmExt01'])).toBe('张三 · wmExt01');
    expect(conversationLabel({ id: 'wr2', title: null }, ['a', 'b', 'c', 'd', 'e'])).toBe('a · b · c · d …');
    expect(conversationLabel({ id: 'wr3', title: null }, undefined)).toBe('wr3');
    expect(conversationLabel({ id: 'wr4', title: '' }, [])).toBe('wr4');
  });

  it('names the members of an untitled conversation, and a restricted subject by id only', async () => {
    const { ctx } = await initStore(loadConfig({ data: join(dir, 'data') }, {}));
    try {
      const line = (id: string, from: [string, string], to: [string, string]) =>
        JSON.stringify({ source: 's', id, time: 1_700_000_000_000 + Number(id.slice(1)) * 1000, conversation: { id: 'g', type: 'group' }, from: { id: from[0], name: from[1] }, to: [{ id: to[0], name: to[1] }], type: 'text', text: `hi ${id}` });
      const file = join(dir, 'a.ndjson');
      writeFileSync(file, `${line('m1', ['zs', '张三'], ['ls', '李四'])}\n${line('m2', ['ww', '王五'], ['zs', '张三'])}\n`);
      await importNdjson(ctx, { file });
      const labels = async (): Promise<string[]> => (await listReadableConversations(ctx, { kind: 'all' }, { limit: 10, offset: 0 })).conversations.map((c) => c.label);
      expect(await labels()).toEqual(['张三 · 李四 · 王五']);
      // Search hits carry the same label (the console shows it instead of the id).
      const hits = await searchMessages(ctx, { query: 'hi', limit: 10, offset: 0 });
      expect(hits.hits.map((m) => m.conversation.label)).toEqual(['张三 · 李四 · 王五', '张三 · 李四 · 王五']);
      const request = await openPrivacyRequest(ctx, { kind: 'restriction', subjects: ['ww'], requester: 'Wang Wu' });
      await executePrivacyRequest(ctx, request.id);
      expect(await labels()).toEqual(['张三 · 李四 · ww']);
    } finally {
      await ctx.close();
    }
  });

  it('a conversation whose every message is restricted is "not found" by key, and not in the statistics', async () => {
    const { ctx } = await initStore(loadConfig({ data: join(dir, 'data-restricted') }, {}));
    try {
      const line = (id: string, conv: string, from: string, to: string) =>
        JSON.stringify({ source: 's', id, time: 1_700_000_000_000 + Number(id.slice(1)) * 1000, conversation: { id: conv, type: 'direct' }, from: { id: from }, to: [{ id: to }], type: 'text', text: `hi ${id}` });
      const file = join(dir, 'b.ndjson');
      writeFileSync(file, [line('m1', 'zs|ww', 'zs', 'ww'), line('m2', 'zs|ww', 'ww', 'zs'), line('m3', 'zs|ls', 'zs', 'ls')].join('\n') + '\n');
      await importNdjson(ctx, { file });
      const keys = new Map((await listReadableConversations(ctx, { kind: 'all' }, { limit: 10, offset: 0 })).conversations.map((c) => [c.id, c.key]));
      const ww = keys.get('zs|ww')!;
      expect((await readConversation(ctx, ww, { kind: 'all' }, { kind: 'newest' }, 10)).messages).toHaveLength(2);
      const request = await openPrivacyRequest(ctx, { kind: 'restriction', subjects: ['ww'], requester: 'Wang Wu' });
      await executePrivacyRequest(ctx, request.id);
      await expect(readConversation(ctx, ww, { kind: 'all' }, { kind: 'newest' }, 10)).rejects.toThrow('no such conversation');
      await expect(conversationConsent(ctx, ww, { kind: 'all' })).rejects.toThrow('no such conversation');
      const denied = (await listAuditEvents(ctx, { action: 'access.denied', limit: 10 })).map((e) => e.details);
      expect(denied).toEqual([expect.objectContaining({ reason: 'restricted' }), expect.objectContaining({ reason: 'restricted' })]);
      const stats = await collectStats(ctx, { topPersons: 10, topConversations: 10 });
      expect(stats.byConversation.map((c) => c.key)).toEqual(['zs|ls']);
      // The other conversation is untouched.
      expect((await readConversation(ctx, keys.get('zs|ls')!, { kind: 'all' }, { kind: 'newest' }, 10)).messages).toHaveLength(1);
    } finally {
      await ctx.close();
    }
  });
});
