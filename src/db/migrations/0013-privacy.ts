import { sql, type Kysely } from 'kysely';

/**
 * Privacy requests of data subjects (issue 5, PIPL Art. 44–47, GDPR Art. 15, 17, 18):
 * - privacy_requests: one request (access, erasure or restriction), its deadline, status and result;
 * - privacy_request_persons: the persons (persons.id) the subject's identifiers matched;
 * - privacy_request_records: what the request did to each record (exported, erased, restricted, lifted);
 * - messages.restricted_at / restricted_reason: the RESTRICTED state (stored, but excluded from
 *   search, view and export except for the legal purpose). The partial index keeps "is anything
 *   restricted?" and the search filter's subquery cheap.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('privacy_requests')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('subjects', 'text', (c) => c.notNull())
    .addColumn('requester', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'bigint', (c) => c.notNull())
    .addColumn('opened_by', 'text', (c) => c.notNull())
    .addColumn('deadline_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('started_by', 'text')
    .addColumn('decided_at', 'bigint')
    .addColumn('decided_by', 'text')
    .addColumn('reject_reason', 'text')
    .addColumn('result', 'text')
    .addColumn('lifted_at', 'bigint')
    .addColumn('lifted_by', 'text')
    .addColumn('lift_reason', 'text')
    .execute();
  await sql`CREATE INDEX privacy_requests_status ON privacy_requests (status, kind)`.execute(db);

  await db.schema
    .createTable('privacy_request_persons')
    .addColumn('request_id', 'integer', (c) => c.notNull())
    .addColumn('person_id', 'integer', (c) => c.notNull())
    .addColumn('matched_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('privacy_request_persons_pk', ['request_id', 'person_id'])
    .execute();
  await sql`CREATE INDEX privacy_request_persons_person ON privacy_request_persons (person_id)`.execute(db);

  await db.schema
    .createTable('privacy_request_records')
    .addColumn('request_id', 'integer', (c) => c.notNull())
    .addColumn('message_key', 'bigint', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('grounds', 'text')
    .addColumn('until_ms', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('privacy_request_records_pk', ['request_id', 'message_key'])
    .execute();
  await sql`CREATE INDEX privacy_request_records_key ON privacy_request_records (message_key, outcome)`.execute(db);

  await db.schema.alterTable('messages').addColumn('restricted_at', 'bigint').execute();
  await db.schema.alterTable('messages').addColumn('restricted_reason', 'text').execute();
  await sql`CREATE INDEX messages_restricted ON messages (id) WHERE restricted_at IS NOT NULL`.execute(db);
}
