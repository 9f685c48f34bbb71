import { execFile } from 'node:child_process';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';

/** File-system helpers shared by the blob store (blobs/local.ts) and backups (backup/files.ts). */

const execFileAsync = promisify(execFile);

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
