import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { takePidLock } from '../db/pid-lock.js';
import { fatalError } from '../errors.js';

export { isInside, removeQuietly, syncDir, syncFileSystem } from '../file-system.js';

export const sha256Hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** SHA-256 and size of a file, read in 1 MiB chunks (memory does not grow with the file). */
export function sha256OfFile(path: string): { sha256: string; size: number } {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let size = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      size += n;
    }
  } finally {
    closeSync(fd);
  }
  return { sha256: hash.digest('hex'), size };
}

/** Writes a new file (must not exist) without fsync: a later syncFileSystem makes the whole batch durable. */
export async function writeNewFile(path: string, parts: readonly Buffer[]): Promise<number> {
  const fh = await open(path, 'wx', 0o600);
  let size = 0;
  try {
    for (const p of parts) {
      let off = 0;
      while (off < p.length) {
        const { bytesWritten } = await fh.write(p, off, p.length - off);
        off += bytesWritten;
      }
      size += p.length;
    }
  } finally {
    await fh.close();
  }
  return size;
}

/** One backup at a time per backup directory; a lock left by a dead process is taken over. */
export function lockDirectory(path: string, what: string): () => void {
  return takePidLock(path, (holder) => holder === undefined
    ? fatalError('backup.busy', `could not lock ${what}`)
    : fatalError('backup.busy', `another wekeep process (pid ${holder}) is writing ${what}; try again when it has finished`));
}


/** Runs async file work with at most `limit` tasks in flight; the first failure is thrown by run() or drain(). */
export function ioPool(limit: number): { run(task: () => Promise<void>): Promise<void>; drain(): Promise<void> } {
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const check = (): void => {
    if (failure) throw failure.error;
  };
  return {
    async run(task) {
      check();
      while (inFlight.size >= limit) await Promise.race(inFlight);
      check();
      const p: Promise<void> = task()
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
    async drain() {
      await Promise.all(inFlight);
      check();
    },
  };
}
