import type { Kysely } from 'kysely';

/**
 * Seq ranges a source can never deliver (issue 4): WeCom keeps archived chat data about 5 days and
 * answers GetChatData with 10010 (expired) for a cursor older than that. The sync then finds the first
 * seq it can still pull, records the range it had to skip here, and goes on from there. The range is
 * evidence of what the archive does not hold and why: `wekeep sources` lists it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('source_gaps')
    .addColumn('source_id', 'integer', (c) => c.notNull().references('sources.id'))
    /** First seq that may be missing (the cursor + 1). */
    .addColumn('from_seq', 'integer', (c) => c.notNull())
    /** Last seq that may be missing. */
    .addColumn('to_seq', 'integer', (c) => c.notNull())
    /** Why: `expired` (WeCom 10010, past its retention). */
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('detected_at', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('source_gaps_pk', ['source_id', 'from_seq'])
    .execute();
}
