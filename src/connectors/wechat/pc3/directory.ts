import type Sqlite from 'better-sqlite3-multiple-ciphers';
import { columnsOf, tableNames } from '../reader-kit.js';

/**
 * Names from PC 3.x `MicroMsg.db` (reference B.1): `Contact(UserName, Remark, NickName, …)` and
 * `ChatRoom(ChatRoomName, UserNameList, DisplayNameList, Reserved2)`
 * (`UserNameList` and `DisplayNameList` are split on the ^G character, `Reserved2` is the owner).
 * A person's name is Remark > NickName > their nickname in the group (for members who are not
 * contacts); a group's title is its Contact entry's Remark > NickName.
 * Read once into memory (contacts number in the thousands, not millions).
 */

export interface Pc3Directory {
  /** The display name of a wxid or a group, when known. */
  nameOf(id: string): string | undefined;
  /** The member's nickname in that group, when known. */
  groupNickname(room: string, wxid: string): string | undefined;
  ownerOf(room: string): string | undefined;
  readonly contacts: number;
  readonly rooms: number;
}

export const EMPTY_DIRECTORY: Pc3Directory = { nameOf: () => undefined, groupNickname: () => undefined, ownerOf: () => undefined, contacts: 0, rooms: 0 };

const has = (cols: readonly string[], name: string): boolean => cols.some((c) => c.toLowerCase() === name.toLowerCase());
const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

/** Reads Contact and ChatRoom; a missing table or column only means fewer names. */
export function loadPc3Directory(db: Sqlite.Database): Pc3Directory {
  const tables = new Set(tableNames(db).map((t) => t.toLowerCase()));
  const names = new Map<string, string>();
  const nicknames = new Map<string, Map<string, string>>();
  const owners = new Map<string, string>();
  if (tables.has('contact')) {
    const cols = columnsOf(db, 'Contact');
    if (has(cols, 'UserName')) {
      const pick = ['Remark', 'NickName'].filter((c) => has(cols, c));
      const sql = `SELECT UserName AS id${pick.map((c) => `, ${c} AS ${c.toLowerCase()}`).join('')} FROM Contact`;
      for (const r of db.prepare(sql).iterate() as Iterable<{ id: unknown; remark?: unknown; nickname?: unknown }>) {
        const id = nonEmpty(r.id);
        const name = nonEmpty(r.remark) ?? nonEmpty(r.nickname);
        if (id !== undefined && name !== undefined) names.set(id, name);
      }
    }
  }
  if (tables.has('chatroom')) {
    const cols = columnsOf(db, 'ChatRoom');
    if (has(cols, 'ChatRoomName')) {
      const list = has(cols, 'UserNameList') && has(cols, 'DisplayNameList');
      const owner = has(cols, 'Reserved2');
      const sql = `SELECT ChatRoomName AS room${list ? ', UserNameList AS users, DisplayNameList AS nicks' : ''}${owner ? ', Reserved2 AS owner' : ''} FROM ChatRoom`;
      for (const r of db.prepare(sql).iterate() as Iterable<{ room: unknown; users?: unknown; nicks?: unknown; owner?: unknown }>) {
        const room = nonEmpty(r.room);
        if (room === undefined) continue;
        const o = nonEmpty(r.owner);
        if (o !== undefined) owners.set(room, o);
        const users = nonEmpty(r.users)?.split('\u0007') ?? [];
        const nicks = nonEmpty(r.nicks)?.split('\u0007') ?? [];
        const map = new Map<string, string>();
        users.forEach((u, i) => {
          const n = nicks[i];
          if (u !== '' && n !== undefined && n.trim() !== '') map.set(u, n);
        });
        if (map.size > 0) nicknames.set(room, map);
      }
    }
  }
  return {
    nameOf: (id) => names.get(id),
    groupNickname: (room, wxid) => nicknames.get(room)?.get(wxid),
    ownerOf: (room) => owners.get(room),
    contacts: names.size,
    rooms: Math.max(nicknames.size, owners.size),
  };
}
