import { sql, type Kysely } from 'kysely';

/**
 * An index on `lower(persons.ext_id)`: a hold's custodians match person ids ignoring the case of
 * Latin letters (services/retention-rules.ts custodianIds), looked up each time the rules are
 * loaded — by every sweep, review decision and erasure — so it must not scan every person.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX persons_ext_id_lower ON persons (lower(ext_id))`.execute(db);
}
