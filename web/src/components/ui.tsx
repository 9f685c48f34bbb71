import { useEffect, useRef, useState, type ReactNode } from 'react';
import { isApiError } from '../api';
import { useI18n } from '../i18n';
import type { MessageKey } from '../messages';

/** Seconds left from `seconds`, counting down once a second; restarts when `key` changes. */
export function useCountdown(seconds: number | undefined, key: unknown): number {
  const [left, setLeft] = useState(seconds ?? 0);
  useEffect(() => {
    setLeft(seconds ?? 0);
    if (!seconds) return undefined;
    const started = Date.now();
    const id = window.setInterval(() => {
      const l = Math.max(0, seconds - Math.floor((Date.now() - started) / 1000));
      setLeft(l);
      if (l === 0) window.clearInterval(id);
    }, 250);
    return () => window.clearInterval(id);
  }, [seconds, key]);
  return left;
}

/** Refusals the console explains in the user's language (the server's own text, in English, follows as the detail). */
const REFUSAL_KEYS: Record<string, MessageKey> = {
  'search.bad_query': 'error.badQuery',
  'search.bad_time_zone': 'error.badQuery',
  'retention.bad_scope': 'error.badScope',
  'holds.bad_time': 'error.badScope',
  'user.exists': 'error.userExists',
  'password.too_weak': 'error.weakPassword',
};

/**
 * An error from the API, in the user's language: 429 with the wait, 403, 404, 5xx; a refused
 * request (400, 409, …) as a sentence in the user's language, with the server's text (English,
 * precise: the field, the position) below it as the detail.
 */
export function ErrorMessage({ error, notFound }: { error: unknown; notFound?: string }): ReactNode {
  const { t } = useI18n();
  const retry = useCountdown(isApiError(error) ? error.retryAfter : undefined, error);
  if (!error) return null;
  let text: string;
  let detail: string | undefined;
  if (isApiError(error)) {
    if (error.status === 429) text = retry > 0 ? t('error.throttledWait', { s: retry }) : t('error.throttledNow');
    else if (error.code === 'auth.recent_sign_in_required') text = t('error.recentSignIn');
    else if (error.code === 'user.self_change') text = t('error.selfChange');
    else if (error.code === 'auth.approval_pending') text = t('error.approvalPending');
    else if (error.status === 403) text = t('error.forbidden');
    else if (error.status === 404) text = notFound ?? t('error.notFound');
    else if (error.status === 0) text = t('error.network');
    else if (error.status >= 500) text = t('error.server', { id: error.requestId ?? '—' });
    else {
      const key = REFUSAL_KEYS[error.code] ?? (error.code.endsWith('.bad_scope') ? 'error.badScope' : undefined);
      text = key ? t(key) : t('error.rejected', { code: error.code });
      detail = error.message || undefined;
    }
  } else {
    text = error instanceof Error ? error.message : String(error);
  }
  if (detail === undefined) {
    return (
      <p className="error" role="alert" data-testid="error">
        {text}
      </p>
    );
  }
  return (
    <div className="error" role="alert" data-testid="error" data-code={isApiError(error) ? error.code : undefined}>
      <p>{text}</p>
      <p className="small-text" data-testid="error-detail">
        {detail}
      </p>
    </div>
  );
}

/** Why the server refused a password (domain/password-policy.ts), in the user's language. */
export function passwordRefusal(t: (key: MessageKey, params?: Record<string, string | number>) => string, message: string): string {
  const reason = message.replace(/^password /u, '');
  const length = /^must be at (least|most) (\d+) characters long$/u.exec(reason);
  if (length) return t(length[1] === 'least' ? 'password.tooShort' : 'password.tooLong', { n: Number(length[2]) });
  const known: Record<string, MessageKey> = {
    'is too repetitive': 'password.repetitive',
    'is a commonly used password': 'password.common',
    'is a common password with digits or symbols added': 'password.commonVariant',
    'must not consist of digits only': 'password.digitsOnly',
    'must not contain the username': 'password.containsUsername',
  };
  const key = known[reason];
  return key ? t(key) : reason;
}

export function Loading(): ReactNode {
  const { t } = useI18n();
  return (
    <p className="loading" role="status" aria-live="polite">
      {t('common.loading')}
    </p>
  );
}

/** A modal dialog on the native <dialog> element (Escape and the close button close it). */
export function Dialog({ open, title, onClose, children, wide, testId }: { open: boolean; title: string; onClose: () => void; children: ReactNode; wide?: boolean; testId?: string }): ReactNode {
  const ref = useRef<HTMLDialogElement>(null);
  const { t } = useI18n();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className={wide ? 'dialog dialog-wide' : 'dialog'}
      onClose={onClose}
      onClick={(e) => {
        if (e.target === ref.current) onClose();
      }}
      aria-label={title}
      data-testid={testId}
    >
      {open ? (
        <div className="dialog-body">
          <header className="dialog-header">
            <h2>{title}</h2>
            <button type="button" className="icon-button" onClick={onClose} aria-label={t('common.close')}>
              ×
            </button>
          </header>
          {children}
        </div>
      ) : null}
    </dialog>
  );
}

export function Pager({ page, pageCount, onPage }: { page: number; pageCount: number; onPage: (p: number) => void }): ReactNode {
  const { t } = useI18n();
  if (pageCount <= 1) return null;
  return (
    <nav className="pager" aria-label={t('common.pages')}>
      <button type="button" onClick={() => onPage(page - 1)} disabled={page <= 1} data-testid="page-prev">
        {t('common.prev')}
      </button>
      <span data-testid="page-indicator">{t('common.pageOf', { page, pages: pageCount })}</span>
      <button type="button" onClick={() => onPage(page + 1)} disabled={page >= pageCount} data-testid="page-next">
        {t('common.next')}
      </button>
    </nav>
  );
}

/** A list of one-time codes with copy and "I saved them". */
export function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }): ReactNode {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  return (
    <section className="recovery" aria-labelledby="recovery-title">
      <h2 id="recovery-title">{t('recovery.title')}</h2>
      <p className="hint">{t('recovery.once')}</p>
      <ol className="recovery-codes" data-testid="recovery-codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <div className="actions">
        <button
          type="button"
          className="secondary"
          onClick={() => {
            void navigator.clipboard?.writeText(codes.join('\n')).then(() => setCopied(true), () => setCopied(false));
          }}
        >
          {copied ? t('recovery.copied') : t('recovery.copy')}
        </button>
        <button type="button" onClick={onDone} data-testid="recovery-saved">
          {t('recovery.saved')}
        </button>
      </div>
    </section>
  );
}

/** Title + content block. */
export function Panel({ title, children, actions, className }: { title?: string; children: ReactNode; actions?: ReactNode; className?: string }): ReactNode {
  return (
    <section className={className ? `panel ${className}` : 'panel'}>
      {title !== undefined || actions !== undefined ? (
        <header className="panel-header">
          {title !== undefined ? <h2>{title}</h2> : <span />}
          {actions !== undefined ? <div className="panel-actions">{actions}</div> : null}
        </header>
      ) : null}
      {children}
    </section>
  );
}

/** A column heading of DataTable: its text, or with a class (`num` for numbers); null leaves the column out. */
export type Column = ReactNode | { label: ReactNode; className: string } | null;

const isStyledColumn = (c: Column): c is { label: ReactNode; className: string } => typeof c === 'object' && c !== null && 'label' in c && 'className' in c;

/**
 * The console's data table: a scrollable wrapper, column headings, the rows given as children — or,
 * with `empty`, its sentence instead of a table when `count` is 0.
 */
export function DataTable({ testId, columns, count, empty, caption, children }: {
  testId?: string; columns: readonly Column[]; count?: number; empty?: { text: ReactNode; testId: string }; caption?: string; children: ReactNode;
}): ReactNode {
  if (empty !== undefined && count === 0) {
    return (
      <p className="empty-state" data-testid={empty.testId}>
        {empty.text}
      </p>
    );
  }
  return (
    <div className="table-wrap">
      <table className="data-table" data-testid={testId}>
        {caption === undefined ? null : <caption className="visually-hidden">{caption}</caption>}
        <thead>
          <tr>
            {columns.map((c, i) =>
              c === null ? null : isStyledColumn(c) ? (
                <th key={i} scope="col" className={c.className}>
                  {c.label}
                </th>
              ) : (
                <th key={i} scope="col">
                  {c}
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
