import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { usageError } from '../../../errors.js';

/**
 * Where the files of a PC WeChat 3.x export are (reference B.1). The user points at the account
 * folder (`WeChat Files/<wxid>`), its `Msg` folder, a folder of decrypted databases, or one shard:
 *
 *   <account>/Msg/Multi/MSG0.db … MSGn.db    message shards (also accepted in Msg/ or at the top)
 *   <account>/Msg/MicroMsg.db                contacts, groups (names)
 *   <account>/Msg/Multi/MediaMSG0.db …       voice notes (also accepted next to the shards)
 *   <account>/FileStorage/…                  images (.dat), videos, files
 *
 * Media paths stored in the rows start at the account folder (`<wxid>\FileStorage\…`).
 */

export interface Pc3Shard {
  path: string;
  /** Path relative to the export, for locations and messages (`Msg/Multi/MSG0.db`). */
  label: string;
  /** The shard number (MSG0.db → 0; a lone MSG.db → -1). */
  index: number;
}

export interface Pc3Layout {
  root: string;
  shards: Pc3Shard[];
  microMsg: Pc3Shard | undefined;
  mediaShards: Pc3Shard[];
  /** The folder holding `FileStorage` (the account folder), when found. */
  accountDir: string | undefined;
  /** The account folder's name when it looks like a wxid (`wxid_…`): a guess at the owner. */
  folderWxid: string | undefined;
}

const SHARD = /^MSG(\d*)\.db$/i;
const MEDIA = /^MediaMSG(\d*)\.db$/i;
const MICROMSG = /^MicroMsg\.db$/i;

const isDir = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
  } catch {
    return [];
  }
}

const numberOf = (m: RegExpExecArray): number => (m[1] === '' || m[1] === undefined ? -1 : Number(m[1]));

export function findPc3Layout(path: string): Pc3Layout {
  const full = resolve(path);
  let st;
  try {
    st = statSync(full);
  } catch {
    throw usageError('import.path_missing', `${path}: no such file or folder`);
  }
  const single = st.isFile() ? full : undefined;
  const base = single === undefined ? full : dirname(full);
  // Labels (and so each message's `shard`) count from the account folder whichever folder was named,
  // so re-importing an export by another of its paths finds the same messages unchanged.
  const root = accountRootOf(base);
  // Folders to look in: the given one, its Msg/Multi subfolders, and (for a Msg or Multi folder) its parents.
  // Parents only from inside an account (a Msg or Multi folder), never from an unrelated folder.
  const parents = /^(msg|multi)$/i.test(basename(base)) ? [dirname(base), dirname(dirname(base))] : [];
  const dirs = unique([base, join(base, 'Msg'), join(base, 'Multi'), join(base, 'Msg', 'Multi'), ...parents].filter(isDir));
  const label = (p: string): string => relative(root, p) || basename(p);

  const shards: Pc3Shard[] = [];
  const mediaShards: Pc3Shard[] = [];
  let microMsg: Pc3Shard | undefined;
  const nearDirs = single === undefined ? [base, join(base, 'Msg'), join(base, 'Multi'), join(base, 'Msg', 'Multi')].filter(isDir) : [];
  for (const dir of nearDirs) {
    for (const name of listFiles(dir)) {
      const s = SHARD.exec(name);
      if (s) shards.push({ path: join(dir, name), label: '', index: numberOf(s) });
    }
  }
  if (single !== undefined) {
    const s = SHARD.exec(basename(single));
    shards.push({ path: single, label: '', index: s ? numberOf(s) : 0 });
  }
  for (const dir of dirs) {
    for (const name of listFiles(dir)) {
      const m = MEDIA.exec(name);
      if (m && !mediaShards.some((x) => x.path === join(dir, name))) mediaShards.push({ path: join(dir, name), label: '', index: numberOf(m) });
      if (microMsg === undefined && MICROMSG.test(name)) microMsg = { path: join(dir, name), label: '', index: 0 };
    }
  }
  // One folder's shards only (a copy may sit in two places): the folder holding MSG0.db or the most.
  const byDir = new Map<string, Pc3Shard[]>();
  for (const s of shards) byDir.set(dirname(s.path), [...(byDir.get(dirname(s.path)) ?? []), s]);
  const chosen = [...byDir.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  if (chosen.length === 0) {
    throw usageError('wechat.pc3_no_shards', `${path}: no PC WeChat 3.x message databases (Msg/Multi/MSG0.db …) found here`);
  }
  chosen.sort((a, b) => a.index - b.index);
  for (const s of [...chosen, ...mediaShards]) s.label = label(s.path);
  mediaShards.sort((a, b) => a.index - b.index);
  if (microMsg) microMsg.label = label(microMsg.path);

  const accountDir = [base, ...parents].find((d) => isDir(join(d, 'FileStorage')));
  const accountName = basename(accountDir ?? (basename(base).toLowerCase() === 'msg' ? dirname(base) : base));
  const folderWxid = /^wxid_[A-Za-z0-9_-]{4,}$/.test(accountName) ? accountName : undefined;
  return { root, shards: chosen, microMsg, mediaShards, accountDir, folderWxid };
}

/** The account folder above a Msg or Msg/Multi folder; any other folder is its own root. */
function accountRootOf(dir: string): string {
  const name = basename(dir);
  if (/^multi$/i.test(name)) return /^msg$/i.test(basename(dirname(dir))) ? dirname(dirname(dir)) : dirname(dir);
  if (/^msg$/i.test(name)) return dirname(dir);
  return dir;
}

function unique(paths: string[]): string[] {
  return [...new Set(paths)];
}
