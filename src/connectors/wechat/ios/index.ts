import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type Sqlite from 'better-sqlite3-multiple-ciphers';
import { fatalError, usageError } from '../../../errors.js';
import { hashedBackupError } from '../detect.js';
import type { ConnectorAttachment } from '../../../services/import-prepare.js';
import { mapWeChatContent, type WeChatContent } from '../message-content.js';
import {
  decodeProto, epochToMs, idString, md5Hex, missingColumns, openEachReadOnly, openReadOnly, protoString, quoteIdent, readFirstFile, sniffMime, splitGroupSender, sqliteReason, fileMedia, tooLargeToDecode, type FoundFile,
  tableNames, textOf, toNumber,
} from '../reader-kit.js';
import type { RowLocation, WeChatBadRow, WeChatImportOptions, WeChatItem, WeChatReader } from '../types.js';
import { voiceWithWav } from '../voice-media.js';
import { buildWeChatRecord, compositeId, isGroupTalker, rawRow } from '../wechat-record.js';
import { attr, child, children, parseWeChatXml, textOf as xmlText } from '../xml.js';

/**
 * `wechat-ios`: the WeChat folder of an (unencrypted, extracted) iOS backup (reference B.4,
 * WechatExporter's reading): `Documents/<md5(owner wxid)>/`, read-only and streamed.
 *
 *   DB/MM.sqlite (+ DB/message_N.sqlite)   one `Chat_<md5(talker)>` table per chat: MesLocalID, MesSvrID,
 *                                          CreateTime (epoch s), Message, Status, Type, Des (0 = sent by
 *                                          the owner, 1 = received)
 *   DB/WCDB_Contact.sqlite                 Friend(userName, dbContactRemark, dbContactChatRoom, type):
 *                                          dbContactRemark is a protobuf (1 nickname, 3 remark),
 *                                          dbContactChatRoom field 6 the room's `<RoomData><Member
 *                                          UserName=…><DisplayName>` XML (group nicknames)
 *   Audio/<md5(talker)>/<MesLocalID>.aud   voice (SILK)
 *   Img/<md5(talker)>/<MesLocalID>.pic     images (.pic_hd, then .pic; .pic_thum thumbnails are not taken)
 *   Video/<md5(talker)>/<MesLocalID>.mp4   videos
 *   OpenData/<md5(talker)>/<MesLocalID>.<ext>  files
 *
 * Group messages from others are prefixed `wxid:\n`. The owner's wxid is `--owner-wxid`, or the
 * Friend entry whose md5 is the user folder's name. Ids are `MesSvrID` (else a stable composite).
 */

const REQUIRED = ['MesLocalID', 'MesSvrID', 'CreateTime', 'Message', 'Type', 'Des'] as const;
const MESSAGE_DB = /^message_(\d+)\.sqlite$/i;

interface IosFile {
  path: string;
  label: string;
}

interface IosLayout {
  /** The user folder (`Documents/<md5>`), the root of locations and media. */
  userDir: string;
  messageDbs: IosFile[];
  contactDb: IosFile | undefined;
}

const isDir = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

function findLayout(path: string): IosLayout {
  const full = resolve(path);
  if (!existsSync(full)) throw usageError('import.path_missing', `${path}: no such file or folder`);
  if (existsSync(join(full, 'Manifest.db'))) {
    throw hashedBackupError(path);
  }
  let userDir: string | undefined;
  if (!isDir(full)) userDir = basename(dirname(full)) === 'DB' ? dirname(dirname(full)) : dirname(full);
  else if (existsSync(join(full, 'DB', 'MM.sqlite'))) userDir = full;
  else if (basename(full) === 'DB' && existsSync(join(full, 'MM.sqlite'))) userDir = dirname(full);
  else {
    // `Documents/` (or the app folder): exactly one user folder with a DB/MM.sqlite.
    const base = isDir(join(full, 'Documents')) ? join(full, 'Documents') : full;
    const users = readdirSync(base).filter((n) => /^[0-9a-f]{32}$/i.test(n) && existsSync(join(base, n, 'DB', 'MM.sqlite')));
    if (users.length > 1) throw usageError('import.ios_many_users', `${path}: holds ${users.length} WeChat accounts; point at one of them (${users.map((u) => join(relative(full, base), u)).join(', ')})`);
    if (users.length === 1) userDir = join(base, users[0]!);
  }
  if (userDir === undefined) throw usageError('import.not_ios', `${path}: no iOS WeChat database (DB/MM.sqlite) found`);
  const db = join(userDir, 'DB');
  const label = (p: string): string => relative(userDir, p) || basename(p);
  const messageDbs: IosFile[] = [];
  const mm = existsSync(join(db, 'MM.sqlite')) ? join(db, 'MM.sqlite') : !isDir(full) ? full : undefined;
  if (mm === undefined) throw usageError('import.not_ios', `${path}: no DB/MM.sqlite`);
  messageDbs.push({ path: mm, label: label(mm) });
  if (isDir(db)) {
    for (const n of readdirSync(db).filter((x) => MESSAGE_DB.test(x)).sort((a, b) => Number(MESSAGE_DB.exec(a)![1]) - Number(MESSAGE_DB.exec(b)![1]))) {
      messageDbs.push({ path: join(db, n), label: label(join(db, n)) });
    }
  }
  const contact = join(db, 'WCDB_Contact.sqlite');
  return { userDir, messageDbs, contactDb: existsSync(contact) ? { path: contact, label: label(contact) } : undefined };
}

interface Contacts {
  /** Remark, else nickname, by wxid. */
  names: Map<string, string>;
  /** Group nicknames: room → member → display name. */
  roomNames: Map<string, Map<string, string>>;
  problem?: string;
}

/** `dbContactRemark`: 1 nickname, 3 remark (the remark wins, reference C.7). */
function remarkName(v: unknown): string | undefined {
  if (!(v instanceof Uint8Array) || v.length === 0) return undefined;
  try {
    const f = decodeProto(Buffer.from(v.buffer, v.byteOffset, v.length));
    const remark = protoString(f, 3)?.trim();
    const nickname = protoString(f, 1)?.trim();
    return remark || nickname || undefined;
  } catch {
    return undefined;
  }
}

/** `dbContactChatRoom` field 6: `<RoomData><Member UserName="…"><DisplayName>…</DisplayName></Member>…`. */
function roomMembers(v: unknown): Map<string, string> | undefined {
  if (!(v instanceof Uint8Array) || v.length === 0) return undefined;
  let xml: string | undefined;
  try {
    xml = protoString(decodeProto(Buffer.from(v.buffer, v.byteOffset, v.length)), 6);
  } catch {
    return undefined;
  }
  if (!xml) return undefined;
  const parsed = parseWeChatXml(xml, 'dbContactChatRoom', 'room members');
  if (!parsed.ok) return undefined;
  const out = new Map<string, string>();
  for (const m of children(child(parsed.root, 'RoomData'), 'Member')) {
    const id = attr(m, 'UserName');
    const name = xmlText(child(m, 'DisplayName'));
    if (id && name) out.set(id, name);
  }
  return out;
}

function readContacts(layout: IosLayout): Contacts {
  const out: Contacts = { names: new Map(), roomNames: new Map() };
  if (!layout.contactDb) return { ...out, problem: 'no DB/WCDB_Contact.sqlite: names not available' };
  const { path, label } = layout.contactDb;
  let db: Sqlite.Database;
  try {
    db = openReadOnly(path, label);
  } catch (e) {
    return { ...out, problem: (e as Error).message };
  }
  try {
    if (!tableNames(db).includes('Friend')) return { ...out, problem: `${label}: no Friend table: names not available` };
    const missing = missingColumns(db, 'Friend', ['userName']);
    if (missing.length > 0) return { ...out, problem: `${label} table Friend: unexpected columns (no userName): names not available` };
    const has = (c: string): boolean => missingColumns(db, 'Friend', [c]).length === 0;
    const cols = ['userName', has('dbContactRemark') ? 'dbContactRemark' : 'NULL AS dbContactRemark', has('dbContactChatRoom') ? 'dbContactChatRoom' : 'NULL AS dbContactChatRoom'];
    for (const r of db.prepare(`SELECT ${cols.join(', ')} FROM Friend`).iterate() as IterableIterator<Record<string, unknown>>) {
      const id = textOf(r.userName);
      if (!id) continue;
      const name = remarkName(r.dbContactRemark);
      if (name) out.names.set(id, name);
      if (isGroupTalker(id)) {
        const members = roomMembers(r.dbContactChatRoom);
        if (members && members.size > 0) out.roomNames.set(id, members);
      }
    }
    return out;
  } catch (e) {
    return { ...out, problem: `${label} table Friend: ${sqliteReason(e)}: names may be incomplete` };
  } finally {
    db.close();
  }
}

interface ChatTable {
  file: IosFile;
  db: Sqlite.Database;
  table: string;
  hash: string;
  talker: string | undefined;
  rows: number;
  problem?: string;
}

export async function openIosReader(options: WeChatImportOptions): Promise<WeChatReader> {
  const layout = findLayout(options.path);
  const opened: Sqlite.Database[] = [];
  const close = (): void => {
    for (const db of opened.splice(0)) db.close();
  };
  try {
    // A message database that cannot be opened is one bad item; the others are read.
    const { dbs, unreadable } = openEachReadOnly(layout.messageDbs, opened);
    const contacts = readContacts(layout);
    const folderHash = basename(layout.userDir).toLowerCase();
    let owner = options.ownerWxid?.trim();
    if (!owner) owner = [...contacts.names.keys()].find((id) => md5Hex(id) === folderHash);
    if (!owner) {
      throw usageError('import.owner_unknown', `${options.path}: cannot tell the account owner's wxid (no contact hashes to the user folder's name); pass --owner-wxid`);
    }
    const byHash = new Map<string, string>();
    for (const id of [...contacts.names.keys(), ...contacts.roomNames.keys(), owner]) byHash.set(md5Hex(id), id);
    const tables: ChatTable[] = [];
    dbs.forEach(({ file, db }) => {
      for (const table of tableNames(db)) {
        const m = /^Chat_([0-9a-f]{32})$/i.exec(table);
        if (!m) continue;
        const hash = m[1]!.toLowerCase();
        const t: ChatTable = { file, db, table, hash, talker: byHash.get(hash), rows: 0 };
        const missing = missingColumns(db, table, REQUIRED);
        if (missing.length > 0) t.problem = `unexpected columns: no ${missing.join(', ')}; the table is not imported`;
        try {
          t.rows = Number(db.prepare(`SELECT count(*) FROM ${quoteIdent(table)}`).pluck().get());
        } catch {
          // Unreadable pages: read what can be read; the read error is reported where it happens.
          t.rows = 0;
        }
        tables.push(t);
      }
    });
    if (tables.length === 0 && tableNames(dbs[0]!.db).length === 0) throw fatalError('wechat.ios_empty', `${dbs[0]!.file.label}: no tables (an empty MM.sqlite)`);
    const total = tables.reduce((n, t) => n + t.rows, 0);
    const unresolved = tables.filter((t) => t.talker === undefined).length;
    const ownerWxid = owner;
    const describe = (): string =>
      [
        `iOS WeChat: ${layout.messageDbs.map((f) => f.label).join(', ')}, ${tables.length} chat(s), ${total.toLocaleString('en')} messages`,
        unreadable.length > 0 ? `${unreadable.length} message database(s) unreadable` : undefined,
        contacts.problem ?? `${contacts.names.size} contacts`,
        options.ownerWxid ? undefined : `owner ${ownerWxid} (the contact whose md5 names the user folder)`,
        unresolved > 0 ? `${unresolved} table(s) whose chat is unknown` : undefined,
      ].filter((s): s is string => s !== undefined).join('; ');
    const ctx: ReadContext = { layout, owner: ownerWxid, options, contacts };
    return {
      format: 'wechat-ios',
      ownerWxid,
      describe,
      totalRows: () => total + unreadable.length,
      items: () => readItems(tables, ctx, unreadable),
      close,
    };
  } catch (e) {
    close();
    throw e;
  }
}

interface ReadContext {
  layout: IosLayout;
  owner: string;
  options: WeChatImportOptions;
  contacts: Contacts;
}

async function* readItems(tables: readonly ChatTable[], ctx: ReadContext, unreadable: readonly WeChatBadRow[]): AsyncGenerator<WeChatItem> {
  yield* unreadable;
  for (const t of tables) {
    const talker = t.talker ?? t.table;
    const conversation = { id: talker, type: isGroupTalker(talker) ? ('group' as const) : ('direct' as const), title: ctx.contacts.names.get(talker) };
    if (t.problem) {
      yield { kind: 'bad', location: { file: t.file.label, table: t.table }, reason: t.problem, conversation };
      continue;
    }
    let last: unknown;
    try {
      const rows = t.db.prepare(`SELECT * FROM ${quoteIdent(t.table)} ORDER BY rowid`).safeIntegers(true).iterate() as IterableIterator<Record<string, unknown>>;
      for (const row of rows) {
        last = row.MesLocalID;
        yield await rowItem(t, talker, conversation, row, ctx);
      }
    } catch (e) {
      const where = last === undefined ? 'before the first row' : `after row ${String(last)}`;
      yield { kind: 'bad', location: { file: t.file.label, table: t.table }, reason: `read error ${where}: ${sqliteReason(e)}; the rest of the table is not imported`, conversation };
    }
  }
}

async function rowItem(
  t: ChatTable, talker: string, conversation: { id: string; type: 'direct' | 'group'; title: string | undefined }, row: Record<string, unknown>, ctx: ReadContext,
): Promise<WeChatItem> {
  const localId = toNumber(row.MesLocalID);
  const location: RowLocation = { file: t.file.label, table: t.table, row: localId };
  const raw = rawRow(row);
  const bad = (reason: string): WeChatItem => ({ kind: 'bad', location, reason, content: JSON.stringify(raw), conversation });
  if (localId === undefined) return bad('column MesLocalID: not an integer');
  const type = toNumber(row.Type);
  if (type === undefined || !Number.isInteger(type)) return bad('column Type: not an integer');
  const des = toNumber(row.Des);
  if (des !== 0 && des !== 1) return bad('column Des: not 0 or 1');
  const created = toNumber(row.CreateTime);
  if (created === undefined || created <= 0) return bad('column CreateTime: not a positive epoch');
  const timeMs = epochToMs(created);
  let content = textOf(row.Message) ?? '';
  const isGroup = conversation.type === 'group';
  const isSender = des === 0;
  let sender = isSender ? ctx.owner : talker;
  if (isGroup && !isSender) {
    const split = splitGroupSender(content);
    if (split) {
      sender = split.sender;
      content = split.body;
    } else sender = talker; // a notice of the room itself
  }
  const mapped = mapWeChatContent({ type, subType: 0, content, isGroup });
  if (mapped.problems.length > 0) return bad(mapped.problems.join('; '));
  const serverId = idString(row.MesSvrID);
  const id = serverId ?? compositeId(['wechat-ios', talker, String(localId), String(created)]);
  const got = await mediaOf(mapped, { hash: t.hash, localId }, ctx);
  const name = (id: string): string | undefined => ctx.contacts.names.get(id) ?? ctx.contacts.roomNames.get(talker)?.get(id);
  const record = buildWeChatRecord({
    ownerWxid: ctx.owner,
    custodian: ctx.options.custodian,
    id,
    timeMs,
    talker,
    isGroup,
    title: conversation.title,
    isSender,
    from: { id: sender, name: name(sender) },
    to: isGroup ? undefined : isSender ? { id: talker, name: conversation.title } : { id: ctx.owner, name: name(ctx.owner) },
    mapped,
    wechat: { format: 'wechat-ios', type, des, serverId, localId, status: toNumber(row.Status), talker, database: t.file.label, table: t.table },
    notes: got.notes,
    raw,
  });
  return { kind: 'message', record, media: got.media, missingMedia: got.missing, location };
}

async function mediaOf(mapped: WeChatContent, m: { hash: string; localId: number }, ctx: ReadContext): Promise<{ media: ConnectorAttachment[]; missing: string[]; notes: string[] }> {
  const out = { media: [] as ConnectorAttachment[], missing: [] as string[], notes: [] as string[] };
  const kind = mapped.mediaHints.kind;
  if (kind === undefined || kind === 'emoji') return out;
  const dir = (folder: string): string => join(ctx.layout.userDir, folder, m.hash);
  const rel = (folder: string, name: string): string => `${folder}/${m.hash}/${name}`;
  /** A file to decode (image): its bytes, or missing. */
  const take = (found: FoundFile | undefined, expected: string, use: (data: Buffer) => void): void => {
    if (!found) out.missing.push(expected);
    else if ('large' in found) out.missing.push(tooLargeToDecode(expected));
    else use(found.data);
  };
  /** A video or document: attached in memory or, when large, by path. */
  const attach = (found: FoundFile | undefined, expected: string, name: string, fallbackMime?: string): void => {
    if (!found) out.missing.push(expected);
    else out.media.push(fileMedia(found, name, fallbackMime));
  };
  if (kind === 'voice') {
    const found = readFirstFile([join(dir('Audio'), `${m.localId}.aud`)]);
    if (!found) out.missing.push(`voice ${rel('Audio', `${m.localId}.aud`)}`);
    else if ('large' in found) out.missing.push(tooLargeToDecode(`voice ${rel('Audio', `${m.localId}.aud`)}`));
    else {
      const voice = await voiceWithWav(found.data, `voice-${m.localId}`);
      out.media.push(...voice.media);
      if (voice.wavProblem) out.notes.push(voice.wavProblem);
    }
  } else if (kind === 'image') {
    take(readFirstFile([join(dir('Img'), `${m.localId}.pic_hd`), join(dir('Img'), `${m.localId}.pic`)]), `image ${rel('Img', `${m.localId}.pic`)}`, (data) => {
      const mime = sniffMime(data);
      out.media.push({ name: `image-${m.localId}.${mime === 'image/png' ? 'png' : mime === 'image/gif' ? 'gif' : mime === 'image/webp' ? 'webp' : 'jpg'}`, mime: mime ?? 'image/jpeg', data });
    });
  } else if (kind === 'video') {
    attach(readFirstFile([join(dir('Video'), `${m.localId}.mp4`)]), `video ${rel('Video', `${m.localId}.mp4`)}`, `video-${m.localId}.mp4`, 'video/mp4');
  } else {
    const ext = mapped.mediaHints.fileExt?.replace(/[^\w.-]/g, '');
    const candidates = ext ? [join(dir('OpenData'), `${m.localId}.${ext}`)] : [];
    const name = mapped.mediaHints.fileName && !/[\\/]/.test(mapped.mediaHints.fileName) ? mapped.mediaHints.fileName : `file-${m.localId}${ext ? `.${ext}` : ''}`;
    attach(readFirstFile(candidates), `file ${rel('OpenData', `${m.localId}${ext ? `.${ext}` : ''}`)}`, name);
  }
  return out;
}
