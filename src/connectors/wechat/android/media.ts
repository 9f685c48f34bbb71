import type Sqlite from 'better-sqlite3-multiple-ciphers';
import { basename, join } from 'node:path';
import type { ConnectorAttachment, InMemoryAttachment } from '../../../services/import-prepare.js';
import { mimeOfFileName } from '../file-types.js';
import type { WeChatContent } from '../message-content.js';
import { fileMedia, md5Hex, readFirstFile, sniffMime, tooLargeToDecode, type FoundFile } from '../reader-kit.js';
import { voiceWithWav } from '../voice-media.js';

/**
 * The media of one Android message, from the folders next to `EnMicroMsg.db` (reference B.3 names
 * the folders; the file names below are Android WeChat's layout as wechat-dump reads it):
 * - voice: `voice2/<h[0:2]>/<h[2:4]>/msg_<imgPath>.amr` with h = md5(imgPath) — SILK despite the
 *   name (AMR on very old phones); attached as is plus a WAV;
 * - image: `imgPath` is `THUMBNAIL_DIRPATH://th_<name>`; the full image is `ImgInfo2.bigImgPath`
 *   (by msgSvrId), both under `image2/<n[0:2]>/<n[2:4]>/`; plain image files (WXGF, Tencent's
 *   own format, is kept as is); the thumbnail stands in when the full image is missing;
 * - video: `video/<imgPath>.mp4` (thumbnail `video/<imgPath>.jpg`);
 * - file: `attachment/<file name>` or `Download/<file name>`.
 * Names stay inside the export folder: anything with a path separator or `..` is refused.
 */

export interface AndroidMediaRow {
  imgPath: string | undefined;
  svrId: string | undefined;
  mapped: WeChatContent;
}

export interface AndroidRowMedia {
  media: ConnectorAttachment[];
  missing: string[];
  notes: string[];
}

const safeName = (n: string): boolean => n !== '' && n !== '.' && n !== '..' && !/[\\/:]/.test(n);

export class AndroidMedia {
  constructor(
    private readonly dir: string,
    /** `ImgInfo2` msgSvrId → bigImgPath, read when the database was opened. */
    private readonly bigImages: ReadonlyMap<string, string>,
  ) {}

  async of(row: AndroidMediaRow): Promise<AndroidRowMedia> {
    const out: AndroidRowMedia = { media: [], missing: [], notes: [] };
    const kind = row.mapped.mediaHints.kind;
    const img = row.imgPath;
    if (kind === 'voice') {
      if (img === undefined || !safeName(img)) return missing(out, 'voice (the row names no file)');
      const h = md5Hex(img);
      const rel = ['voice2', h.slice(0, 2), h.slice(2, 4), `msg_${img}.amr`];
      const found = this.read(rel, 'voice', out);
      if (found === undefined) return out;
      const v = await voiceWithWav(found, `voice-${row.svrId ?? img}`);
      out.media.push(...v.media);
      if (v.wavProblem !== undefined) out.notes.push(v.wavProblem);
    } else if (kind === 'image') {
      const thumb = img?.replace(/^THUMBNAIL_DIRPATH:\/\//, '');
      const big = row.svrId === undefined ? undefined : this.bigImages.get(row.svrId)?.replace(/^SERVERID:\/\//, '');
      const full = big !== undefined && safeName(big) ? this.read(imagePath(big), 'image', out) : undefined;
      if (full !== undefined) {
        out.media.push(imageAttachment(big!, full, out));
      } else {
        if (big === undefined) out.missing.push('image (no ImgInfo2 entry)');
        const small = thumb !== undefined && safeName(thumb) ? this.read(imagePath(thumb), 'image thumbnail', { media: [], missing: [], notes: [] }) : undefined;
        if (small !== undefined) {
          out.media.push(imageAttachment(thumb!, small, out));
          out.notes.push('image: only the thumbnail is in the export');
        }
      }
    } else if (kind === 'video') {
      if (img === undefined || !safeName(img)) return missing(out, 'video (the row names no file)');
      const video = this.find(['video', `${img}.mp4`], 'video', out);
      if (video !== undefined) out.media.push(fileMedia(video, `${img}.mp4`, 'video/mp4'));
      else {
        const thumb = this.read(['video', `${img}.jpg`], 'video thumbnail', { media: [], missing: [], notes: [] });
        if (thumb !== undefined) {
          out.media.push({ name: `${img}.jpg`, mime: sniffMime(thumb), data: thumb });
          out.notes.push('video: only the thumbnail is in the export');
        }
      }
    } else if (kind === 'file') {
      const name = row.mapped.mediaHints.fileName;
      if (name === undefined || !safeName(name)) return missing(out, 'file (the row names no file)');
      const found = readFirstFile([join(this.dir, 'attachment', name), join(this.dir, 'Download', name)]);
      if (found === undefined) out.missing.push(`file attachment/${name}`);
      else out.media.push(fileMedia(found, name, mimeOfFileName(name)));
    }
    return out;
  }

  /** A file to decode (voice, image, thumbnail): its bytes, or missing. */
  private read(rel: string[], what: string, out: AndroidRowMedia): Buffer | undefined {
    const found = this.find(rel, what, out);
    if (found !== undefined && 'large' in found) {
      out.missing.push(tooLargeToDecode(`${what} ${rel.join('/')}`));
      return undefined;
    }
    return found?.data;
  }

  private find(rel: string[], what: string, out: AndroidRowMedia): FoundFile | undefined {
    const found = readFirstFile([join(this.dir, ...rel)]);
    if (found === undefined) out.missing.push(`${what} ${rel.join('/')}`);
    return found;
  }
}

function missing(out: AndroidRowMedia, what: string): AndroidRowMedia {
  out.missing.push(what);
  return out;
}

/** `image2/<n[0:2]>/<n[2:4]>/<name>`, the two levels taken from the name without its `th_` prefix. */
function imagePath(name: string): string[] {
  const n = name.replace(/^th_/, '');
  return ['image2', n.slice(0, 2), n.slice(2, 4), name];
}

function imageAttachment(name: string, data: Buffer, out: AndroidRowMedia): InMemoryAttachment {
  const mime = sniffMime(data);
  if (mime === undefined || !mime.startsWith('image/')) out.notes.push('image: format not recognized (WXGF?), kept as is');
  const ext = mime === 'image/jpeg' ? '.jpg' : mime === 'image/png' ? '.png' : mime === 'image/gif' ? '.gif' : mime === 'image/webp' ? '.webp' : '';
  const base = basename(name);
  return { name: ext !== '' && !base.toLowerCase().endsWith(ext) ? `${base}${ext}` : base, mime: mime ?? 'application/octet-stream', data };
}

/** `ImgInfo2(msgSvrId, bigImgPath)` as a map (read before the messages: one connection reads one query at a time). */
export function loadBigImagePaths(db: Sqlite.Database): Map<string, string> {
  const map = new Map<string, string>();
  const rows = db.prepare("SELECT CAST(msgSvrId AS TEXT) AS id, bigImgPath AS p FROM ImgInfo2 WHERE bigImgPath IS NOT NULL AND bigImgPath != ''").iterate() as Iterable<{ id: string | null; p: unknown }>;
  for (const r of rows) if (r.id !== null && r.id !== '0' && typeof r.p === 'string') map.set(r.id, r.p);
  return map;
}
