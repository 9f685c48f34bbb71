import type Sqlite from 'better-sqlite3-multiple-ciphers';
import { fatalError, isAppError, usageError, type AppError } from '../../../errors.js';
import { mapWeChatContent } from '../message-content.js';
import { idString, missingColumns, openReadOnly, reasonAfterLabel, sqliteReason, tableNames } from '../reader-kit.js';
import type { RowLocation, WeChatBadRow, WeChatImportOptions, WeChatItem, WeChatReader } from '../types.js';
import { buildWeChatRecord, compositeId, isGroupTalker, rawRow, type WeChatPerson, type WeChatRowFacts } from '../wechat-record.js';
import { parseBytesExtra } from './bytes-extra.js';
import { EMPTY_DIRECTORY, loadPc3Directory, type Pc3Directory } from './directory.js';
import { findPc3Layout, type Pc3Shard } from './layout.js';
import { decodeLz4Block, Lz4Error } from './lz4-block.js';
import { pc3MediaOf, Pc3VoiceStore, type Pc3MediaDb } from './media.js';

/**
 * PC WeChat 3.x (format `wechat-pc3`): a folder of decrypted databases (layout.ts), read-only.
 *
 * Rows: every `MSG` table of the shards `MSG0.db … MSGn.db`, merged into one stream ordered by
 * (CreateTime, shard, localId), each shard read with one prepared statement (`iterate()`, integers
 * exact). A row becomes one record (wechat-record.ts) with its media (media.ts):
 * - `id` = `MsgSvrID`; a row without one (0: never sent, a local notice) gets `local-<hash>` of
 *   talker, CreateTime, Type, SubType, IsSender and content, with `-2`, `-3` … for identical rows in
 *   the same second (compositeId);
 * - `time` = CreateTime (seconds) × 1000; the conversation is `StrTalker`; `IsSender` = the owner;
 * - group senders come from `BytesExtra` (bytes-extra.ts); a group row without one is attributed
 *   to the group itself with `wechat.senderUnknown`;
 * - app messages (Type 49) are read from `CompressContent` (LZ4 block) when it is set;
 * - `raw` = the row (BLOBs base64, or length and hash above 64 KiB).
 *
 * Errors: a shard that is not a readable SQLite database or whose `MSG` table lacks a needed column
 * is skipped and reported as one bad item naming the file and table; damage met while reading (a
 * truncated file) ends that shard with one bad item saying how many rows were read; the other shards
 * are imported. When no shard can be read at all, opening fails with that error. `MicroMsg.db` and
 * `MediaMSG*.db` problems are reported the same way (names or voice notes are then missing). A row
 * that cannot be read (malformed `BytesExtra`, undecodable `CompressContent`, unreadable XML, no
 * talker, no time) is a bad row naming file, table, localId and column.
 */

const MSG_REQUIRED = ['localId', 'MsgSvrID', 'Type', 'SubType', 'CreateTime', 'IsSender', 'StrTalker', 'StrContent'] as const;
const MEDIA_REQUIRED = ['Reserved0', 'Buf'] as const;
/** App-message XML above this is refused by the mapper anyway (xml.ts): stop decompressing there. */
const MAX_DECOMPRESSED = 1024 * 1024 * 4 + 16;

interface OpenShard extends Pc3Shard {
  db: Sqlite.Database;
  /** Rows in its MSG table; undefined when the count itself failed (damage, reported when read). */
  rows: number | undefined;
}

type MsgRow = { [column: string]: unknown };

export function openPc3Reader(options: WeChatImportOptions): WeChatReader {
  const layout = findPc3Layout(options.path);
  const problems: WeChatBadRow[] = [];
  const report = (file: string, table: string | undefined, reason: string): void => {
    problems.push({ kind: 'bad', location: { file, ...(table === undefined ? {} : { table }) }, reason });
  };
  // A database that could not be opened: the location names the file only, the reason says the rest.
  const reportUnopened = (file: Pc3Shard, e: AppError, consequence: string): void => {
    report(file.label, undefined, `${reasonAfterLabel(e, file.label)}; ${consequence}`);
  };
  const opened: Sqlite.Database[] = [];
  const close = (): void => {
    for (const db of opened.splice(0)) db.close();
  };

  try {
    const shards: OpenShard[] = [];
    const shardErrors: AppError[] = [];
    for (const s of layout.shards) {
      try {
        const db = openTable(s, 'MSG', MSG_REQUIRED, 'a PC WeChat 3.x message database');
        opened.push(db);
        shards.push({ ...s, db, rows: countRows(db) });
      } catch (e) {
        if (!isAppError(e)) throw e;
        shardErrors.push(e);
        reportUnopened(s, e, 'this shard was not imported');
      }
    }
    if (shards.length === 0) {
      throw shardErrors.length === 1 ? shardErrors[0]! : fatalError('wechat.database_unreadable', `no readable message database: ${shardErrors.map((e) => e.message).join('; ')}`);
    }

    let directory: Pc3Directory = EMPTY_DIRECTORY;
    if (layout.microMsg !== undefined) {
      try {
        const db = openReadOnly(layout.microMsg.path, layout.microMsg.label);
        opened.push(db);
        directory = loadPc3Directory(db);
      } catch (e) {
        if (isAppError(e)) reportUnopened(layout.microMsg, e, 'names are missing from this import');
        else report(layout.microMsg.label, 'Contact', `${sqliteReason(e)}; names are missing from this import`);
      }
    }

    const mediaDbs: Pc3MediaDb[] = [];
    for (const m of layout.mediaShards) {
      try {
        const db = openTable(m, 'Media', MEDIA_REQUIRED, 'a PC WeChat 3.x media database');
        opened.push(db);
        mediaDbs.push({ db, label: m.label });
      } catch (e) {
        if (!isAppError(e)) throw e;
        reportUnopened(m, e, 'its voice notes are reported missing');
      }
    }

    const ownerWxid = options.ownerWxid ?? ownerFromSentGroupMessages(shards) ?? layout.folderWxid;
    if (ownerWxid === undefined) {
      throw usageError('wechat.owner_unknown', `${options.path}: cannot tell whose account this is (no sent group message names its sender, and the folder is not named after a wxid); pass --owner-wxid`);
    }

    const reader = new Pc3Reader(options, layout.accountDir, shards, directory, new Pc3VoiceStore(mediaDbs), ownerWxid, problems, close);
    reader.summary = `PC WeChat 3.x: ${shards.length} MSG shard${shards.length === 1 ? '' : 's'}, ${reader.totalRows().toLocaleString('en-US')} messages, `
      + `${layout.microMsg === undefined ? 'no MicroMsg.db (names unknown)' : `MicroMsg.db (${directory.contacts} names)`}, `
      + `${mediaDbs.length} MediaMSG database${mediaDbs.length === 1 ? '' : 's'}, ${layout.accountDir === undefined ? 'no FileStorage folder' : 'FileStorage'}`;
    return reader;
  } catch (e) {
    close();
    throw e;
  }
}

/** Opens a database and checks that it has the table with the columns this reader needs. */
function openTable(file: Pc3Shard, table: string, required: readonly string[], what: string): Sqlite.Database {
  const db = openReadOnly(file.path, file.label);
  try {
    if (!tableNames(db).some((t) => t.toLowerCase() === table.toLowerCase())) {
      throw fatalError('wechat.table_missing', `${file.label}: no table ${table} (not ${what}?)`);
    }
    const missing = missingColumns(db, table, required);
    if (missing.length > 0) {
      throw fatalError('wechat.table_unexpected', `${file.label}: table ${table} lacks column${missing.length === 1 ? '' : 's'} ${missing.join(', ')} (not ${what}, or a version WeKeep does not know)`);
    }
    return db;
  } catch (e) {
    db.close();
    if (isAppError(e)) throw e;
    throw fatalError('wechat.database_unreadable', `${file.label}: table ${table}: ${sqliteReason(e)}`, e);
  }
}

function countRows(db: Sqlite.Database): number | undefined {
  try {
    return (db.prepare('SELECT count(*) AS n FROM MSG').get() as { n: number }).n;
  } catch {
    return undefined; // damage is reported when the rows are read
  }
}

/** In a group, the owner's own messages carry the owner's wxid in BytesExtra (kind 1). */
function ownerFromSentGroupMessages(shards: readonly OpenShard[]): string | undefined {
  for (const s of shards) {
    try {
      const rows = s.db.prepare("SELECT BytesExtra AS b FROM MSG WHERE IsSender = 1 AND StrTalker LIKE '%@chatroom' AND BytesExtra IS NOT NULL LIMIT 20").all() as { b: unknown }[];
      for (const r of rows) {
        if (!(r.b instanceof Uint8Array)) continue;
        const parsed = parseBytesExtra(r.b);
        if (parsed.ok && parsed.value.senderWxid !== undefined) return parsed.value.senderWxid;
      }
    } catch {
      // a damaged shard: reported when read
    }
  }
  return undefined;
}

const int = (v: unknown): number | undefined => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' && Number.isInteger(v) ? v : undefined);
const str = (v: unknown): string => (typeof v === 'string' ? v : v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : '');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One shard's rows, one at a time, with the sort key of the merge. */
interface Cursor {
  shard: OpenShard;
  rows: Iterator<MsgRow>;
  head: MsgRow;
  time: number;
  read: number;
}

class Pc3Reader implements WeChatReader {
  readonly format = 'wechat-pc3' as const;
  summary = '';
  /** Last CreateTime seen and the composite ids given in that second (to number identical rows). */
  private compositeSecond: number | undefined;
  private readonly compositeSeen = new Map<string, number>();

  constructor(
    private readonly options: WeChatImportOptions,
    private readonly accountDir: string | undefined,
    private readonly shards: readonly OpenShard[],
    private readonly directory: Pc3Directory,
    private readonly voices: Pc3VoiceStore,
    readonly ownerWxid: string,
    private readonly openProblems: readonly WeChatBadRow[],
    private readonly closeAll: () => void,
  ) {}

  describe(): string {
    return this.summary;
  }

  totalRows(): number {
    return this.shards.reduce((n, s) => n + (s.rows ?? 0), 0);
  }

  close(): void {
    this.closeAll();
  }

  async *items(): AsyncGenerator<WeChatItem> {
    yield* this.openProblems;
    this.compositeSecond = undefined;
    this.compositeSeen.clear();
    const cursors: Cursor[] = [];
    const failures: WeChatBadRow[] = [];
    try {
      for (const shard of this.shards) {
        const rows = shard.db.prepare('SELECT * FROM MSG ORDER BY CreateTime, localId').safeIntegers(true).iterate() as Iterator<MsgRow>;
        const cursor: Cursor = { shard, rows, head: {}, time: 0, read: 0 };
        if (advance(cursor, failures)) cursors.push(cursor);
      }
      yield* failures.splice(0);
      while (cursors.length > 0) {
        // The smallest head: a linear scan (a handful of shards).
        let at = 0;
        for (let i = 1; i < cursors.length; i++) {
          const c = cursors[i]!;
          const best = cursors[at]!;
          if (c.time < best.time || (c.time === best.time && c.shard.index < best.shard.index)) at = i;
        }
        const cursor = cursors[at]!;
        const row = cursor.head;
        const item = this.itemOf(cursor.shard, row);
        // Only rows with media wait (file reads, voice transcodes): text stays synchronous.
        yield item instanceof Promise ? await item : item;
        for (const p of this.voices.takeProblems()) yield { kind: 'bad', location: { file: p.label, table: 'Media' }, reason: p.reason };
        if (!advance(cursor, failures)) {
          cursors.splice(at, 1);
          yield* failures.splice(0);
        }
      }
    } finally {
      for (const c of cursors) c.rows.return?.();
    }
  }

  private itemOf(shard: OpenShard, row: MsgRow): WeChatItem | Promise<WeChatItem> {
    const localId = int(row.localId);
    const location: RowLocation = { file: shard.label, table: 'MSG', row: localId };
    const talker = str(row.StrTalker);
    const isGroup = isGroupTalker(talker);
    const title = this.directory.nameOf(talker);
    const bad = (reason: string): WeChatBadRow => badRow(location, reason, row, talker, title);

    const type = int(row.Type);
    const subType = int(row.SubType) ?? 0;
    const createTime = int(row.CreateTime);
    if (talker === '') return bad('StrTalker: empty (no conversation)');
    if (type === undefined) return bad('Type: not an integer');
    if (createTime === undefined || createTime <= 0) return bad('CreateTime: not an epoch time');

    const extra = parseBytesExtra(row.BytesExtra instanceof Uint8Array ? row.BytesExtra : undefined);
    if (!extra.ok) return bad(extra.problem);
    const content = contentOf(row, type);
    if (typeof content !== 'string') return bad(content.problem);
    const mapped = mapWeChatContent({ type, subType, content, isGroup });
    if (mapped.problems.length > 0) return bad(mapped.problems.join('; '));

    const isSender = int(row.IsSender) === 1;
    const svrId = idString(row.MsgSvrID);
    const timeMs = createTime * 1000;
    const id = svrId ?? this.composite(createTime, [talker, createTime, type, subType, isSender ? 1 : 0, content]);
    const owner = this.person(this.ownerWxid, talker);
    const wechat: { [key: string]: unknown } = { type, subType, isSender, talker, shard: shard.label, localId };
    if (svrId === undefined) wechat.noServerId = true;

    let from: WeChatPerson;
    let to: WeChatPerson | undefined;
    if (isSender) {
      from = owner;
      to = isGroup ? undefined : this.person(talker, talker);
    } else if (!isGroup) {
      from = this.person(talker, talker);
      to = owner;
    } else if (extra.value.senderWxid !== undefined) {
      from = this.person(extra.value.senderWxid, talker);
    } else {
      from = { id: talker, name: title };
      if (type !== 10000 && type !== 10002) wechat.senderUnknown = true;
    }

    const facts: WeChatRowFacts = { ownerWxid: this.ownerWxid, custodian: this.options.custodian, id, timeMs, talker, isGroup, title, isSender, from, to, mapped, wechat, raw: rawRow(row) };
    if (mapped.mediaHints.kind === undefined) return { kind: 'message', record: buildWeChatRecord(facts), media: [], missingMedia: [], location };
    return pc3MediaOf({ accountDir: this.accountDir, tz: this.options.tz, voices: this.voices }, { svrId, timeMs, mapped, extra: extra.value }).then((media) => ({
      kind: 'message' as const,
      record: buildWeChatRecord({ ...facts, notes: media.notes }),
      media: media.media,
      missingMedia: media.missing,
      location,
    }));
  }

  private person(wxid: string, talker: string): WeChatPerson {
    const name = this.directory.nameOf(wxid) ?? (isGroupTalker(talker) ? this.directory.groupNickname(talker, wxid) : undefined);
    return name === undefined ? { id: wxid } : { id: wxid, name };
  }

  /** A stable id for a row without a server id; identical rows in the same second are numbered. */
  private composite(second: number, parts: (string | number)[]): string {
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

/** A row that cannot be archived: where, why, the row itself, and its chat when known. */
function badRow(location: RowLocation, reason: string, row: { [column: string]: unknown }, talker: string, title: string | undefined): WeChatBadRow {
  const out: WeChatBadRow = { kind: 'bad', location, reason, content: JSON.stringify(rawRow(row)) };
  if (talker !== '') out.conversation = { id: talker, type: isGroupTalker(talker) ? 'group' : 'direct', ...(title === undefined ? {} : { title }) };
  return out;
}

/** Moves a cursor to its next row; false at the end or when the shard turned out damaged (reported). */
function advance(c: Cursor, failures: WeChatBadRow[]): boolean {
  let next: IteratorResult<MsgRow>;
  try {
    next = c.rows.next();
  } catch (e) {
    failures.push({
      kind: 'bad',
      location: { file: c.shard.label, table: 'MSG' },
      reason: `${sqliteReason(e)}; reading stopped after ${c.read}${c.shard.rows === undefined ? '' : ` of ${c.shard.rows}`} rows`,
    });
    c.rows.return?.();
    return false;
  }
  if (next.done === true) return false;
  c.head = next.value;
  const time = next.value.CreateTime;
  c.time = typeof time === 'bigint' ? Number(time) : typeof time === 'number' ? time : 0;
  c.read++;
  return true;
}

/**
 * The row's content: `StrContent`, or for app messages the LZ4-compressed `CompressContent` when it is
 * set (PC 3.x leaves StrContent empty for them). Trailing NULs are dropped, as the reference notes.
 */
function contentOf(row: MsgRow, type: number): string | { problem: string } {
  const text = str(row.StrContent);
  const packed = row.CompressContent;
  if (!(packed instanceof Uint8Array) || packed.length === 0 || (type !== 49 && text !== '')) return text;
  let bytes: Buffer;
  try {
    bytes = decodeLz4Block(packed, MAX_DECOMPRESSED);
  } catch (e) {
    if (e instanceof Lz4Error && e.message.startsWith('decompresses to more')) return { problem: 'CompressContent: app message larger than 4 MiB, not read' };
    return { problem: `CompressContent: not a valid LZ4 block (${e instanceof Lz4Error ? e.message : 'unreadable'})` };
  }
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  try {
    return utf8.decode(bytes.subarray(0, end));
  } catch {
    return { problem: 'CompressContent: decompressed bytes are not UTF-8 text' };
  }
}

