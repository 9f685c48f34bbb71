import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/schema.js';
import type { PasskeysTable } from '../db/tables/accounts.js';

/** Passkeys (WebAuthn credentials) of users. */

export type PasskeyRow = Selectable<PasskeysTable>;

export async function passkeysOfUser(db: Kysely<Database>, userId: number): Promise<PasskeyRow[]> {
  return db.selectFrom('passkeys').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
}

export async function countPasskeys(db: Kysely<Database>, userId: number): Promise<number> {
  const r = await db.selectFrom('passkeys').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function findPasskey(db: Kysely<Database>, id: string): Promise<PasskeyRow | undefined> {
  return db.selectFrom('passkeys').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertPasskey(db: Kysely<Database>, row: PasskeyRow): Promise<void> {
  await db.insertInto('passkeys').values(row).execute();
}

/** Records a use; the counter must grow (when the authenticator keeps one). */
export async function recordPasskeyUse(db: Kysely<Database>, id: string, counter: number, now: number): Promise<void> {
  await db.updateTable('passkeys').set({ counter, last_used_at: now }).where('id', '=', id).execute();
}

export async function deletePasskey(db: Kysely<Database>, userId: number, id: string): Promise<boolean> {
  const r = await db.deleteFrom('passkeys').where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

export async function deletePasskeysOfUser(db: Kysely<Database>, userId: number): Promise<void> {
  await db.deleteFrom('passkeys').where('user_id', '=', userId).execute();
}
