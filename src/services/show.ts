import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Context } from '../context.js';
import type { Database } from '../db/schema.js';
import { notFound, usageError } from '../errors.js';
import { assertOutsideDataDir, errorCode } from '../file-system.js';
import { conversationNeighbours, messageKeyOf, attachmentsOf } from '../repositories/messages.js';
import { isRestricted } from '../repositories/privacy.js';
import { appendAudit } from './audit.js';
import { assertServable } from './conversations.js';
import { loadMessageViews, toHitView, type HitView, type MessageView } from './message-views.js';

export interface MessageRef {
  source: string;
  id: string;
}

/** `<source>/<id>`: the source never contains "/", the id may. */
export function parseMessageRef(text: string): MessageRef {
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1) throw usageError('show.bad_ref', `expected <source>/<id>, got "${text}"`);
  return { source: text.slice(0, slash), id: text.slice(slash + 1) };
}

export interface ShownMessage {
  /** `raw` parsed, and `rawText` as stored: exactly as received (numbers beyond JavaScript's precision are exact only there). */
  message: MessageView & { raw: unknown; rawText: string | null; recordHash: string; archivedAt: string };
  context: { before: HitView[]; after: HitView[] };
}

/**
 * The legal purpose for which a privacy-RESTRICTED message may be read (issue 5: PIPL Art. 47,
 * GDPR Art. 18(2)): without one a restricted message is "not found", as if absent; with one it is
 * shown and the purpose goes into the audit event. Returns the audit details to add.
 */
async function restrictedAccess(db: Kysely<Database>, key: number, ref: MessageRef, legalPurpose: string | undefined): Promise<Record<string, unknown>> {
  const purpose = legalPurpose?.trim() ?? '';
  if (legalPurpose !== undefined && (purpose === '' || purpose.length > 1000)) throw usageError('show.bad_legal_purpose', '--legal-purpose needs a text of 1 to 1000 characters');
  const restricted = await isRestricted(db, key);
  if (restricted && purpose === '') throw notFound('message.not_found', `no archived message ${ref.source}/${ref.id}`);
  return restricted ? { restricted: true, legalPurpose: purpose } : purpose === '' ? {} : { legalPurpose: purpose };
}

/** One message with its conversation context. Audited as a read of content. */
export async function showMessage(ctx: Context, ref: MessageRef, options: { context: number; legalPurpose?: string | undefined }): Promise<ShownMessage> {
  return ctx.db.transaction().execute(async (trx) => {
    const key = await messageKeyOf(trx, ref.source, ref.id);
    if (key === undefined) throw notFound('message.not_found', `no archived message ${ref.source}/${ref.id}`);
    const access = await restrictedAccess(trx, key, ref, options.legalPurpose);
    const { rows, views } = await loadMessageViews(trx, [key]);
    const row = rows[0]!;
    const view = views[0]!;
    const around = await conversationNeighbours(trx, row.conversationRowId, key, options.context);
    const before = (await loadMessageViews(trx, around.before)).views.map(toHitView);
    const after = (await loadMessageViews(trx, around.after)).views.map(toHitView);
    await appendAudit(ctx, trx, { action: 'message.viewed', subject: `${ref.source}/${ref.id}`, details: { context: before.length + after.length, ...access } });
    return {
      message: { ...view, raw: row.raw === null ? null : (JSON.parse(row.raw) as unknown), rawText: row.raw, recordHash: row.recordHash, archivedAt: new Date(row.archivedAt).toISOString() },
      context: { before, after },
    };
  });
}

/** Bytes a name may take: file systems allow 255, and an export adds a temporary prefix and ` (N)`. */
const NAME_BYTES = 180;

/**
 * A file name safe to create in a directory: no separators, control characters or dot-only names,
 * and at most NAME_BYTES of UTF-8 (a long Chinese name was ENAMETOOLONG): shortened in its stem,
 * whole characters only, keeping a short extension.
 */
export function safeFileName(name: string, ordinal: number): string {
  const cleaned = `${ordinal + 1}-${name.replace(/[/\\\p{Cc}]/gu, '_').replace(/^\.+$/, '_') || 'attachment'}`;
  if (Buffer.byteLength(cleaned) <= NAME_BYTES) return cleaned;
  const dot = cleaned.lastIndexOf('.');
  const ext = dot > 0 && cleaned.length - dot <= 16 ? cleaned.slice(dot) : '';
  let stem = '';
  let bytes = Buffer.byteLength(ext) + 3; // '…' is 3 bytes
  for (const ch of cleaned.slice(0, cleaned.length - ext.length)) {
    bytes += Buffer.byteLength(ch);
    if (bytes > NAME_BYTES) break;
    stem += ch;
  }
  return `${stem}…${ext}`;
}

export interface ExportedAttachment {
  name: string;
  file: string;
  size: number;
  sha256: string;
}

/** `dir/name`, or `dir/stem (2).ext`, `(3)`, … when that is taken: an export never overwrites a file. */
function freePath(dir: string, name: string): string {
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let n = 1; ; n++) {
    const file = join(dir, n === 1 ? name : `${stem} (${n})${ext}`);
    if (!existsSync(file)) return file;
  }
}

/** Writes a message's attachments to `dir`, each verified against its SHA-256 before it appears; an existing file is never overwritten. */
export async function exportAttachments(ctx: Context, ref: MessageRef, dir: string, options: { legalPurpose?: string | undefined } = {}): Promise<ExportedAttachment[]> {
  assertOutsideDataDir(dir, ctx.config.dataDir, 'show.bad_target', 'the attachments directory (--attachments-to)');
  const key = await messageKeyOf(ctx.db, ref.source, ref.id);
  if (key === undefined) throw notFound('message.not_found', `no archived message ${ref.source}/${ref.id}`);
  const access = await restrictedAccess(ctx.db, key, ref, options.legalPurpose);
  const atts = (await attachmentsOf(ctx.db, [key])).get(key) ?? [];
  for (const a of atts) assertServable(a.scanStatus);
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (e) {
    throw usageError('show.bad_target', `--attachments-to ${dir}: cannot write there (${errorCode(e) ?? 'not a directory'}); give a new or writable directory`);
  }
  // Audited before any byte leaves the archive: a failed write may leave an audit entry, never an unaudited read.
  await ctx.db.transaction().execute(async (trx) => {
    await appendAudit(ctx, trx, { action: 'attachment.exported', subject: `${ref.source}/${ref.id}`, details: { count: atts.length, sha256: atts.map((a) => a.sha256), ...access } });
  });
  const out: ExportedAttachment[] = [];
  for (const a of atts) {
    const file = freePath(dir, safeFileName(a.name, a.ordinal));
    await ctx.blobs.writeTo({ id: a.blobId, sha256: a.sha256, size: a.size, compression: a.compression, bucket: a.bucket, wrappedDek: a.wrappedDek }, file);
    out.push({ name: a.name, file, size: a.size, sha256: a.sha256 });
  }
  return out;
}
