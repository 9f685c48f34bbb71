import type { Context } from '../context.js';
import type { ContentScope } from '../domain/authorization.js';
import type { ScanStatus } from '../db/tables/blobs.js';
import { SLOTS_PER_MS } from '../domain/message-key.js';
import { AppError, isAppError, notFound } from '../errors.js';
import { MAX_VOICE_BYTES, voiceToWav } from '../media/voice.js';
import { attachmentsOf, conversationByKey, conversationMemberLabels, conversationNeighbours, conversationPage, listConversations, messagesByKeys, type ConversationPosition, type ConversationSummaryRow } from '../repositories/messages.js';
import { isRestricted } from '../repositories/privacy.js';
import { consentOfConversation } from '../repositories/source-settings.js';
import { appendAudit } from './audit.js';
import { mayReadConversationRow, resolveScope } from './content-access.js';
import { conversationLabel, loadMessageViews, type MessageView } from './message-views.js';

/**
 * Reading archived content by key (the API): one message with its context, a page of a
 * conversation, one attachment. Each read is checked against the reader's content scope — what is
 * out of scope is "not found", never "forbidden" — and audited in the same transaction.
 * Privacy-RESTRICTED messages are "not found" too, and left out of conversation pages and context
 * (repositories/messages.ts); the legal-purpose path is the CLI's `show --legal-purpose`.
 */

const messageNotFound = (): Error => notFound('message.not_found', 'no such message');
const conversationNotFound = (): Error => notFound('conversation.not_found', 'no such conversation');

/**
 * Thrown inside a read of a reader limited to their own conversations (an employee) when the object
 * is outside that scope, or does not exist: answered exactly as "not found", audited after the
 * rollback. Both cases are audited, so that the answer's timing does not tell them apart either.
 */
class OutOfScope extends Error {
  constructor(readonly subject: string, readonly answer: Error, readonly reason: 'out_of_scope' | 'not_found' | 'restricted') {
    super(answer.message);
  }
}

/** A missing object: for a scoped reader, audited like a refused one (see OutOfScope); for others a plain "not found". */
const missing = (scope: ContentScope, subject: string, answer: Error): Error => (scope.kind === 'person' ? new OutOfScope(subject, answer, 'not_found') : answer);

/** Runs a scoped read; a refused one (another person's conversation) is audited as `access.denied` and answered "not found". */
async function scopedRead<T>(ctx: Context, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (!(e instanceof OutOfScope)) throw e;
    await appendAudit(ctx, ctx.db, { action: 'access.denied', subject: e.subject, details: { reason: e.reason } });
    throw e.answer;
  }
}

export interface MessageWithContext {
  message: MessageView & { recordHash: string; archivedAt: string };
  context: { before: MessageView[]; after: MessageView[] };
}

export async function readMessage(ctx: Context, key: number, scope: ContentScope, options: { context: number }): Promise<MessageWithContext> {
  return scopedRead(ctx, () => ctx.db.transaction().execute(async (trx) => {
    const [row] = await messagesByKeys(trx, [key]);
    // A privacy-RESTRICTED message (services/privacy-requests.ts) is "not found", like one out of scope.
    if (!row || (await isRestricted(trx, key))) throw missing(scope, `message:${key}`, messageNotFound());
    if (!(await mayReadConversationRow(trx, scope, row.conversationRowId))) throw new OutOfScope(`message:${key}`, messageNotFound(), 'out_of_scope');
    const { views } = await loadMessageViews(trx, [key]);
    const around = await conversationNeighbours(trx, row.conversationRowId, key, options.context);
    const before = (await loadMessageViews(trx, around.before)).views;
    const after = (await loadMessageViews(trx, around.after)).views;
    await appendAudit(ctx, trx, { action: 'message.viewed', subject: `${row.source}/${row.extId}`, details: { key, context: before.length + after.length } });
    return { message: { ...views[0]!, recordHash: row.recordHash, archivedAt: new Date(row.archivedAt).toISOString() }, context: { before, after } };
  }));
}

/**
 * A conversation the scope may open, or "not found" (audited by scopedRead): missing, another
 * person's (an employee), or one whose every message is privacy-restricted (it is not listed either).
 */
async function readableConversation(trx: Context['db'], scope: ContentScope, conversationKey: number): Promise<{ source: string; id: string; type: 'direct' | 'group'; title: string | null }> {
  const found = await conversationByKey(trx, conversationKey);
  if (!found) throw missing(scope, `conversation:${conversationKey}`, conversationNotFound());
  if (!(await mayReadConversationRow(trx, scope, conversationKey))) throw new OutOfScope(`conversation:${conversationKey}`, conversationNotFound(), 'out_of_scope');
  const { restrictedOnly, ...conv } = found;
  if (restrictedOnly) throw new OutOfScope(`conversation:${conversationKey}`, conversationNotFound(), 'restricted');
  return conv;
}

export interface ConversationPage {
  conversation: { key: number; source: string; id: string; type: 'direct' | 'group'; title: string | null; label: string };
  messages: MessageView[];
  hasBefore: boolean;
  hasAfter: boolean;
}

export type PagePosition = ConversationPosition;

/** A page of a conversation, oldest first. */
export async function readConversation(ctx: Context, conversationKey: number, scope: ContentScope, position: PagePosition, limit: number): Promise<ConversationPage> {
  return scopedRead(ctx, () => ctx.db.transaction().execute(async (trx) => {
    const conv = await readableConversation(trx, scope, conversationKey);
    const page = await conversationPage(trx, conversationKey, position, limit);
    const { views } = await loadMessageViews(trx, page.keys);
    const members = conv.title ? undefined : (await conversationMemberLabels(trx, [conversationKey])).get(conversationKey);
    await appendAudit(ctx, trx, { action: 'conversation.viewed', subject: `${conv.source}/${conv.id}`, details: { key: conversationKey, position: position.kind, messages: views.length } });
    return { conversation: { key: conversationKey, ...conv, label: conversationLabel(conv, members) }, messages: views, hasBefore: page.hasBefore, hasAfter: page.hasAfter };
  }));
}

export interface AttachmentContent {
  name: string;
  mime: string | null;
  size: number;
  sha256: string;
  /** Authenticated chunk by chunk; throws at the end on a size or hash mismatch (audited as `attachment.read_failed`). */
  body: AsyncIterable<Buffer>;
  /** What the audit events name. */
  ref: AttachmentRef;
}

/** One attachment's bytes (decrypted, verified while streaming), audited before any byte leaves. */
export async function readAttachment(ctx: Context, key: number, ordinal: number, scope: ContentScope, options: { as?: 'wav' } = {}): Promise<AttachmentContent> {
  const att = await scopedRead(ctx, () => ctx.db.transaction().execute(async (trx) => {
    const [row] = await messagesByKeys(trx, [key]);
    // A privacy-RESTRICTED message (services/privacy-requests.ts) is "not found", like one out of scope.
    if (!row || (await isRestricted(trx, key))) throw missing(scope, `message:${key}`, messageNotFound());
    if (!(await mayReadConversationRow(trx, scope, row.conversationRowId))) throw new OutOfScope(`message:${key}`, messageNotFound(), 'out_of_scope');
    const a = (await attachmentsOf(trx, [key])).get(key)?.find((x) => x.ordinal === ordinal);
    if (!a) throw notFound('attachment.not_found', 'no such attachment');
    assertServable(a.scanStatus);
    await appendAudit(ctx, trx, { action: 'attachment.viewed', subject: `${row.source}/${row.extId}`, details: { key, ordinal, sha256: a.sha256, ...(options.as ? { as: options.as } : {}) } });
    return { ...a, source: row.source, extId: row.extId };
  }));
  const body = ctx.blobs.read({ id: att.blobId, sha256: att.sha256, size: att.size, compression: att.compression, bucket: att.bucket, wrappedDek: att.wrappedDek });
  const ref = { source: att.source, extId: att.extId, key, ordinal };
  return { name: att.name, mime: att.mime, size: att.size, sha256: att.sha256, body: failureAudited(ctx, body, ref), ref };
}

type AttachmentRef = { source: string; extId: string; key: number; ordinal: number };

/**
 * `attachment.viewed` is written before any byte leaves (no audit, no content). When the bytes then
 * cannot be delivered — the stored object fails its check, a voice note cannot be decoded — the
 * attempt is completed by `attachment.read_failed`, so the log does not claim a delivery.
 */
async function auditReadFailure(ctx: Context, ref: AttachmentRef, e: unknown): Promise<void> {
  const code = isAppError(e) ? e.code : 'unexpected';
  await appendAudit(ctx, ctx.db, { action: 'attachment.read_failed', subject: `${ref.source}/${ref.extId}`, details: { key: ref.key, ordinal: ref.ordinal, code } });
}

async function* failureAudited(ctx: Context, body: AsyncIterable<Buffer>, ref: AttachmentRef): AsyncIterable<Buffer> {
  try {
    yield* body;
  } catch (e) {
    await auditReadFailure(ctx, ref, e);
    throw e;
  }
}

export interface ConversationSummary extends Omit<ConversationSummaryRow, 'lastKey'> {
  lastTime: string | null;
  /** conversationLabel: the title, else the members, else the id. */
  label: string;
}

/** The conversations a reader may open, busiest first (titles are content-adjacent: audited as a read). */
export async function listReadableConversations(ctx: Context, scope: ContentScope, page: { limit: number; offset: number }): Promise<{ total: number; conversations: ConversationSummary[] }> {
  return ctx.db.transaction().execute(async (trx) => {
    const resolved = await resolveScope(trx, scope);
    const only = resolved.kind === 'all' ? undefined : resolved.kind === 'none' ? [] : resolved.rowIds;
    const r = await listConversations(trx, only, page);
    const members = await conversationMemberLabels(trx, r.rows.filter((c) => !c.title).map((c) => c.key));
    await appendAudit(ctx, trx, { action: 'conversations.listed', details: { total: r.total, returned: r.rows.length, offset: page.offset } });
    return {
      total: r.total,
      conversations: r.rows.map(({ lastKey, ...c }) => ({ ...c, label: conversationLabel(c, members.get(c.key)), lastTime: lastKey === null ? null : new Date(Math.floor(lastKey / SLOTS_PER_MS)).toISOString() })),
    };
  });
}

/** A voice note decoded to WAV for playback in a browser (media/voice.ts); audited like any attachment read. */
export async function readVoiceAsWav(ctx: Context, key: number, ordinal: number, scope: ContentScope): Promise<{ name: string; wav: Buffer }> {
  const a = await readAttachment(ctx, key, ordinal, scope, { as: 'wav' });
  if (a.size > MAX_VOICE_BYTES) {
    const tooLarge = new AppError('media.too_large', 'voice note too large to convert', { status: 413 });
    await auditReadFailure(ctx, a.ref, tooLarge);
    throw tooLarge;
  }
  const parts: Buffer[] = [];
  for await (const piece of a.body) parts.push(piece); // a failed read is audited by the body
  try {
    return { name: a.name.replace(/\.[^.]*$/u, '') + '.wav', wav: await voiceToWav(Buffer.concat(parts)) };
  } catch (e) {
    await auditReadFailure(ctx, a.ref, e);
    throw e;
  }
}

/** Fail-closed: content is served only when the scanner said clean, or when no scanner is configured. */
export function assertServable(status: ScanStatus): void {
  if (status === 'pending') throw new AppError('attachment.pending_scan', 'this attachment waits for the malware scan; try again later', { status: 409 });
  if (status === 'infected') throw new AppError('attachment.quarantined', 'this attachment was found infected and is quarantined; an administrator can see the details', { status: 403 });
}

/** One external party's consent to the archiving of their conversations (WeCom), as the ledger shows it. */
export interface ConsentParty {
  /** The party's id (WeCom external_userid). */
  id: string;
  name: string | null;
  company: string | null;
  /** The latest entry: `agree` (including WeCom's Default_Agree) or `disagree`. */
  state: 'agree' | 'disagree';
  /** WeCom's status word of the latest entry when it came from a status check (`Agree`, `Disagree`, `Default_Agree`). */
  status: string | null;
  since: string;
  /** The ledger, newest first: from an agree/disagree message (`message`, with its id) or a directory status check. */
  events: { action: 'agree' | 'disagree'; time: string; via: 'message' | 'check_single_agree' | 'check_room_agree'; status: string | null; messageId: string | null }[];
}

const CONSENT_EVENTS_READ = 500;

/**
 * The consent ledger of one conversation: per external party who took part in it, their latest
 * consent and its history (issue 4: recording external parties lawfully depends on it). Same scope
 * as reading the conversation; audited `conversation.consent_viewed`.
 */
export async function conversationConsent(ctx: Context, conversationKey: number, scope: ContentScope): Promise<{ conversation: { key: number; source: string; id: string }; parties: ConsentParty[] }> {
  return scopedRead(ctx, () => ctx.db.transaction().execute(async (trx) => {
    const conv = await readableConversation(trx, scope, conversationKey);
    const rows = await consentOfConversation(trx, conversationKey, CONSENT_EVENTS_READ);
    const parties = new Map<string, ConsentParty>();
    for (const r of rows) {
      const d = r.details === null ? {} : (JSON.parse(r.details) as { via?: string; status?: string });
      const via = d.via === 'check_single_agree' || d.via === 'check_room_agree' ? d.via : 'message';
      const event = { action: r.action, time: new Date(r.timeMs).toISOString(), via, status: d.status ?? null, messageId: via === 'message' ? r.messageExtId : null } as const;
      const p = parties.get(r.party);
      if (p) p.events.push(event);
      else parties.set(r.party, { id: r.party, name: r.name, company: r.company, state: r.action, status: event.status, since: event.time, events: [event] });
    }
    await appendAudit(ctx, trx, { action: 'conversation.consent_viewed', subject: `${conv.source}/${conv.id}`, details: { key: conversationKey, parties: parties.size } });
    return { conversation: { key: conversationKey, source: conv.source, id: conv.id }, parties: [...parties.values()] };
  }));
}
