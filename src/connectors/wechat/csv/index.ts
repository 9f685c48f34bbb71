import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, relative, resolve } from 'node:path';
import { zoneOffsetMs } from '../../../domain/time-zone.js';
import { fatalError, usageError } from '../../../errors.js';
import { WECHATMSG_CSV_COLUMNS, firstLineOf, isWeChatMsgHeader } from '../detect.js';
import { mapWeChatContent } from '../message-content.js';
import { epochToMs } from '../reader-kit.js';
import type { RowLocation, WeChatImportOptions, WeChatItem, WeChatReader } from '../types.js';
import { buildWeChatRecord } from '../wechat-record.js';
import { readCsvRecords } from './records.js';

/**
 * `wechatmsg-csv`: the CSV export of the WeChatMsg tool (reference B.1, its exporter_csv): one file
 * per chat, `聊天记录/<name>/<name>_utf8.csv`, UTF-8 with a BOM, header
 * `localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,Remark,NickName,Sender`.
 * `CreateTime` is epoch seconds (UTC); `StrTime` the same instant written in the exporting machine's
 * zone (used, in `--tz`, only when `CreateTime` is unusable). `Remark`/`NickName`/`Sender` describe
 * the message's sender (the owner for the owner's messages).
 *
 * What the CSV lacks, and how the reader copes (docs/formats/wechat.md):
 * - no server message id: ids are `csv:<TalkerId>:<localId>:<CreateTime>` (stable across re-exports
 *   from the same computer; not the ids a database import gives, so import one or the other);
 *   replies keep the quoted message's details but no `parent`, and revoke notices stay `system`
 *   notices (their target's server id cannot be matched);
 * - no chat id: a file whose other-side messages all come from one wxid is a direct chat with that
 *   wxid; a file with several other senders is a group, id `csv:<file name>`;
 * - no owner id: the `Sender` of the owner's rows (IsSender = 1), unless --owner-wxid says;
 * - no media: media messages are archived with their description and reported as missing media.
 *
 * Streams each file twice (a first pass counts rows and finds the owner and the chat), so memory does
 * not depend on the file's size. Bad lines (malformed CSV, missing columns, a non-numeric Type, no
 * usable time) are quarantined with their line number.
 */

const COLUMN_INDEX = Object.fromEntries(WECHATMSG_CSV_COLUMNS.map((c, i) => [c, i])) as { [C in (typeof WECHATMSG_CSV_COLUMNS)[number]]: number };
type Column = (typeof WECHATMSG_CSV_COLUMNS)[number];

const MAX_FOLDER_DEPTH = 6;

interface CsvFile {
  path: string;
  /** Relative to the import root, for locations. */
  label: string;
  /** The file's name without `_utf8.csv`: the chat's name as WeChatMsg wrote it. */
  stem: string;
  /** Column positions by header name (the header may add or reorder columns). */
  columns: Map<string, number>;
  rows: number;
  ownerCandidates: Set<string>;
  /** Senders of the other side's rows (up to a few), with their names. */
  others: Map<string, string | undefined>;
  /** A system notice only a group has (someone joined or left the group chat, its name changed). */
  groupNotice: boolean;
  conversation?: { id: string; type: 'direct' | 'group'; title: string };
}

const stemOf = (file: string): string => basename(file, extname(file)).replace(/_utf8$/i, '') || basename(file);

function listCsvFiles(dir: string, depth = 0): string[] {
  if (depth > MAX_FOLDER_DEPTH) return [];
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listCsvFiles(p, depth + 1));
    else if (e.isFile() && extname(e.name).toLowerCase() === '.csv') out.push(p);
  }
  return out;
}

function headerColumns(fields: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  fields.forEach((f, i) => {
    const name = f.trim();
    if (!m.has(name)) m.set(name, i);
  });
  return m;
}

const field = (file: CsvFile, fields: readonly string[], c: Column): string => fields[file.columns.get(c) ?? COLUMN_INDEX[c]] ?? '';

/** First pass over one file: rows, the owner's wxid, the other side. */
/** Words of the system notices of group chats (加入了群聊, 移出了群聊, 修改群名为, 群公告); a 1:1 chat has none. */
const GROUP_NOTICE = /群聊|群名|群公告/u;

async function scanFile(file: CsvFile): Promise<void> {
  let header = true;
  for await (const r of readCsvRecords(file.path)) {
    if (header) {
      header = false;
      continue;
    }
    file.rows++;
    if (r.kind !== 'record') continue;
    const sender = field(file, r.fields, 'Sender').trim();
    if (sender === '') {
      if (GROUP_NOTICE.test(field(file, r.fields, 'StrContent'))) file.groupNotice = true;
      continue;
    }
    const isSender = field(file, r.fields, 'IsSender').trim();
    if (isSender === '1') file.ownerCandidates.add(sender);
    else if (isSender === '0' && file.others.size < 5 && !file.others.has(sender)) {
      const name = field(file, r.fields, 'Remark').trim() || field(file, r.fields, 'NickName').trim();
      file.others.set(sender, name || undefined);
    }
  }
}

/** Local wall time (`YYYY-MM-DD HH:MM:SS`) in a zone → epoch ms. */
export function localTimeToMs(text: string, tz: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (!m) return undefined;
  const asUtc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  if (Number.isNaN(asUtc)) return undefined;
  // The zone's offset at that wall time (checked twice around offset changes).
  let utc = asUtc - zoneOffsetMs(tz, asUtc);
  const second = zoneOffsetMs(tz, utc);
  if (asUtc - second !== utc) utc = asUtc - second;
  return utc;
}

const INT = /^-?\d{1,19}$/;

export async function openCsvReader(options: WeChatImportOptions): Promise<WeChatReader> {
  const root = resolve(options.path);
  let st;
  try {
    st = statSync(root);
  } catch {
    throw usageError('import.path_missing', `${options.path}: no such file or folder`);
  }
  const isFile = st.isFile();
  const paths = isFile ? [root] : listCsvFiles(root);
  const files: CsvFile[] = [];
  let skipped = 0;
  for (const path of paths) {
    const label = isFile ? basename(path) : relative(root, path);
    let header: string;
    try {
      header = firstLineOf(path);
    } catch {
      throw fatalError('wechat.file_unreadable', `${label}: cannot read the file`);
    }
    if (!isWeChatMsgHeader(header)) {
      if (isFile) {
        const have = new Set(header.split(',').map((c) => c.trim().replace(/^"|"$/g, '')));
        const missing = WECHATMSG_CSV_COLUMNS.filter((c) => !have.has(c));
        throw usageError('wechat.csv_header', `${label}: not a WeChatMsg CSV export: the header lacks ${missing.join(', ')}`);
      }
      skipped++;
      continue;
    }
    const fields = header.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
    files.push({ path, label, stem: stemOf(path), columns: headerColumns(fields), rows: 0, ownerCandidates: new Set(), others: new Map(), groupNotice: false });
  }
  if (files.length === 0) throw usageError('wechat.csv_none', `${options.path}: no WeChatMsg CSV files (with the header ${WECHATMSG_CSV_COLUMNS.join(',')})`);
  for (const f of files) await scanFile(f);

  let owner = options.ownerWxid?.trim();
  if (!owner) {
    const candidates = new Set(files.flatMap((f) => [...f.ownerCandidates]));
    if (candidates.size === 0) throw usageError('import.owner_unknown', `${options.path}: the export does not say whose it is (no message sent by the owner); pass --owner-wxid`);
    if (candidates.size > 1) throw usageError('import.owner_ambiguous', `${options.path}: the owner's rows name ${candidates.size} different senders; pass --owner-wxid`);
    owner = [...candidates][0]!;
  }
  for (const f of files) {
    f.others.delete(owner);
    // A group where only one other member spoke is still a group: its system notices say so.
    if (f.others.size === 1 && !f.groupNotice) {
      const [id, name] = [...f.others.entries()][0]!;
      f.conversation = { id, type: id.endsWith('@chatroom') ? 'group' : 'direct', title: name ?? f.stem };
    } else if (f.others.size >= 1) f.conversation = { id: `csv:${f.stem}`, type: 'group', title: f.stem };
    else f.conversation = { id: `csv:${f.stem}`, type: 'direct', title: f.stem };
  }
  const total = files.reduce((n, f) => n + f.rows, 0);
  const groups = files.filter((f) => f.conversation!.type === 'group').length;
  const ownerWxid = owner;

  return {
    format: 'wechatmsg-csv',
    ownerWxid,
    describe: () =>
      `WeChatMsg CSV export: ${files.length} chat file(s) (${files.length - groups} direct, ${groups} group), ${total.toLocaleString('en')} rows` +
      (skipped > 0 ? `; ${skipped} other CSV file(s) ignored` : '') +
      (options.ownerWxid ? '' : `; owner ${ownerWxid} from the sent rows`),
    totalRows: () => total,
    items: () => readItems(files, ownerWxid, options),
    close: () => undefined,
  };
}

async function* readItems(files: readonly CsvFile[], owner: string, options: WeChatImportOptions): AsyncGenerator<WeChatItem> {
  for (const file of files) {
    const conversation = file.conversation!;
    let header = true;
    for await (const r of readCsvRecords(file.path)) {
      if (header) {
        header = false;
        continue;
      }
      const location: RowLocation = { file: file.label, row: r.line };
      if (r.kind === 'bad') {
        yield { kind: 'bad', location, reason: r.problem, content: r.text ?? undefined, conversation };
        continue;
      }
      yield rowItem(file, r.fields, r.text, location, owner, options);
    }
  }
}

function rowItem(file: CsvFile, fields: readonly string[], text: string, location: RowLocation, owner: string, options: WeChatImportOptions): WeChatItem {
  const conversation = file.conversation!;
  const bad = (reason: string): WeChatItem => ({ kind: 'bad', location, reason, content: text, conversation });
  if (fields.length < file.columns.size) return bad(`expected ${file.columns.size} columns, found ${fields.length}`);
  const get = (c: Column): string => field(file, fields, c).trim();
  const problems: string[] = [];
  const localId = get('localId');
  const talkerId = get('TalkerId');
  const typeText = get('Type');
  const subTypeText = get('SubType') || '0';
  const isSenderText = get('IsSender');
  if (!INT.test(localId)) problems.push('column localId: not an integer');
  if (!INT.test(typeText)) problems.push('column Type: not an integer');
  if (!INT.test(subTypeText)) problems.push('column SubType: not an integer');
  if (isSenderText !== '0' && isSenderText !== '1') problems.push('column IsSender: not 0 or 1');
  const createText = get('CreateTime');
  const strTime = get('StrTime');
  let timeMs: number | undefined;
  let timeFrom: 'CreateTime' | 'StrTime' | undefined;
  if (INT.test(createText) && Number(createText) > 0) {
    timeMs = epochToMs(Number(createText));
    timeFrom = 'CreateTime';
  } else {
    timeMs = localTimeToMs(strTime, options.tz);
    if (timeMs !== undefined) timeFrom = 'StrTime';
    else problems.push(`columns CreateTime and StrTime: no usable time (CreateTime ${createText === '' ? 'empty' : 'not an epoch'}, StrTime not YYYY-MM-DD HH:MM:SS)`);
  }
  if (problems.length > 0) return bad(problems.join('; '));

  const type = Number(typeText);
  const subType = Number(subTypeText);
  const isSender = isSenderText === '1';
  const isGroup = conversation.type === 'group';
  const mapped = mapWeChatContent({ type, subType, content: field(file, fields, 'StrContent'), isGroup });
  if (mapped.problems.length > 0) return bad(mapped.problems.join('; '));
  // Server ids are not in the CSV: a revoke cannot be linked and a reply has no parent to point to.
  let notes: string[] | undefined;
  if (mapped.type === 'recall') {
    notes = ['revoke notice: the CSV has no server ids, the revoked message cannot be linked'];
    mapped.fields.notice = 'recall';
    mapped.type = 'system';
    delete mapped.recallsServerId;
  }
  delete mapped.quotedServerId;

  const senderId = get('Sender');
  const senderName = get('Remark') || get('NickName') || undefined;
  // A row without a sender (a group's system notice) is the chat's own.
  const from = isSender ? { id: owner, name: senderName } : { id: senderId || conversation.id, name: senderName };
  const peer = conversation.type === 'direct' ? { id: conversation.id, name: conversation.title } : undefined;
  const to = isGroup ? undefined : isSender ? peer : { id: owner };
  const missing: string[] = [];
  const kind = mapped.mediaHints.kind;
  if (kind === 'image' || kind === 'voice' || kind === 'video' || kind === 'file') missing.push(`${kind}${mapped.mediaHints.fileName ? ` ${mapped.mediaHints.fileName}` : ''} (a CSV export holds no media)`);

  const raw: Record<string, string> = {};
  for (const [name, i] of file.columns) raw[name] = fields[i] ?? '';
  const record = buildWeChatRecord({
    ownerWxid: owner,
    custodian: options.custodian,
    id: `csv:${talkerId}:${localId}:${createText || strTime.replace(/\D/g, '')}`,
    timeMs: timeMs!,
    talker: conversation.id,
    isGroup,
    title: conversation.title,
    isSender,
    from,
    to,
    mapped,
    wechat: { format: 'wechatmsg-csv', type, subType, isSender, localId: Number(localId), talkerId, status: get('Status') || undefined, timeFrom },
    notes,
    raw,
  });
  return { kind: 'message', record, media: [], missingMedia: missing, location };
}
