import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, type ReactNode } from 'react';
import { api, enc, withQuery } from '../api';
import { MessageList, type Side } from '../components/message-list';
import { ErrorMessage, Loading } from '../components/ui';
import { useI18n } from '../i18n';
import { href, navigate, useRoute } from '../router';
import { useUser } from '../session';
import type { Hit } from '../types';

export const CONVERSATION_PAGE_SIZE = 50;

interface PageParam {
  around?: string;
  before?: string;
  after?: string;
}

/**
 * Which side a message goes: an employee's own messages right; for others, in a direct chat the
 * first participant left and the other right; in a group everyone left (names shown).
 */
function useSideOf(group: boolean, messages: readonly Hit[]): (m: Hit) => Side {
  const user = useUser();
  const anchor = useRef<string | null>(null);
  if (anchor.current === null && messages.length > 0) anchor.current = messages[0]?.from.id ?? null;
  const self = user?.role === 'employee' ? user.person : null;
  return useCallback(
    (m: Hit): Side => {
      if (self) return m.from.id === self ? 'right' : 'left';
      if (group) return 'left';
      return m.from.id === anchor.current ? 'left' : 'right';
    },
    [self, group],
  );
}

function dedupe(messages: Hit[]): Hit[] {
  const seen = new Set<string>();
  return messages.filter((m) => (seen.has(m.key) ? false : (seen.add(m.key), true)));
}

export function ConversationPage({ conversationKey }: { conversationKey: string }): ReactNode {
  const { t } = useI18n();
  const route = useRoute();
  const around = route.params.get('around') ?? undefined;
  const scroller = useRef<HTMLDivElement>(null);
  const topSentinel = useRef<HTMLDivElement>(null);
  const bottomSentinel = useRef<HTMLDivElement>(null);
  /** Distance from the bottom before earlier messages are prepended (to keep the view still). */
  const keepFromBottom = useRef<number | null>(null);
  const positioned = useRef<string | null>(null);

  const q = useInfiniteQuery({
    queryKey: ['conversation', conversationKey, around ?? null],
    initialPageParam: (around ? { around } : {}) as PageParam,
    queryFn: ({ pageParam, signal }) =>
      api.get<'GET /conversations/:key/messages'>(withQuery(`/conversations/${enc(conversationKey)}/messages`, { ...pageParam, limit: CONVERSATION_PAGE_SIZE }), { signal }),
    getNextPageParam: (last): PageParam | undefined => {
      const m = last.messages[last.messages.length - 1];
      return last.hasAfter && m ? { after: m.key } : undefined;
    },
    getPreviousPageParam: (first): PageParam | undefined => {
      const m = first.messages[0];
      return first.hasBefore && m ? { before: m.key } : undefined;
    },
    staleTime: 5 * 60_000,
  });

  const messages = useMemo(() => dedupe(q.data?.pages.flatMap((p) => p.messages) ?? []), [q.data]);
  const conversation = q.data?.pages[0]?.conversation;
  const group = conversation?.type === 'group';
  const sideOf = useSideOf(group, messages);
  const { hasPreviousPage, hasNextPage, isFetchingPreviousPage, isFetchingNextPage, fetchPreviousPage, fetchNextPage } = q;

  const loadEarlier = useCallback(() => {
    const el = scroller.current;
    if (!hasPreviousPage || isFetchingPreviousPage) return;
    keepFromBottom.current = el ? el.scrollHeight - el.scrollTop : null;
    void fetchPreviousPage();
  }, [hasPreviousPage, isFetchingPreviousPage, fetchPreviousPage]);
  const loadLater = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  const firstKey = messages[0]?.key;
  // Keep the view still when earlier messages are prepended.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && keepFromBottom.current !== null) {
      el.scrollTop = el.scrollHeight - keepFromBottom.current;
      keepFromBottom.current = null;
    }
  }, [firstKey]);

  // First display: the target message centred and highlighted, or the newest messages at the bottom.
  const positionKey = `${conversationKey}/${around ?? ''}`;
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el || messages.length === 0 || positioned.current === positionKey) return;
    positioned.current = positionKey;
    const target = around ? el.querySelector<HTMLElement>(`[data-key="${CSS.escape(around)}"]`) : null;
    if (target) {
      el.scrollTop = Math.max(0, target.offsetTop - el.clientHeight / 2 + target.offsetHeight / 2);
      target.focus({ preventScroll: true });
    } else {
      el.scrollTop = el.scrollHeight;
    }
  }, [messages.length, around, positionKey]);

  // Infinite scroll: sentinels at both ends.
  useEffect(() => {
    const root = scroller.current;
    if (!root || typeof IntersectionObserver === 'undefined') return undefined;
    const io = new IntersectionObserver(
      (entries) => {
        if (positioned.current !== positionKey) return;
        for (const e of entries) {
          if (!e.isIntersecting) continue;
          if (e.target === topSentinel.current) loadEarlier();
          if (e.target === bottomSentinel.current) loadLater();
        }
      },
      { root, rootMargin: '200px 0px' },
    );
    if (topSentinel.current) io.observe(topSentinel.current);
    if (bottomSentinel.current) io.observe(bottomSentinel.current);
    return () => io.disconnect();
  }, [loadEarlier, loadLater, positionKey, messages.length]);

  if (q.isPending) return <Loading />;
  if (q.error) return <ErrorMessage error={q.error} notFound={t('conv.notFound')} />;

  return (
    <div className="page conversation-page" data-testid="conversation">
      <header className="conv-header">
        <button type="button" className="link-button" onClick={() => window.history.back()}>
          ← {t('common.back')}
        </button>
        <h1 data-testid="conversation-title" title={conversation?.id}>{conversation?.label ?? ''}</h1>
        <span className="badge">{group ? t('conv.group') : t('conv.direct')}</span>
        {conversation ? <span className="muted conv-source">{conversation.source}</span> : null}
        {around ? (
          <a className="link-button" href={href(['c', conversationKey])}>
            {t('conv.latest')}
          </a>
        ) : null}
      </header>
      {conversation?.source.startsWith('wecom:') ? <ConsentStrip conversationKey={conversationKey} /> : null}
      <div className="conv-scroll" ref={scroller} tabIndex={0} aria-label={t('conv.messages')} data-testid="conversation-scroll">
        <div ref={topSentinel} className="sentinel" />
        {hasPreviousPage ? (
          <button type="button" className="load-more" onClick={loadEarlier} disabled={isFetchingPreviousPage} data-testid="load-earlier">
            {isFetchingPreviousPage ? t('common.loading') : t('conv.loadEarlier')}
          </button>
        ) : (
          <p className="conv-edge">{t('conv.start')}</p>
        )}
        {messages.length === 0 ? <p className="empty-state">{t('conv.empty')}</p> : <MessageList messages={messages} sideOf={sideOf} group={group} targetKey={around} />}
        {hasNextPage ? (
          <button type="button" className="load-more" onClick={loadLater} disabled={isFetchingNextPage} data-testid="load-later">
            {isFetchingNextPage ? t('common.loading') : t('conv.loadLater')}
          </button>
        ) : null}
        <div ref={bottomSentinel} className="sentinel" />
      </div>
    </div>
  );
}

/**
 * WeCom conversations: the external parties' consent to archiving, from the consent ledger (agree /
 * disagree messages and the directory sync's status checks). Nothing when no party has an entry.
 */
function ConsentStrip({ conversationKey }: { conversationKey: string }): ReactNode {
  const { t, dateTime } = useI18n();
  const q = useQuery({
    queryKey: ['conversation-consent', conversationKey],
    queryFn: ({ signal }) => api.get<'GET /conversations/:key/consent'>(`/conversations/${enc(conversationKey)}/consent`, { signal }),
    staleTime: 60_000,
  });
  const parties = q.data?.parties ?? [];
  if (parties.length === 0) return null;
  const refused = parties.filter((p) => p.state === 'disagree').length;
  const via = (v: 'message' | 'check_single_agree' | 'check_room_agree') => t(v === 'message' ? 'conv.consentViaMessage' : 'conv.consentViaCheck');
  return (
    <details className="conv-consent" data-testid="conversation-consent" data-refused={refused}>
      <summary className={refused > 0 ? 'danger-text' : 'ok-text'}>{refused > 0 ? t('conv.consentRefused', { n: refused, total: parties.length }) : t('conv.consentAgreed', { total: parties.length })}</summary>
      <ul>
        {parties.map((p) => (
          <li key={p.id} data-testid="consent-party" data-state={p.state}>
            <strong>{p.name ?? p.id}</strong>
            {p.company ? <span className="muted"> · {p.company}</span> : null}{' '}
            <span className={p.state === 'disagree' ? 'danger-text' : 'ok-text'}>{t(p.state === 'disagree' ? 'conv.consentStateDisagree' : p.status === 'Default_Agree' ? 'conv.consentStateDefault' : 'conv.consentStateAgree')}</span>
            <span className="muted"> {t('conv.consentSince', { time: dateTime(p.since) })}</span>
            {p.events.length > 1 ? (
              <ul className="muted small-text">
                {p.events.slice(1).map((e, i) => (
                  <li key={i}>
                    {t(e.action === 'disagree' ? 'conv.consentStateDisagree' : 'conv.consentStateAgree')} · {dateTime(e.time)} · {via(e.via)}
                  </li>
                ))}
              </ul>
            ) : <span className="muted small-text"> · {via(p.events[0]!.via)}</span>}
          </li>
        ))}
      </ul>
    </details>
  );
}

/** `#/m/<key>`: one message. Opens its conversation when the server tells the conversation key; otherwise shows the message in its context. */
export function MessagePage({ messageKey }: { messageKey: string }): ReactNode {
  const { t } = useI18n();
  const q = useQuery({ queryKey: ['message', messageKey], queryFn: ({ signal }) => api.get<'GET /messages/:key'>(`/messages/${enc(messageKey)}`, { signal }), staleTime: Infinity });
  const convKey = q.data?.message.conversation.key;
  useEffect(() => {
    if (convKey) navigate(href(['c', convKey], { around: messageKey }), { replace: true });
  }, [convKey, messageKey]);
  const messages = useMemo(() => (q.data ? [...q.data.context.before, q.data.message, ...q.data.context.after] : []), [q.data]);
  const group = q.data?.message.conversation.type === 'group';
  const sideOf = useSideOf(group, messages);
  if (q.isPending || convKey) return <Loading />;
  if (q.error) return <ErrorMessage error={q.error} notFound={t('conv.notFound')} />;
  const c = q.data.message.conversation;
  return (
    <div className="page conversation-page" data-testid="conversation">
      <header className="conv-header">
        <button type="button" className="link-button" onClick={() => window.history.back()}>
          ← {t('common.back')}
        </button>
        <h1 data-testid="conversation-title">{c.label}</h1>
        <span className="badge">{group ? t('conv.group') : t('conv.direct')}</span>
      </header>
      <p className="hint">{t('conv.contextOnly')}</p>
      <div className="conv-scroll" data-testid="conversation-scroll">
        <MessageList messages={messages} sideOf={sideOf} group={group} targetKey={messageKey} />
      </div>
    </div>
  );
}
