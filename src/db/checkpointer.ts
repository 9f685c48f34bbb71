import type { MessagePort } from 'node:worker_threads';
import type { Log } from '../log.js';
import { startWorker } from '../worker-thread.js';
import { openSqlite, type SqliteHandle } from './connection.js';

/**
 * A background WAL checkpointer for long write runs (the disposition sweep).
 *
 * By default SQLite checkpoints on the writer's thread: the COMMIT that takes the WAL past
 * 1000 pages also copies those pages into the database file and syncs it. A sweep of a million
 * records spent about a fifth of its time there (docs/benchmarks.md, "Disposition"). SQLite allows
 * checkpoints from another connection while the writer goes on (https://sqlite.org/wal.html,
 * "Automatic Checkpoint"): while a checkpointer runs, a worker thread with its own connection runs
 * PASSIVE checkpoints (they never block the writer or take its lock), and the writer's own automatic
 * checkpoint is only a backstop at BACKSTOP_PAGES, should the worker fall behind or fail.
 *
 * Durability and crash safety are SQLite's own: a checkpoint copies committed frames only, and a
 * process killed in the middle leaves a WAL that the next open recovers. A failing worker only
 * takes the work back to the writer's thread (warned in the log, without paths or keys).
 */

/** The writer's automatic checkpoint while a checkpointer runs (pages of 16 KiB: 64 MiB). */
export const BACKSTOP_PAGES = 4096;
/** The worker's pause when the WAL holds nothing left to copy. */
const IDLE_MS = 20;

export interface CheckpointerData {
  path: string;
  key: Uint8Array;
  cipher: string;
}

export interface CheckpointerStats {
  /** Checkpoints run by the worker. */
  checkpoints: number;
  /** Frames the worker copied into the database file. */
  frames: number;
  /** Time the worker spent checkpointing (ms). */
  busyMs: number;
  /** The worker failed; the writer checkpointed alone from then on. */
  failed: boolean;
}

export interface Checkpointer {
  /** Stops the worker (its current checkpoint finishes first) and restores the writer's automatic checkpoint. */
  stop(): Promise<CheckpointerStats>;
}

/** Starts the worker for the database `writer` (on this thread) has open; `key` and `cipher` as the writer opened it. */
export function startCheckpointer(writer: SqliteHandle, keys: Omit<CheckpointerData, 'path'>, log: Log): Checkpointer {
  const data: CheckpointerData = { path: writer.name, key: keys.key, cipher: keys.cipher };
  const autoBefore = writer.pragma('wal_autocheckpoint', { simple: true }) as number;
  writer.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  let stats: CheckpointerStats = { checkpoints: 0, frames: 0, busyMs: 0, failed: false };
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    if (writer.open) writer.pragma(`wal_autocheckpoint = ${autoBefore}`);
  };
  const worker = startWorker(import.meta.url, './checkpointer-worker', data);
  const ended = new Promise<void>((resolve) => {
    worker.on('message', (m: CheckpointerStats) => {
      stats = { ...m, failed: stats.failed };
    });
    worker.on('error', (e) => {
      stats.failed = true;
      restore();
      log.warn({ code: (e as { code?: unknown }).code ?? 'unexpected' }, 'background checkpoints stopped; the writer checkpoints alone');
    });
    worker.on('exit', () => {
      restore();
      resolve();
    });
  });
  return {
    async stop() {
      worker.postMessage('stop');
      await ended;
      return stats;
    },
  };
}

/** The worker's loop (checkpointer-worker.ts): PASSIVE checkpoints until told to stop; then its stats. */
export function runCheckpointer(data: CheckpointerData, port: MessagePort): void {
  const key = Buffer.from(data.key);
  const db = openSqlite(data.path, key, data.cipher, { create: false });
  key.fill(0);
  db.pragma('wal_autocheckpoint = 0');
  const stats: CheckpointerStats = { checkpoints: 0, frames: 0, busyMs: 0, failed: false };
  let stopping = false;
  let copiedOfThisWal = 0;
  let timer: NodeJS.Timeout | undefined;
  const finish = (): void => {
    db.close();
    port.postMessage(stats);
    port.close();
  };
  const tick = (): void => {
    timer = undefined;
    if (stopping) return finish();
    const t = performance.now();
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    stats.busyMs += performance.now() - t;
    stats.checkpoints++;
    let copied = 0;
    if (r !== undefined && r.checkpointed >= 0) {
      // `checkpointed` counts the frames of the current WAL copied so far; a smaller count means the writer restarted the WAL.
      copied = r.checkpointed >= copiedOfThisWal ? r.checkpointed - copiedOfThisWal : r.checkpointed;
      copiedOfThisWal = r.checkpointed;
      stats.frames += copied;
    }
    // More to copy (the writer appended meanwhile): go on at once. Nothing left, or no progress (a
    // reader's snapshot, such as a backup's, holds the rest back): wait a little instead of spinning.
    timer = setTimeout(tick, copied > 0 && r !== undefined && r.log > r.checkpointed ? 0 : IDLE_MS);
  };
  port.on('message', (m) => {
    if (m !== 'stop') return;
    stopping = true;
    if (timer !== undefined) {
      clearTimeout(timer);
      finish();
    }
  });
  tick();
}
