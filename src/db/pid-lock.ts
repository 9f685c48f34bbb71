import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import type { AppError } from '../errors.js';
import { processAlive } from '../file-system.js';

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
      if (Number.isInteger(holder) && holder !== process.pid && processAlive(holder)) throw busy(holder);
      try {
        unlinkSync(path);
      } catch {
        /* taken over meanwhile */
      }
    }
  }
  throw busy(undefined);
}
