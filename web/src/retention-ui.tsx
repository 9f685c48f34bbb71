import type { ReactNode } from 'react';
import { useI18n } from './i18n';
import { href } from './router';
import { durationLabel, hoursSince, keepReasonKey } from './retention-policy';
import type { FateView, RecordCount, RetentionAction, RetentionStatus } from './types';

/** Pieces shared by the retention, legal hold and disposition pages (in their chunks only). */

/** `6y` as "6 年" / "6 years", with the code itself as the title; '—' for none. */
export function DurationText({ value }: { value: string | null }): ReactNode {
  const { t } = useI18n();
  const label = durationLabel(value);
  if (value === null || value === '') return <span className="muted">—</span>;
  return <span title={value}>{label ? t(label.key, { n: label.n }) : value}</span>;
}

/** Records and their attachment bytes. */
export function CountCell({ c, testId }: { c: RecordCount; testId?: string }): ReactNode {
  const { num, bytes } = useI18n();
  return (
    <span className="count-cell" data-testid={testId} data-records={c.records} data-bytes={c.bytes}>
      <span className="count-records">{num(c.records)}</span>
      {c.bytes > 0 ? <span className="count-bytes">{bytes(c.bytes)}</span> : null}
    </span>
  );
}

export function ActionBadge({ action }: { action: RetentionAction | string }): ReactNode {
  const { t } = useI18n();
  return <span className={`badge action-${action}`}>{action === 'delete' ? t('retention.action_delete') : action === 'review' ? t('retention.action_review') : action}</span>;
}

/** A record's fate: kept (and why), or deleted / reviewed from a date on. */
export function FateText({ fate }: { fate: FateView }): ReactNode {
  const { t, dateTime } = useI18n();
  if (fate.fate === 'keep') {
    const key = keepReasonKey(fate.keepReason);
    const until = fate.disposeAt !== null ? t('retention.fateUntil', { time: dateTime(fate.disposeAt) }) : '';
    return (
      <span className="fate fate-keep">
        {t('retention.fate_keep')}
        {fate.keepReason !== null ? <span className="muted"> · {key ? t(key) : fate.keepReason}</span> : null}
        {until ? <span className="muted"> · {until}</span> : null}
      </span>
    );
  }
  return (
    <span className={`fate fate-${fate.fate}`}>
      {fate.fate === 'delete' ? t('retention.fate_delete') : t('retention.fate_review')}
      {fate.disposeAt !== null ? <span className="muted"> · {t('retention.fateDue', { time: dateTime(fate.disposeAt) })}</span> : null}
    </span>
  );
}

/** A critical notice about scheduled disposition, with a hint and, on other pages, a link to the disposition page. */
function DispositionNotice({ testId, message, hint, link }: { testId: string; message: string; hint: string; link: boolean | undefined }): ReactNode {
  const { t } = useI18n();
  return (
    <div className="notice-box critical" role="alert" data-testid={testId}>
      <p>{message}</p>
      <p className="overdue-hint">
        {hint}
        {link ? (
          <>
            {' '}
            <a href={href(['disposition'])}>{t('disposition.open')}</a>
          </>
        ) : null}
      </p>
    </div>
  );
}

/**
 * The alert of a daily disposition run that did not happen (GET /retention/status: `overdue`), or
 * of scheduled disposition paused after a restore (`pausedAfterRestore`).
 */
export function OverdueAlert({ status, link }: { status: RetentionStatus | undefined; link?: boolean }): ReactNode {
  const { t, num, dateTime } = useI18n();
  const paused = status?.pausedAfterRestore;
  if (paused) {
    const message = t('disposition.pausedAfterRestore', { backup: paused.backupId, time: dateTime(paused.snapshotAt) });
    return <DispositionNotice testId="disposition-paused" message={message} hint={t('disposition.pausedHint')} link={link} />;
  }
  if (!status?.overdue) return null;
  const last = status.lastCompleted?.finishedAt ?? status.lastCompleted?.startedAt;
  const message = last
    ? t('disposition.overdueSince', { h: num(hoursSince(last, Date.parse(status.generatedAt))) })
    : t('disposition.overdueNever', { n: status.policiesWithMaximum });
  return <DispositionNotice testId="disposition-overdue" message={message} hint={t('disposition.overdueHint')} link={link} />;
}
