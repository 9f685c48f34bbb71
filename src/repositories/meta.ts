import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** Meta key of the tokenizer version that built the full-text index. */
export const TOKENIZER_VERSION_KEY = 'tokenizer_version';

/**
 * Meta key set by a restore (`{ backupId, snapshotAt, restoredAt }`): scheduled disposition waits
 * until a compliance user has brought holds, policies and privacy requests up to date and runs one
 * disposition by hand (services/disposition-run.ts).
 */
export const RESTORED_PAUSE_KEY = 'disposition_paused_after_restore';

/** The store's key/value settings (format, creation time, tokenizer version). */
export async function readMeta(db: Kysely<Database>, key: string): Promise<string | undefined> {
  return (await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst())?.value;
}

export async function deleteMeta(db: Kysely<Database>, key: string): Promise<void> {
  await db.deleteFrom('meta').where('key', '=', key).execute();
}

export async function writeMeta(db: Kysely<Database>, key: string, value: string): Promise<void> {
  await db
    .insertInto('meta')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}
