import type Sqlite from 'better-sqlite3-multiple-ciphers';
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fatalError, usageError } from '../../../errors.js';
import { mapWeChatContent } from '../message-content.js';
import { columnsOf, epochToMs, idString, missingColumns, splitGroupSender, sqliteReason, tableNames } from '../reader-kit.js';
import type { RowLocation, WeChatBadRow, WeChatImportOptions, WeChatItem, WeChatReader } from '../types.js';
import { buildWeChatRecord, compositeId, isGroupTalker, rawRow, type WeChatPerson, type WeChatRowFacts } from '../wechat-record.js';
import { openEnMicroMsg } from './database.js';
import { AndroidMedia, loadBigImagePaths } from './media.js';
import { androidMessageType } from './message-types.js';

/**
 * Android WeChat (format `wechat-android`): `EnMicroMsg.db` (SQLCipher 1, key from IMEI + uin, see
 * database.ts) and the media folders next to it (media.ts). Reference B.3.
 *
 * Rows: `message` ordered by (createTime, msgId), read with one prepared statement. `createTime` is
 * in ms; `isSend` = the owner; `talker` the conversation; received group messages carry the sender
 * as a `wxid:\n` prefix of `content` (split off; a voice row's `wxid:<ms>:<flag>` form too). Large
 * Android-only type numbers are mapped to PC's (message-types.ts). `id` = `msgSvrId`, or a
 * composite as for PC 3.x when it is 0. Names: `rcontact` conRemark > nickname; the owner from
 * `userinfo` (id 2) unless `--owner-wxid` says otherwise. Bad rows name file, table, msgId, column.
 * A wrong key, a missing `message` table or column, or a damaged file are errors naming the file.
 */

const MESSAGE_REQUIRED = ['msgId', 'msgSvrId', 'type', 'isSend', 'createTime', 'talker', 'content'] as const;
const MAX_SEARCH_DEPTH = 3;

type Row = { [column: string]: unknown };

/** The EnMicroMsg.db the user means: the file itself, or the only one in the folder (a few levels down). */
function findDatabase(path: string): string {
  const full = resolve(path);
  let st;
  try {
    st = statSync(full);
  } catch {
    throw usageError('import.path_missing', `${path}: no such file or folder`);
  }
  if (st.isFile()) return full;
  const found: string[] = [];
  let queue = [full];
  for (let depth = 0; depth <= MAX_SEARCH_DEPTH && queue.length > 0 && found.length === 0; depth++) {
    const next: string[] = [];
    for (const dir of queue) {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        if (e.isFile() && /^EnMicroMsg\.db$/i.test(e.name)) found.push(join(dir, e.name));
        else if (e.isDirectory() && !['image2', 'voice2', 'video', 'attachment', 'Download'].includes(e.name)) next.push(join(dir, e.name));
      }
    }
    queue = next;
  }
  if (found.length === 0) throw usageError('wechat.android_no_database', `${path}: no EnMicroMsg.db found here`);
  if (found.length > 1) throw usageError('wechat.android_ambiguous', `${path}: holds ${found.length} EnMicroMsg.db files (one per account); pass the one to import`);
  return found[0]!;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : '');
const int = (v: unknown): number | undefined => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' && Number.isInteger(v) ? v : undefined);
const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
const has = (cols: readonly string[], c: string): boolean => cols.some((x) => x.toLowerCase() === c.toLowerCase());

export function openAndroidReader(options: WeChatImportOptions): WeChatReader {
  const file = findDatabase(options.path);
  const label = relative(resolve(options.path), file) || basename(file);
  const { db, encrypted } = openEnMicroMsg(file, label, options);
  try {
    const tables = new Set(tableNames(db).map((t) => t.toLowerCase()));
    if (!tables.has('message')) throw fatalError('wechat.table_missing', `${label}: no table message (not an Android WeChat database?)`);
    const lacking = missingColumns(db, 'message', MESSAGE_REQUIRED);
    if (lacking.length > 0) {
      throw fatalError('wechat.table_unexpected', `${label}: table message lacks column${lacking.length === 1 ? '' : 's'} ${lacking.join(', ')} (not an Android WeChat database, or a version WeKeep does not know)`);
    }
    const names = tables.has('rcontact') ? loadNames(db) : new Map<string, string>();
    const owner = options.ownerWxid ?? (tables.has('userinfo') ? ownerOf(db) : undefined);
    if (owner === undefined) throw usageError('wechat.owner_unknown', `${label}: the database does not say whose account it is (no userinfo id 2); pass --owner-wxid`);
    const bigImages = tables.has('imginfo2') && has(columnsOf(db, 'ImgInfo2'), 'bigImgPath') ? loadBigImagePaths(db) : new Map<string, string>();
    let rows = 0;
    try {
      rows = (db.prepare('SELECT count(*) AS n FROM message').get() as { n: number }).n;
    } catch {
      // damage is reported when the rows are read
    }
    return new AndroidReader(options, db, label, owner, names, new AndroidMedia(dirname(file), bigImages), rows, encrypted);
  } catch (e) {
    db.close();
    if (e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code.startsWith('SQLITE_')) {
      throw fatalError('wechat.database_unreadable', `${label}: ${sqliteReason(e)}`, e);
    }
    throw e;
  }
}

function loadNames(db: Sqlite.Database): Map<string, string> {
  const cols = columnsOf(db, 'rcontact');
  const names = new Map<string, string>();
  if (!has(cols, 'username')) return names;
  const pick = ['conRemark', 'nickname'].filter((c) => has(cols, c));
  const sql = `SELECT username AS id${pick.map((c) => `, ${c} AS ${c.toLowerCase()}`).join('')} FROM rcontact`;
  for (const r of db.prepare(sql).iterate() as Iterable<{ id: unknown; conremark?: unknown; nickname?: unknown }>) {
    const id = nonEmpty(r.id);
    const name = nonEmpty(r.conremark) ?? nonEmpty(r.nickname);
    if (id !== undefined && name !== undefined) names.set(id, name);
  }
  return names;
}

function ownerOf(db: Sqlite.Database): string | undefined {
  try {
    const r = db.prepare('SELECT value FROM userinfo WHERE id = 2').get() as { value: unknown } | undefined;
    return nonEmpty(r?.value);
  } catch {
    return undefined;
  }
}

/** A row that cannot be archived: where, why, the row itself, and its chat when known. */
function badRow(location: RowLocation, reason: string, row: Row, talker: string, title: string | undefined): WeChatBadRow {
  const out: WeChatBadRow = { kind: 'bad', location, reason, content: JSON.stringify(rawRow(row)) };
  if (talker !== '') out.conversation = { id: talker, type: isGroupTalker(talker) ? 'group' : 'direct', ...(title === undefined ? {} : { title }) };
  return out;
}

/** Android's voice rows in groups: `<sender>:<length ms>:<flag>` (no newline). */
const VOICE_SENDER = /^([^\s:]{1,64}):\d+:\d+/;

class AndroidReader implements WeChatReader {
  readonly format = 'wechat-android' as const;
  private compositeSecond: number | undefined;
  private readonly compositeSeen = new Map<string, number>();

  constructor(
    private readonly options: WeChatImportOptions,
    private readonly db: Sqlite.Database,
    private readonly label: string,
    readonly ownerWxid: string,
    private readonly names: ReadonlyMap<string, string>,
    private readonly media: AndroidMedia,
    private readonly rows: number,
    private readonly encrypted: boolean,
  ) {}

  describe(): string {
    return `Android WeChat: ${this.label} (${this.encrypted ? 'SQLCipher, key accepted' : 'not encrypted'}), ${this.rows.toLocaleString('en-US')} messages, ${this.names.size} names`;
  }

  totalRows(): number {
    return this.rows;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  async *items(): AsyncGenerator<WeChatItem> {
    this.compositeSecond = undefined;
    this.compositeSeen.clear();
    const it = this.db.prepare('SELECT * FROM message ORDER BY createTime, msgId').safeIntegers(true).iterate() as Iterator<Row>;
    let read = 0;
    try {
      for (;;) {
        let next: IteratorResult<Row>;
        try {
          next = it.next();
        } catch (e) {
          yield { kind: 'bad', location: { file: this.label, table: 'message' }, reason: `${this.label}: table message: ${sqliteReason(e)}; reading stopped after ${read} of ${this.rows} rows` };
          return;
        }
        if (next.done === true) return;
        read++;
        const item = this.itemOf(next.value);
        yield item instanceof Promise ? await item : item;
      }
    } finally {
      it.return?.();
    }
  }

  private itemOf(row: Row): WeChatItem | Promise<WeChatItem> {
    const msgId = int(row.msgId);
    const location: RowLocation = { file: this.label, table: 'message', row: msgId };
    const talker = str(row.talker);
    const isGroup = isGroupTalker(talker);
    const title = this.names.get(talker);
    const bad = (reason: string): WeChatBadRow => badRow(location, reason, row, talker, title);

    const androidType = int(row.type);
    const createTime = int(row.createTime);
    if (talker === '') return bad('talker: empty (no conversation)');
    if (androidType === undefined) return bad('type: not an integer');
    if (createTime === undefined || createTime <= 0) return bad('createTime: not an epoch time');
    const { type, subType } = androidMessageType(androidType);
    const isSender = int(row.isSend) === 1;

    let content = str(row.content);
    let sender: string | undefined;
    if (isGroup && !isSender && type !== 10000 && type !== 10002) {
      const split = splitGroupSender(content);
      if (split !== undefined) {
        sender = split.sender;
        content = split.body;
      } else if (type === 34) {
        sender = VOICE_SENDER.exec(content)?.[1];
      }
    }
    const mapped = mapWeChatContent({ type, subType, content, isGroup });
    if (mapped.problems.length > 0) return bad(mapped.problems.join('; '));

    const svrId = idString(row.msgSvrId);
    const timeMs = epochToMs(createTime);
    const id = svrId ?? this.composite(timeMs, [talker, timeMs, androidType, isSender ? 1 : 0, content]);
    const wechat: { [key: string]: unknown } = { type, subType, isSender, talker, msgId };
    if (androidType !== type) wechat.androidType = androidType;
    const imgPath = nonEmpty(row.imgPath);
    if (imgPath !== undefined) wechat.imgPath = imgPath;
    if (svrId === undefined) wechat.noServerId = true;

    const owner = this.person(this.ownerWxid);
    let from: WeChatPerson;
    let to: WeChatPerson | undefined;
    if (isSender) {
      from = owner;
      to = isGroup ? undefined : this.person(talker);
    } else if (!isGroup) {
      from = this.person(talker);
      to = owner;
    } else if (sender !== undefined) {
      from = this.person(sender);
    } else {
      from = { id: talker, name: title };
      if (type !== 10000 && type !== 10002) wechat.senderUnknown = true;
    }

    const facts: WeChatRowFacts = { ownerWxid: this.ownerWxid, custodian: this.options.custodian, id, timeMs, talker, isGroup, title, isSender, from, to, mapped, wechat, raw: rawRow(row) };
    if (mapped.mediaHints.kind === undefined) return { kind: 'message', record: buildWeChatRecord(facts), media: [], missingMedia: [], location };
    return this.media.of({ imgPath, svrId, mapped }).then((media) => ({
      kind: 'message' as const,
      record: buildWeChatRecord({ ...facts, notes: media.notes }),
      media: media.media,
      missingMedia: media.missing,
      location,
    }));
  }

  private person(wxid: string): WeChatPerson {
    const name = this.names.get(wxid);
    return name === undefined ? { id: wxid } : { id: wxid, name };
  }

  private composite(timeMs: number, parts: (string | number)[]): string {
    const second = Math.floor(timeMs / 1000);
    if (this.compositeSecond !== second) {
      this.compositeSecond = second;
      this.compositeSeen.clear();
    }
    const base = compositeId(parts);
    const n = (this.compositeSeen.get(base) ?? 0) + 1;
    this.compositeSeen.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  }
}
