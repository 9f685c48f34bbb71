import { parentPort, workerData } from 'node:worker_threads';
import { prepareBatches, type PrepareOptions, type PreparedBatch } from './import-prepare.js';

/**
 * Worker thread of an import: runs `prepareBatches` and hands each batch to the main thread,
 * at most `inFlight` batches ahead of the writer (backpressure through 'ack' messages).
 */
export type WorkerMessage = { kind: 'batch'; batch: PreparedBatch } | { kind: 'done' } | { kind: 'error'; message: string; stack?: string };

const port = parentPort;
if (!port) throw new Error('import-worker must run in a worker thread');
const options = workerData as PrepareOptions & { inFlight: number };
let credits = options.inFlight;
let wake: (() => void) | undefined;
port.on('message', (m: string) => {
  if (m === 'ack') {
    credits++;
    wake?.();
  }
});

async function main(): Promise<void> {
  for await (const batch of prepareBatches(options)) {
    while (credits <= 0) await new Promise<void>((r) => (wake = r));
    credits--;
    const transfer = batch.records.flatMap((r) => r.attachments.map((a) => a.data?.buffer).filter((b): b is ArrayBuffer => b instanceof ArrayBuffer));
    port!.postMessage({ kind: 'batch', batch } satisfies WorkerMessage, [...new Set(transfer)]);
  }
  port!.postMessage({ kind: 'done' } satisfies WorkerMessage);
}

main().then(
  () => port.close(),
  (e: unknown) => {
    const err = e as Error;
    port.postMessage({ kind: 'error', message: err.message, ...(err.stack ? { stack: err.stack } : {}) } satisfies WorkerMessage);
    port.close();
  },
);
