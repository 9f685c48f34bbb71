import { sql, type Kysely } from 'kysely';

/**
 * `quarantine.content_encoding`: NULL when `content` is the line's text; `base64` when the line was
 * not valid UTF-8 and `content` holds its bytes in base64 (before, such a line kept no content, so
 * the evidence of what arrived was lost).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE quarantine ADD COLUMN content_encoding TEXT`.execute(db);
}
