import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Database } from '../db/schema.js';
import type { LoginThrottleTable, UsersTable } from '../db/tables/accounts.js';

/** Users, one-time setup tokens, recovery codes and the sign-in throttle. */

export type UserRow = Selectable<UsersTable>;

export async function findUserByName(db: Kysely<Database>, username: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
}

export async function findUserById(db: Kysely<Database>, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listUsers(db: Kysely<Database>): Promise<UserRow[]> {
  return db.selectFrom('users').selectAll().orderBy('username').execute();
}

export async function insertUser(db: Kysely<Database>, row: Insertable<UsersTable>): Promise<number> {
  const r = await db.insertInto('users').values(row).returning('id').executeTakeFirstOrThrow();
  return r.id;
}

export async function updateUser(db: Kysely<Database>, id: number, changes: Updateable<UsersTable>): Promise<void> {
  await db.updateTable('users').set(changes).where('id', '=', id).execute();
}

export async function countRecoveryCodesLeft(db: Kysely<Database>, userId: number): Promise<number> {
  const r = await db.selectFrom('recovery_codes').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).where('used_at', 'is', null).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function replaceRecoveryCodes(db: Kysely<Database>, userId: number, hashes: readonly string[], now: number): Promise<void> {
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  if (hashes.length > 0) await db.insertInto('recovery_codes').values(hashes.map((h) => ({ user_id: userId, code_hash: h, created_at: now, used_at: null }))).execute();
}

/** Marks an unused recovery code used; true when it was valid. */
export async function useRecoveryCode(db: Kysely<Database>, userId: number, hash: string, now: number): Promise<boolean> {
  const r = await db.updateTable('recovery_codes').set({ used_at: now }).where('user_id', '=', userId).where('code_hash', '=', hash).where('used_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function insertSetupToken(db: Kysely<Database>, row: { tokenHash: string; userId: number; createdAt: number; expiresAt: number }): Promise<void> {
  // One valid link per user: older ones are spent.
  await db.updateTable('setup_tokens').set({ used_at: row.createdAt }).where('user_id', '=', row.userId).where('used_at', 'is', null).execute();
  await db.insertInto('setup_tokens').values({ token_hash: row.tokenHash, user_id: row.userId, created_at: row.createdAt, expires_at: row.expiresAt, used_at: null }).execute();
}

/** The user of an unused, unexpired setup token. */
export async function findSetupToken(db: Kysely<Database>, tokenHash: string, now: number): Promise<{ userId: number } | undefined> {
  const r = await db
    .selectFrom('setup_tokens')
    .select('user_id')
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return r && { userId: r.user_id };
}

export async function spendSetupToken(db: Kysely<Database>, tokenHash: string, now: number): Promise<boolean> {
  const r = await db.updateTable('setup_tokens').set({ used_at: now }).where('token_hash', '=', tokenHash).where('used_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Moves the expiry of a user's unused setup link to `expiresAt` if it is earlier; true when there was one. */
export async function extendSetupToken(db: Kysely<Database>, userId: number, expiresAt: number): Promise<boolean> {
  const r = await db.updateTable('setup_tokens').set({ expires_at: expiresAt }).where('user_id', '=', userId).where('used_at', 'is', null).where('expires_at', '<', expiresAt).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function spendSetupTokensOf(db: Kysely<Database>, userId: number, now: number): Promise<void> {
  await db.updateTable('setup_tokens').set({ used_at: now }).where('user_id', '=', userId).where('used_at', 'is', null).execute();
}

export type ThrottleRow = Selectable<LoginThrottleTable>;

export async function readThrottles(db: Kysely<Database>, keys: readonly string[]): Promise<ThrottleRow[]> {
  if (keys.length === 0) return [];
  return db.selectFrom('login_throttle').selectAll().where('key', 'in', keys).execute();
}

export async function writeThrottle(db: Kysely<Database>, row: ThrottleRow): Promise<void> {
  await db
    .insertInto('login_throttle')
    .values(row)
    .onConflict((oc) => oc.column('key').doUpdateSet({ failures: row.failures, last_failure_at: row.last_failure_at, blocked_until: row.blocked_until }))
    .execute();
}

export async function clearThrottle(db: Kysely<Database>, key: string): Promise<void> {
  await db.deleteFrom('login_throttle').where('key', '=', key).execute();
}
