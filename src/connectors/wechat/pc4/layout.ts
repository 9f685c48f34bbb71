import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { usageError } from '../../../errors.js';
import { isFile } from '../../../file-system.js';

/**
 * Where the files of a WeChat 4.x export are (reference B.2). The user points at the account folder
 * (`xwechat_files/<wxid>_<suffix>`), its `db_storage`, the `db_storage/message` folder, or one
 * `message_N.db`:
 *
 *   <account>/db_storage/message/message_0.db … message_N.db   messages, one Msg_<md5(talker)> table per chat
 *   <account>/db_storage/message/media_0.db …                  voice notes (VoiceInfo)
 *   <account>/db_storage/contact/contact.db                    contacts and chat rooms (names)
 *   <account>/msg/attach/<md5(talker)>/<YYYY-MM>/Img/<md5>.dat images; msg/video/<YYYY-MM>/<md5>.mp4
 *                                                              videos; msg/file/<YYYY-MM>/<name> files
 */

export interface Pc4File {
  path: string;
  /** Relative to the export root (`db_storage/message/message_0.db`), for locations. */
  label: string;
  index: number;
}

export interface Pc4Layout {
  root: string;
  shards: Pc4File[];
  mediaDbs: Pc4File[];
  contactDb: Pc4File | undefined;
  /** The folder holding `msg/` (media), when found. */
  accountDir: string | undefined;
  /** The account folder's name (`wxid_abc_1f2e`): the owner's wxid, with or without its suffix. */
  accountName: string | undefined;
}

const SHARD = /^message_(\d+)\.db$/i;
const MEDIA = /^media_(\d+)\.db$/i;

const isDir = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

export function findPc4Layout(path: string): Pc4Layout {
  const full = resolve(path);
  if (!isDir(full) && !isFile(full)) throw usageError('import.path_missing', `${path}: no such file or folder`);
  const given = isFile(full) ? dirname(full) : full;
  let dbStorage: string | undefined;
  let messageDir: string;
  if (basename(given) === 'db_storage') dbStorage = given;
  else if (isDir(join(given, 'db_storage'))) dbStorage = join(given, 'db_storage');
  else if (basename(given) === 'message' && basename(dirname(given)) === 'db_storage') dbStorage = dirname(given);
  if (dbStorage !== undefined) messageDir = join(dbStorage, 'message');
  else messageDir = isDir(join(given, 'message')) ? join(given, 'message') : given;

  const root = dbStorage !== undefined ? dirname(dbStorage) : given;
  const label = (p: string): string => relative(root, p) || basename(p);
  let names: string[] = [];
  try {
    names = readdirSync(messageDir);
  } catch {
    /* reported below */
  }
  const numbered = (re: RegExp): Pc4File[] =>
    names
      .map((n) => ({ n, m: re.exec(n) }))
      .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null && isFile(join(messageDir, x.n)))
      .map(({ n, m }) => ({ path: join(messageDir, n), label: label(join(messageDir, n)), index: Number(m[1]) }))
      .sort((a, b) => a.index - b.index);
  const shards = isFile(full) && SHARD.test(basename(full)) ? [{ path: full, label: label(full), index: Number(SHARD.exec(basename(full))![1]) }] : numbered(SHARD);
  if (shards.length === 0) throw usageError('import.not_pc4', `${path}: no WeChat 4.x message databases (db_storage/message/message_N.db) found`);
  const contactPath = dbStorage !== undefined ? join(dbStorage, 'contact', 'contact.db') : [join(given, 'contact.db'), join(dirname(messageDir), 'contact', 'contact.db')].find(isFile);
  const accountDir = dbStorage !== undefined ? dirname(dbStorage) : undefined;
  return {
    root,
    shards,
    mediaDbs: numbered(MEDIA),
    contactDb: contactPath !== undefined && isFile(contactPath) ? { path: contactPath, label: label(contactPath), index: 0 } : undefined,
    accountDir,
    accountName: accountDir !== undefined ? basename(accountDir) : undefined,
  };
}
