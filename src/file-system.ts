import { execFile } from 'node:child_process';
import { realpathSync, statSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { usageError } from './errors.js';

/** File-system helpers shared by the blob store (blobs/local.ts), backups (backup/) and the exports; and processAlive (the pid in lock and temporary file names). */

const execFileAsync = promisify(execFile);

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errorCode(e) === 'EPERM';
  }
}

/** Whether a path is a regular file (following links); false when it is missing or unreadable. */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The `code` of a Node.js system error (`ENOENT`, …), if it has one. */
export const errorCode = (e: unknown): string | undefined => (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined);

/** fsync of a directory (its entries); a no-op where the platform or file system cannot fsync one. */
export async function syncDir(path: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    await fh.sync();
  } catch (e) {
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EBADF', 'ENOTSUP'].includes(errorCode(e) ?? '')) throw e;
  } finally {
    await fh?.close();
  }
}

/** syncfs(2) of the file system holding `path` (coreutils `sync -f`); falls back to a full sync. */
export async function syncFileSystem(path: string): Promise<void> {
  try {
    await execFileAsync('sync', ['-f', path]);
  } catch {
    await execFileAsync('sync', []);
  }
}

/** Deletes a file; a missing file or any other failure is ignored (cleanup of temporary files). */
export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

/** The absolute path with the symbolic links of its longest existing prefix resolved. */
function realPath(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(realPath(parent), basename(abs));
  }
}

/** Whether `child` is `parent` or below it (symbolic links followed as far as the paths exist). */
export function isInside(child: string, parent: string): boolean {
  const rel = relative(realPath(parent), realPath(child));
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * Refuses to write plaintext (an export, attachments written back out) into the data dir, where no
 * plaintext may ever be (issue 2), or around it.
 */
export function assertOutsideDataDir(target: string, dataDir: string, code: string, what: string): void {
  if (isInside(target, dataDir) || isInside(dataDir, target)) {
    throw usageError(code, `${what} must be outside the data dir (${resolve(dataDir)}): nothing unencrypted is written there`);
  }
}
