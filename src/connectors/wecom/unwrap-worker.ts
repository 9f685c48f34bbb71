import { parentPort, workerData } from 'node:worker_threads';
import { createRandomKeyUnwrapper, type RandomKeyUnwrapper } from './random-key.js';

/**
 * Worker thread of the random-key unwrap pool (unwrap-pool.ts): holds the parsed private keys of a
 * source and unwraps `encrypt_random_key`s (RSA-2048, the most expensive step of a WeCom sync).
 * Failures travel back as error codes, never as key material or message content.
 */

const unwrappers = new Map<number, RandomKeyUnwrapper>();
for (const [version, pem] of Object.entries(workerData as Record<string, string>)) unwrappers.set(Number(version), createRandomKeyUnwrapper(pem));

parentPort!.on('message', (job: { id: number; items: { version: number; key: string }[] }) => {
  const results = job.items.map(({ version, key }) => {
    const unwrap = unwrappers.get(version);
    if (!unwrap) return { error: 'missing_key' };
    try {
      return { key: unwrap(key) };
    } catch (e) {
      return { error: (e as { message?: string }).message ?? 'cannot unwrap' };
    }
  });
  parentPort!.postMessage({ id: job.id, results });
});
