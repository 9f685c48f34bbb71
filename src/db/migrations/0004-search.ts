import { sql, type Kysely } from 'kysely';

/**
 * The full-text index (SQLite FTS5). Contentless, so the index holds no second copy of the text;
 * rows are keyed by messages.id. `body` holds text tokens and `meta` holds filter tokens
 * (see search/fts-document.ts). Tokens are produced in TypeScript (domain/tokenizer.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE VIRTUAL TABLE message_fts USING fts5(body, meta, content='', contentless_delete=1, prefix='1', tokenize='unicode61 remove_diacritics 0')`.execute(db);
}
