import { useQuery } from '@tanstack/react-query';
import { Fragment, useState, type ReactNode } from 'react';
import { api, enc } from '../api';
import { useI18n } from '../i18n';
import type { Hit } from '../types';
import { Avatar } from './avatar';
import { MessageBody } from './message-body';
import { Dialog, ErrorMessage, Loading } from './ui';

export type Side = 'left' | 'right';

const NOTICE_TYPES = new Set(['system', 'recall']);

function MessageDetails({ messageKey }: { messageKey: string }): ReactNode {
  const { t, dateTime } = useI18n();
  const q = useQuery({ queryKey: ['message', messageKey], queryFn: ({ signal }) => api.get<'GET /messages/:key'>(`/messages/${enc(messageKey)}`, { signal }), staleTime: Infinity });
  if (q.isPending) return <Loading />;
  if (q.error) return <ErrorMessage error={q.error} />;
  const m = q.data.message;
  return (
    <dl className="details-list" data-testid="message-details">
      <dt>{t('msg.source')}</dt>
      <dd>
        <code>
          {m.source} / {m.id}
        </code>
      </dd>
      <dt>{t('msg.sent')}</dt>
      <dd>{dateTime(m.time)}</dd>
      <dt>{t('msg.from')}</dt>
      <dd>
        {m.from.name ?? ''} <code>{m.from.id}</code>
      </dd>
      <dt>{t('msg.to')}</dt>
      <dd>{m.to.length === 0 ? '—' : m.to.map((p) => p.name ?? p.id).join('、')}</dd>
      {m.recalled ? (
        <>
          <dt>{t('msg.recalledBadge')}</dt>
          <dd>{m.recalledAt ? dateTime(m.recalledAt) : '—'}</dd>
        </>
      ) : null}
      <dt>{t('msg.archivedAt')}</dt>
      <dd>{dateTime(m.archivedAt)}</dd>
      <dt>{t('msg.recordHash')}</dt>
      <dd>
        <code className="hash">{m.recordHash}</code>
      </dd>
      {m.fields && Object.keys(m.fields).length > 0 ? (
        <>
          <dt>{t('msg.fields')}</dt>
          <dd>
            <pre className="json">{JSON.stringify(m.fields, null, 2)}</pre>
          </dd>
        </>
      ) : null}
    </dl>
  );
}

function Bubble({ m, side, showName, target }: { m: Hit; side: Side; showName: boolean; target: boolean }): ReactNode {
  const { t, time, dateTime } = useI18n();
  const [details, setDetails] = useState(false);
  if (NOTICE_TYPES.has(m.type)) {
    return (
      <div className={target ? 'notice target' : 'notice'} tabIndex={target ? -1 : undefined} data-key={m.key} data-testid="bubble" data-type={m.type}>
        <span>{m.text ?? ''}</span>
      </div>
    );
  }
  const name = m.from.name ?? m.from.id;
  return (
    <div className={`bubble-row ${side}${target ? ' target' : ''}`} tabIndex={target ? -1 : undefined} data-key={m.key} data-testid="bubble" data-type={m.type} data-side={side}>
      <Avatar id={m.from.id} name={m.from.name} />
      <div className="bubble-col">
        {showName ? <div className="sender">{name}</div> : null}
        <div className={`bubble type-${m.type}${m.recalled ? ' recalled' : ''}`} aria-label={`${name} ${dateTime(m.time)}`}>
          <MessageBody hit={m} />
        </div>
        <div className="bubble-meta">
          <button type="button" className="link-button" onClick={() => setDetails(true)} title={dateTime(m.time)} aria-label={t('msg.detailsOf', { time: dateTime(m.time) })}>
            <time dateTime={m.time}>{time(m.time)}</time>
          </button>
          {m.recalled ? (
            <span className="badge badge-recalled" data-testid="recalled-badge">
              {m.recalledAt ? t('msg.recalledAt', { time: dateTime(m.recalledAt) }) : t('msg.recalledBadge')}
            </span>
          ) : null}
        </div>
      </div>
      <Dialog open={details} title={t('msg.details')} onClose={() => setDetails(false)}>
        {details ? <MessageDetails messageKey={m.key} /> : null}
      </Dialog>
    </div>
  );
}

/** Bubbles in time order with day separators in the viewer's time zone. */
export function MessageList({ messages, sideOf, group, targetKey }: { messages: readonly Hit[]; sideOf: (m: Hit) => Side; group: boolean; targetKey: string | undefined }): ReactNode {
  const { day, dayKey } = useI18n();
  let lastDay = '';
  return (
    <>
      {messages.map((m) => {
        const d = dayKey(m.time);
        const newDay = d !== lastDay;
        lastDay = d;
        const side = sideOf(m);
        const showName = group && side === 'left';
        return (
          <Fragment key={m.key}>
            {newDay ? (
              <div className="day-separator" role="separator" data-testid="day-separator">
                <span>{day(m.time)}</span>
              </div>
            ) : null}
            <Bubble m={m} side={side} showName={showName} target={m.key === targetKey} />
          </Fragment>
        );
      })}
    </>
  );
}
