import { openSync, renameSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { storageError } from '../src/errors.js';
import { runCli, tempDir } from './support/cli.js';

/** A data dir that lost its keyring or whose database file was damaged: said as such, with what to do; nothing changed. */

const tmp = tempDir('damage');
afterAll(() => tmp.cleanup());

describe('a damaged data dir', () => {
  it('names a missing keyring next to an archive, and does not advise init', () => {
    const data = join(tmp.path, 'no-keyring');
    expect(runCli(['--data', data, 'init']).status).toBe(0);
    renameSync(join(data, 'keyring.json'), join(tmp.path, 'keyring.json.away'));
    const r = runCli(['--data', data, 'stats']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/keyring\.json is missing, but the archive \(wekeep\.db\) is there: .*`wekeep keys backup`.*do not run `wekeep init` .*\[keys\.keyring_missing\]/);
  });

  it('says a database page that fails its check is damage, with the way back (a restore), not a failed migration', () => {
    const data = join(tmp.path, 'damaged');
    expect(runCli(['--data', data, 'init']).status).toBe(0);
    // Overwrite bytes inside the second 16 KiB page: the authenticated cipher refuses the page.
    const fd = openSync(join(data, 'wekeep.db'), 'r+');
    writeSync(fd, Buffer.from('tampered bytes'), 0, 14, 20_000);
    closeSync(fd);
    const r = runCli(['--data', data, 'stats', '--json']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the database is damaged or was changed outside WeKeep \(SQLite: .*\); the failing transaction was rolled back\. .*wekeep --data NEWDIR restore --from BACKUP.*\[store\.damaged\]/);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'store.damaged', exitCode: 1 } });
  });

  it('maps SQLite storage codes, and nothing else', () => {
    const sqlite = (code: string, message: string): Error => Object.assign(new Error(message), { code });
    expect(storageError(sqlite('SQLITE_CORRUPT', 'database disk image is malformed'))?.code).toBe('store.damaged');
    expect(storageError(sqlite('SQLITE_NOTADB', 'file is not a database'))?.code).toBe('store.damaged');
    expect(storageError(sqlite('SQLITE_FULL', 'database or disk is full'))?.code).toBe('store.io_error');
    expect(storageError(sqlite('SQLITE_IOERR_WRITE', 'disk I/O error'))?.code).toBe('store.io_error');
    expect(storageError(sqlite('SQLITE_CONSTRAINT_UNIQUE', 'UNIQUE constraint failed'))).toBeUndefined();
    expect(storageError(new Error('plain'))).toBeUndefined();
    expect(storageError(null)).toBeUndefined();
  });
});
