import { describe, expect, it } from 'vitest';
import type { ChatDataItem } from '../../connectors/wecom/archive-client.js';
import { createPullQueue } from './wecom-sync.js';

// The WeCom sync pulls batches ahead of archiving them (so the RSA unwraps on the worker threads never
// wait for a pull). The queue must keep seq order, never run more than two batches ahead, stop at the
// first short batch or at maxBatches, and report a failed pull only when its batch is reached.

const item = (seq: number): ChatDataItem => ({ seq, msgid: `m${seq}`, publickey_ver: 1, encrypt_random_key: 'k', encrypt_chat_msg: 'c' });

function source(total: number, failAtSeq?: number) {
  const calls: number[] = [];
  return {
    calls,
    pull: async (seq: number): Promise<ChatDataItem[]> => {
      calls.push(seq);
      await new Promise((r) => setTimeout(r, 1));
      if (failAtSeq !== undefined && seq === failAtSeq) throw new Error(`pull after ${seq} failed`);
      const out: ChatDataItem[] = [];
      for (let s = seq + 1; s <= Math.min(total, seq + 3); s++) out.push(item(s));
      return out;
    },
    unwrap: async (items: ChatDataItem[]) => items.map((i) => ({ key: `key-${i.seq}` })),
  };
}
const settle = () => new Promise((r) => setTimeout(r, 20));

describe('createPullQueue', () => {
  it('yields every batch in seq order with its unwrapped keys, pulling at most two ahead, and stops at the first short batch', async () => {
    const s = source(10);
    const q = createPullQueue({ pull: s.pull, unwrap: s.unwrap, from: 0, limit: 3 });
    await settle();
    expect(s.calls).toEqual([0, 3]); // two batches waiting, no more
    const seen: number[] = [];
    for (let b = await q.next(); b !== undefined; b = await q.next()) {
      expect(await b.keys).toEqual(b.items.map((i) => ({ key: `key-${i.seq}` })));
      expect(b.maxSeq).toBe(b.items[b.items.length - 1]!.seq);
      seen.push(...b.items.map((i) => i.seq));
      await settle();
      expect(s.calls.length).toBeLessThanOrEqual(Math.ceil(seen.length / 3) + 2);
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(s.calls).toEqual([0, 3, 6, 9]); // seq 10 came in a short batch: nothing pulled after it
    await q.drain();
  });

  it('ends on an empty batch, and at maxBatches', async () => {
    const empty = source(6);
    const q1 = createPullQueue({ pull: empty.pull, unwrap: empty.unwrap, from: 0, limit: 3 });
    const batches1 = [];
    for (let b = await q1.next(); b !== undefined; b = await q1.next()) batches1.push(b.maxSeq);
    expect(batches1).toEqual([3, 6]);
    expect(empty.calls).toEqual([0, 3, 6]);

    const capped = source(100);
    const q2 = createPullQueue({ pull: capped.pull, unwrap: capped.unwrap, from: 10, limit: 3, maxBatches: 2 });
    const batches2 = [];
    for (let b = await q2.next(); b !== undefined; b = await q2.next()) batches2.push(b.maxSeq);
    await settle();
    expect(batches2).toEqual([13, 16]);
    expect(capped.calls).toEqual([10, 13]);
  });

  it('reports a failed pull when its batch is reached, after the batches before it, and pulls nothing after it', async () => {
    const s = source(100, 6);
    const q = createPullQueue({ pull: s.pull, unwrap: s.unwrap, from: 0, limit: 3 });
    expect((await q.next())!.maxSeq).toBe(3);
    expect((await q.next())!.maxSeq).toBe(6);
    await expect(q.next()).rejects.toThrow('pull after 6 failed');
    await settle();
    expect(s.calls).toEqual([0, 3, 6]);
    await q.drain();
  });

  it('a failed unwrap (a key version not held) fails its batch, not the ones before it', async () => {
    const s = source(100);
    const q = createPullQueue({
      pull: s.pull,
      unwrap: (items) => {
        if (items[0]!.seq > 3) throw new Error('no private key for publickey_ver 2');
        return s.unwrap(items);
      },
      from: 0, limit: 3,
    });
    expect((await q.next())!.maxSeq).toBe(3);
    await expect(q.next()).rejects.toThrow('publickey_ver 2');
    await q.drain();
  });
});
