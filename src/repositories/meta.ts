import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** Meta key of the tokenizer version that built the full-text index. */
export const TOKENIZER_VERSION_KEY = 'tokenizer_version';

/** The store's key/value settings (format, creation time, tokenizer version). */
export async function readMeta(db: Kysely<Database>, key: string): Promise<string | undefined> {
  return (await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst())?.value;
}

export async function writeMeta(db: Kysely<Database>, key: string, value: string): Promise<void> {
  await db
    .insertInto('meta')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}
