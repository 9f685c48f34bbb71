import { sql, type Kysely } from 'kysely';

/**
 * The full-text index no longer merges a segment because some of its rows were deleted
 * (FTS5 `deletemerge` 0; the default, 10, makes a segment eligible for merging as soon as 10 % of its
 * rows carry a delete tombstone). A retention sweep deletes rows in rowid order, so with the default
 * every batch re-merged the large old segments it had just tombstoned: measured on 1,000,000 indexed
 * records, deleting all of them with their index entries ran at 29,400 rows/s with the default and
 * 46,600 rows/s with 0 (docs/benchmarks.md, "Disposition").
 *
 * Tokens of deleted rows were never dropped by those merges alone: a disposal marks the index for a
 * purge and the purge (`optimize`, repositories/disposition.ts) rewrites it without them, after a
 * completed run and after an erasure. Segments still merge as rows are added (automerge).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`INSERT INTO message_fts (message_fts, rank) VALUES ('deletemerge', 0)`.execute(db);
}
