import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import type { AppError } from '../errors.js';

/**
 * A lock file holding the owner's pid (the data dir's writer lock, a backup directory's lock). A lock
 * left by a dead process is taken over; one held by a live process is refused with `busy(pid)`.
 * Returns the release function.
 */
export function takePidLock(path: string, busy: (holder: number | undefined) => AppError): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder: number;
      try {
        holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
      } catch {
        continue; // released meanwhile
      }
      if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) throw busy(holder);
      try {
        unlinkSync(path);
      } catch {
        /* taken over meanwhile */
      }
    }
  }
  throw busy(undefined);
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
