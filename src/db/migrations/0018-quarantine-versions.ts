import { sql, type Kysely } from 'kysely';

/**
 * A bad line is identified by its file, line number AND content: a file rewritten at the same path
 * (a daily export) may hold a different bad line where an earlier import quarantined another, and
 * both must be kept (the unique (file, line) index dropped the newer one). `content_mac` is an HMAC of
 * the line under the store's dedup key (a keyed digest: a copy of the table without its content, as a
 * backup makes, does not let anyone test guesses of the line). Entries quarantined before this
 * migration have none (NULL: never equal), so a re-import of such a file adds each of its bad lines
 * once more, then never again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE quarantine ADD COLUMN content_mac TEXT`.execute(db);
  await sql`DROP INDEX IF EXISTS quarantine_file_line`.execute(db);
  await sql`CREATE UNIQUE INDEX quarantine_file_line_content ON quarantine (file, line, content_mac)`.execute(db);
}
