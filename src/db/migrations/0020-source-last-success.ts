import { sql, type Kysely } from 'kysely';

/**
 * When a connector last synced successfully (`completed` or `partial`), apart from its last attempt:
 * the lag shown against WeCom's 5-day retention, and the unrecoverable-gap check, count from it. A
 * source whose syncs keep failing is lagging, though it was tried a minute ago.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('source_settings').addColumn('last_success_at', 'bigint').execute();
  await sql`UPDATE source_settings SET last_success_at = last_sync_at WHERE last_sync_status IN ('completed', 'partial')`.execute(db);
}
