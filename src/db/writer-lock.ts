import { join } from 'node:path';
import { fatalError } from '../errors.js';
import { takePidLock } from './pid-lock.js';

export const LOCK_FILE = 'writer.lock';

/**
 * One bulk writer at a time per data dir (imports write blob files before the database commit, so
 * two concurrent importers could race on one blob). A lock left by a dead process is taken over.
 */
export function acquireWriterLock(dataDir: string): () => void {
  return takePidLock(join(dataDir, LOCK_FILE), (holder) => holder === undefined
    ? fatalError('store.busy', 'could not take the writer lock')
    : fatalError('store.busy', `another wekeep process (pid ${holder}) is writing to this data dir (an import, a WeCom sync or a disposition run); try again when it has finished`));
}
