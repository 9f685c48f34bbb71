import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { listReadableConversations } from './conversations.js';
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
});
