import type { Kysely } from 'kysely';
import type { SqliteHandle } from './connection.js';
import type { Database } from './schema.js';

/**
 * A bulk insert for hot paths (the import): Kysely builds the single-row INSERT once; it runs as a
 * prepared statement per row on the same connection (so inside the caller's transaction). Building
 * a multi-thousand-row statement per batch cost more than the inserts themselves (ADR 0005).
 */
export function prepareBulkInsert<T extends keyof Database & string>(
  db: Kysely<Database>,
  sqlite: SqliteHandle,
  table: T,
  columns: readonly (keyof Database[T] & string)[],
  options: { orReplace?: boolean } = {},
): (rows: readonly Partial<Record<keyof Database[T] & string, unknown>>[]) => void {
  const sample = Object.fromEntries(columns.map((c) => [c, null]));
  const base = options.orReplace ? db.replaceInto(table) : db.insertInto(table);
  const compiled = base.values(sample as never).compile();
  const statement = sqlite.prepare(compiled.sql);
  return (rows) => {
    for (const row of rows) statement.run(columns.map((c) => row[c] ?? null));
  };
}
