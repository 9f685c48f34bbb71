import type { Context } from '../../context.js';
import { createWeComDirectoryClient, isWeComApiError, type WeComDirectoryClient } from '../../connectors/wecom/directory-api.js';
import { groupConversationIds, setConversationTitle, upsertDirectoryPersons, type DirectoryPerson } from '../../repositories/directory.js';
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
 */

export interface DirectorySyncSummary {
  source: string;
  members: number;
  externalContacts: number;
  rooms: number;
  skipped: string[];
  archivedUsers: number | undefined;
}

export type DirectoryClientFactory = (source: WeComSource, secret: string) => WeComDirectoryClient;

export const defaultDirectoryClient: DirectoryClientFactory = (source, secret) =>
  createWeComDirectoryClient({ corpId: source.config.corpId, secret, ...(source.config.apiBase ? { baseUrl: source.config.apiBase } : {}) });

export async function syncWeComDirectory(ctx: Context, name: string, clientFor: DirectoryClientFactory = defaultDirectoryClient): Promise<DirectorySyncSummary> {
  const source = await loadWeComSource(ctx, name);
  const now = ctx.clock.now();
  const summary: DirectorySyncSummary = { source: source.name, members: 0, externalContacts: 0, rooms: 0, skipped: [], archivedUsers: undefined };
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
        people.push({ extId: u.userId, name: u.name, kind: 'member', departments: u.departmentIds.map((id) => departments.get(id) ?? String(id)), position: u.position, company: undefined });
      }
    }
    summary.members = seen.size;
  } else summary.skipped.push('members and departments (no --contacts-secret-file)');

  const customerSecret = source.secrets.customerSecret;
  if (customerSecret && memberIds.length > 0) {
    const customers = clientFor(source, customerSecret);
    const seen = new Set<string>();
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
        if (seen.has(extId)) continue;
        seen.add(extId);
        const c = await customers.getExternalContact(extId);
        people.push({ extId: c.externalUserId, name: c.name, kind: 'external', departments: [], position: c.position, company: c.corpFullName ?? c.corpName });
      }
    }
    summary.externalContacts = seen.size;
    if (withoutPermission > 0) summary.skipped.push(`external contacts of ${withoutPermission} member(s) without the customer-contact permission`);
  } else summary.skipped.push('external contacts (no --customer-secret-file, or no members)');

  const archive = clientFor(source, source.secrets.secret);
  summary.archivedUsers = (await archive.listPermitUsers()).length;
  const titles: [string, string][] = [];
  for (const roomId of await groupConversationIds(ctx.db, source.sourceId)) {
    const room = await archive.getRoom(roomId);
    if (room.name) titles.push([roomId, room.name]);
  }

  await ctx.db.transaction().execute(async (trx) => {
    await upsertDirectoryPersons(trx, people, now);
    for (const [roomId, title] of titles) await setConversationTitle(trx, source.sourceId, roomId, title);
    summary.rooms = titles.length;
    await appendAudit(ctx, trx, { action: 'source.directory_synced', subject: `source:${source.name}`, details: { members: summary.members, externalContacts: summary.externalContacts, rooms: summary.rooms, archivedUsers: summary.archivedUsers ?? null } });
  });
  return summary;
}
