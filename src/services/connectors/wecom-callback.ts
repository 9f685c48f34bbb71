import type { Context } from '../../context.js';
import { createMemoryReplayGuard, decryptEvent, isMsgAuditNotify, verifyUrl, type ReplayGuard } from '../../connectors/wecom/callback-crypto.js';
import { notFound } from '../../errors.js';
import { appendAudit } from '../audit.js';
import { loadWeComSource, type WeComSource } from './wecom-source.js';

/**
 * WeCom calls the archive app's callback URL (`/api/v1/wecom/callback/<source>`): once to verify it
 * (GET with echostr) and then with events, notably `msgaudit_notify` (new messages to archive).
 * Requests are authenticated by WXBizMsgCrypt (signature, AES, receive id = corp id) and checked
 * against replays; an accepted `msgaudit_notify` asks the background jobs to sync the source now.
 */

const guards = new Map<string, ReplayGuard>();
const guardFor = (source: string): ReplayGuard => {
  let g = guards.get(source);
  if (!g) {
    g = createMemoryReplayGuard();
    guards.set(source, g);
  }
  return g;
};

async function callbackSource(ctx: Context, name: string): Promise<{ source: WeComSource; token: string; aesKey: string }> {
  let source: WeComSource;
  try {
    source = await loadWeComSource(ctx, name);
  } catch {
    throw notFound('callback.unknown_source', 'no such callback');
  }
  const { callbackToken, encodingAesKey } = source.secrets;
  if (!callbackToken || !encodingAesKey) throw notFound('callback.not_configured', 'no such callback');
  return { source, token: callbackToken, aesKey: encodingAesKey };
}

/** URL verification: the decrypted echo string. */
export async function verifyCallbackUrl(ctx: Context, name: string, query: unknown): Promise<string> {
  const { source, token, aesKey } = await callbackSource(ctx, name);
  return verifyUrl(query, { token, encodingAesKey: aesKey, receiveId: source.config.corpId, replayGuard: guardFor(source.name), clock: ctx.clock });
}

/** An event: returns whether it asked for a sync. Audited (no content: event type only). */
export async function receiveCallbackEvent(ctx: Context, name: string, query: unknown, body: string, triggerSync: ((source: string) => boolean) | undefined): Promise<{ syncRequested: boolean }> {
  const { source, token, aesKey } = await callbackSource(ctx, name);
  const event = await decryptEvent(query, body, { token, encodingAesKey: aesKey, receiveId: source.config.corpId, replayGuard: guardFor(source.name), clock: ctx.clock });
  const notify = isMsgAuditNotify(event);
  const syncRequested = notify && (triggerSync?.(source.name) ?? false);
  await appendAudit(ctx, ctx.db, { action: 'source.callback', subject: `source:${source.name}`, details: { msgType: event.msgType ?? null, event: event.event ?? null, syncRequested } });
  return { syncRequested };
}
