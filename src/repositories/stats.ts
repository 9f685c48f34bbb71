import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** Statistics rows and directory counts (usage itself lives in repositories/usage.ts). */

export interface GroupRow {
  key: string;
  count: number;
  textBytes: number;
  attachments: number;
  attachmentBytes: number;
}

export async function directoryCounts(db: Kysely<Database>): Promise<{ persons: number; conversations: number; sources: number }> {
  const c = await sql<{ persons: number; conversations: number; sources: number }>`
    SELECT (SELECT count(*) FROM persons) AS persons, (SELECT count(*) FROM conversations) AS conversations, (SELECT count(*) FROM sources) AS sources`.execute(db);
  return { persons: Number(c.rows[0]?.persons ?? 0), conversations: Number(c.rows[0]?.conversations ?? 0), sources: Number(c.rows[0]?.sources ?? 0) };
}
