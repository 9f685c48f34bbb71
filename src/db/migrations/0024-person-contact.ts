import { sql, type Kysely } from 'kysely';

/**
 * A person's work e-mail and mobile number as the WeCom directory gives them (`biz_mail`/`email`,
 * `mobile` where the app may read it): a privacy request may name its subject by either (issue 5),
 * and they are cleared with the rest of the person's directory data when an erasure leaves nothing.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE persons ADD COLUMN email TEXT`.execute(db);
  await sql`ALTER TABLE persons ADD COLUMN phone TEXT`.execute(db);
}
