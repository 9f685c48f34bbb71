import { sql, type Kysely } from 'kysely';

/**
 * Which record a quarantined line was about (`source`, `id` of a JSON line that names them), indexed:
 * when that record is disposed of (retention, four-eyes review, erasure), its quarantined lines go
 * with it in the same transaction — a conflicting re-send or an invalid copy of a disposed record
 * must not outlive it (services/disposition.ts disposeRecords).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE quarantine ADD COLUMN record_source TEXT`.execute(db);
  await sql`ALTER TABLE quarantine ADD COLUMN record_id TEXT`.execute(db);
  await sql`UPDATE quarantine SET record_source = json_extract(content, '$.source'), record_id = json_extract(content, '$.id')
            WHERE content IS NOT NULL AND json_valid(content) AND json_type(content) = 'object'
              AND json_type(content, '$.source') = 'text' AND json_type(content, '$.id') IN ('text', 'integer')`.execute(db);
  await sql`CREATE INDEX quarantine_record ON quarantine (record_source, record_id) WHERE record_source IS NOT NULL`.execute(db);
}
