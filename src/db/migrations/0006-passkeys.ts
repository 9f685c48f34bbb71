import type { Kysely } from 'kysely';

/** Passkeys (WebAuthn credentials) as a second factor, and the challenge of a ceremony in progress (per session). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('passkeys')
    .addColumn('id', 'text', (c) => c.primaryKey()) // credential id, base64url
    .addColumn('user_id', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('public_key', 'blob', (c) => c.notNull()) // COSE
    .addColumn('counter', 'bigint', (c) => c.notNull())
    .addColumn('transports', 'text') // JSON array
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute();
  await db.schema.createIndex('passkeys_user').on('passkeys').column('user_id').execute();
  await db.schema.alterTable('sessions').addColumn('webauthn_challenge', 'text').execute();
}
