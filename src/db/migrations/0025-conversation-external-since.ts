import { sql, type Kysely } from 'kysely';
import { EXTERNAL_SINCE_UPDATE } from '../../repositories/external-since.js';

/**
 * `conversations.external_since_key`: the key of the first message of the conversation that an
 * external party sent or was addressed in. A record takes part with an external party (retention
 * scope `party:`) when its key is at or after it, so a later message from an external contact no
 * longer turns a group's older, internal records external (which let a `party:internal` hold or
 * locked floor lose them). Filled here from the records archived so far.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE conversations ADD COLUMN external_since_key INTEGER`.execute(db);
  await sql.raw(EXTERNAL_SINCE_UPDATE('SELECT id FROM messages')).execute(db);
}
