import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { api, isApiError } from '../api';
import { DataTable, Dialog, ErrorMessage, Loading, Panel } from '../components/ui';
import { useI18n, type MessageKey } from '../i18n';
import { accessExportCommand, MAX_DEADLINE_DAYS, MAX_SUBJECT_LENGTH, MAX_SUBJECTS, parseDeadlineDays, parseSubjects, privacyActions } from '../privacy';
import { privacyRequestQuery, privacyRequestsQuery } from '../queries';
import { actorName } from '../retention-policy';
import { href } from '../router';
import { SESSION_KEY } from '../session';
import { PRIVACY_KINDS, PRIVACY_STATUSES, type PrivacyExecuteResult, type PrivacyGround, type PrivacyKind, type PrivacyLiftResult, type PrivacyPerson, type PrivacyRequest, type PrivacyRequestInput, type PrivacyRequestSummary, type PrivacyResponse, type PrivacyStatus } from '../types';

/**
 * Privacy requests of data subjects (permission privacy.manage; docs/privacy-requests.md): access,
 * erasure and restriction requests with their deadlines. Open one for a subject named by any of their
 * identifiers, see whom it matched and how many records they have, execute it (erasure, restriction;
 * an access request's export is a directory of files written on the server by the CLI), reject it
 * with the reason given to the requester, or lift an executed restriction. Every action asks first.
 */

/** After a change: everything cached may be out of date (records erased, hidden from search, frozen). */
function invalidateAfterChange(qc: QueryClient, except?: readonly unknown[]): void {
  void qc.invalidateQueries({
    predicate: (q) => q.queryKey[0] !== SESSION_KEY[0] && (except === undefined || JSON.stringify(q.queryKey) !== JSON.stringify(except)),
  });
}

const KIND_KEY: Record<PrivacyKind, MessageKey> = { access: 'privacy.kind_access', erasure: 'privacy.kind_erasure', restriction: 'privacy.kind_restriction' };
const KIND_HINT: Record<PrivacyKind, MessageKey> = { access: 'privacy.kindHint_access', erasure: 'privacy.kindHint_erasure', restriction: 'privacy.kindHint_restriction' };
const STATUS_KEY: Record<PrivacyStatus, MessageKey> = { open: 'privacy.status_open', 'in-progress': 'privacy.status_in-progress', completed: 'privacy.status_completed', rejected: 'privacy.status_rejected' };
const STATUS_CLASS: Record<PrivacyStatus, string> = { open: 'badge-pending', 'in-progress': 'badge-recalled', completed: 'status-active', rejected: 'status-disabled' };
const GROUND_KEY: Record<PrivacyGround['type'], MessageKey> = { 'legal-hold': 'privacy.ground_legal-hold', 'retention-floor': 'privacy.ground_retention-floor', 'other-restriction': 'privacy.ground_other-restriction' };

/** Server errors of this page explained in the user's language; the server's own message is shown under it. */
const ERROR_KEY: Record<string, MessageKey> = {
  'privacy.no_match': 'privacy.error_no_match',
  'privacy.export_needs_cli': 'privacy.error_export_needs_cli',
  'privacy.frozen': 'privacy.error_frozen',
  'privacy.decided': 'privacy.error_decided',
  'privacy.changed': 'privacy.error_changed',
  'privacy.already_lifted': 'privacy.error_decided',
  'privacy.not_completed': 'privacy.error_decided',
};

function PrivacyError({ error, notFound }: { error: unknown; notFound?: string }): ReactNode {
  const { t } = useI18n();
  const key = isApiError(error) ? ERROR_KEY[error.code] : undefined;
  if (!isApiError(error) || key === undefined) return <ErrorMessage error={error} notFound={notFound} />;
  return (
    <div className="error" role="alert" data-testid="error" data-code={error.code}>
      <p>{t(key)}</p>
      <p className="small-text" data-testid="error-detail">
        {error.message}
      </p>
    </div>
  );
}

function KindBadge({ kind }: { kind: PrivacyKind }): ReactNode {
  const { t } = useI18n();
  return (
    <span className={`badge privacy-kind kind-${kind}`} data-testid="privacy-kind" data-kind={kind}>
      {t(KIND_KEY[kind])}
    </span>
  );
}

/** Status, then the flags: OVERDUE (undecided past its deadline), late (decided after it), lifted. */
function StatusBadges({ r }: { r: PrivacyRequestSummary }): ReactNode {
  const { t } = useI18n();
  return (
    <span className="privacy-status">
      <span className={`badge ${STATUS_CLASS[r.status]}`} data-testid="privacy-status" data-status={r.status}>
        {t(STATUS_KEY[r.status])}
      </span>
      {r.overdue ? (
        <span className="badge badge-danger" data-testid="privacy-overdue">
          {t('privacy.overdue')}
        </span>
      ) : null}
      {r.late ? (
        <span className="badge badge-warn" data-testid="privacy-late">
          {t('privacy.late')}
        </span>
      ) : null}
      {r.liftedAt !== null ? (
        <span className="badge status-disabled" data-testid="privacy-lifted">
          {t('privacy.lifted')}
        </span>
      ) : null}
    </span>
  );
}

/** The deadline, and while undecided the days left (or overdue). */
function Deadline({ r }: { r: PrivacyRequestSummary }): ReactNode {
  const { t, dateTime } = useI18n();
  return (
    <span className="privacy-deadline" data-testid="privacy-deadline" data-days-left={r.daysLeft ?? ''}>
      {dateTime(r.deadline)}
      {r.daysLeft !== null ? (
        <span className={r.daysLeft < 0 ? 'danger-text small-text' : r.daysLeft <= 3 ? 'warn-text small-text' : 'muted small-text'} data-testid="privacy-days-left">
          {' '}
          · {r.daysLeft < 0 ? t('privacy.daysOverdue', { n: -r.daysLeft }) : t('privacy.daysLeft', { n: r.daysLeft })}
        </span>
      ) : null}
    </span>
  );
}

function PersonsTable({ persons }: { persons: PrivacyPerson[] }): ReactNode {
  const { t } = useI18n();
  return (
    <DataTable
      testId="privacy-persons"
      columns={[t('privacy.personId'), t('privacy.personName'), t('privacy.personKind'), t('privacy.personOrg'), t('privacy.matchedBy')]}
      count={persons.length}
      empty={{ text: t('privacy.noPersons'), testId: 'privacy-no-persons' }}
    >
      {persons.map((p) => (
        <tr key={p.id} data-testid="privacy-person" data-person={p.id}>
          <td>
            <code>{p.id}</code>
          </td>
          <td data-testid="privacy-person-name">{p.name ?? <span className="muted">{t('privacy.noName')}</span>}</td>
          <td className="small-text">{p.kind ?? '—'}</td>
          <td className="small-text">{[p.company, p.departments.join(' / '), p.position].filter((x) => x !== null && x !== '').join(' · ') || '—'}</td>
          <td data-testid="privacy-matched-by">
            {p.matchedBy.map((m) => (
              <code key={m} className="scope">
                {m}
              </code>
            ))}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

// ---------------------------------------------------------------------------------------------
// Open a request

function OpenRequest(): ReactNode {
  const { t, num } = useI18n();
  const qc = useQueryClient();
  const empty = { kind: 'access' as PrivacyKind, subjects: '', requester: '', deadline: '' };
  const [f, setF] = useState(empty);
  const subjects = parseSubjects(f.subjects);
  const days = parseDeadlineDays(f.deadline);
  const tooMany = subjects.length > MAX_SUBJECTS || subjects.some((s) => s.length > MAX_SUBJECT_LENGTH);
  const ready = subjects.length > 0 && !tooMany && f.requester.trim() !== '' && days !== null;
  const open = useMutation({
    mutationFn: () => {
      const body: PrivacyRequestInput = { kind: f.kind, subjects, requester: f.requester.trim() };
      if (typeof days === 'number') body.deadlineDays = days;
      return api.post<'POST /privacy/requests'>('/privacy/requests', body);
    },
    onSuccess: (r) => {
      setF({ ...empty, kind: f.kind });
      qc.setQueryData(privacyRequestQuery(r.request.id).queryKey, r);
      invalidateAfterChange(qc, privacyRequestQuery(r.request.id).queryKey);
    },
  });
  // Who the identifiers match, before anything is opened (POST /privacy/subjects/preview).
  const preview = useMutation({ mutationFn: () => api.post<'POST /privacy/subjects/preview'>('/privacy/subjects/preview', { subjects }) });
  const shownPreview = preview.data;
  const opened = open.data?.request;
  return (
    <>
      <form
        className="form privacy-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (ready) open.mutate();
        }}
        data-testid="privacy-open-form"
        aria-describedby="privacy-open-hint"
      >
        <p className="hint" id="privacy-open-hint">
          {t('privacy.openHint')}
        </p>
        <div className="form-grid">
          <label>
            {t('privacy.kind')}
            <select value={f.kind} onChange={(e) => setF((x) => ({ ...x, kind: e.target.value as PrivacyKind }))} data-testid="privacy-kind-input">
              {PRIVACY_KINDS.map((k) => (
                <option key={k} value={k}>
                  {t(KIND_KEY[k])}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('privacy.requester')}
            <input value={f.requester} onChange={(e) => setF((x) => ({ ...x, requester: e.target.value }))} required maxLength={1000} placeholder={t('privacy.requesterPlaceholder')} autoComplete="off" data-testid="privacy-requester" />
          </label>
          <label>
            {t('privacy.deadlineDays')}
            <input
              type="number"
              inputMode="numeric"
              min={1}
              max={MAX_DEADLINE_DAYS}
              step={1}
              value={f.deadline}
              onChange={(e) => setF((x) => ({ ...x, deadline: e.target.value }))}
              placeholder={t('privacy.deadlineDaysPlaceholder')}
              aria-invalid={days === null}
              data-testid="privacy-deadline-days"
            />
          </label>
        </div>
        <p className="hint" data-testid="privacy-kind-hint">
          {t(KIND_HINT[f.kind])}
        </p>
        <label>
          {t('privacy.subjects')}
          <textarea
            value={f.subjects}
            onChange={(e) => {
              setF((x) => ({ ...x, subjects: e.target.value }));
              preview.reset(); // a preview of other identifiers would mislead
            }}
            required
            rows={3}
            placeholder={t('privacy.subjectsPlaceholder')}
            aria-describedby="privacy-subjects-hint"
            data-testid="privacy-subjects"
          />
        </label>
        <p className="hint" id="privacy-subjects-hint">
          {t('privacy.subjectsHint', { n: subjects.length })}
        </p>
        {tooMany ? <p className="error">{t('privacy.subjectsTooMany', { max: MAX_SUBJECTS, len: MAX_SUBJECT_LENGTH })}</p> : null}
        {days === null ? <p className="error">{t('privacy.deadlineInvalid', { max: MAX_DEADLINE_DAYS })}</p> : null}
        <div className="actions">
          <button type="button" className="secondary" disabled={preview.isPending || subjects.length === 0 || tooMany} onClick={() => preview.mutate()} data-testid="privacy-preview">
            {preview.isPending ? t('privacy.previewing') : t('privacy.preview')}
          </button>
          <button type="submit" disabled={open.isPending || !ready} data-testid="privacy-open-submit">
            {open.isPending ? t('privacy.opening') : t('privacy.open')}
          </button>
        </div>
        <PrivacyError error={open.error ?? preview.error} />
        {shownPreview && !opened ? (
          <div className="privacy-preview" role="status" data-testid="privacy-preview-result" data-persons={shownPreview.persons.length} data-records={shownPreview.records}>
            <p>{shownPreview.persons.length === 0 ? t('privacy.previewNone') : t('privacy.previewFound', { persons: num(shownPreview.persons.length), records: num(shownPreview.records) })}</p>
            {shownPreview.persons.length > 0 ? <PersonsTable persons={shownPreview.persons} /> : null}
          </div>
        ) : null}
      </form>
      {opened ? (
        <div className="privacy-opened" role="status" data-testid="privacy-opened" data-id={opened.id} data-records={opened.records.total} data-persons={opened.persons.length}>
          <p className="success">
            {t('privacy.opened', { id: opened.id, kind: t(KIND_KEY[opened.kind]), persons: num(opened.persons.length), records: num(opened.records.total) })}{' '}
            <a href={href(['privacy', String(opened.id)])} data-testid="privacy-opened-link">
              {t('privacy.openIt')}
            </a>
          </p>
          <p className="muted small-text" data-testid="privacy-opened-counts">
            {t('privacy.openedCounts', { sent: num(opened.records.sent), received: num(opened.records.received), restricted: num(opened.records.restricted) })}
          </p>
          <PersonsTable persons={opened.persons} />
          <p className="hint">{t('privacy.checkPersons')}</p>
        </div>
      ) : null}
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// The list

function RequestsList(): ReactNode {
  const { t, dateTime } = useI18n();
  const [status, setStatus] = useState<PrivacyStatus | ''>('');
  const [overdue, setOverdue] = useState(false);
  const list = useQuery(privacyRequestsQuery({ status: status === '' ? undefined : status, overdue }));
  return (
    <Panel
      title={t('privacy.listTitle')}
      actions={
        <button type="button" className="secondary small" onClick={() => void list.refetch()} disabled={list.isFetching} data-testid="privacy-refresh">
          {t('common.refresh')}
        </button>
      }
    >
      <div className="privacy-filters">
        <div className="segmented small" role="group" aria-label={t('privacy.status')}>
          {(['', ...PRIVACY_STATUSES] as const).map((s) => (
            <button key={s || 'all'} type="button" className={status === s ? 'selected' : undefined} aria-pressed={status === s} onClick={() => setStatus(s)} data-testid={`privacy-filter-${s || 'all'}`}>
              {s === '' ? t('privacy.all') : t(STATUS_KEY[s])}
            </button>
          ))}
        </div>
        <label className="check">
          <input type="checkbox" checked={overdue} onChange={(e) => setOverdue(e.target.checked)} data-testid="privacy-filter-overdue" />
          {t('privacy.overdueOnly')}
        </label>
      </div>
      {list.isPending ? (
        <Loading />
      ) : list.error ? (
        <PrivacyError error={list.error} />
      ) : (
        <>
          {list.data.overdue > 0 ? (
            <p className="notice-box critical" role="alert" data-testid="privacy-overdue-count" data-count={list.data.overdue}>
              {t('privacy.overdueCount', { n: list.data.overdue })}
            </p>
          ) : null}
          <DataTable
            testId="privacy-table"
            caption={t('privacy.listTitle')}
            columns={['#', t('privacy.kind'), t('privacy.status'), t('privacy.subjects'), t('privacy.requester'), t('privacy.openedAt'), t('privacy.deadline')]}
            count={list.data.requests.length}
            empty={{ text: t('privacy.none'), testId: 'privacy-none' }}
          >
            {list.data.requests.map((r) => (
              <tr key={r.id} data-testid="privacy-row" data-id={r.id} data-kind={r.kind} data-status={r.status} data-overdue={r.overdue} className={r.status === 'rejected' || r.liftedAt !== null ? 'row-disabled' : undefined}>
                <td>
                  <a href={href(['privacy', String(r.id)])} data-testid="privacy-link">
                    #{r.id}
                  </a>
                </td>
                <td>
                  <KindBadge kind={r.kind} />
                </td>
                <td>
                  <StatusBadges r={r} />
                </td>
                <td className="reason" data-testid="privacy-subjects-cell">
                  {r.subjects.join(', ')}
                </td>
                <td className="reason">{r.requester}</td>
                <td className="small-text">
                  {dateTime(r.openedAt)}
                  <div className="muted">{actorName(r.openedBy)}</div>
                </td>
                <td className="small-text">
                  <Deadline r={r} />
                  {r.decidedAt !== null ? <div className="muted">{t('privacy.decidedOn', { time: dateTime(r.decidedAt) })}</div> : null}
                </td>
              </tr>
            ))}
          </DataTable>
        </>
      )}
    </Panel>
  );
}

function PrivacyIndex(): ReactNode {
  const { t } = useI18n();
  return (
    <div className="page privacy-page" data-testid="privacy">
      <header className="page-header">
        <h1>{t('privacy.title')}</h1>
      </header>
      <p className="hint">{t('privacy.intro')}</p>
      <Panel title={t('privacy.openTitle')}>
        <OpenRequest />
      </Panel>
      <RequestsList />
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// One request

function Kpi({ label, value, testId }: { label: string; value: number; testId: string }): ReactNode {
  const { num } = useI18n();
  return (
    <div className="kpi" data-testid={testId} data-count={value}>
      <span className="kpi-label">{label}</span>
      <span className="kpi-value">{num(value)}</span>
    </div>
  );
}

/** The draft answer to the requester, in the console's language first; the other one folded. */
function Notice({ notice }: { notice: { en: string; zh: string } }): ReactNode {
  const { t, lang } = useI18n();
  const [copied, setCopied] = useState<string | null>(null);
  const first = lang === 'en' ? { lang: 'en', text: notice.en } : { lang: 'zh-CN', text: notice.zh };
  const second = lang === 'en' ? { lang: 'zh-CN', text: notice.zh, label: t('privacy.noticeZh') } : { lang: 'en', text: notice.en, label: t('privacy.noticeEn') };
  const copy = (text: string, which: string): void => {
    void navigator.clipboard?.writeText(text).then(
      () => setCopied(which),
      () => setCopied(null),
    );
  };
  return (
    <section className="privacy-notice-section" aria-labelledby="privacy-notice-title">
      <h3 id="privacy-notice-title">{t('privacy.notice')}</h3>
      <p className="hint">{t('privacy.noticeHint')}</p>
      <div className="privacy-notice" lang={first.lang} data-testid="privacy-notice" data-lang={first.lang}>
        {first.text}
      </div>
      <div className="actions">
        <button type="button" className="secondary small" onClick={() => copy(first.text, first.lang)}>
          {copied === first.lang ? t('recovery.copied') : t('privacy.copy')}
        </button>
      </div>
      <details className="privacy-notice-other">
        <summary>{second.label}</summary>
        <div className="privacy-notice" lang={second.lang} data-testid="privacy-notice-other" data-lang={second.lang}>
          {second.text}
        </div>
        <div className="actions">
          <button type="button" className="secondary small" onClick={() => copy(second.text, second.lang)}>
            {copied === second.lang ? t('recovery.copied') : t('privacy.copy')}
          </button>
        </div>
      </details>
    </section>
  );
}

function GroundDetail({ g }: { g: PrivacyGround }): ReactNode {
  const { t } = useI18n();
  if (g.type === 'legal-hold') {
    return (
      <>
        {t('privacy.groundHold', { id: g.holdId ?? '?' })}
        {g.matter !== undefined ? (
          <>
            {' · '}
            {g.matterId !== undefined ? <a href={href(['holds', String(g.matterId)])}>{g.matter}</a> : g.matter}
          </>
        ) : null}
      </>
    );
  }
  if (g.type === 'retention-floor') {
    return (
      <>
        {t('privacy.groundPolicy', { name: g.policy ?? `#${g.policyId ?? '?'}` })}
        {g.basis ? <div className="muted">{g.basis}</div> : null}
      </>
    );
  }
  return g.requestId !== undefined ? <a href={href(['privacy', String(g.requestId)])}>{t('privacy.groundRequest', { id: g.requestId })}</a> : <>—</>;
}

function ResponseView({ response }: { response: PrivacyResponse }): ReactNode {
  const { t, num, dateTime } = useI18n();
  if (response.kind === 'access') {
    return (
      <div data-testid="privacy-response" data-kind="access">
        <div className="kpis">
          <Kpi label={t('privacy.resp_records')} value={response.records} testId="privacy-resp-records" />
          <Kpi label={t('privacy.resp_restrictedIncluded')} value={response.restricted} testId="privacy-resp-restricted" />
          <Kpi label={t('privacy.resp_attachments')} value={response.attachments} testId="privacy-resp-attachments" />
          <Kpi label={t('privacy.resp_withheld')} value={response.withheldAttachments} testId="privacy-resp-withheld" />
          <Kpi label={t('privacy.resp_files')} value={response.files} testId="privacy-resp-files" />
        </div>
        <dl className="details-list">
          <dt>{t('privacy.resp_manifest')}</dt>
          <dd>
            <code className="hash">{response.manifestSha256}</code>
          </dd>
        </dl>
      </div>
    );
  }
  if (response.kind === 'restriction') {
    return (
      <div data-testid="privacy-response" data-kind="restriction">
        <div className="kpis">
          <Kpi label={t('privacy.resp_restricted')} value={response.restricted} testId="privacy-resp-restricted" />
          <Kpi label={t('privacy.resp_alreadyRestricted')} value={response.alreadyRestricted} testId="privacy-resp-already" />
        </div>
      </div>
    );
  }
  return (
    <div data-testid="privacy-response" data-kind="erasure">
      <div className="kpis">
        <Kpi label={t('privacy.resp_erased')} value={response.erased} testId="privacy-resp-erased" />
        <Kpi label={t('privacy.resp_kept')} value={response.restricted} testId="privacy-resp-restricted" />
      </div>
      <dl className="details-list">
        <dt>{t('privacy.resp_restrictedUntil')}</dt>
        <dd data-testid="privacy-resp-until">{response.restrictedUntil !== null ? dateTime(response.restrictedUntil) : response.restricted > 0 ? t('privacy.untilOpen') : '—'}</dd>
        <dt>{t('privacy.resp_personData')}</dt>
        <dd data-testid="privacy-resp-person-data" data-erased={response.personDataErased}>
          {response.personDataErased ? t('privacy.personDataErased') : t('privacy.personDataKept')}
        </dd>
      </dl>
      {response.grounds.length > 0 ? (
        <div className="table-wrap">
          <table className="data-table" data-testid="privacy-grounds">
            <caption>{t('privacy.groundsTitle')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('privacy.ground')}</th>
                <th scope="col">{t('privacy.groundWhat')}</th>
                <th scope="col" className="num">
                  {t('privacy.records')}
                </th>
                <th scope="col">{t('privacy.until')}</th>
                <th scope="col">{t('privacy.law')}</th>
              </tr>
            </thead>
            <tbody>
              {response.grounds.map((g, i) => (
                <tr key={`${g.type}-${g.holdId ?? g.policyId ?? g.requestId ?? i}`} data-testid="privacy-ground" data-type={g.type}>
                  <td>{t(GROUND_KEY[g.type])}</td>
                  <td className="small-text">
                    <GroundDetail g={g} />
                  </td>
                  <td className="num">{num(g.records)}</td>
                  <td className="small-text">{g.until !== null ? dateTime(g.until) : t('privacy.untilOpen')}</td>
                  <td className="small-text">{g.law.join('; ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Notice notice={response.notice} />
    </div>
  );
}

type Pending = 'execute' | 'reject' | 'lift' | null;

/** Confirmation of an action, with a reason where it takes one (required to reject and to lift). */
function ConfirmForm({ explain, reason, submitLabel, pending, error, onSubmit, onCancel, testId }: { explain: string; reason: 'required' | 'none'; submitLabel: string; pending: boolean; error: unknown; onSubmit: (reason: string) => void; onCancel: () => void; testId: string }): ReactNode {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const ok = reason !== 'required' || text.trim() !== '';
  return (
    <form
      className="form"
      onSubmit={(e) => {
        e.preventDefault();
        if (ok) onSubmit(text.trim());
      }}
      data-testid={testId}
    >
      <p>{explain}</p>
      {reason !== 'none' ? (
        <label>
          {t('privacy.reason')}
          <textarea value={text} onChange={(e) => setText(e.target.value)} required={reason === 'required'} rows={3} maxLength={4000} data-testid={`${testId}-reason`} />
        </label>
      ) : null}
      <div className="actions">
        <button type="submit" className="danger" disabled={pending || !ok} data-testid={`${testId}-submit`}>
          {pending ? t('privacy.working') : submitLabel}
        </button>
        <button type="button" className="secondary" onClick={onCancel} data-testid={`${testId}-cancel`}>
          {t('retention.cancel')}
        </button>
      </div>
      <PrivacyError error={error} />
    </form>
  );
}

function RequestView({ id }: { id: number }): ReactNode {
  const { t, num, dateTime } = useI18n();
  const qc = useQueryClient();
  const q = useQuery(privacyRequestQuery(id));
  const [pending, setPending] = useState<Pending>(null);
  const [done, setDone] = useState<{ kind: 'execute'; result: PrivacyExecuteResult } | { kind: 'lift'; result: PrivacyLiftResult } | { kind: 'reject' } | null>(null);
  const key = privacyRequestQuery(id).queryKey;
  const settle = (request: PrivacyRequest): void => {
    qc.setQueryData(key, { request });
    invalidateAfterChange(qc, key);
    setPending(null);
  };
  const execute = useMutation({
    mutationFn: () => api.post<'POST /privacy/requests/:id/execute'>(`/privacy/requests/${id}/execute`),
    onSuccess: (r) => {
      settle(r.request);
      setDone({ kind: 'execute', result: r });
    },
  });
  const reject = useMutation({
    mutationFn: (reason: string) => api.post<'POST /privacy/requests/:id/reject'>(`/privacy/requests/${id}/reject`, { reason }),
    onSuccess: (r) => {
      settle(r.request);
      setDone({ kind: 'reject' });
    },
  });
  const lift = useMutation({
    mutationFn: (reason: string) => api.post<'POST /privacy/requests/:id/lift'>(`/privacy/requests/${id}/lift`, { reason }),
    onSuccess: (r) => {
      settle(r.request);
      setDone({ kind: 'lift', result: r });
    },
  });
  const close = (): void => {
    setPending(null);
    execute.reset();
    reject.reset();
    lift.reset();
  };

  if (q.isPending) return <Loading />;
  if (q.error) {
    return (
      <div className="page privacy-page" data-testid="privacy-request-missing">
        <PrivacyError error={q.error} notFound={t('privacy.noSuchRequest', { id })} />
        <a href={href(['privacy'])}>{t('privacy.backToList')}</a>
      </div>
    );
  }
  const r = q.data.request;
  const can = privacyActions(r);
  const kindName = t(KIND_KEY[r.kind]);
  const executeExplain: MessageKey = r.kind === 'erasure' ? (can.followUp ? 'privacy.executeExplain_erasureAgain' : 'privacy.executeExplain_erasure') : can.followUp ? 'privacy.executeExplain_restrictionAgain' : 'privacy.executeExplain_restriction';
  return (
    <div className="page privacy-page" data-testid="privacy-request" data-id={r.id} data-kind={r.kind} data-status={r.status}>
      <header className="page-header">
        <h1>
          {t('privacy.requestTitle', { id: r.id, kind: kindName })} <StatusBadges r={r} />
        </h1>
        <a href={href(['privacy'])} data-testid="privacy-back">
          {t('privacy.backToList')}
        </a>
      </header>

      {done ? (
        <p className="success" role="status" data-testid="privacy-done" data-action={done.kind}>
          {done.kind === 'execute'
            ? done.result.response.kind === 'erasure'
              ? t('privacy.doneErasure', { erased: num(done.result.response.erased), kept: num(done.result.response.restricted) })
              : done.result.response.kind === 'restriction'
                ? t('privacy.doneRestriction', { n: num(done.result.response.restricted), already: num(done.result.response.alreadyRestricted) })
                : t('privacy.doneExecuted')
            : done.kind === 'lift'
              ? t('privacy.doneLift', { n: num(done.result.lifted), still: num(done.result.stillRestricted) })
              : t('privacy.doneReject')}
        </p>
      ) : null}

      {r.overdue ? (
        <p className="notice-box critical" role="alert" data-testid="privacy-overdue-notice">
          {t('privacy.overdueNotice', { n: r.daysLeft !== null ? -r.daysLeft : 0 })}
        </p>
      ) : null}
      {r.freezes ? (
        <p className="notice-box warning" data-testid="privacy-freezes">
          {t('privacy.freezesNotice')}
        </p>
      ) : null}
      {r.awaitingExecution > 0 ? (
        <div className="notice-box warning" role="alert" data-testid="privacy-awaiting" data-count={r.awaitingExecution}>
          <p>{t('privacy.awaitingNotice', { n: num(r.awaitingExecution) })}</p>
          <p className="overdue-hint">{t('privacy.awaitingHint')}</p>
        </div>
      ) : null}
      {can.exportByCli ? (
        <div className="notice-box four-eyes" data-testid="privacy-export-cli">
          <p>{t('privacy.exportByCli')}</p>
          <p>
            <code data-testid="privacy-export-command">{accessExportCommand(r.id)}</code>
          </p>
        </div>
      ) : null}

      <Panel
        title={t('privacy.detailsTitle')}
        actions={
          can.execute || can.reject || can.lift ? (
            <div className="actions privacy-actions" role="group" aria-label={t('privacy.actions')}>
              {can.execute ? (
                <button type="button" className="danger small" onClick={() => setPending('execute')} data-testid="privacy-execute">
                  {can.followUp ? t('privacy.executeAgain') : t('privacy.execute')}
                </button>
              ) : null}
              {can.lift ? (
                <button type="button" className="secondary small" onClick={() => setPending('lift')} data-testid="privacy-lift">
                  {t('privacy.lift')}
                </button>
              ) : null}
              {can.reject ? (
                <button type="button" className="secondary small" onClick={() => setPending('reject')} data-testid="privacy-reject">
                  {t('privacy.reject')}
                </button>
              ) : null}
            </div>
          ) : undefined
        }
      >
        <dl className="details-list" data-testid="privacy-details">
          <dt>{t('privacy.kind')}</dt>
          <dd>
            <KindBadge kind={r.kind} />
          </dd>
          <dt>{t('privacy.subjects')}</dt>
          <dd data-testid="privacy-detail-subjects">{r.subjects.join(', ')}</dd>
          <dt>{t('privacy.requester')}</dt>
          <dd data-testid="privacy-detail-requester">{r.requester}</dd>
          <dt>{t('privacy.openedAt')}</dt>
          <dd>{t('privacy.byAt', { who: actorName(r.openedBy), time: dateTime(r.openedAt) })}</dd>
          <dt>{t('privacy.deadline')}</dt>
          <dd>
            <Deadline r={r} />
          </dd>
          {r.startedAt !== null ? (
            <>
              <dt>{t('privacy.startedAt')}</dt>
              <dd>{t('privacy.byAt', { who: actorName(r.startedBy), time: dateTime(r.startedAt) })}</dd>
            </>
          ) : null}
          {r.decidedAt !== null ? (
            <>
              <dt>{r.status === 'rejected' ? t('privacy.rejectedAt') : t('privacy.completedAt')}</dt>
              <dd data-testid="privacy-decided">{t('privacy.byAt', { who: actorName(r.decidedBy), time: dateTime(r.decidedAt) })}</dd>
            </>
          ) : null}
          {r.rejectReason !== null ? (
            <>
              <dt>{t('privacy.rejectReason')}</dt>
              <dd className="reason" data-testid="privacy-reject-reason">
                {r.rejectReason}
              </dd>
            </>
          ) : null}
          {r.liftedAt !== null ? (
            <>
              <dt>{t('privacy.liftedAt')}</dt>
              <dd data-testid="privacy-lifted-detail">
                {t('privacy.byAt', { who: actorName(r.liftedBy), time: dateTime(r.liftedAt) })}
                {r.liftReason ? ` · ${r.liftReason}` : ''}
              </dd>
            </>
          ) : null}
        </dl>
        {!can.execute && !can.reject && !can.lift && !can.exportByCli ? (
          <p className="muted small-text" data-testid="privacy-no-actions">
            {t('privacy.noActions')}
          </p>
        ) : null}
      </Panel>

      <Panel title={t('privacy.personsTitle')}>
        <PersonsTable persons={r.persons} />
      </Panel>

      <Panel title={t('privacy.recordsTitle')}>
        <p className="hint">{t('privacy.recordsHint')}</p>
        <div className="kpis" data-testid="privacy-records">
          <Kpi label={t('privacy.recordsTotal')} value={r.records.total} testId="privacy-records-total" />
          <Kpi label={t('privacy.recordsSent')} value={r.records.sent} testId="privacy-records-sent" />
          <Kpi label={t('privacy.recordsReceived')} value={r.records.received} testId="privacy-records-received" />
          <Kpi label={t('privacy.recordsRestricted')} value={r.records.restricted} testId="privacy-records-restricted" />
        </div>
        <h3 className="privacy-subtitle">{t('privacy.outcomesTitle')}</h3>
        <div className="kpis" data-testid="privacy-outcomes">
          <Kpi label={t('privacy.outcome_exported')} value={r.outcomes.exported} testId="privacy-outcome-exported" />
          <Kpi label={t('privacy.outcome_erased')} value={r.outcomes.erased} testId="privacy-outcome-erased" />
          <Kpi label={t('privacy.outcome_restricted')} value={r.outcomes.restricted} testId="privacy-outcome-restricted" />
          <Kpi label={t('privacy.outcome_lifted')} value={r.outcomes.lifted} testId="privacy-outcome-lifted" />
        </div>
      </Panel>

      <Panel title={t('privacy.responseTitle')}>
        {r.response !== null ? (
          <ResponseView response={r.response} />
        ) : (
          <p className="muted" data-testid="privacy-no-response">
            {r.status === 'rejected' ? t('privacy.noResponseRejected') : t('privacy.noResponse')}
          </p>
        )}
      </Panel>

      <Dialog open={pending === 'execute'} title={t('privacy.executeTitle', { id: r.id, kind: kindName })} onClose={close} testId="privacy-execute-dialog">
        {pending === 'execute' ? (
          <ConfirmForm
            explain={t(executeExplain, { n: num(r.records.total) })}
            reason="none"
            submitLabel={can.followUp ? t('privacy.executeAgain') : t('privacy.execute')}
            pending={execute.isPending}
            error={execute.error}
            onSubmit={() => execute.mutate()}
            onCancel={close}
            testId="privacy-execute-form"
          />
        ) : null}
      </Dialog>
      <Dialog open={pending === 'reject'} title={t('privacy.rejectTitle', { id: r.id })} onClose={close} testId="privacy-reject-dialog">
        {pending === 'reject' ? (
          <ConfirmForm
            explain={t(r.kind === 'erasure' && r.status === 'in-progress' ? 'privacy.rejectExplainInProgress' : 'privacy.rejectExplain')}
            reason="required"
            submitLabel={t('privacy.reject')}
            pending={reject.isPending}
            error={reject.error}
            onSubmit={(reason) => reject.mutate(reason)}
            onCancel={close}
            testId="privacy-reject-form"
          />
        ) : null}
      </Dialog>
      <Dialog open={pending === 'lift'} title={t('privacy.liftTitle', { id: r.id })} onClose={close} testId="privacy-lift-dialog">
        {pending === 'lift' ? (
          <ConfirmForm
            explain={t('privacy.liftExplain', { n: num(r.records.restricted) })}
            reason="required"
            submitLabel={t('privacy.lift')}
            pending={lift.isPending}
            error={lift.error}
            onSubmit={(reason) => lift.mutate(reason)}
            onCancel={close}
            testId="privacy-lift-form"
          />
        ) : null}
      </Dialog>
    </div>
  );
}

export function PrivacyPage({ requestRef }: { requestRef?: string | undefined }): ReactNode {
  const { t } = useI18n();
  if (requestRef === undefined) return <PrivacyIndex />;
  const id = /^\d{1,15}$/u.test(requestRef) ? Number(requestRef) : 0;
  if (id < 1) {
    return (
      <div className="empty-state" data-testid="privacy-request-missing">
        <p>{t('privacy.noSuchRequest', { id: requestRef })}</p>
        <a href={href(['privacy'])}>{t('privacy.backToList')}</a>
      </div>
    );
  }
  return <RequestView key={id} id={id} />;
}
