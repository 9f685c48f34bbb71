import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { mayReadConversation, type ContentScope } from '../domain/authorization.js';
import { conversationsOfPerson, isConversationMember } from '../repositories/directory.js';

/**
 * Turns a content scope (domain/authorization.ts) into what queries need. Every service that reads
 * archived content for a user goes through here; content outside the scope is reported as missing.
 */

export type ResolvedScope =
  | { kind: 'all' }
  | { kind: 'none' }
  | { kind: 'conversations'; rowIds: number[]; extIds: string[] };

export async function resolveScope(db: Kysely<Database>, scope: ContentScope): Promise<ResolvedScope> {
  if (scope.kind === 'all') return { kind: 'all' };
  if (scope.kind === 'none') return { kind: 'none' };
  const convs = await conversationsOfPerson(db, scope.personId);
  return { kind: 'conversations', rowIds: convs.map((c) => c.rowId), extIds: convs.map((c) => c.extId) };
}

/** Whether the scope may read messages of this conversation. */
export async function mayReadConversationRow(db: Kysely<Database>, scope: ContentScope, conversationRowId: number): Promise<boolean> {
  if (scope.kind === 'all') return mayReadConversation(scope, false);
  if (scope.kind === 'none') return false;
  return mayReadConversation(scope, await isConversationMember(db, conversationRowId, scope.personId));
}
