import type Sqlite from 'better-sqlite3-multiple-ciphers';
import { basename, extname, join } from 'node:path';
import type { ConnectorAttachment, InMemoryAttachment } from '../../../services/import-prepare.js';
import { decodeDatImage } from '../dat-image.js';
import { mimeOfFileName } from '../file-types.js';
import type { WeChatContent } from '../message-content.js';
import { fileMedia, readFirstFile, sniffMime, sqliteReason, tooLargeToDecode, type FoundFile } from '../reader-kit.js';
import { voiceWithWav } from '../voice-media.js';
import type { BytesExtra } from './bytes-extra.js';

/**
 * The media of one PC 3.x message (reference B.1):
 * - images: `BytesExtra` kind 4 (kind 3 the thumbnail) names a `.dat` under FileStorage, XOR-decoded;
 * - videos and files: `BytesExtra` kind 4 names the file (kind 3 the video's thumbnail); a file
 *   message without one is looked for at `FileStorage/File/<YYYY-MM>/<file name>`, the month of the
 *   message in the export's zone (`--tz`);
 * - voice: `MediaMSG*.db` `Media(Reserved0 = MsgSvrID, Buf)`, attached as is plus a WAV;
 * - emoji live on WeChat's CDN: nothing to attach (the md5 and URL are in the record).
 * Stored paths begin at the account folder (`<wxid>\FileStorage\…`); a path that would leave it is
 * refused. What the row names but the export lacks is reported in `missing`, never fatal.
 */

export interface RowMedia {
  media: ConnectorAttachment[];
  missing: string[];
  notes: string[];
}

export interface Pc3MediaSource {
  accountDir: string | undefined;
  tz: string;
  voices: Pc3VoiceStore;
}

export interface Pc3MediaRow {
  svrId: string | undefined;
  timeMs: number;
  mapped: WeChatContent;
  extra: BytesExtra;
}

export async function pc3MediaOf(src: Pc3MediaSource, row: Pc3MediaRow): Promise<RowMedia> {
  const out: RowMedia = { media: [], missing: [], notes: [] };
  const kind = row.mapped.mediaHints.kind;
  if (kind === 'voice') {
    const data = row.svrId === undefined ? undefined : src.voices.find(row.svrId);
    if (data === undefined) {
      out.missing.push(row.svrId === undefined ? 'voice (no server id to look it up by)' : `voice ${row.svrId} (not in MediaMSG*.db)`);
      return out;
    }
    const v = await voiceWithWav(data, `voice-${row.svrId}`);
    out.media.push(...v.media);
    if (v.wavProblem !== undefined) out.notes.push(v.wavProblem);
  } else if (kind === 'image') {
    readImage(src, row.extra, out);
  } else if (kind === 'video') {
    const video = readStored(src, row.extra.filePath, 'video', out);
    if (video !== undefined) out.media.push(fileMedia(video, basename(video.path), 'video/mp4'));
    else attachThumbnail(src, row.extra, out, 'video');
  } else if (kind === 'file') {
    const name = row.mapped.mediaHints.fileName;
    let stored = row.extra.filePath;
    if (stored === undefined && name !== undefined) stored = join('FileStorage', 'File', monthOf(row.timeMs, src.tz), name);
    const file = readStored(src, stored, 'file', out);
    if (file !== undefined) out.media.push(fileMedia(file, name ?? basename(file.path), mimeOfFileName(file.path)));
  }
  return out;
}

function readImage(src: Pc3MediaSource, extra: BytesExtra, out: RowMedia): void {
  const image = readStored(src, extra.filePath, 'image', out);
  if (image !== undefined && 'large' in image) out.missing.push(tooLargeToDecode(`image ${basename(image.path)}`));
  else if (image !== undefined) {
    out.media.push(imageAttachment(image.path, image.data, out));
    return;
  }
  attachThumbnail(src, extra, out, 'image');
}

/** When the full image or video is missing, its thumbnail is still evidence. */
function attachThumbnail(src: Pc3MediaSource, extra: BytesExtra, out: RowMedia, what: string): void {
  if (extra.thumbPath === undefined) return;
  const probe: RowMedia = { media: [], missing: [], notes: [] };
  const thumb = readStored(src, extra.thumbPath, `${what} thumbnail`, probe);
  if (thumb === undefined || 'large' in thumb) return;
  out.media.push(extname(thumb.path).toLowerCase() === '.dat' ? imageAttachment(thumb.path, thumb.data, out) : { name: basename(thumb.path), mime: sniffMime(thumb.data), data: thumb.data });
  out.notes.push(`${what}: only the thumbnail is in the export`);
}

function imageAttachment(path: string, data: Buffer, out: RowMedia): InMemoryAttachment {
  const stem = basename(path).replace(/\.dat$/i, '');
  const decoded = decodeDatImage(data);
  if (decoded !== undefined) return { name: `${stem}.${decoded.ext}`, mime: decoded.mime, data: decoded.data };
  // Not XOR-ed JPEG/PNG/GIF (a newer WeChat's encrypted .dat, another format): kept exactly as found.
  out.notes.push('image: .dat format not recognized, kept as is');
  return { name: basename(path), mime: 'application/octet-stream', data };
}

/** Reads a stored path below the account folder (a large file by path only); records it as missing when absent. */
function readStored(src: Pc3MediaSource, stored: string | undefined, what: string, out: RowMedia): FoundFile | undefined {
  if (stored === undefined) {
    out.missing.push(`${what} (the row names no file)`);
    return undefined;
  }
  const parts = stored.split(/[\\/]+/).filter((p) => p !== '');
  const at = parts.findIndex((p) => p.toLowerCase() === 'filestorage');
  const rel = at >= 0 ? parts.slice(at) : parts;
  const shown = rel.join('/');
  if (rel.length === 0 || rel.some((p) => p === '.' || p === '..' || p.includes(':'))) {
    out.missing.push(`${what} ${shown} (path outside the account folder, not read)`);
    return undefined;
  }
  if (src.accountDir === undefined) {
    out.missing.push(`${what} ${shown} (no FileStorage folder in the export)`);
    return undefined;
  }
  const found = readFirstFile([join(src.accountDir, ...rel)]);
  if (found === undefined) {
    out.missing.push(`${what} ${shown}`);
    return undefined;
  }
  return found;
}

const monthFormats = new Map<string, Intl.DateTimeFormat>();

/** `YYYY-MM` of an instant in a zone (FileStorage/File folders are per local month). */
export function monthOf(ms: number, tz: string): string {
  let f = monthFormats.get(tz);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit' });
    monthFormats.set(tz, f);
  }
  const parts = f.formatToParts(ms);
  return `${parts.find((p) => p.type === 'year')?.value}-${parts.find((p) => p.type === 'month')?.value}`;
}


// ---------------------------------------------------------------------------------------------------
// Voice notes in MediaMSG*.db

export interface Pc3MediaDb {
  db: Sqlite.Database;
  label: string;
}

/**
 * Finds voice notes by server id across the MediaMSG shards. The first lookup indexes every shard's
 * `(Reserved0, rowid)` in memory (ids only: a few dozen bytes per voice note), because the table
 * need not have an index on Reserved0 and a read-only database cannot get one.
 */
export class Pc3VoiceStore {
  private index: Map<string, { shard: number; rowid: number }> | undefined;
  private readonly byRowid: Sqlite.Statement[];
  /** Damaged media databases met while reading (the reader reports them once each). */
  private readonly problems: { label: string; reason: string }[] = [];
  private readonly broken = new Set<number>();

  constructor(private readonly shards: readonly Pc3MediaDb[]) {
    this.byRowid = shards.map((s) => s.db.prepare('SELECT Buf FROM Media WHERE rowid = ?'));
  }

  find(svrId: string): Buffer | undefined {
    if (this.shards.length === 0) return undefined;
    this.index ??= this.buildIndex();
    const at = this.index.get(svrId);
    if (at === undefined || this.broken.has(at.shard)) return undefined;
    try {
      const row = this.byRowid[at.shard]!.get(at.rowid) as { Buf: unknown } | undefined;
      return row !== undefined && Buffer.isBuffer(row.Buf) && row.Buf.length > 0 ? row.Buf : undefined;
    } catch (e) {
      this.fail(at.shard, e);
      return undefined;
    }
  }

  /** Problems met since the last call. */
  takeProblems(): { label: string; reason: string }[] {
    return this.problems.splice(0);
  }

  private fail(shard: number, e: unknown): void {
    this.broken.add(shard);
    this.problems.push({ label: this.shards[shard]!.label, reason: `table Media: ${sqliteReason(e)}; its voice notes are reported missing` });
  }

  private buildIndex(): Map<string, { shard: number; rowid: number }> {
    const index = new Map<string, { shard: number; rowid: number }>();
    this.shards.forEach((s, shard) => {
      try {
        const ids = s.db.prepare('SELECT rowid AS r, CAST(Reserved0 AS TEXT) AS id FROM Media');
        for (const row of ids.iterate() as Iterable<{ r: number; id: string | null }>) {
          if (row.id !== null && row.id !== '0' && !index.has(row.id)) index.set(row.id, { shard, rowid: row.r });
        }
      } catch (e) {
        this.fail(shard, e);
      }
    });
    return index;
  }
}
