import type { Kysely } from 'kysely';
import type { Context } from '../context.js';
import type { Database } from '../db/schema.js';

/** PLACEHOLDER until the audit log lands. */
export interface AuditEventInput {
  action: string;
  subject?: string | undefined;
  details?: Record<string, unknown> | undefined;
  /** Defaults to ctx.actor. */
  actor?: string | undefined;
}

export type AuditContext = Pick<Context, 'keys' | 'clock' | 'actor'>;

export async function appendAudit(_ctx: AuditContext, _trx: Kysely<Database>, _events: AuditEventInput | AuditEventInput[]): Promise<void> {
  throw new Error('not implemented');
}
