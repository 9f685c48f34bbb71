import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WeComSdkError, type ChatDataItem } from '../../connectors/wecom/archive-client.js';
import { createPullQueue, skipExpired } from './wecom-sync.js';

// The WeCom sync pulls batches ahead of archiving them (so the RSA unwraps on the worker threads never
// wait for a pull). The queue must keep seq order, never run more than two batches ahead, stop at the
// first short batch or at maxBatches, and report a failed pull only when its batch is reached.

const item = (seq: number): ChatDataItem => ({ seq, msgid: `m${seq}`, publickey_ver: 1, encrypt_random_key: 'k', encrypt_chat_msg: 'c' });

function source(total: number, failAtSeq?: number) {
  const calls: number[] = [];
  return {
    calls,
    pull: async (seq: number): Promise<{ items: ChatDataItem[] }> => {
      calls.push(seq);
      await new Promise((r) => setTimeout(r, 1));
      if (failAtSeq !== undefined && seq === failAtSeq) throw new Error(`pull after ${seq} failed`);
      const out: ChatDataItem[] = [];
      for (let s = seq + 1; s <= Math.min(total, seq + 3); s++) out.push(item(s));
      return { items: out };
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

describe('skipExpired: WeCom answered 10010 (expired) for the cursor', () => {
  /** WeCom as the double models it: a cursor below `boundary` is expired; messages exist at every seq up to `last`. */
  function wecom(boundary: number, last: number) {
    let calls = 0;
    return {
      calls: () => calls,
      pullAt: async (seq: number, n: number): Promise<ChatDataItem[]> => {
        calls++;
        if (seq < boundary) throw new WeComSdkError(10010, { operation: 'GetChatData' });
        const out: ChatDataItem[] = [];
        for (let s = seq + 1; s <= Math.min(last, seq + n); s++) out.push(item(s));
        return out;
      },
    };
  }

  it('finds the lowest cursor WeCom still serves, with about 2·log2(distance) probes, and names the skipped range exactly', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 1, max: 1e7 }), fc.integer({ min: 0, max: 50 }), async (cursor, distance, more) => {
        const boundary = cursor + distance;
        const w = wecom(boundary, boundary + more);
        const r = await skipExpired(cursor, w.pullAt, 10);
        expect(r.skipped.resumeSeq).toBe(boundary);
        expect(r.skipped.from).toBe(cursor + 1);
        // The message at `boundary` needs the expired cursor boundary - 1: it is lost with the rest.
        expect(r.skipped.to).toBe(boundary);
        expect(r.items.map((i) => i.seq)).toEqual(Array.from({ length: Math.min(more, 10) }, (_, i) => boundary + 1 + i));
        expect(w.calls()).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(distance + 1)) + 3);
      }),
      { numRuns: 200 },
    );
  });

  it('a message missing at WeCom right after the boundary widens the skipped range to the first one served', async () => {
    const pullAt = async (seq: number, n: number): Promise<ChatDataItem[]> => {
      if (seq < 50) throw new WeComSdkError(10010, { operation: 'GetChatData' });
      return [item(55), item(56)].filter((i) => i.seq > seq).slice(0, n);
    };
    expect(await skipExpired(10, pullAt, 100)).toEqual({ items: [item(55), item(56)], skipped: { from: 11, to: 54, resumeSeq: 50 } });
  });

  it('another error while probing stops the sync with that error', async () => {
    const pullAt = async (seq: number): Promise<ChatDataItem[]> => {
      if (seq < 20) throw new WeComSdkError(10010, { operation: 'GetChatData' });
      throw new WeComSdkError(10009, { operation: 'GetChatData' });
    };
    await expect(skipExpired(0, pullAt, 10)).rejects.toMatchObject({ sdkCode: 10009 });
  });

  it('the pull queue hands a skip with nothing after it to the sync as an empty batch that moves the cursor', async () => {
    const q = createPullQueue({
      pull: async (seq) => ({ items: [], skipped: { from: seq + 1, to: 40, resumeSeq: 40 } }),
      unwrap: async () => [],
      from: 5, limit: 3,
    });
    const b = await q.next();
    expect(b).toMatchObject({ items: [], maxSeq: 40, skipped: { from: 6, to: 40, resumeSeq: 40 } });
    expect(await q.next()).toBeUndefined();
  });
});
