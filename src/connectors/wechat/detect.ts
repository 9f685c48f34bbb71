import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { usageError, type AppError } from '../../errors.js';
import { isFile } from '../../file-system.js';
import type { WeChatFormat } from './types.js';

/**
 * `wekeep import --format auto`: tells the export's format from its path, by file and folder names
 * (and, for a .csv or a JSON-lines file, its first bytes). Never reads a database. Says what it saw,
 * so the user can check the guess (`evidence`).
 */

export type ImportFormat = 'ndjson' | WeChatFormat;

export interface DetectedFormat {
  format: ImportFormat;
  /** What decided it, e.g. "db_storage/message/message_0.db (WeChat 4.x message database)". */
  evidence: string;
  /** What to hand the reader (absolute): the given path, or the export found inside it. */
  path: string;
}

/** The header of the WeChatMsg tool's CSV export (its exporter_csv; UTF-8 with a BOM). */
export const WECHATMSG_CSV_COLUMNS = ['localId', 'TalkerId', 'Type', 'SubType', 'IsSender', 'CreateTime', 'Status', 'StrContent', 'StrTime', 'Remark', 'NickName', 'Sender'] as const;

const MAX_DEPTH = 4;
const MAX_ENTRIES = 20_000;

const PC3_SHARD = /^MSG\d*\.db$/i;
const PC4_SHARD = /^message_\d+\.db$/i;

/** The first line of a file (up to 64 KiB), without a BOM. */
export function firstLineOf(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    let text = buf.subarray(0, n).toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const nl = text.search(/\r?\n/);
    return nl === -1 ? text : text.slice(0, nl);
  } finally {
    closeSync(fd);
  }
}

/** Whether a CSV header line carries every WeChatMsg column (extra columns allowed). */
export function isWeChatMsgHeader(line: string): boolean {
  const cols = new Set(line.split(',').map((c) => c.trim().replace(/^"|"$/g, '')));
  return WECHATMSG_CSV_COLUMNS.every((c) => cols.has(c));
}

function detectFile(file: string): DetectedFormat | undefined {
  const name = basename(file);
  const found = (format: ImportFormat, what: string): DetectedFormat => ({ format, evidence: `${name} (${what})`, path: file });
  if (PC3_SHARD.test(name)) return found('wechat-pc3', 'PC WeChat 3.x message shard');
  if (PC4_SHARD.test(name)) return found('wechat-pc4', 'WeChat 4.x message database');
  if (/^EnMicroMsg\.db$/i.test(name)) return found('wechat-android', 'Android WeChat database');
  if (/^MM\.sqlite$/i.test(name)) return found('wechat-ios', 'iOS WeChat message database');
  const ext = extname(name).toLowerCase();
  if (ext === '.csv') return isWeChatMsgHeader(firstLineOf(file)) ? found('wechatmsg-csv', "CSV with WeChatMsg's header") : undefined;
  if (ext === '.ndjson' || ext === '.jsonl') return found('ndjson', 'NDJSON file');
  if (firstLineOf(file).trimStart().startsWith('{')) return found('ndjson', 'starts with a JSON object: NDJSON');
  return undefined;
}

interface Found {
  format: WeChatFormat;
  evidence: string;
  depth: number;
  /** The export's root for the reader (used when it sits below the given folder). */
  open: string;
}

/** Walks a folder (breadth first, bounded) for the marker files and folders of each format. */
function detectFolder(root: string): Found[] {
  const found = new Map<WeChatFormat, Found>();
  const note = (format: WeChatFormat, path: string, what: string, depth: number, open: string): void => {
    const prior = found.get(format);
    if (!prior || depth < prior.depth) found.set(format, { format, evidence: `${relative(root, path) || '.'} (${what})`, depth, open: depth === 0 ? root : open });
  };
  let queue: string[] = [root];
  let seen = 0;
  for (let depth = 0; depth <= MAX_DEPTH && queue.length > 0 && seen < MAX_ENTRIES; depth++) {
    const next: string[] = [];
    for (const dir of queue) {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        if (++seen > MAX_ENTRIES) break;
        const path = join(dir, e.name);
        if (e.isDirectory()) {
          if (e.name === 'db_storage') note('wechat-pc4', path, 'WeChat 4.x db_storage folder', depth, dir);
          // The reader is given the account folder (above Msg/Multi), as when the user names it.
          else if (e.name === 'Multi' && readdirSafe(path).some((n) => PC3_SHARD.test(n))) note('wechat-pc3', path, 'PC WeChat 3.x Multi folder', depth, /^msg$/i.test(basename(dir)) ? dirname(dir) : dir);
          // media folders of the exports are large and hold no markers
          if (!['FileStorage', 'msg', 'Img', 'Audio', 'Video', 'OpenData', 'image2', 'voice2', 'video', 'attach'].includes(e.name)) next.push(path);
        } else if (e.isFile()) {
          if (PC3_SHARD.test(e.name)) note('wechat-pc3', path, 'PC WeChat 3.x message shard', depth, dir);
          else if (PC4_SHARD.test(e.name)) note('wechat-pc4', path, 'WeChat 4.x message database', depth, dir);
          else if (/^EnMicroMsg\.db$/i.test(e.name)) note('wechat-android', path, 'Android WeChat database', depth, path);
          else if (/^MM\.sqlite$/i.test(e.name)) note('wechat-ios', path, 'iOS WeChat message database', depth, path);
          // A folder of WeChatMsg CSV files is read whole.
          else if (extname(e.name).toLowerCase() === '.csv' && isWeChatMsgHeader(safeFirstLine(path))) note('wechatmsg-csv', path, "CSV with WeChatMsg's header", depth, root);
        }
      }
    }
    queue = next;
  }
  return [...found.values()];
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** An iTunes backup still in its hashed form: named as such by auto detection and by `wechat-ios`. */
export function hashedBackupError(path: string): AppError {
  return usageError('import.ios_backup_not_extracted', `${path}: an iTunes backup in its hashed form (Manifest.db); extract the WeChat app's files first (Documents/<md5>/DB/MM.sqlite …)`);
}

function safeFirstLine(file: string): string {
  try {
    return firstLineOf(file);
  } catch {
    return '';
  }
}

/** Detects the format of an export; a usage error when nothing (or more than one format) matches. */
export function detectFormat(path: string): DetectedFormat {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw usageError('import.path_missing', `${path}: no such file or folder`);
  }
  if (st.isFile()) {
    const d = detectFile(path);
    if (!d) throw usageError('import.format_unknown', `${path}: cannot tell the format from the file; pass --format (ndjson, wechat-pc3, wechat-pc4, wechat-android, wechat-ios, wechatmsg-csv)`);
    return { ...d, path: resolve(d.path) };
  }
  const found = detectFolder(path);
  if (found.length === 0 && isFile(join(path, 'Manifest.db'))) throw hashedBackupError(path);
  if (found.length === 0) throw usageError('import.format_unknown', `${path}: no WeChat export found in this folder (looked for MSG*.db / Multi, message_N.db / db_storage, EnMicroMsg.db, MM.sqlite, WeChatMsg CSV files); pass --format`);
  // A WeChatMsg folder may sit next to nothing else; a database export wins over CSV files found deeper.
  const databases = found.filter((f) => f.format !== 'wechatmsg-csv');
  const candidates = databases.length > 0 ? databases : found;
  if (candidates.length > 1) {
    throw usageError('import.format_ambiguous', `${path}: holds more than one kind of export (${candidates.map((c) => `${c.format}: ${c.evidence}`).join('; ')}); pass --format or a narrower path`);
  }
  const only = candidates[0]!;
  return { format: only.format, evidence: only.evidence, path: resolve(only.open) };
}
