import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Database } from '../db/schema.js';
import type { SessionsTable } from '../db/tables/accounts.js';

/** Server-side sessions (the cookie holds a random token; the table holds its SHA-256). */

export type SessionRow = Selectable<SessionsTable>;

export async function findSession(db: Kysely<Database>, id: string): Promise<SessionRow | undefined> {
  return db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertSession(db: Kysely<Database>, row: Insertable<SessionsTable>): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

export async function updateSession(db: Kysely<Database>, id: string, changes: Updateable<SessionsTable>): Promise<void> {
  await db.updateTable('sessions').set(changes).where('id', '=', id).execute();
}

export async function deleteSession(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', id).execute();
}

/** Deletes a user's sessions, except `keep` when given; returns how many. */
export async function deleteSessionsOfUser(db: Kysely<Database>, userId: number, keep?: string): Promise<number> {
  let q = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (keep !== undefined) q = q.where('id', '!=', keep);
  const r = await q.executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function sessionsOfUser(db: Kysely<Database>, userId: number): Promise<SessionRow[]> {
  return db.selectFrom('sessions').selectAll().where('user_id', '=', userId).where('state', '=', 'signed_in').orderBy('last_seen_at', 'desc').execute();
}

export async function deleteSessionOfUserByPublicId(db: Kysely<Database>, userId: number, publicId: string): Promise<boolean> {
  const r = await db.deleteFrom('sessions').where('user_id', '=', userId).where('public_id', '=', publicId).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/** Removes sessions past their absolute expiry or idle for longer than `idleMs`. */
export async function purgeExpiredSessions(db: Kysely<Database>, now: number, idleMs: number): Promise<void> {
  await db.deleteFrom('sessions').where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - idleMs)])).execute();
}
