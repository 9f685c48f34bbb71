import type { Kysely } from 'kysely';

/**
 * What a directory sync (WeCom contacts) knows about persons beyond their display name: whether
 * they are a member of the corp or an external contact, their departments, position and company.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('persons').addColumn('kind', 'text').execute();
  await db.schema.alterTable('persons').addColumn('departments', 'text').execute();
  await db.schema.alterTable('persons').addColumn('position', 'text').execute();
  await db.schema.alterTable('persons').addColumn('company', 'text').execute();
  await db.schema.alterTable('persons').addColumn('directory_updated_at', 'bigint').execute();
}
