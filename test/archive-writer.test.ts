import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config.js';
import { createContext, type Context } from '../src/context.js';
import type { Database } from '../src/db/schema.js';
import { importNdjson, openArchiveWriter } from '../src/services/import.js';
import { prepareBatches, type PreparedBatch } from '../src/services/import-prepare.js';
import { IMPORT_CACHE_MIB, IMPORT_TRANSACTION_MAX_MS } from '../src/services/limits.js';
import { initStore } from '../src/services/store.js';
import { tempDir } from './support/cli.js';
import { textRecord, toNdjson } from './support/records.js';

/**
 * The archive writer's grouped commits (services/import.ts, `recordsPerCommit`): batches written
 * into one open transaction are invisible to other connections until the group commits, a failure
 * rolls back only the uncommitted group, and the failed run reports what was really archived.
 */

const dir = tempDir('archive-writer');
let config: Config;
let ctx: Context;
/** A second connection to the same archive: sees only committed data. */
let other: Context;

beforeAll(async () => {
  config = loadConfig({ data: join(dir.path, 'data') }, {});
  await (await initStore(config)).ctx.close();
  ctx = await createContext(config);
  other = await createContext(config);
});
afterAll(async () => {
  await other.close();
  await ctx.close();
  dir.cleanup();
});

const count = async (db: Kysely<Database>, source: string): Promise<number> => {
  const r = await sql<{ n: number }>`SELECT count(*) AS n FROM messages m JOIN sources s ON s.id = m.source_id WHERE s.name = ${source}`.execute(db);
  return Number(r.rows[0]!.n);
};

async function batchesOf(name: string, records: number, perBatch: number): Promise<PreparedBatch[]> {
  const file = join(dir.path, `${name}.ndjson`);
  writeFileSync(file, toNdjson(Array.from({ length: records }, () => textRecord({ source: name }))));
  const out: PreparedBatch[] = [];
  for await (const b of prepareBatches({ file, baseDir: dir.path, batchSize: perBatch, dedupKey: ctx.keys.dedupKey })) out.push(b);
  return out;
}

describe('grouped commits of the archive writer', () => {
  it('commits once the group holds enough records, and at the end', async () => {
    const batches = await batchesOf('grouped', 7, 2); // batches of 2, 2, 2, 1
    const cacheSize = (): unknown => ctx.sqlite.pragma('cache_size', { simple: true });
    const cacheBefore = cacheSize();
    const writer = await openArchiveWriter(ctx, { file: 'grouped', format: 'ndjson' }, { recordsPerCommit: 4 });
    expect(cacheSize()).toBe(-IMPORT_CACHE_MIB * 1024);
    await writer.archive(batches[0]!);
    // Written but not committed: the writer's own transaction sees it, another connection does not.
    expect(await count(writer.db, 'grouped')).toBe(2);
    expect(await count(other.db, 'grouped')).toBe(0);
    await writer.archive(batches[1]!); // 4 records: the group commits
    expect(await count(other.db, 'grouped')).toBe(4);
    expect(writer.db).toBe(ctx.db);
    await writer.archive(batches[2]!);
    await writer.archive(batches[3]!);
    expect(await count(other.db, 'grouped')).toBe(4);
    const summary = await writer.finish();
    expect(summary).toMatchObject({ imported: 7, status: 'completed' });
    expect(await count(other.db, 'grouped')).toBe(7);
    expect(cacheSize()).toBe(cacheBefore);
  });

  it('commits a group once it is IMPORT_TRANSACTION_MAX_MS old, however few records it holds', async () => {
    const batches = await batchesOf('aged', 3, 1);
    const writer = await openArchiveWriter(ctx, { file: 'aged', format: 'ndjson' }, { recordsPerCommit: 1_000_000 });
    await writer.archive(batches[0]!);
    expect(await count(other.db, 'aged')).toBe(0);
    await new Promise((r) => setTimeout(r, IMPORT_TRANSACTION_MAX_MS + 100));
    await writer.archive(batches[1]!); // the group is old enough: committed after this batch
    expect(await count(other.db, 'aged')).toBe(2);
    await writer.archive(batches[2]!);
    expect(await count(other.db, 'aged')).toBe(2);
    await writer.finish();
    expect(await count(other.db, 'aged')).toBe(3);
  });

  it('rolls back only the uncommitted group on failure, and reports what was archived', async () => {
    const batches = await batchesOf('failing', 5, 2); // 2, 2, 1
    const writer = await openArchiveWriter(ctx, { file: 'failing', format: 'ndjson' }, { recordsPerCommit: 3 });
    await writer.archive(batches[0]!);
    await writer.archive(batches[1]!); // committed: 4
    await writer.archive(batches[2]!); // open: 1
    await writer.fail();
    expect(await count(other.db, 'failing')).toBe(4);
    expect(await count(ctx.db, 'failing')).toBe(4);
    const failed = await sql<{ details: string }>`SELECT details FROM audit_events WHERE action = 'import.failed' AND subject = ${`import:${writer.importId}`}`.execute(ctx.db);
    expect(JSON.parse(failed.rows[0]!.details)).toMatchObject({ imported: 4 });
    // The archive stays usable: a new run archives the rest, exactly once.
    const rest = await batchesOf('failing-rest', 1, 1);
    const again = await openArchiveWriter(ctx, { file: 'failing-rest', format: 'ndjson' });
    await again.archive(rest[0]!);
    expect(await again.finish()).toMatchObject({ imported: 1 });
  });

  it('keeps NDJSON imports idempotent with transactions larger than the prepared batches', async () => {
    const file = join(dir.path, 'many.ndjson');
    writeFileSync(file, toNdjson(Array.from({ length: 60 }, () => textRecord({ source: 'many' }))));
    expect(await importNdjson(ctx, { file, batchSize: 25 })).toMatchObject({ imported: 60, duplicates: 0 });
    expect(await importNdjson(ctx, { file, batchSize: 1000 })).toMatchObject({ imported: 0, duplicates: 60 });
    expect(await count(other.db, 'many')).toBe(60);
  });
});
