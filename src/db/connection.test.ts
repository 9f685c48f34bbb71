import Sqlite from 'better-sqlite3-multiple-ciphers';
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { STATEMENT_CACHE_SIZE, wrapKysely } from './connection.js';

/** Kysely over a connection whose statements are kept by SQL text (db/connection.ts). */
describe('kept statements', () => {
  const handles: Sqlite.Database[] = [];
  const open = () => {
    const handle = new Sqlite(':memory:');
    handles.push(handle);
    handle.exec('CREATE TABLE t (n INTEGER)');
    let prepared = 0;
    const prepare = handle.prepare.bind(handle);
    handle.prepare = ((source: string) => {
      prepared++;
      return prepare(source);
    }) as typeof handle.prepare;
    return { db: wrapKysely(handle), prepared: () => prepared };
  };
  afterEach(() => {
    for (const h of handles.splice(0)) if (h.open) h.close();
  });

  it('prepares a query once however often it runs, with each run its own parameters', async () => {
    const { db, prepared } = open();
    for (let n = 1; n <= 5; n++) await db.insertInto('t' as never).values({ n } as never).execute();
    const before = prepared();
    const sums: number[] = [];
    for (let min = 1; min <= 5; min++) sums.push(Number((await sql<{ s: number }>`SELECT sum(n) AS s FROM t WHERE n >= ${min}`.execute(db)).rows[0]!.s));
    expect(sums).toEqual([15, 14, 12, 9, 5]);
    expect(prepared() - before).toBe(1);
  });

  it('reuses a statement a stream iterated, once the stream ended or was left early', async () => {
    const { db } = open();
    const t = db as unknown as Kysely<{ t: { n: number } }>;
    for (let n = 1; n <= 3; n++) await t.insertInto('t').values({ n }).execute();
    const query = () => t.selectFrom('t').select('n').orderBy('n');
    const streamed: number[] = [];
    for await (const row of query().stream(1)) {
      streamed.push(row.n);
      if (row.n === 2) break;
    }
    expect(streamed).toEqual([1, 2]);
    expect((await query().execute()).map((r) => r.n)).toEqual([1, 2, 3]);
    const again: number[] = [];
    for await (const row of query().stream(1)) again.push(row.n);
    expect(again).toEqual([1, 2, 3]);
  });

  it(`keeps at most ${STATEMENT_CACHE_SIZE} statements and still answers every query`, async () => {
    const { db, prepared } = open();
    await db.insertInto('t' as never).values({ n: 7 } as never).execute();
    const before = prepared();
    for (let i = 0; i < STATEMENT_CACHE_SIZE + 50; i++) expect((await sql.raw<{ v: number }>(`SELECT n + ${i} AS v FROM t`).execute(db)).rows[0]!.v).toBe(7 + i);
    // The first ones were dropped: running them again prepares them again.
    expect((await sql.raw<{ v: number }>('SELECT n + 0 AS v FROM t').execute(db)).rows[0]!.v).toBe(7);
    expect(prepared() - before).toBe(STATEMENT_CACHE_SIZE + 51);
  });
});
