import { availableParallelism } from 'node:os';
import { startWorker } from '../../worker-thread.js';

/**
 * Unwraps many `encrypt_random_key`s in parallel worker threads: the RSA-2048 private-key operation
 * (~0.4 ms each here) is CPU-bound and dominates a WeCom sync, so it runs on every core while the
 * main thread decrypts, normalizes and archives. One pool per sync; `close()` when done.
 */

export type UnwrapResult = { key: string } | { error: string };

export interface UnwrapPool {
  unwrapAll(items: readonly { version: number; key: string }[]): Promise<UnwrapResult[]>;
  close(): Promise<void>;
}

export function createUnwrapPool(privateKeys: Readonly<Record<string, string>>, size = Math.max(1, Math.min(availableParallelism(), 8))): UnwrapPool {
  const workers = Array.from({ length: size }, () => startWorker(import.meta.url, './unwrap-worker', { ...privateKeys }));
  let nextId = 0;
  const pending = new Map<number, { resolve: (r: UnwrapResult[]) => void; reject: (e: Error) => void }>();
  for (const w of workers) {
    w.on('message', (m: { id: number; results: UnwrapResult[] }) => {
      pending.get(m.id)?.resolve(m.results);
      pending.delete(m.id);
    });
    w.on('error', (e) => {
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    });
  }
  return {
    async unwrapAll(items) {
      if (items.length === 0) return [];
      const per = Math.ceil(items.length / workers.length);
      const parts = await Promise.all(
        workers.map((w, i) => {
          const slice = items.slice(i * per, (i + 1) * per);
          if (slice.length === 0) return Promise.resolve([] as UnwrapResult[]);
          const id = nextId++;
          return new Promise<UnwrapResult[]>((resolve, reject) => {
            pending.set(id, { resolve, reject });
            w.postMessage({ id, items: slice });
          });
        }),
      );
      return parts.flat();
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
