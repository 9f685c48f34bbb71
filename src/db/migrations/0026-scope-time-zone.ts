import { sql, type Kysely } from 'kysely';

/**
 * The time zone a policy's or hold's scope was written in: its `after:`/`before:` dates mean the
 * same instants whatever `WEKEEP_TZ` a later process runs with (a scheduled run under another zone
 * had shifted a locked floor or a hold by hours). Rows written before keep NULL: read in the
 * process's zone, as before.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE retention_policies ADD COLUMN time_zone TEXT`.execute(db);
  await sql`ALTER TABLE legal_holds ADD COLUMN time_zone TEXT`.execute(db);
}
