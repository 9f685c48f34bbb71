import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

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

const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './unwrap-worker.ts' : './unwrap-worker.js', import.meta.url);

export function createUnwrapPool(privateKeys: Readonly<Record<string, string>>, size = Math.max(1, Math.min(availableParallelism(), 8))): UnwrapPool {
  // Running from the TypeScript sources (tests, tsx): the worker registers tsx before loading the module.
  const fromSource = import.meta.url.endsWith('.ts');
  const bootstrap = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(workerUrl.href)}); })`;
  const workers = Array.from({ length: size }, () =>
    fromSource ? new Worker(bootstrap, { eval: true, workerData: { ...privateKeys } }) : new Worker(workerUrl, { workerData: { ...privateKeys } }));
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
