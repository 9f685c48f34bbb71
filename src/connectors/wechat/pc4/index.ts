import { join } from 'node:path';
import type Sqlite from 'better-sqlite3-multiple-ciphers';
import { decompress as zstdDecompress } from 'fzstd';
import { usageError } from '../../../errors.js';
import type { ConnectorAttachment } from '../../../services/import-prepare.js';
import { zoneOffsetMs } from '../../../domain/time-zone.js';
import { decodeDatImage } from '../dat-image.js';
import { mapWeChatContent, type WeChatContent } from '../message-content.js';
import {
  decodeProto, epochToMs, idString, md5Hex, missingColumns, openEachReadOnly, openReadOnly, protoMd5, protoMessage, protoString, quoteIdent, readFirstFile, fileMedia, tooLargeToDecode,
  splitGroupSender, sqliteReason, tableNames, textOf, toNumber,
} from '../reader-kit.js';
import type { RowLocation, WeChatBadRow, WeChatImportOptions, WeChatItem, WeChatReader } from '../types.js';
import { voiceWithWav } from '../voice-media.js';
import { buildWeChatRecord, compositeId, isGroupTalker, rawRow } from '../wechat-record.js';
import { findPc4Layout, type Pc4File, type Pc4Layout } from './layout.js';

/**
 * `wechat-pc4`: decrypted WeChat 4.x databases (reference B.2), read-only and streamed.
 *
 * - One `Msg_<md5(talker)>` table per chat in each `message_N.db`; the talker (wxid or
 *   `…@chatroom`) is found by hashing the names the export knows (the shard's `Name2Id`, the
 *   contact database); a table no name hashes to is read with the table name as the chat id.
 * - `local_type` packs `(subType << 32) | type` (read as BigInt: the values exceed 2^32).
 * - `message_content` is text, or a zstd frame (magic `28 B5 2F FD`), decompressed with fzstd.
 * - The sender: in groups the body's `wxid:\n` prefix, else `real_sender_id` → `Name2Id.rowid` →
 *   `user_name`; a message is the owner's when its sender is the owner.
 * - Names: `contact.db` `contact(username, remark, nick_name, alias)` (remark first).
 * - Media: images from `packed_info_data` (protobuf field 3 holds the image md5) →
 *   `msg/attach/<md5(talker)>/<YYYY-MM>/Img/<md5>[_W|_M|_h].dat`, XOR-decoded; videos (field 4) →
 *   `msg/video/<YYYY-MM>/<md5>.mp4`; files → `msg/file/<YYYY-MM>/<name>`; voice → `media_N.db`
 *   `VoiceInfo.voice_data` by `svr_id` (SILK, plus a WAV). WeChat's own voice transcript (field 5.2)
 *   is searchable text.
 *
 * Errors name the file, table and row (`db_storage/message/message_0.db table Msg_… row 12`); a row
 * that cannot be read is a bad row, a table with unexpected columns or a read error part-way
 * through a table is reported once and the next table is read.
 */

const REQUIRED = ['local_id', 'server_id', 'local_type', 'sort_seq', 'real_sender_id', 'create_time', 'status', 'message_content'] as const;
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
/** A decompressed body larger than this is refused (a zip bomb, or not a message). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

interface ChatTable {
  shard: Pc4File;
  db: Sqlite.Database;
  table: string;
  talker: string | undefined;
  rows: number;
  problem?: string;
  hasName2Id: boolean;
  hasPacked: boolean;
}

interface Contacts {
  names: Map<string, string>;
  problem?: string;
}

function readContacts(layout: Pc4Layout): Contacts {
  const names = new Map<string, string>();
  if (!layout.contactDb) return { names, problem: 'no contact/contact.db: names not available' };
  const { path, label } = layout.contactDb;
  let db: Sqlite.Database;
  try {
    db = openReadOnly(path, label);
  } catch (e) {
    return { names, problem: (e as Error).message };
  }
  try {
    if (!tableNames(db).includes('contact')) return { names, problem: `${label}: no contact table: names not available` };
    const missing = missingColumns(db, 'contact', ['username']);
    if (missing.length > 0) return { names, problem: `${label} table contact: unexpected columns (no ${missing.join(', ')}): names not available` };
    const has = new Set(['remark', 'nick_name', 'alias'].filter((c) => missingColumns(db, 'contact', [c]).length === 0));
    const cols = ['username', ...has].map(quoteIdent).join(', ');
    for (const r of db.prepare(`SELECT ${cols} FROM contact`).iterate() as IterableIterator<Record<string, unknown>>) {
      const username = textOf(r.username);
      if (!username) continue;
      const name = [r.remark, r.nick_name, r.alias].map(textOf).find((v) => v !== undefined && v.trim() !== '');
      if (name) names.set(username, name);
    }
    return { names };
  } catch (e) {
    return { names, problem: `${label} table contact: ${sqliteReason(e)}: names may be incomplete` };
  } finally {
    db.close();
  }
}

/** Every name the export knows, hashed: Msg_<md5> → talker. */
function talkerIndex(dbs: readonly Sqlite.Database[], contacts: Contacts): Map<string, string> {
  const byHash = new Map<string, string>();
  const add = (name: string | undefined): void => {
    if (name) byHash.set(md5Hex(name), name);
  };
  for (const name of contacts.names.keys()) add(name);
  for (const db of dbs) {
    if (!tableNames(db).includes('Name2Id')) continue;
    try {
      for (const r of db.prepare('SELECT user_name FROM Name2Id').iterate() as IterableIterator<{ user_name: unknown }>) add(textOf(r.user_name));
    } catch {
      /* a damaged Name2Id only costs names; the tables are still read */
    }
  }
  return byHash;
}

function ownerOf(layout: Pc4Layout, options: WeChatImportOptions, known: Map<string, string>): string {
  const given = options.ownerWxid?.trim();
  if (given) return given;
  const name = layout.accountName;
  if (name !== undefined) {
    const names = new Set(known.values());
    // `xwechat_files/<wxid>_<suffix>`: the wxid, as the export itself names it.
    if (names.has(name)) return name;
    const stripped = /^(.+)_[0-9A-Za-z]{4}$/.exec(name)?.[1];
    if (stripped !== undefined && (names.has(stripped) || /^wxid_/.test(stripped))) return stripped;
  }
  throw usageError('import.owner_unknown', `${options.path}: cannot tell the account owner's wxid from the export (the account folder is named <wxid>_<suffix>); pass --owner-wxid`);
}

export async function openPc4Reader(options: WeChatImportOptions): Promise<WeChatReader> {
  const layout = findPc4Layout(options.path);
  const opened: Sqlite.Database[] = [];
  const close = (): void => {
    for (const db of opened.splice(0)) db.close();
  };
  try {
    // A shard that cannot be opened is one bad item; the others are read.
    const { dbs, unreadable } = openEachReadOnly(layout.shards, opened);
    const shards = dbs.map(({ file, db }) => ({ shard: file, db }));
    const contacts = readContacts(layout);
    const hashes = talkerIndex(shards.map((x) => x.db), contacts);
    const owner = ownerOf(layout, options, hashes);
    const tables: ChatTable[] = [];
    shards.forEach(({ shard, db }) => {
      const names = tableNames(db);
      const hasName2Id = names.includes('Name2Id');
      for (const table of names) {
        const m = /^Msg_([0-9a-f]{32})$/i.exec(table);
        if (!m) continue;
        const t: ChatTable = { shard, db, table, talker: hashes.get(m[1]!.toLowerCase()), rows: 0, hasName2Id, hasPacked: missingColumns(db, table, ['packed_info_data']).length === 0 };
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
    const media: Sqlite.Database[] = [];
    const mediaProblems: string[] = [];
    for (const f of layout.mediaDbs) {
      try {
        const db = openReadOnly(f.path, f.label);
        opened.push(db);
        if (tableNames(db).includes('VoiceInfo') && missingColumns(db, 'VoiceInfo', ['svr_id', 'voice_data']).length === 0) media.push(db);
        else mediaProblems.push(`${f.label}: no VoiceInfo(svr_id, voice_data) table`);
      } catch (e) {
        mediaProblems.push((e as Error).message);
      }
    }
    const total = tables.reduce((n, t) => n + t.rows, 0);
    const unresolved = tables.filter((t) => t.talker === undefined).length;
    const chats = new Set(tables.map((t) => t.talker ?? t.table)).size;
    const describe = (): string =>
      [
        `WeChat 4.x: ${layout.shards.length} message database(s), ${chats} chat(s), ${total.toLocaleString('en')} messages`,
        unreadable.length > 0 ? `${unreadable.length} message database(s) unreadable` : undefined,
        layout.contactDb && !contacts.problem ? `${contacts.names.size} contacts` : contacts.problem,
        layout.mediaDbs.length > 0 ? `${media.length} voice database(s)` : 'no voice database',
        layout.accountDir ? undefined : 'no account folder (media not available)',
        unresolved > 0 ? `${unresolved} table(s) whose chat is unknown` : undefined,
        ...mediaProblems,
      ].filter((s): s is string => s !== undefined).join('; ');
    const ctx: ReadContext = { layout, owner, options, names: contacts.names, voiceStatements: media.map((db) => db.prepare('SELECT voice_data FROM VoiceInfo WHERE svr_id = ? LIMIT 1').safeIntegers(true)) };
    return {
      format: 'wechat-pc4',
      ownerWxid: owner,
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
  layout: Pc4Layout;
  owner: string;
  options: WeChatImportOptions;
  names: Map<string, string>;
  voiceStatements: Sqlite.Statement[];
}

async function* readItems(tables: readonly ChatTable[], ctx: ReadContext, unreadable: readonly WeChatBadRow[]): AsyncGenerator<WeChatItem> {
  yield* unreadable;
  for (const t of tables) {
    const talker = t.talker ?? t.table;
    const conversation = { id: talker, type: isGroupTalker(talker) ? ('group' as const) : ('direct' as const), title: ctx.names.get(talker) };
    if (t.problem) {
      yield { kind: 'bad', location: { file: t.shard.label, table: t.table }, reason: t.problem, conversation };
      continue;
    }
    const sql = t.hasName2Id
      ? `SELECT m.*, n.user_name AS wekeep_sender FROM ${quoteIdent(t.table)} m LEFT JOIN Name2Id n ON m.real_sender_id = n.rowid ORDER BY m.local_id`
      : `SELECT m.*, NULL AS wekeep_sender FROM ${quoteIdent(t.table)} m ORDER BY m.local_id`;
    let last: unknown;
    try {
      const rows = t.db.prepare(sql).safeIntegers(true).iterate() as IterableIterator<Record<string, unknown>>;
      for (const row of rows) {
        last = row.local_id;
        yield await rowItem(t, talker, conversation, row, ctx);
      }
    } catch (e) {
      const where = last === undefined ? 'before the first row' : `after row ${String(last)}`;
      yield { kind: 'bad', location: { file: t.shard.label, table: t.table }, reason: `read error ${where}: ${sqliteReason(e)}; the rest of the table is not imported`, conversation };
    }
  }
}

/** `message_content`: text, or a zstd frame. */
function bodyOf(v: unknown): { text: string } | { problem: string } {
  if (v === null || v === undefined) return { text: '' };
  if (typeof v === 'string') return { text: v };
  if (!(v instanceof Uint8Array)) return { problem: 'column message_content: neither text nor bytes' };
  const buf = Buffer.from(v.buffer, v.byteOffset, v.length);
  if (buf.length >= 4 && buf.subarray(0, 4).equals(ZSTD_MAGIC)) {
    try {
      const out = zstdDecompress(buf);
      if (out.length > MAX_BODY_BYTES) return { problem: 'column message_content: decompressed body larger than 64 MiB' };
      return { text: Buffer.from(out.buffer, out.byteOffset, out.length).toString('utf8') };
    } catch {
      return { problem: 'column message_content: zstd frame cannot be decompressed' };
    }
  }
  return { text: buf.toString('utf8') };
}

/** `YYYY-MM` of an instant in a zone (media folders are named by the computer's local month). */
function monthOf(ms: number, tz: string): string {
  return new Date(ms + zoneOffsetMs(tz, ms)).toISOString().slice(0, 7);
}

async function rowItem(
  t: ChatTable, talker: string, conversation: { id: string; type: 'direct' | 'group'; title: string | undefined }, row: Record<string, unknown>, ctx: ReadContext,
): Promise<WeChatItem> {
  const localId = toNumber(row.local_id);
  const location: RowLocation = { file: t.shard.label, table: t.table, row: localId };
  const { wekeep_sender: senderColumn, ...columns } = row;
  const raw = rawRow(columns);
  const bad = (reason: string): WeChatItem => ({ kind: 'bad', location, reason, content: JSON.stringify(raw), conversation });

  const localType = row.local_type;
  if (typeof localType !== 'bigint') return bad('column local_type: not an integer');
  const type = Number(localType & 0xffffffffn);
  const subType = Number(localType >> 32n);
  const created = toNumber(row.create_time);
  if (created === undefined || created <= 0) return bad('column create_time: not a positive epoch');
  const timeMs = epochToMs(created);
  const body = bodyOf(row.message_content);
  if ('problem' in body) return bad(body.problem);

  const isGroup = conversation.type === 'group';
  let content = body.text;
  let sender = textOf(senderColumn);
  if (isGroup) {
    const split = splitGroupSender(content);
    if (split) {
      sender = split.sender;
      content = split.body;
    } else if (sender === undefined || sender === '') sender = type === 10000 || type === 10002 ? talker : ctx.owner;
  } else if (sender === undefined || sender === '') {
    // No Name2Id entry: status 2 is "sent" (reference B.2, unreliable), else the peer.
    sender = toNumber(row.status) === 2 ? ctx.owner : talker;
  }
  const isSender = sender === ctx.owner;
  const mapped: WeChatContent = mapWeChatContent({ type, subType, content, isGroup });
  if (mapped.problems.length > 0) return bad(mapped.problems.join('; '));

  const packed = packedInfo(row.packed_info_data);
  if (packed.voiceText && !mapped.text) {
    mapped.text = packed.voiceText;
    mapped.fields.transcript = packed.voiceText;
  }
  const serverId = idString(row.server_id);
  const sortSeq = idString(row.sort_seq);
  const id = serverId ?? compositeId(['wechat-pc4', talker, String(created), sortSeq ?? String(localId)]);
  const got = await mediaOf(mapped, { talker, timeMs, serverId, packed, id }, ctx);

  const record = buildWeChatRecord({
    ownerWxid: ctx.owner,
    custodian: ctx.options.custodian,
    id,
    timeMs,
    talker,
    isGroup,
    title: conversation.title,
    isSender,
    from: { id: sender, name: ctx.names.get(sender) },
    to: isGroup ? undefined : isSender ? { id: talker, name: conversation.title } : { id: ctx.owner, name: ctx.names.get(ctx.owner) },
    mapped,
    wechat: {
      format: 'wechat-pc4', type, subType, localType: localType.toString(), serverId, localId, sortSeq, status: toNumber(row.status), talker, shard: t.shard.label, table: t.table,
      ...(packed.problem ? { packedInfoUnreadable: packed.problem } : {}),
    },
    notes: got.notes,
    raw,
  });
  return { kind: 'message', record, media: got.media, missingMedia: got.missing, location };
}

interface PackedInfo {
  imageMd5?: string;
  videoMd5?: string;
  voiceText?: string;
  problem?: string;
}

/** `packed_info_data` (protobuf): 3 image {…md5}, 4 video {…md5}, 5 voice transcript {2: text}. */
function packedInfo(v: unknown): PackedInfo {
  if (!(v instanceof Uint8Array) || v.length === 0) return {};
  try {
    const fields = decodeProto(Buffer.from(v.buffer, v.byteOffset, v.length));
    const out: PackedInfo = {};
    const image = protoMd5(protoMessage(fields, 3));
    const video = protoMd5(protoMessage(fields, 4));
    const voice = protoMessage(fields, 5);
    const voiceText = voice ? protoString(voice, 2)?.trim() : undefined;
    if (image) out.imageMd5 = image;
    if (video) out.videoMd5 = video;
    if (voiceText) out.voiceText = voiceText;
    return out;
  } catch {
    return { problem: 'column packed_info_data: not a protobuf message' };
  }
}

interface MediaResult {
  media: ConnectorAttachment[];
  missing: string[];
  notes: string[];
}

async function mediaOf(
  mapped: WeChatContent, m: { talker: string; timeMs: number; serverId: string | undefined; packed: PackedInfo; id: string }, ctx: ReadContext,
): Promise<MediaResult> {
  const out: MediaResult = { media: [], missing: [], notes: [] };
  const kind = mapped.mediaHints.kind;
  if (kind === undefined || kind === 'emoji') return out;
  const account = ctx.layout.accountDir;
  const months = [...new Set([monthOf(m.timeMs, ctx.options.tz), new Date(m.timeMs).toISOString().slice(0, 7)])];
  if (kind === 'voice') {
    const data = m.serverId === undefined ? undefined : voiceData(ctx, m.serverId);
    if (!data) {
      out.missing.push(`voice ${m.serverId ?? m.id} (media_N.db VoiceInfo)`);
      return out;
    }
    const voice = await voiceWithWav(data, `voice-${m.serverId}`);
    out.media.push(...voice.media);
    if (voice.wavProblem) out.notes.push(voice.wavProblem);
    return out;
  }
  if (account === undefined) {
    out.missing.push(`${kind} (no account folder with msg/ media)`);
    return out;
  }
  if (kind === 'image') {
    const md5 = m.packed.imageMd5 ?? mapped.mediaHints.md5;
    if (!md5) {
      out.missing.push('image (no md5 in packed_info_data or the XML)');
      return out;
    }
    const dir = (month: string): string => join(account, 'msg', 'attach', md5Hex(m.talker), month, 'Img');
    const found = readFirstFile(months.flatMap((month) => ['', '_W', '_M', '_h'].map((suffix) => join(dir(month), `${md5}${suffix}.dat`))));
    const expected = `msg/attach/${md5Hex(m.talker)}/${months[0]}/Img/${md5}.dat`;
    if (!found) out.missing.push(`image ${expected}`);
    else if ('large' in found) out.missing.push(tooLargeToDecode(`image ${expected}`));
    else {
      const decoded = decodeDatImage(found.data);
      if (decoded) out.media.push({ name: `${md5}.${decoded.ext}`, mime: decoded.mime, data: decoded.data });
      else {
        // Newer 4.x versions encrypt .dat files (not a one-byte XOR): kept as found.
        out.media.push({ name: `${md5}.dat`, mime: 'application/octet-stream', data: found.data });
        out.notes.push('image: .dat file is not XOR-encoded JPEG/PNG/GIF; kept as found');
      }
    }
    return out;
  }
  if (kind === 'video') {
    const md5 = m.packed.videoMd5 ?? mapped.mediaHints.md5;
    if (!md5) {
      out.missing.push('video (no md5 in packed_info_data or the XML)');
      return out;
    }
    const found = readFirstFile(months.map((month) => join(account, 'msg', 'video', month, `${md5}.mp4`)));
    if (!found) out.missing.push(`video msg/video/${months[0]}/${md5}.mp4`);
    else out.media.push(fileMedia(found, `${md5}.mp4`, 'video/mp4'));
    return out;
  }
  // file
  const name = mapped.mediaHints.fileName;
  if (!name || name.includes('/') || name.includes('\\') || name === '.' || name === '..') {
    out.missing.push('file (no usable file name in the message)');
    return out;
  }
  const found = readFirstFile([...months.map((month) => join(account, 'msg', 'file', month, name)), join(account, 'msg', 'file', md5Hex(m.talker), name)]);
  if (!found) out.missing.push(`file msg/file/${months[0]}/${name}`);
  else out.media.push(fileMedia(found, name));
  return out;
}

function voiceData(ctx: ReadContext, serverId: string): Buffer | undefined {
  for (const stmt of ctx.voiceStatements) {
    try {
      const r = stmt.get(BigInt(serverId)) as { voice_data: unknown } | undefined;
      if (r && r.voice_data instanceof Uint8Array && r.voice_data.length > 0) return Buffer.from(r.voice_data.buffer, r.voice_data.byteOffset, r.voice_data.length);
    } catch {
      /* a damaged voice database: the voice is reported missing */
    }
  }
  return undefined;
}
