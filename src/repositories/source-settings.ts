import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ConnectorMediaTable, SourceSettingsTable } from '../db/tables/connectors.js';

/** Connector sources' settings and cursors, their resumable media downloads, and the consent ledger. */

export type SourceSettingsRow = Selectable<SourceSettingsTable> & { name: string };

export async function findSourceSettings(db: Kysely<Database>, name: string): Promise<SourceSettingsRow | undefined> {
  return db.selectFrom('source_settings as ss').innerJoin('sources as s', 's.id', 'ss.source_id').selectAll('ss').select('s.name').where('s.name', '=', name).executeTakeFirst();
}

export async function listSourceSettings(db: Kysely<Database>): Promise<SourceSettingsRow[]> {
  return db.selectFrom('source_settings as ss').innerJoin('sources as s', 's.id', 'ss.source_id').selectAll('ss').select('s.name').orderBy('s.name').execute();
}

export async function insertSourceSettings(db: Kysely<Database>, row: Selectable<SourceSettingsTable>): Promise<void> {
  await db.insertInto('source_settings').values(row).execute();
}

export async function updateSourceSettings(db: Kysely<Database>, sourceId: number, changes: Updateable<SourceSettingsTable>): Promise<void> {
  await db.updateTable('source_settings').set(changes).where('source_id', '=', sourceId).execute();
}

/** Advances a cursor, never backwards. */
export async function advanceCursor(db: Kysely<Database>, sourceId: number, seq: number): Promise<void> {
  await db.updateTable('source_settings').set({ cursor_seq: seq }).where('source_id', '=', sourceId).where('cursor_seq', '<', seq).execute();
}

export type MediaRow = Selectable<ConnectorMediaTable>;

export async function findMedia(db: Kysely<Database>, sourceId: number, fileId: string): Promise<MediaRow | undefined> {
  return db.selectFrom('connector_media').selectAll().where('source_id', '=', sourceId).where('file_id', '=', fileId).executeTakeFirst();
}

export async function saveMedia(db: Kysely<Database>, row: MediaRow): Promise<void> {
  await db
    .insertInto('connector_media')
    .values(row)
    .onConflict((oc) => oc.columns(['source_id', 'file_id']).doUpdateSet({ index_buf: row.index_buf, received: row.received, status: row.status, attempts: row.attempts, problem: row.problem, updated_at: row.updated_at }))
    .execute();
}

export async function mediaCounts(db: Kysely<Database>, sourceId: number): Promise<Record<string, number>> {
  const rows = await db.selectFrom('connector_media').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('source_id', '=', sourceId).groupBy('status').execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** Adds a consent event unless the ledger holds it already (same source and message / status key); true when added. */
export async function recordConsent(db: Kysely<Database>, row: { sourceId: number; messageExtId: string; party: string; action: 'agree' | 'disagree'; timeMs: number; details: string | null }): Promise<boolean> {
  const r = await db
    .insertInto('consent_events')
    .values({ source_id: row.sourceId, message_ext_id: row.messageExtId, party: row.party, action: row.action, time_ms: row.timeMs, details: row.details })
    .onConflict((oc) => oc.columns(['source_id', 'message_ext_id']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function consentLedger(db: Kysely<Database>, sourceId: number, limit: number): Promise<{ party: string; action: string; timeMs: number; messageExtId: string }[]> {
  const rows = await db.selectFrom('consent_events').select(['party', 'action', 'time_ms', 'message_ext_id']).where('source_id', '=', sourceId).orderBy('time_ms', 'desc').limit(limit).execute();
  return rows.map((r) => ({ party: r.party, action: r.action, timeMs: Number(r.time_ms), messageExtId: r.message_ext_id }));
}

/**
 * Consent events (newest first) whose party took part in the conversation: the WeCom consent of the
 * conversation's external contacts, from agree/disagree messages and from the directory sync's
 * status checks, of the conversation's own source.
 */
export async function consentOfConversation(db: Kysely<Database>, conversationRowId: number, limit: number): Promise<{
  party: string; name: string | null; company: string | null; action: 'agree' | 'disagree'; timeMs: number; messageExtId: string; details: string | null;
}[]> {
  const rows = await db
    .selectFrom('consent_events as ce')
    .innerJoin('conversations as c', 'c.source_id', 'ce.source_id')
    .innerJoin('persons as p', 'p.ext_id', 'ce.party')
    .innerJoin('conversation_members as cm', (j) => j.onRef('cm.person_id', '=', 'p.id').onRef('cm.conversation_id', '=', 'c.id'))
    .select(['ce.party', 'p.name', 'p.company', 'ce.action', 'ce.time_ms', 'ce.message_ext_id', 'ce.details'])
    .where('c.id', '=', conversationRowId)
    .orderBy('ce.time_ms', 'desc')
    .orderBy('ce.id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ party: r.party, name: r.name, company: r.company, action: r.action, timeMs: Number(r.time_ms), messageExtId: r.message_ext_id, details: r.details }));
}

// ---------------------------------------------------------------------------------------------
// Media missing from archived messages (migration 0016)

export type MissingMediaRow = Selectable<Database['missing_media']>;

/** Files an archived message names as missing; a file already listed for the message is left as it is. */
export async function addMissingMedia(db: Kysely<Database>, rows: readonly { sourceId: number; messageExtId: string; fileId: string; name: string; mime: string | null; md5sum: string | null; now: number }[]): Promise<void> {
  for (const r of rows) {
    await db.insertInto('missing_media')
      .values({ source_id: r.sourceId, message_ext_id: r.messageExtId, file_id: r.fileId, name: r.name, mime: r.mime, md5sum: r.md5sum, status: 'waiting', created_at: r.now, updated_at: r.now })
      .onConflict((oc) => oc.columns(['source_id', 'message_ext_id', 'file_id']).doNothing())
      .execute();
  }
}

export async function waitingMissingMedia(db: Kysely<Database>, sourceId: number, limit: number): Promise<MissingMediaRow[]> {
  return db.selectFrom('missing_media').selectAll().where('source_id', '=', sourceId).where('status', '=', 'waiting').orderBy('created_at').limit(limit).execute();
}

export async function updateMissingMedia(db: Kysely<Database>, row: Pick<MissingMediaRow, 'source_id' | 'message_ext_id' | 'file_id'>, set: { status?: MissingMediaRow['status']; attempts?: number; updated_at: number }): Promise<void> {
  await db.updateTable('missing_media').set(set).where('source_id', '=', row.source_id).where('message_ext_id', '=', row.message_ext_id).where('file_id', '=', row.file_id).execute();
}

export async function missingMediaCounts(db: Kysely<Database>, sourceId: number): Promise<Record<string, number>> {
  const rows = await db.selectFrom('missing_media').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('source_id', '=', sourceId).groupBy('status').execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
