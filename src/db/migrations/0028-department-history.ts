import { sql, type Kysely } from 'kysely';

/**
 * `persons.department_history`: the departments a person had before each change a directory sync
 * saw (domain/department-history.ts), so that a retention scope's `dept:` means the department at
 * the record's time and a move does not change which older records a `dept:` hold or policy covers.
 * NULL: no change seen (the current `departments` apply to every record).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE persons ADD COLUMN department_history TEXT`.execute(db);
}
