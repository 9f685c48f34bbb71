import { sql, type Kysely } from 'kysely';

/**
 * The full-text index (SQLite FTS5). Contentless, so the index holds no second copy of the text;
 * rows are keyed by messages.id. `body` holds text tokens and `meta` holds filter tokens
 * (see search/fts-document.ts). Tokens are produced in TypeScript (domain/tokenizer.ts).
 *
 * `uni` holds each distinct CJK character of a message once: a 1-character Chinese query is a single
 * term lookup there (the bigram prefix query `"信" *` without a prefix index merges the doclists of
 * every bigram starting with that character: 65 ms p50 on 1M messages; FTS5's `prefix='1'` fixes
 * that but also indexes the first letter of every Latin and filter token, +70 % index size).
 * `contentless_delete=1` allows DELETE and INSERT OR REPLACE of single rows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE VIRTUAL TABLE message_fts USING fts5(body, meta, uni, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0')`.execute(db);
}
