import { sql, type Kysely } from 'kysely';

/**
 * An account that an admin (signed in to the console or API) created, reset, or gave a role that
 * reads archived content waits for a compliance user's approval before it can sign in: otherwise an
 * admin, who cannot read content, could create or take over an account that can (issue 3's
 * separation of duties). NULL: nothing waits. The server's CLI operator, who holds the keys, is not
 * asked.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE users ADD COLUMN access_requested_by TEXT`.execute(db);
  await sql`ALTER TABLE users ADD COLUMN access_requested_at INTEGER`.execute(db);
}
