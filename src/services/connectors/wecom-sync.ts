import { createHash, hkdfSync } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Context } from '../../context.js';
import { open as openSealed, seal } from '../../crypto/aead.js';
import type { Database } from '../../db/schema.js';
import { acquireWriterLock } from '../../db/writer-lock.js';
import { AppError, fatalError } from '../../errors.js';
import { isWeComSdkError, missingPrivateKeyError, WeComSdkError, type ChatDataItem, type WeComArchiveClient } from '../../connectors/wecom/archive-client.js';
import { normalizeWeComMessage, parseDecryptedMessage, type ConsentEvent, type WeComMediaRef, type WeComRecordInput } from '../../connectors/wecom/normalize.js';
import { createUnwrapPool, type UnwrapResult } from '../../connectors/wecom/unwrap-pool.js';
import { prepareMessageLookups } from '../../repositories/messages.js';
import * as settings from '../../repositories/source-settings.js';
import { recordUnrecoverableGap } from '../../repositories/sources.js';
import { appendAudit } from '../audit.js';
import { openArchiveWriter, type ImportSummary } from '../import.js';
import { isBadLine, prepareRecordObject, type BadLine, type InMemoryAttachment, type PreparedRecord } from '../import-prepare.js';
import { attachLate } from '../late-attachments.js';
import { redeliveredWithChangedDetails } from '../redelivery.js';
import { loadWeComSource, type WeComSource } from './wecom-source.js';

/**
 * One sync of a WeCom chat-archive source: pull `GetChatData` from the durable cursor (exclusive),
 * up to 1000 per call; per message unwrap the random key (RSA PKCS#1 v1.5, by `publickey_ver`),
 * `DecryptData`, parse (control characters stripped and counted), normalize, download its media
 * (chunked, resumable across restarts, md5-checked), then archive the batch through the common
 * ingest (dedupe by msgid, malware scan, encryption, index, audit) and advance the cursor in the
 * SAME transaction. At-least-once from the SDK, exactly-once in the archive.
 *
 * Errors: retryable SDK codes (10001–10003) are retried with backoff; a message whose key version
 * we do not hold stops the sync before anything of its batch is stored (nothing is lost: Tencent
 * keeps it, the cursor stays) with an actionable error naming the version; other SDK errors stop
 * the sync with WeCom's meaning. Media that cannot be fetched is archived as missing (named in the
 * record) and the failure recorded.
 */

export interface WeComSyncOptions {
  /** Messages per GetChatData call (1–1000). */
  limit?: number;
  /** Stop after this many batches (default: until the SDK has nothing more). */
  maxBatches?: number;
  /** Opens the SDK (tests pass the C double; production loads the configured library). */
  openClient: (source: WeComSource) => WeComArchiveClient | Promise<WeComArchiveClient>;
  /** Backoff sleep (tests pass a fast one). */
  sleep?: (ms: number) => Promise<void>;
  onBatch?: (progress: { batches: number; fetched: number; cursor: number }) => void;
  /** Largest media file downloaded (held in memory while checked and stored); default 512 MiB. */
  maxMediaBytes?: number;
}

/** How this sync waits between retries, and its media size limit. */
interface SyncIo {
  sleep: (ms: number) => Promise<void>;
  maxMediaBytes: number;
}

export interface WeComSyncSummary {
  source: string;
  status: 'completed' | 'partial';
  fromSeq: number;
  toSeq: number;
  batches: number;
  fetched: number;
  imported: number;
  duplicates: number;
  /** Duplicates WeCom served again with other media or details (counted in `duplicates`); the archived record is kept. */
  duplicatesWithChangedDetails: number;
  quarantined: number;
  /**
   * `failed`: files of this sync's messages that could not be downloaded (the message is archived
   * naming them; later syncs try again). `attachedLate`: files of earlier messages fetched now and
   * attached to them; `abandoned`: files given up (past Tencent's ~5-day retention, or 10 attempts).
   */
  media: { downloaded: number; resumed: number; failed: number; md5Mismatches: number; attachedLate: number; abandoned: number };
  consentEvents: number;
  controlCharsStripped: number;
  retries: number;
  /**
   * Seq ranges skipped because WeCom answered 10010 (expired: past its ~5-day retention) for them;
   * recorded in `source_gaps` (`wekeep sources`) and audited as `source.gap_unrecoverable`.
   */
  unrecoverable: { from: number; to: number }[];
  importId: number;
  durationMs: number;
}

/** Tencent keeps chat data for 5 days; warn well before. */
export const TENCENT_RETENTION_MS = 5 * 86_400_000;
export const LAG_WARNING_MS = 3 * 86_400_000;
const MAX_RETRIES = 6;
const MAX_MEDIA_BYTES = 512 * 1024 * 1024;
/** SDK errors that concern the whole source, not one file: bad parameters, private key, IP whitelist, certificate. */
const SOURCE_WIDE_SDK_CODES = new Set([10000, 10004, 10009, 10011]);

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function withRetry<T>(fn: () => Promise<T>, sleep: (ms: number) => Promise<void>, onRetry: () => void): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isWeComSdkError(e) || !e.retryable || attempt >= MAX_RETRIES) throw e;
      onRetry();
      await sleep(Math.min(30_000, 250 * 2 ** attempt));
    }
  }
}

export async function syncWeComSource(ctx: Context, name: string, options: WeComSyncOptions): Promise<WeComSyncSummary> {
  const release = acquireWriterLock(ctx.config.dataDir);
  try {
    return await runSync(ctx, await loadWeComSource(ctx, name), options);
  } finally {
    release();
  }
}

async function runSync(ctx: Context, source: WeComSource, options: WeComSyncOptions): Promise<WeComSyncSummary> {
  const started = ctx.clock.now();
  const sleep = options.sleep ?? defaultSleep;
  const io: SyncIo = { sleep, maxMediaBytes: options.maxMediaBytes ?? MAX_MEDIA_BYTES };
  const limit = Math.min(1000, Math.max(1, options.limit ?? 1000));
  const summary: WeComSyncSummary = {
    source: source.name, status: 'completed', fromSeq: source.cursorSeq, toSeq: source.cursorSeq, batches: 0, fetched: 0, imported: 0, duplicates: 0, duplicatesWithChangedDetails: 0, quarantined: 0,
    media: { downloaded: 0, resumed: 0, failed: 0, md5Mismatches: 0, attachedLate: 0, abandoned: 0 }, consentEvents: 0, controlCharsStripped: 0, retries: 0, unrecoverable: [], importId: 0, durationMs: 0,
  };
  const row = await settings.findSourceSettings(ctx.db, source.name);
  if (row?.last_success_at && started - Number(row.last_success_at) > TENCENT_RETENTION_MS) {
    // Messages older than Tencent's retention that we never fetched are gone: say so, once. Failed
    // attempts in between fetched nothing, so this counts from the last successful sync.
    await appendAudit(ctx, ctx.db, { action: 'source.gap_unrecoverable', subject: `source:${source.name}`, details: { lastSyncAt: new Date(Number(row.last_success_at)).toISOString(), cursor: source.cursorSeq } });
  }
  const pool = createUnwrapPool(source.secrets.privateKeys);
  let client: Awaited<ReturnType<typeof options.openClient>>;
  try {
    client = await options.openClient(source);
  } catch (e) {
    // An SDK that cannot be loaded or refuses the corp id and secret: the pool's threads must not keep
    // the process alive, and the source's status must say why it did not sync.
    await pool.close();
    await recordSyncOutcome(ctx, source, 'failed', e);
    throw e;
  }
  try {
    await retryMissingMedia(ctx, client, source, io, summary);
  } catch (e) {
    client.close();
    await pool.close();
    await recordSyncOutcome(ctx, source, 'failed', e);
    throw e;
  }
  const writer = await openArchiveWriter(ctx, { file: `sdk:${source.name}`, format: 'wecom', details: { source: source.name, fromSeq: source.cursorSeq } });
  summary.importId = writer.importId;

  // Pulls run ahead of archiving: while batch N is decrypted and archived on this thread, batch N+1's
  // keys are unwrapped on the worker threads and batch N+2 is already pulled (GetChatData runs on
  // koffi's thread), so the workers, which bound the sync, never wait for a pull.
  const pullAt = (seq: number, n: number): Promise<ChatDataItem[]> => withRetry(() => client.getChatData(seq, n), sleep, () => summary.retries++);
  const pulls = createPullQueue({
    pull: async (seq) => {
      try {
        return { items: await pullAt(seq, limit) };
      } catch (e) {
        if (!isExpired(e)) throw e;
        return skipExpired(seq, pullAt, limit);
      }
    },
    unwrap: (items) => {
      // A key version we do not hold stops the sync before anything of this batch is stored.
      const missing = items.find((i) => source.secrets.privateKeys[String(i.publickey_ver)] === undefined);
      if (missing) throw missingPrivateKeyError(missing.publickey_ver);
      return pool.unwrapAll(items.map((i) => ({ version: i.publickey_ver, key: i.encrypt_random_key })));
    },
    from: source.cursorSeq, limit, maxBatches: options.maxBatches,
  });

  let line = 0;
  let changedDetails = 0;
  const lookups = prepareMessageLookups(ctx.db, ctx.sqlite);
  try {
    let cursor = source.cursorSeq;
    for (;;) {
      const pulled = await pulls.next();
      if (pulled === undefined) break;
      const { items, maxSeq, skipped } = pulled;
      /** Records a skipped expired range with the cursor, in the batch's transaction. */
      const recordSkip = async (trx: Kysely<Database>): Promise<void> => {
        if (!skipped) return;
        await recordUnrecoverableGap(trx, source.sourceId, { from: skipped.from, to: skipped.to, reason: 'expired', detectedAt: ctx.clock.now() });
        await appendAudit(ctx, trx, { action: 'source.gap_unrecoverable', subject: `source:${source.name}`, details: { fromSeq: skipped.from, toSeq: skipped.to, reason: 'expired', resumedAfter: skipped.resumeSeq } });
        summary.unrecoverable.push({ from: skipped.from, to: skipped.to });
      };
      if (items.length === 0) {
        // Everything after the cursor had expired and nothing newer is there yet: record the gap, move on.
        await ctx.db.transaction().execute(async (trx) => {
          await recordSkip(trx);
          await settings.advanceCursor(trx, source.sourceId, maxSeq);
        });
        summary.toSeq = cursor = maxSeq;
        continue;
      }
      const keys = await pulled.keys;
      const records: PreparedRecord[] = [];
      const bad: BadLine[] = [];
      const consents: ConsentEvent[] = [];
      const missingMedia: { messageExtId: string; ref: WeComMediaRef }[] = [];
      for (const [i, item] of items.entries()) {
        line++;
        const outcome = await prepareItem(ctx, client, source, item, keys[i]!, line, io, summary);
        if (isBadLine(outcome.prepared)) bad.push(outcome.prepared);
        else {
          records.push(outcome.prepared);
          for (const ref of outcome.missing ?? []) missingMedia.push({ messageExtId: outcome.prepared.record.id, ref });
        }
        if (outcome.consent) consents.push(outcome.consent);
      }
      // A message WeCom serves again (under a later seq) whose media or details differ is not a conflict (services/redelivery.ts).
      const changed = await redeliveredWithChangedDetails(writer.db, lookups, records);
      changedDetails += changed.size;
      const fresh = changed.size === 0 ? records : records.filter((p) => !changed.has(p));
      const changedIds = new Set([...changed].map((p) => p.record.id));
      const freshMissing = missingMedia.filter((m) => !changedIds.has(m.messageExtId));
      await writer.archive({ records: fresh, bad, blankLines: 0, lines: line, bytesRead: 0 }, {
        inTransaction: async (trx: Kysely<Database>) => {
          for (const c of consents) {
            await settings.recordConsent(trx, { sourceId: source.sourceId, messageExtId: c.msgid, party: c.externalUserId, action: c.decision, timeMs: c.timeMs, details: JSON.stringify({ conversation: c.conversation.id, counterparts: c.counterpartIds }) });
          }
          await recordSkip(trx);
          // Files that could not be downloaded wait for a later sync (retryMissingMedia).
          await settings.addMissingMedia(trx, freshMissing.map(({ messageExtId, ref }) => ({
            sourceId: source.sourceId, messageExtId, fileId: ref.sdkfileid, name: ref.name, mime: ref.mime ?? null, md5sum: ref.md5sum ?? null, now: ctx.clock.now(),
          })));
          await settings.advanceCursor(trx, source.sourceId, maxSeq);
        },
      });
      summary.consentEvents += consents.length;
      summary.batches++;
      summary.fetched += items.length;
      summary.toSeq = cursor = maxSeq;
      options.onBatch?.({ batches: summary.batches, fetched: summary.fetched, cursor });
    }
  } catch (e) {
    await pulls.drain();
    await writer.fail();
    await recordSyncOutcome(ctx, source, 'failed', e);
    throw e;
  } finally {
    await pulls.drain();
    client.close();
    await pool.close();
  }
  const imported = await writer.finish();
  copyCounts(summary, imported, changedDetails);
  summary.status = summary.quarantined > 0 || summary.media.failed > 0 || summary.unrecoverable.length > 0 ? 'partial' : 'completed';
  summary.durationMs = ctx.clock.now() - started;
  await recordSyncOutcome(ctx, source, summary.status, undefined, summary);
  return summary;
}

/** A range the pull had to skip: seqs `from`..`to` expired at WeCom; pulling resumed after `resumeSeq`. */
interface SkippedRange {
  from: number;
  to: number;
  resumeSeq: number;
}

interface PulledBatch {
  /** Empty only when the batch is a skip with nothing after it (`maxSeq` is then the new cursor). */
  items: ChatDataItem[];
  maxSeq: number;
  skipped?: SkippedRange | undefined;
  /** The batch's unwrapped random keys, in item order. */
  keys: Promise<UnwrapResult[]>;
}

/** How many batches are pulled ahead of the one being archived. */
const PULL_AHEAD = 2;

/**
 * The batches of one sync in seq order, pulled ahead: each pull starts as soon as the previous
 * batch's items are known (seq is the previous batch's highest), its unwraps are queued at once,
 * and at most PULL_AHEAD batches wait to be archived. The last batch is the first that is shorter
 * than `limit` (or the `maxBatches`th); an empty batch ends it. A failed pull or unwrap is
 * reported when its batch is reached, after the batches before it were archived.
 */
export function createPullQueue(o: {
  pull: (seq: number) => Promise<{ items: ChatDataItem[]; skipped?: SkippedRange | undefined }>;
  unwrap: (items: ChatDataItem[]) => Promise<UnwrapResult[]>;
  from: number;
  limit: number;
  maxBatches?: number | undefined;
}): { next(): Promise<PulledBatch | undefined>; drain(): Promise<void> } {
  const queue: Promise<PulledBatch | undefined>[] = [];
  const started: Promise<unknown>[] = [];
  let pulled = 0;
  let done = false;
  let seq = o.from;
  let tail: Promise<unknown> = Promise.resolve();
  const produce = (): void => {
    if (done || queue.length >= PULL_AHEAD || (o.maxBatches !== undefined && pulled >= o.maxBatches)) return;
    pulled++;
    const batch = tail.then(async (): Promise<PulledBatch | undefined> => {
      // The batch before ended the sync (short, empty or failed) while this one was queued.
      if (done) return undefined;
      const { items, skipped } = await o.pull(seq);
      if (items.length === 0) {
        done = true;
        return skipped ? { items, maxSeq: skipped.resumeSeq, keys: Promise.resolve([]), skipped } : undefined;
      }
      const maxSeq = Math.max(...items.map((i) => i.seq));
      if (items.length < o.limit) done = true;
      seq = maxSeq;
      const keys = o.unwrap(items);
      started.push(keys.catch(() => undefined));
      return { items, maxSeq, keys, skipped };
    });
    // A failure stops further pulls; it is thrown when its batch is taken.
    tail = batch.then(
      () => undefined,
      () => {
        done = true;
      },
    );
    started.push(tail);
    queue.push(batch);
    void tail.then(produce);
  };
  produce();
  return {
    async next() {
      const batch = queue.shift();
      if (batch === undefined) return undefined;
      const b = await batch;
      produce();
      return b;
    },
    async drain() {
      done = true;
      await Promise.all([...queue.map((q) => q.catch(() => undefined)), ...started]);
    },
  };
}

const isExpired = (e: unknown): boolean => isWeComSdkError(e) && e.sdkCode === 10010;
/** Probing stops here: a cursor this far behind is not a retention gap but a wrong cursor. */
const MAX_SKIP = 2 ** 40;

/**
 * WeCom answered 10010 (expired) for the batch after `cursor`: the messages after it are past
 * Tencent's retention and gone. Finds the lowest cursor WeCom still serves — probes of one message
 * at cursor + 1, + 2, + 4, … until one is not expired, then a binary search between the last expired
 * and the first served probe (about 2·log2(distance) calls) — and pulls the batch after it. The
 * skipped range is the cursor + 1 up to the message before the first one served (or up to the new
 * cursor when nothing is served yet).
 */
export async function skipExpired(
  cursor: number,
  pullAt: (seq: number, n: number) => Promise<ChatDataItem[]>,
  limit: number,
): Promise<{ items: ChatDataItem[]; skipped: SkippedRange }> {
  const expiredAt = async (seq: number): Promise<boolean> => {
    try {
      await pullAt(seq, 1);
      return false;
    } catch (e) {
      if (isExpired(e)) return true;
      throw e;
    }
  };
  let lo = cursor;
  let step = 1;
  while (await expiredAt(cursor + step)) {
    lo = cursor + step;
    step *= 2;
    if (step > MAX_SKIP) throw new WeComSdkError(10010, { operation: 'GetChatData' });
  }
  let hi = cursor + step;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (await expiredAt(mid)) lo = mid;
    else hi = mid;
  }
  const items = await pullAt(hi, limit);
  const firstServed = items.length > 0 ? Math.min(...items.map((i) => i.seq)) : undefined;
  return { items, skipped: { from: cursor + 1, to: firstServed === undefined ? hi : firstServed - 1, resumeSeq: hi } };
}

function copyCounts(summary: WeComSyncSummary, imported: ImportSummary, changedDetails: number): void {
  summary.imported = imported.imported;
  summary.duplicates = imported.duplicates + changedDetails;
  summary.duplicatesWithChangedDetails = changedDetails;
  summary.quarantined = imported.quarantined;
}

async function recordSyncOutcome(ctx: Context, source: WeComSource, status: string, error?: unknown, summary?: WeComSyncSummary): Promise<void> {
  const message = error === undefined ? null : error instanceof AppError ? `${error.code}: ${error.message}` : 'unexpected error';
  await ctx.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now();
    await settings.updateSourceSettings(trx, source.sourceId, { last_sync_at: now, last_sync_status: status, last_error: message, ...(error === undefined ? { last_success_at: now } : {}) });
    await appendAudit(ctx, trx, {
      action: error === undefined ? 'source.synced' : 'source.sync_failed',
      subject: `source:${source.name}`,
      details: summary
        ? { fromSeq: summary.fromSeq, toSeq: summary.toSeq, fetched: summary.fetched, imported: summary.imported, duplicates: summary.duplicates, quarantined: summary.quarantined, mediaFailed: summary.media.failed, retries: summary.retries }
        : { error: error instanceof AppError ? error.code : 'unexpected' },
    });
  });
}

/** One chat item → a prepared record (or a quarantined line), with its media downloaded. */
async function prepareItem(
  ctx: Context, client: WeComArchiveClient, source: WeComSource, item: ChatDataItem, unwrapped: UnwrapResult, line: number,
  io: SyncIo, summary: WeComSyncSummary,
): Promise<{ prepared: PreparedRecord | BadLine; consent?: ConsentEvent; missing?: WeComMediaRef[] }> {
  // A bad wrapped key is this item's problem: quarantined with the item's ids (not its content).
  if ('error' in unwrapped) {
    const itemText = JSON.stringify({ seq: item.seq, msgid: item.msgid, publickey_ver: item.publickey_ver });
    return { prepared: { line, reason: `seq ${item.seq} msgid ${item.msgid}: encrypt_random_key: ${unwrapped.error}`, content: itemText } };
  }
  const randomKey = unwrapped.key;
  const text = await withRetry(() => client.decrypt(randomKey, item.encrypt_chat_msg), io.sleep, () => summary.retries++);
  let parsed;
  try {
    parsed = parseDecryptedMessage(text);
  } catch (e) {
    return { prepared: { line, reason: `seq ${item.seq}: decrypted message is not JSON: ${(e as Error).message}`, content: text } };
  }
  summary.controlCharsStripped += parsed.strippedControlChars;
  const n = normalizeWeComMessage(parsed.json, { source: source.name, seq: item.seq, corpId: source.config.corpId, strippedControlChars: parsed.strippedControlChars });
  if (!n.ok) return { prepared: { line, reason: `seq ${item.seq}: ${n.reason}`, content: text } };
  const attachments: InMemoryAttachment[] = [];
  const missing: string[] = [];
  const missingRefs: WeComMediaRef[] = [];
  const md5Mismatch: string[] = [];
  for (const ref of n.media) {
    const got = await downloadMedia(ctx, client, source, ref, io, summary);
    if (!got) {
      missing.push(ref.name);
      // A file over the size limit would fail the same way every time: not retried.
      if ((await settings.findMedia(ctx.db, source.sourceId, ref.sdkfileid))?.problem !== 'wecom.media_too_large') missingRefs.push(ref);
    }
    else {
      attachments.push({ name: ref.name, mime: ref.mime, data: got.data });
      if (got.md5Mismatch) md5Mismatch.push(ref.name);
    }
  }
  // Kept with a flag: a file whose bytes never matched WeCom's md5sum, even after a fresh download.
  const wecom = { ...n.record.wecom, ...(missing.length > 0 ? { missingAttachments: missing } : {}), ...(md5Mismatch.length > 0 ? { md5Mismatch } : {}) };
  const record: WeComRecordInput = { ...n.record, wecom };
  const prepared = prepareRecordObject({ ...record, attachments: undefined } as Record<string, unknown>, { line, text, attachments, dedupKey: ctx.keys.dedupKey });
  return { prepared, ...(n.event?.kind === 'consent' ? { consent: n.event } : {}), ...(missingRefs.length > 0 ? { missing: missingRefs } : {}) };
}

/** Attempts per missing file before it is given up (besides Tencent's retention). */
const MAX_LATE_ATTEMPTS = 10;

/**
 * Files that earlier syncs could not download (table missing_media): tried again at the start of
 * each sync while Tencent keeps them, and attached to their archived message when they arrive
 * (services/late-attachments.ts). Past Tencent's retention, or after MAX_LATE_ATTEMPTS, a file is
 * abandoned (audited `source.media_abandoned`). A problem of the whole source stops the sync.
 */
async function retryMissingMedia(ctx: Context, client: WeComArchiveClient, source: WeComSource, io: SyncIo, summary: WeComSyncSummary): Promise<void> {
  const now = ctx.clock.now();
  const abandoned: string[] = [];
  // Download counters of these retries are not this sync's own (a failed retry does not make it partial).
  const scratch: WeComSyncSummary = { ...summary, media: { ...summary.media } };
  for (const row of await settings.waitingMissingMedia(ctx.db, source.sourceId, 500)) {
    if (now - Number(row.created_at) > TENCENT_RETENTION_MS || row.attempts >= MAX_LATE_ATTEMPTS) {
      await settings.updateMissingMedia(ctx.db, row, { status: 'abandoned', updated_at: now });
      abandoned.push(row.message_ext_id);
      continue;
    }
    await settings.updateMissingMedia(ctx.db, row, { attempts: row.attempts + 1, updated_at: now });
    const ref: WeComMediaRef = { sdkfileid: row.file_id, name: row.name, kind: 'file', attachmentIndex: 0, origin: 'late', ...(row.mime ? { mime: row.mime } : {}), ...(row.md5sum ? { md5sum: row.md5sum } : {}) };
    const got = await downloadMedia(ctx, client, source, ref, io, scratch);
    if (!got) continue;
    const outcome = await attachLate(ctx, { sourceId: source.sourceId, messageExtId: row.message_ext_id, name: row.name, mime: row.mime, data: got.data });
    if (outcome === 'frozen') continue; // an open erasure request: try again once it is decided
    await settings.updateMissingMedia(ctx.db, row, { status: outcome, updated_at: ctx.clock.now() });
    if (outcome === 'attached') summary.media.attachedLate++;
  }
  summary.retries = scratch.retries;
  summary.media.abandoned += abandoned.length;
  if (abandoned.length > 0) {
    await appendAudit(ctx, ctx.db, { action: 'source.media_abandoned', subject: `source:${source.name}`, details: { count: abandoned.length, messages: abandoned.slice(0, 100) } });
  }
}

// ---------------------------------------------------------------------------------------------
// Media: chunked, resumable, encrypted while partial

const SPOOL_DIR = join('spool', 'wecom');

function spoolKey(ctx: Context, fileKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ctx.keys.dbKey, Buffer.from(fileKey), 'wekeep-media-spool-v1', 32));
}

/**
 * Reads the sealed chunks of a partial download (each: uint32 length ‖ AES-256-GCM sealed chunk).
 * Keeps only whole chunks covering `expected` bytes: a chunk appended just before a crash, after
 * which the database was not updated, is cut off.
 */
function readSpool(path: string, key: Buffer, fileKey: string, expected: number): Buffer | undefined {
  if (!existsSync(path)) return expected === 0 ? Buffer.alloc(0) : undefined;
  const raw = readFileSync(path);
  const parts: Buffer[] = [];
  let offset = 0;
  let total = 0;
  for (let i = 0; offset + 4 <= raw.length && total < expected; i++) {
    const len = raw.readUInt32BE(offset);
    if (offset + 4 + len > raw.length) break;
    try {
      const plain = openSealed(key, raw.subarray(offset + 4, offset + 4 + len), `${fileKey}:${i}`);
      parts.push(plain);
      total += plain.length;
    } catch {
      return undefined;
    }
    offset += 4 + len;
  }
  if (total !== expected) return undefined;
  truncateSync(path, offset);
  return Buffer.concat(parts);
}

function appendSpool(path: string, key: Buffer, fileKey: string, index: number, data: Buffer): void {
  const sealed = seal(key, data, `${fileKey}:${index}`);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(sealed.length);
  const fd = openSync(path, 'a', 0o600);
  try {
    writeSync(fd, Buffer.concat([len, sealed]));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function downloadMedia(
  ctx: Context, client: WeComArchiveClient, source: WeComSource, ref: WeComMediaRef, io: SyncIo, summary: WeComSyncSummary,
): Promise<{ data: Buffer; md5Mismatch: boolean } | undefined> {
  const { sleep } = io;
  const fileKey = createHash('sha256').update(`${source.sourceId}\0${ref.sdkfileid}`).digest('hex');
  const dir = join(ctx.config.dataDir, SPOOL_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${fileKey}.part`);
  const key = spoolKey(ctx, fileKey);
  const now = (): number => ctx.clock.now();
  for (let attempt = 0; attempt < 2; attempt++) {
    const row = await settings.findMedia(ctx.db, source.sourceId, ref.sdkfileid);
    let indexBuf = '';
    let parts: Buffer[] = [];
    let received = 0;
    let chunks = 0;
    if (row && row.status === 'downloading' && row.received > 0) {
      const resumed = readSpool(path, key, fileKey, Number(row.received));
      if (resumed) {
        indexBuf = row.index_buf;
        parts = [resumed];
        received = resumed.length;
        chunks = countChunks(path);
        summary.media.resumed++;
      }
    }
    if (received === 0) rmSync(path, { force: true });
    const attempts = (row?.attempts ?? 0) + 1;
    try {
      for (;;) {
        const chunk = await withRetry(() => client.getMedia(ref.sdkfileid, indexBuf), sleep, () => summary.retries++);
        if (chunk.data.length > 0) {
          appendSpool(path, key, fileKey, chunks++, chunk.data);
          parts.push(chunk.data);
          received += chunk.data.length;
        }
        if (received > io.maxMediaBytes) throw new AppError('wecom.media_too_large', `media larger than ${io.maxMediaBytes} bytes`);
        indexBuf = chunk.nextIndexBuf;
        await settings.saveMedia(ctx.db, { source_id: source.sourceId, file_id: ref.sdkfileid, index_buf: indexBuf, received, status: chunk.finished ? 'done' : 'downloading', attempts, problem: null, updated_at: now() });
        if (chunk.finished) break;
      }
    } catch (e) {
      const problem = e instanceof AppError ? e.code : 'unexpected';
      await settings.saveMedia(ctx.db, { source_id: source.sourceId, file_id: ref.sdkfileid, index_buf: indexBuf, received, status: 'failed', attempts, problem, updated_at: now() });
      // Problems of the whole source stop the sync (nothing of the batch stored, the cursor stays);
      // problems of this one file (unknown or expired id, persistent network failure) leave it missing.
      if (isWeComSdkError(e) && SOURCE_WIDE_SDK_CODES.has(e.sdkCode)) throw e;
      summary.media.failed++;
      rmSync(path, { force: true });
      return undefined;
    }
    const data = Buffer.concat(parts);
    rmSync(path, { force: true });
    let md5Mismatch = false;
    if (ref.md5sum && createHash('md5').update(data).digest('hex') !== ref.md5sum.toLowerCase()) {
      if (attempt === 0) {
        // A corrupt transfer: download once more from the start.
        await settings.saveMedia(ctx.db, { source_id: source.sourceId, file_id: ref.sdkfileid, index_buf: '', received: 0, status: 'downloading', attempts, problem: 'md5_mismatch', updated_at: now() });
        continue;
      }
      summary.media.md5Mismatches++;
      md5Mismatch = true;
      await settings.saveMedia(ctx.db, { source_id: source.sourceId, file_id: ref.sdkfileid, index_buf: indexBuf, received, status: 'done', attempts, problem: 'md5_mismatch', updated_at: now() });
    }
    summary.media.downloaded++;
    return { data, md5Mismatch };
  }
  throw fatalError('wecom.media_unreachable', 'unreachable');
}

function countChunks(path: string): number {
  if (!existsSync(path)) return 0;
  const raw = readFileSync(path);
  let n = 0;
  for (let offset = 0; offset + 4 <= raw.length; n++) offset += 4 + raw.readUInt32BE(offset);
  return n;
}
