import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useId, useMemo, useState, type ReactNode } from 'react';
import { Highlight } from '../components/highlight';
import { Icon } from '../components/icons';
import { ErrorMessage, Loading, Pager } from '../components/ui';
import { useI18n, type MessageKey } from '../i18n';
import { typeLabelKey } from '../labels';
import { conversationsQuery, CONVERSATIONS_PAGE_SIZE, pageParam, SEARCH_PAGE_SIZE, searchQuery } from '../queries';
import { getFilter, hasFlag, highlightTerms, RECORD_TYPES, setFilter, setFlag, snippet } from '../query-tools';
import { href, navigate, useRoute } from '../router';
import { useUser } from '../session';
import type { Hit } from '../types';

export const PAGE_SIZE = SEARCH_PAGE_SIZE;

/** Where a hit opens: its conversation around the message, or the message page when the hit carries no conversation key. */
export const hitHref = (hit: Hit): string => (hit.conversation.key ? href(['c', hit.conversation.key], { around: hit.key }) : href(['m', hit.key]));

function FilterPanel({ draft, onChange, onApply }: { draft: string; onChange: (q: string) => void; onApply: (q: string) => void }): ReactNode {
  const { t } = useI18n();
  const id = useId();
  const text = (key: 'from' | 'to' | 'in' | 'source', label: MessageKey, placeholder: MessageKey): ReactNode => (
    <label htmlFor={`${id}-${key}`}>
      {t(label)}
      <input id={`${id}-${key}`} value={getFilter(draft, key) ?? ''} placeholder={t(placeholder)} onChange={(e) => onChange(setFilter(draft, key, e.target.value))} data-testid={`filter-${key}`} />
    </label>
  );
  return (
    <form
      className="filter-panel"
      aria-label={t('search.filters')}
      onSubmit={(e) => {
        e.preventDefault();
        onApply(draft);
      }}
    >
      {text('from', 'search.filterFrom', 'search.personPlaceholder')}
      {text('to', 'search.filterTo', 'search.personPlaceholder')}
      {text('in', 'search.filterIn', 'search.conversationPlaceholder')}
      <label htmlFor={`${id}-type`}>
        {t('search.filterType')}
        <select id={`${id}-type`} value={getFilter(draft, 'type') ?? ''} onChange={(e) => onApply(setFilter(draft, 'type', e.target.value))} data-testid="filter-type">
          <option value="">{t('search.anyType')}</option>
          {RECORD_TYPES.map((ty) => (
            <option key={ty} value={ty}>
              {t(typeLabelKey(ty))}
            </option>
          ))}
        </select>
      </label>
      <label htmlFor={`${id}-after`}>
        {t('search.filterAfter')}
        <input id={`${id}-after`} type="date" value={getFilter(draft, 'after') ?? ''} onChange={(e) => onApply(setFilter(draft, 'after', e.target.value))} data-testid="filter-after" />
      </label>
      <label htmlFor={`${id}-before`}>
        {t('search.filterBefore')}
        <input id={`${id}-before`} type="date" value={getFilter(draft, 'before') ?? ''} onChange={(e) => onApply(setFilter(draft, 'before', e.target.value))} data-testid="filter-before" />
      </label>
      <label className="check">
        <input type="checkbox" checked={hasFlag(draft, 'has', 'attachment')} onChange={(e) => onApply(setFlag(draft, 'has', 'attachment', e.target.checked))} data-testid="filter-attachment" />
        {t('search.filterAttachment')}
      </label>
      <label className="check">
        <input type="checkbox" checked={hasFlag(draft, 'is', 'recalled')} onChange={(e) => onApply(setFlag(draft, 'is', 'recalled', e.target.checked))} data-testid="filter-recalled" />
        {t('search.filterRecalled')}
      </label>
      <div className="filter-actions">
        <button type="submit">{t('search.apply')}</button>
        <button type="button" className="secondary" onClick={() => onApply(highlightTerms(draft).map((s) => (/\s/u.test(s) ? `"${s}"` : s)).join(' '))}>
          {t('search.clearFilters')}
        </button>
      </div>
    </form>
  );
}

function HitRow({ hit, terms }: { hit: Hit; terms: readonly string[] }): ReactNode {
  const { t, dateTime } = useI18n();
  const body = hit.text ?? '';
  return (
    <li>
      <a className="hit" href={hitHref(hit)} data-testid="search-hit" data-key={hit.key}>
        <div className="hit-meta">
          <span className="hit-conv">{hit.conversation.label}</span>
          <span className={`badge badge-type type-${hit.type}`}>{t(typeLabelKey(hit.type))}</span>
          {hit.recalled ? <span className="badge badge-recalled">{t('msg.recalledBadge')}</span> : null}
          <time dateTime={hit.time}>{dateTime(hit.time)}</time>
        </div>
        <div className="hit-from">{hit.from.name ?? hit.from.id}</div>
        {body !== '' ? (
          <p className="hit-text" data-testid="hit-text">
            <Highlight text={snippet(body, terms)} terms={terms} />
          </p>
        ) : null}
        {hit.attachments.length > 0 ? (
          <ul className="hit-attachments" aria-label={t('msg.attachments')}>
            {hit.attachments.map((a) => (
              <li key={a.ordinal}>
                <Icon name="clip" /> <Highlight text={a.name} terms={terms} />
                {a.scan === 'pending' ? (
                  <span className="badge badge-pending" data-testid="hit-scan-pending">
                    {t('msg.scanPending')}
                  </span>
                ) : a.scan === 'infected' ? (
                  <span className="badge badge-danger" data-testid="hit-quarantined">
                    {t('msg.quarantined')}
                  </span>
                ) : null}
              </li>
            ))}
          </ul>
        ) : null}
      </a>
    </li>
  );
}

/** The conversations the reader may open, busiest first (shown while no query is typed). */
function Conversations({ page, onPage }: { page: number; onPage: (p: number) => void }): ReactNode {
  const { t, num, dateTime } = useI18n();
  const list = useQuery({ ...conversationsQuery(page), placeholderData: keepPreviousData });
  if (list.isPending) return <Loading />;
  if (list.error) return <ErrorMessage error={list.error} />;
  const pages = Math.max(1, Math.ceil(list.data.total / CONVERSATIONS_PAGE_SIZE));
  return (
    <section className="conversation-list" aria-labelledby="conversations-title">
      <h2 id="conversations-title">{t('search.conversations', { n: list.data.total })}</h2>
      {list.data.conversations.length === 0 ? (
        <p className="empty-state">{t('search.noConversations')}</p>
      ) : (
        <ul className="hits">
          {list.data.conversations.map((c) => (
            <li key={c.key}>
              <a className="hit conversation-row" href={href(['c', c.key])} data-testid="conversation-row">
                <div className="hit-meta">
                  <span className="hit-conv" title={c.id}>{c.label}</span>
                  <span className="badge">{c.type === 'group' ? t('conv.group') : t('conv.direct')}</span>
                  <span>{c.source}</span>
                  {c.lastTime ? <time dateTime={c.lastTime}>{dateTime(c.lastTime)}</time> : null}
                </div>
                <div className="hit-from">{t('search.messagesCount', { n: num(c.messages) })}</div>
              </a>
            </li>
          ))}
        </ul>
      )}
      <Pager page={page} pageCount={pages} onPage={onPage} />
    </section>
  );
}

export function SearchPage(): ReactNode {
  const { t, num } = useI18n();
  const route = useRoute();
  const user = useUser();
  const q = route.params.get('q') ?? '';
  const page = pageParam(route.params, 'page');
  const [draft, setDraft] = useState(q);
  const [showFilters, setShowFilters] = useState(false);
  useEffect(() => setDraft(q), [q]);

  const run = (query: string, p = 1): void => navigate(href(['search'], { q: query.trim(), page: p > 1 ? p : undefined }));

  const result = useQuery({ ...searchQuery(q, page), enabled: q.trim() !== '', placeholderData: keepPreviousData });
  const terms = useMemo(() => highlightTerms(q), [q]);
  const pageCount = result.data ? Math.max(1, Math.ceil(result.data.total / PAGE_SIZE)) : 1;
  // A page past the last (an old link, a hand-edited address): go to the last page instead of an empty one.
  const pastEnd = result.data !== undefined && !result.isPlaceholderData && page > pageCount;
  useEffect(() => {
    if (pastEnd) navigate(href(['search'], { q: q.trim(), page: pageCount > 1 ? pageCount : undefined }), { replace: true });
  }, [pastEnd, pageCount, q]);

  return (
    <div className="page search-page">
      <h1 className="visually-hidden">{t('nav.search')}</h1>
      {user?.role === 'employee' ? <p className="hint">{t('search.employeeScope')}</p> : null}
      <form
        className="search-bar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          run(draft);
        }}
      >
        <label className="visually-hidden" htmlFor="search-q">
          {t('search.label')}
        </label>
        <input id="search-q" type="search" value={draft} onChange={(e) => setDraft(e.target.value)} placeholder={t('search.placeholder')} autoFocus data-testid="search-input" maxLength={1000} />
        <button type="submit" data-testid="search-submit">
          {t('search.submit')}
        </button>
        <button type="button" className="secondary" aria-expanded={showFilters} onClick={() => setShowFilters((s) => !s)} data-testid="filters-toggle">
          {t('search.filters')}
        </button>
      </form>
      {showFilters ? <FilterPanel draft={draft} onChange={setDraft} onApply={(nq) => run(nq)} /> : null}
      <details className="syntax-help">
        <summary>{t('search.syntaxTitle')}</summary>
        <dl>
          <dt>
            <code>合同 发票</code>
          </dt>
          <dd>{t('search.syntaxAnd')}</dd>
          <dt>
            <code>"payment terms"</code>
          </dt>
          <dd>{t('search.syntaxPhrase')}</dd>
          <dt>
            <code>合同 OR 协议</code>
          </dt>
          <dd>{t('search.syntaxOr')}</dd>
          <dt>
            <code>-草稿</code>
          </dt>
          <dd>{t('search.syntaxNot')}</dd>
          <dt>
            <code>from:zhangsan to:lisi in:room type:file source:wecom</code>
          </dt>
          <dd>{t('search.syntaxFilters')}</dd>
          <dt>
            <code>after:2026-01-01 before:2026-02-01</code>
          </dt>
          <dd>{t('search.syntaxDates')}</dd>
          <dt>
            <code>has:attachment is:recalled</code>
          </dt>
          <dd>{t('search.syntaxFlags')}</dd>
        </dl>
      </details>

      {q.trim() === '' ? (
        <>
          <p className="hint">{t('search.empty')}</p>
          <Conversations page={pageParam(route.params, 'cpage')} onPage={(p) => navigate(href(['search'], { cpage: p > 1 ? p : undefined }))} />
        </>
      ) : result.isPending ? (
        <Loading />
      ) : result.error ? (
        <ErrorMessage error={result.error} />
      ) : (
        <>
          <p className="result-total" data-testid="search-total" data-total={result.data.total} aria-live="polite">
            {t('search.total', { n: result.data.total })}
            {result.isFetching ? ` · ${t('common.loading')}` : ''}
          </p>
          {result.data.hits.length === 0 ? (
            <p className="empty-state">{t('search.noHits')}</p>
          ) : (
            <ol className="hits" start={(page - 1) * PAGE_SIZE + 1} data-testid="search-hits">
              {result.data.hits.map((h) => (
                <HitRow key={h.key} hit={h} terms={terms} />
              ))}
            </ol>
          )}
          <Pager page={page} pageCount={pageCount} onPage={(p) => run(q, p)} />
          {pageCount > 1 ? <p className="hint">{t('search.showing', { from: num((page - 1) * PAGE_SIZE + 1), to: num(Math.min(page * PAGE_SIZE, result.data.total)) })}</p> : null}
        </>
      )}
    </div>
  );
}
