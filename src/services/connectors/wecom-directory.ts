import type { Context } from '../../context.js';
import { createWeComDirectoryClient, isWeComApiError, type ConsentPair, type ConsentStatus, type WeComDirectoryClient } from '../../connectors/wecom/directory-api.js';
import { conversationMembersOfKind, groupConversationIds, setConversationTitle, upsertDirectoryPersons, type DirectoryPerson } from '../../repositories/directory.js';
import { recordConsent } from '../../repositories/source-settings.js';
import { appendAudit } from '../audit.js';
import { loadWeComSource, type WeComSource } from './wecom-source.js';

/**
 * Directory sync of a WeCom source: corp members (names, departments, positions), their external
 * contacts (names, companies) and the titles of archived group chats, so that names and room
 * titles show in search and the console. Persons keep their WeCom ids, which are the ids messages
 * carry, so they are the same person across sources. Members and departments need the Contacts
 * secret (`--contacts-secret-file`) and external contacts the Customer-Contact secret
 * (`--customer-secret-file`); room titles use the chat-archive secret. What a secret is missing
 * for is skipped and reported.
 *
 * Consent: recording external parties lawfully depends on their agreement, so the sync also asks
 * WeCom for the current consent status (chat-archive secret) of every 1:1 conversation between a
 * member and an external contact (`check_single_agree`, 100 pairs a call) and of the external
 * members of every archived room (`check_room_agree`), and writes each status into the consent
 * ledger next to the agree/disagree events the messages carry: one entry per status and change
 * time (a repeated sync adds nothing new), `Default_Agree` as `agree` with the status in its details.
 */

export interface DirectorySyncSummary {
  source: string;
  members: number;
  externalContacts: number;
  rooms: number;
  skipped: string[];
  archivedUsers: number | undefined;
  /** Consent statuses WeCom reported: pairs and rooms asked, statuses written to the ledger (new ones), of which refusals, and statuses WeCom gave that are not agree/disagree. */
  consent: { pairs: number; rooms: number; recorded: number; disagree: number; unknown: number };
}

/** WeCom external ids (customers `wm…`/`wo…`); used when the directory has not classified the person. */
const looksExternal = (id: string): boolean => /^w[mo][A-Za-z0-9_-]{6,}$/u.test(id);

export type DirectoryClientFactory = (source: WeComSource, secret: string) => WeComDirectoryClient;

export const defaultDirectoryClient: DirectoryClientFactory = (source, secret) =>
  createWeComDirectoryClient({ corpId: source.config.corpId, secret, ...(source.config.apiBase ? { baseUrl: source.config.apiBase } : {}) });

export async function syncWeComDirectory(ctx: Context, name: string, clientFor: DirectoryClientFactory = defaultDirectoryClient): Promise<DirectorySyncSummary> {
  const source = await loadWeComSource(ctx, name);
  const now = ctx.clock.now();
  const summary: DirectorySyncSummary = {
    source: source.name, members: 0, externalContacts: 0, rooms: 0, skipped: [], archivedUsers: undefined, consent: { pairs: 0, rooms: 0, recorded: 0, disagree: 0, unknown: 0 },
  };
  const people: DirectoryPerson[] = [];

  const contactsSecret = source.secrets.contactsSecret;
  const memberIds: string[] = [];
  if (contactsSecret) {
    const contacts = clientFor(source, contactsSecret);
    const departments = new Map((await contacts.listDepartments()).map((d) => [d.id, d.name ?? String(d.id)]));
    const seen = new Set<string>();
    for (const deptId of departments.keys()) {
      for (const u of await contacts.listDepartmentUsers(deptId)) {
        if (seen.has(u.userId)) continue;
        seen.add(u.userId);
        memberIds.push(u.userId);
        people.push({ extId: u.userId, name: u.name, kind: 'member', departments: u.departmentIds.map((id) => departments.get(id) ?? String(id)), position: u.position, company: undefined, email: u.email });
      }
    }
    summary.members = seen.size;
  } else summary.skipped.push('members and departments (no --contacts-secret-file)');

  const customerSecret = source.secrets.customerSecret;
  if (customerSecret && memberIds.length > 0) {
    const customers = clientFor(source, customerSecret);
    const seen = new Set<string>();
    const unreadable = new Set<string>();
    let withoutPermission = 0;
    for (const userId of memberIds) {
      let ids: string[];
      try {
        ids = await customers.listExternalContactIds(userId);
      } catch (e) {
        // Members without the customer-contact permission (or who left) answer with an errcode: skip them.
        if (!isWeComApiError(e)) throw e;
        withoutPermission++;
        continue;
      }
      for (const extId of ids) {
        if (seen.has(extId) || unreadable.has(extId)) continue;
        let c;
        try {
          c = await customers.getExternalContact(extId);
        } catch (e) {
          // Listed but not readable (deleted meanwhile, or not this app's to read): skipped, the rest goes on.
          if (!isWeComApiError(e)) throw e;
          unreadable.add(extId);
          continue;
        }
        seen.add(extId);
        people.push({ extId: c.externalUserId, name: c.name, kind: 'external', departments: [], position: c.position, company: c.corpFullName ?? c.corpName });
      }
    }
    summary.externalContacts = seen.size;
    if (unreadable.size > 0) summary.skipped.push(`${unreadable.size} external contact(s) WeCom listed but gave no details for`);
    if (withoutPermission > 0) summary.skipped.push(`external contacts of ${withoutPermission} member(s) without the customer-contact permission`);
  } else summary.skipped.push('external contacts (no --customer-secret-file, or no members)');

  const archive = clientFor(source, source.secrets.secret);
  summary.archivedUsers = (await archive.listPermitUsers()).length;
  const titles: [string, string][] = [];
  const roomIds = await groupConversationIds(ctx.db, source.sourceId);
  let untitled = 0;
  for (const roomId of roomIds) {
    let room;
    try {
      room = await archive.getRoom(roomId);
    } catch (e) {
      // A room this API does not serve (a customer group, or one WeCom no longer knows) keeps its id: the rest goes on.
      if (!isWeComApiError(e)) throw e;
      untitled++;
      continue;
    }
    if (room.name) titles.push([roomId, room.name]);
  }
  if (untitled > 0) summary.skipped.push(`titles of ${untitled} room(s) WeCom gave no details for`);

  const statuses = await consentStatuses(ctx, archive, source.sourceId, people, summary);

  await ctx.db.transaction().execute(async (trx) => {
    await upsertDirectoryPersons(trx, people, now);
    for (const [roomId, title] of titles) await setConversationTitle(trx, source.sourceId, roomId, title);
    summary.rooms = titles.length;
    for (const { status: st, via, conversation } of statuses) {
      if (st.state === 'unknown') {
        summary.consent.unknown++;
        continue;
      }
      const changedAt = st.changedAt ?? null;
      const added = await recordConsent(trx, {
        sourceId: source.sourceId,
        // One ledger entry per status and change: a repeated sync finds it there already.
        messageExtId: `status:${via}:${conversation}:${st.userId ?? ''}:${st.externalOpenId}:${st.rawStatus}:${changedAt ?? '-'}`,
        party: st.externalOpenId,
        action: st.state === 'disagree' ? 'disagree' : 'agree',
        timeMs: changedAt ?? now,
        details: JSON.stringify({ conversation, via, status: st.rawStatus, ...(st.userId ? { counterparts: [st.userId] } : {}), ...(changedAt === null ? { checkedAt: now } : {}) }),
      });
      if (added) {
        summary.consent.recorded++;
        if (st.state === 'disagree') summary.consent.disagree++;
      }
    }
    await appendAudit(ctx, trx, { action: 'source.directory_synced', subject: `source:${source.name}`, details: { members: summary.members, externalContacts: summary.externalContacts, rooms: summary.rooms, archivedUsers: summary.archivedUsers ?? null, consent: summary.consent } });
  });
  return summary;
}

type StatusEntry = { status: ConsentStatus; via: 'check_single_agree' | 'check_room_agree'; conversation: string };

/**
 * WeCom's consent status of the archived 1:1 chats between a member and an external contact
 * (`check_single_agree`) and of the archived rooms with an external member (`check_room_agree`).
 * A person's kind comes from this sync's directory, else from the archive, else from the shape of the id.
 */
async function consentStatuses(ctx: Context, archive: WeComDirectoryClient, sourceId: number, people: readonly DirectoryPerson[], summary: DirectorySyncSummary): Promise<StatusEntry[]> {
  const kinds = new Map<string, string | null>(people.map((p) => [p.extId, p.kind ?? null]));
  const isExternal = (p: { extId: string; kind: string | null }): boolean => {
    const kind = kinds.get(p.extId) ?? p.kind;
    return kind === 'external' || (kind === null && looksExternal(p.extId));
  };
  const pairs: (ConsentPair & { conversation: string })[] = [];
  for (const c of await conversationMembersOfKind(ctx.db, sourceId, 'direct')) {
    const external = c.persons.filter(isExternal);
    const internal = c.persons.filter((p) => !isExternal(p));
    if (external.length === 1 && internal.length === 1) pairs.push({ userId: internal[0]!.extId, externalOpenId: external[0]!.extId, conversation: c.conversation });
  }
  const statuses: StatusEntry[] = [];
  if (pairs.length > 0) {
    const conversationOf = new Map(pairs.map((p) => [`${p.userId}|${p.externalOpenId}`, p.conversation]));
    for (const st of await archive.checkSingleAgree(pairs.map(({ userId, externalOpenId }) => ({ userId, externalOpenId })))) {
      statuses.push({ status: st, via: 'check_single_agree', conversation: conversationOf.get(`${st.userId ?? ''}|${st.externalOpenId}`) ?? '' });
    }
  }
  summary.consent.pairs = pairs.length;
  let roomsWithout = 0;
  // Only rooms with an external member have consent to check (an internal room answers with an error).
  const rooms = (await conversationMembersOfKind(ctx.db, sourceId, 'group')).filter((c) => c.persons.some(isExternal)).map((c) => c.conversation);
  for (const roomId of rooms) {
    try {
      for (const st of await archive.checkRoomAgree(roomId)) statuses.push({ status: st, via: 'check_room_agree', conversation: roomId });
      summary.consent.rooms++;
    } catch (e) {
      // A room WeCom no longer knows answers with an errcode.
      if (!isWeComApiError(e)) throw e;
      roomsWithout++;
    }
  }
  if (roomsWithout > 0) summary.skipped.push(`consent of ${roomsWithout} room(s) WeCom gave no status for`);
  return statuses;
}
