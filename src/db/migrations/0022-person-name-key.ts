import { sql, type Kysely } from 'kysely';
import { filterValueKey } from '../../search/fts-document.js';

/**
 * `persons.name_key`: the person's name in the form search filters compare in (filterValueKey:
 * folded case, width and script, whitespace collapsed), indexed. `from:NAME` / `to:NAME` also match
 * every message of the persons whose stored name is NAME, found through this column when the query
 * runs (search/sqlite-fts5.ts resolvePersonNames): a line that named nobody, or a name learned
 * later from the directory or another line, no longer hides a message from a search or a legal hold.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE persons ADD COLUMN name_key TEXT`.execute(db);
  await sql`CREATE INDEX persons_name_key ON persons (name_key) WHERE name_key IS NOT NULL`.execute(db);
  const rows = await sql<{ id: number; name: string }>`SELECT id, name FROM persons WHERE name IS NOT NULL`.execute(db);
  for (const r of rows.rows) await sql`UPDATE persons SET name_key = ${filterValueKey(r.name)} WHERE id = ${r.id}`.execute(db);
}
