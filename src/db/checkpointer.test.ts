import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKSTOP_PAGES, startCheckpointer } from './checkpointer.js';
import { openSqlite, type SqliteHandle } from './connection.js';

/** The background WAL checkpointer (db/checkpointer.ts), on a real encrypted database and a real worker thread. */
describe('background checkpointer', () => {
  const dirs: string[] = [];
  const handles: SqliteHandle[] = [];
  afterEach(() => {
    for (const h of handles.splice(0)) if (h.open) h.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const store = () => {
    const dir = mkdtempSync(join(tmpdir(), 'wekeep-ckpt-'));
    dirs.push(dir);
    const path = join(dir, 'test.db');
    const key = randomBytes(32);
    const db = openSqlite(path, key, 'aegis', { create: true });
    handles.push(db);
    db.exec('CREATE TABLE t (n INTEGER PRIMARY KEY, b BLOB NOT NULL)');
    return { path, key, db };
  };
  const warnings: unknown[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
  /** Commits `batches` transactions of 20 rows of 8 KiB each (~10 pages per commit). */
  const write = (db: SqliteHandle, from: number, batches: number): void => {
    const insert = db.prepare('INSERT INTO t (n, b) VALUES (?, ?)');
    for (let i = 0; i < batches; i++) {
      db.transaction(() => {
        for (let j = 0; j < 20; j++) insert.run(from + i * 20 + j, randomBytes(8192));
      })();
    }
  };

  it('copies the writer\'s WAL into the database from its own thread, and restores the writer\'s automatic checkpoint', async () => {
    const { path, key, db } = store();
    const autoBefore = db.pragma('wal_autocheckpoint', { simple: true }) as number;
    const c = startCheckpointer(db, { key, cipher: 'aegis' }, log);
    // The writer's own checkpoint is only a backstop now.
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_PAGES);
    write(db, 0, 150); // ~1500 pages: the writer alone would have checkpointed at 1000
    // The database file grows as the worker copies pages into it (the writer does not checkpoint below the backstop).
    for (let i = 0; i < 250 && statSync(path).size < 1400 * 16_384; i++) await sleep(20);
    expect(statSync(path).size).toBeGreaterThanOrEqual(1400 * 16_384);
    write(db, 3000, 10);
    const stats = await c.stop();
    expect(stats.failed).toBe(false);
    expect(stats.checkpoints).toBeGreaterThan(0);
    expect(stats.frames).toBeGreaterThanOrEqual(1000);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(autoBefore);
    // Everything committed is there, intact, also for a new connection.
    db.close();
    const again = openSqlite(path, key, 'aegis', { create: false });
    handles.push(again);
    expect(again.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(again.prepare('SELECT count(*) FROM t').pluck().get()).toBe(3200);
  });

  it('waits instead of spinning while a reader\'s snapshot holds the WAL back', async () => {
    const { path, key, db } = store();
    write(db, 0, 5);
    // A long reader (a backup, say) keeps its snapshot: frames written after it cannot be copied yet.
    const reader = openSqlite(path, key, 'aegis', { create: false });
    handles.push(reader);
    reader.exec('BEGIN');
    expect(reader.prepare('SELECT count(*) FROM t').pluck().get()).toBe(100);
    const c = startCheckpointer(db, { key, cipher: 'aegis' }, log);
    write(db, 100, 50);
    // Once the worker runs (its first checkpoint copies what the reader's snapshot allows), give it a second.
    for (let i = 0; i < 250 && statSync(path).size < 50 * 16_384; i++) await sleep(20);
    expect(statSync(path).size).toBeGreaterThanOrEqual(50 * 16_384);
    await sleep(1000);
    const stats = await c.stop();
    reader.exec('COMMIT');
    expect(stats.failed).toBe(false);
    // About one checkpoint per 20 ms pause; a spinning loop would run thousands.
    expect(stats.checkpoints).toBeLessThan(150);
  });

  it('a worker that cannot open the database hands the checkpoints back to the writer, with a warning naming no path or key', async () => {
    const { path, db } = store();
    warnings.length = 0;
    const c = startCheckpointer(db, { key: randomBytes(32), cipher: 'aegis' }, log);
    const stats = await c.stop();
    expect(stats.failed).toBe(true);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(warnings).toHaveLength(1);
    const text = JSON.stringify(warnings);
    expect(text).toContain('background checkpoints stopped');
    expect(text).not.toContain(path);
    // The writer goes on, and checkpoints itself again past 1000 pages.
    write(db, 0, 120);
    expect(statSync(path).size).toBeGreaterThanOrEqual(1000 * 16_384);
  });
});
