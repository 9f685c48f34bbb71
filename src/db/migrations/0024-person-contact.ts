import { sql, type Kysely } from 'kysely';

/**
 * A member's work e-mail as the WeCom directory gives it (`biz_mail`, else `email`): a privacy
 * request may name its subject by it (issue 5); cleared with the rest of the person's directory
 * data when an erasure leaves nothing. Mobile numbers are not kept (minimum necessary: the
 * directory sync drops them, src/connectors/wecom/directory-api.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE persons ADD COLUMN email TEXT`.execute(db);
}
