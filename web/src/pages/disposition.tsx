import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { api } from '../api';
import { DataTable, Dialog, ErrorMessage, Loading, Pager, Panel } from '../components/ui';
import { useI18n } from '../i18n';
import { certificatesQuery, certificateVerifyQuery, RETENTION_KEY, retentionPoliciesQuery, retentionRunsQuery, retentionStatusQuery, reviewsQuery, REVIEWS_PAGE_SIZE } from '../queries';
import { actorName, mayActOn, retentionCaps, reviewStep, timeOfMessageKey } from '../retention-policy';
import { OverdueAlert } from '../retention-ui';
import { href } from '../router';
import { useUser } from '../session';
import type { DispositionCertificate, DispositionRun, RetentionPolicy, RetentionStatus, ReviewItem, ReviewStatus } from '../types';

/**
 * Disposition: the daily run's status (an alert when it did not happen), runs with their counts per
 * policy, the signed certificates and their verification (retention.view), running one now
 * (retention.manage), and the four-eyes review queue (disposition.review): one compliance user
 * proposes, ANOTHER approves or rejects; the server refuses the proposer's own decision.
 */

function StatusPanel({ status }: { status: RetentionStatus }): ReactNode {
  const { t, num, dateTime } = useI18n();
  const last = status.lastCompleted;
  return (
    <>
      <OverdueAlert status={status} />
      {!status.overdue && !status.pausedAfterRestore ? (
        <p className="ok-text" data-testid="disposition-on-time">
          {status.policiesWithMaximum === 0 ? t('disposition.nothingToRun') : t('disposition.onTime')}
        </p>
      ) : null}
      <div className="kpis">
        <div className="kpi" data-testid="status-last-run">
          <span className="kpi-label">{t('disposition.lastCompleted')}</span>
          <span className="kpi-value small-value">{last ? dateTime(last.finishedAt ?? last.startedAt) : t('disposition.never')}</span>
          {last?.counts ? <span className="kpi-sub">{t('disposition.lastCounts', { disposed: num(last.counts.disposed), queued: num(last.counts.queued) })}</span> : null}
        </div>
        <div className="kpi" data-testid="status-next-run">
          <span className="kpi-label">{t('disposition.nextDue')}</span>
          <span className="kpi-value small-value">{status.nextRunDueAt ? dateTime(status.nextRunDueAt) : '—'}</span>
          {status.running ? <span className="kpi-sub warn-text">{t('disposition.runningNow', { id: status.running.id })}</span> : null}
        </div>
        <div className="kpi">
          <span className="kpi-label">{t('disposition.policies')}</span>
          <span className="kpi-value">{num(status.enabledPolicies)}</span>
          <span className="kpi-sub">{t('disposition.withMaximum', { n: num(status.policiesWithMaximum) })}</span>
        </div>
        <div className="kpi" data-testid="status-pending-reviews" data-count={status.pendingReviews}>
          <span className="kpi-label">{t('disposition.openReviews')}</span>
          <span className="kpi-value">{num(status.pendingReviews)}</span>
        </div>
        <div className="kpi" data-testid="status-worm" data-enabled={status.worm.enabled}>
          <span className="kpi-label">{t('disposition.worm')}</span>
          <span className="kpi-value small-value">{status.worm.enabled ? t('disposition.wormOn') : t('disposition.wormOff')}</span>
          {status.worm.enabled && status.worm.enabledAt ? <span className="kpi-sub">{t('disposition.wormSince', { time: dateTime(status.worm.enabledAt), who: actorName(status.worm.enabledBy) })}</span> : null}
        </div>
      </div>
    </>
  );
}

function RunStatusBadge({ run }: { run: DispositionRun }): ReactNode {
  const { t } = useI18n();
  const cls = run.status === 'completed' ? 'status-active' : run.status === 'failed' ? 'badge-danger' : run.status === 'running' ? 'badge-pending' : 'badge-recalled';
  return (
    <span className={`badge ${cls}`} data-testid="run-status" data-status={run.status}>
      {t(`disposition.run_${run.status}`)}
    </span>
  );
}

/** The counts a run reports in total and per policy, in the order both tables show them. */
const COUNT_COLUMNS = ['disposed', 'queued', 'keptByHold', 'conflicts', 'errors'] as const;

function CountHeaders(): ReactNode {
  const { t } = useI18n();
  return COUNT_COLUMNS.map((k) => (
    <th key={k} scope="col" className="num">
      {t(`disposition.${k}`)}
    </th>
  ));
}

function PerPolicy({ run, policies }: { run: DispositionRun; policies: RetentionPolicy[] }): ReactNode {
  const { t, num } = useI18n();
  const entries = Object.entries(run.counts?.perPolicy ?? {});
  if (entries.length === 0) return null;
  const name = (id: string): string => policies.find((p) => String(p.id) === id)?.name ?? `#${id}`;
  return (
    <details>
      <summary>{t('disposition.perPolicy')}</summary>
      <table className="data-table compact">
        <thead>
          <tr>
            <th scope="col">{t('retention.policy')}</th>
            <CountHeaders />
          </tr>
        </thead>
        <tbody>
          {entries.map(([id, c]) => (
            <tr key={id}>
              <td>{name(id)}</td>
              {COUNT_COLUMNS.map((k) => (
                <td key={k} className="num">
                  {num(c[k])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

function RunsTable({ runs, policies }: { runs: DispositionRun[]; policies: RetentionPolicy[] }): ReactNode {
  const { t, num, dateTime, bytes } = useI18n();
  if (runs.length === 0) {
    return (
      <p className="empty-state" data-testid="no-runs">
        {t('disposition.noRuns')}
      </p>
    );
  }
  return (
    <div className="table-wrap">
      <table className="data-table" data-testid="runs-table">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">{t('disposition.started')}</th>
            <th scope="col">{t('disposition.status')}</th>
            <th scope="col">{t('disposition.trigger')}</th>
            <th scope="col" className="num">
              {t('disposition.examined')}
            </th>
            <CountHeaders />
            <th scope="col" className="num">
              {t('disposition.duration')}
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id} data-testid="run-row" data-run={r.id} data-dry={r.dryRun}>
              <td>{r.id}</td>
              <td className="small-text">
                {dateTime(r.startedAt)}
                {r.finishedAt ? <div className="muted">→ {dateTime(r.finishedAt)}</div> : null}
              </td>
              <td>
                <RunStatusBadge run={r} /> {r.dryRun ? <span className="badge">{t('disposition.dry')}</span> : null}
                {r.error ? <div className="danger-text small-text">{r.error}</div> : null}
                <PerPolicy run={r} policies={policies} />
              </td>
              <td className="small-text">
                {t(r.trigger === 'schedule' ? 'disposition.trigger_schedule' : r.trigger === 'api' ? 'disposition.trigger_api' : r.trigger === 'cli' ? 'disposition.trigger_cli' : r.trigger === 'review' ? 'disposition.trigger_review' : r.trigger === 'erasure' ? 'disposition.trigger_erasure' : 'disposition.trigger_other', { trigger: r.trigger })}
                <div className="muted">{actorName(r.actor)}</div>
              </td>
              <td className="num">{r.counts ? num(r.counts.examined) : '—'}</td>
              <td className="num" data-testid="run-disposed">
                {r.counts ? num(r.counts.disposed) : '—'}
                {r.counts && r.counts.bytesFreed > 0 ? <div className="muted">{bytes(r.counts.bytesFreed)}</div> : null}
              </td>
              <td className="num" data-testid="run-queued">
                {r.counts ? num(r.counts.queued) : '—'}
              </td>
              <td className="num">{r.counts ? num(r.counts.keptByHold) : '—'}</td>
              <td className="num">{r.counts ? num(r.counts.conflicts) : '—'}</td>
              <td className={r.counts && r.counts.errors > 0 ? 'num danger-text' : 'num'}>{r.counts ? num(r.counts.errors) : '—'}</td>
              <td className="num">{r.counts ? t('disposition.ms', { ms: num(r.counts.durationMs) }) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RunNow(): ReactNode {
  const { t, num } = useI18n();
  const qc = useQueryClient();
  const [confirm, setConfirm] = useState(false);
  const run = useMutation({
    mutationFn: (dryRun: boolean) => api.post<'POST /retention/runs'>('/retention/runs', { dryRun }),
    onSettled: () => void qc.invalidateQueries({ queryKey: RETENTION_KEY }),
  });
  const r = run.data;
  return (
    <div className="run-now">
      <p className="hint">{t('disposition.runHint')}</p>
      <div className="actions">
        <button type="button" className="secondary" disabled={run.isPending} onClick={() => run.mutate(true)} data-testid="run-dry">
          {t('disposition.runDry')}
        </button>
        <button type="button" className="danger" disabled={run.isPending} onClick={() => setConfirm(true)} data-testid="run-real">
          {t('disposition.runReal')}
        </button>
        {run.isPending ? <span className="muted">{t('disposition.running')}</span> : null}
      </div>
      <ErrorMessage error={run.error} />
      {r ? (
        <p className="success" role="status" data-testid="run-result" data-run={r.id} data-status={r.status}>
          {t(r.dryRun ? 'disposition.runDryDone' : 'disposition.runDone', {
            id: r.id,
            examined: num(r.counts?.examined ?? 0),
            disposed: num(r.counts?.disposed ?? 0),
            queued: num(r.counts?.queued ?? 0),
            held: num(r.counts?.keptByHold ?? 0),
          })}
          {r.status !== 'completed' ? ` (${t(`disposition.run_${r.status}`)})` : ''}
        </p>
      ) : null}
      <Dialog open={confirm} title={t('disposition.runRealTitle')} onClose={() => setConfirm(false)} testId="run-confirm-dialog">
        {confirm ? (
          <div className="form">
            <p>{t('disposition.runRealExplain')}</p>
            <div className="actions">
              <button
                type="button"
                className="danger"
                onClick={() => {
                  setConfirm(false);
                  run.mutate(false);
                }}
                data-testid="run-real-confirm"
              >
                {t('disposition.runReal')}
              </button>
              <button type="button" className="secondary" onClick={() => setConfirm(false)}>
                {t('retention.cancel')}
              </button>
            </div>
          </div>
        ) : null}
      </Dialog>
    </div>
  );
}

function CertificateRow({ c }: { c: DispositionCertificate }): ReactNode {
  const { t, num, dateTime } = useI18n();
  const [asked, setAsked] = useState(false);
  const verify = useQuery({ ...certificateVerifyQuery(c.runId), enabled: asked });
  return (
    <tr data-testid="certificate-row" data-run={c.runId}>
      <td>{c.runId}</td>
      <td className="small-text">
        {dateTime(c.time)}
        <div className="muted">{t('disposition.auditSeq', { seq: c.auditSeq })}</div>
      </td>
      <td className="small-text">
        {dateTime(c.details.start)} → {dateTime(c.details.end)}
      </td>
      <td className="num">{num(c.details.tombstones)}</td>
      <td>
        <code className="hash" title={c.details.merkleRoot}>
          {c.details.merkleRoot.slice(0, 16)}…
        </code>
      </td>
      <td className="small-text">{c.details.policies.map((p) => `${p.name} v${p.version}`).join(', ') || '—'}</td>
      <td>{c.details.worm ? <span className="badge badge-locked">{t('disposition.wormOn')}</span> : null}</td>
      <td>
        {!asked ? (
          <button type="button" className="secondary small" onClick={() => setAsked(true)} data-testid="certificate-verify">
            {t('disposition.verify')}
          </button>
        ) : verify.isPending ? (
          <span className="muted">{t('disposition.verifying')}</span>
        ) : verify.error ? (
          <ErrorMessage error={verify.error} />
        ) : (
          <div className={verify.data.ok ? 'verify-result ok' : 'verify-result bad'} data-testid="certificate-verify-result" data-ok={verify.data.ok}>
            {verify.data.ok ? t('disposition.verifyOk', { n: num(verify.data.tombstones.recomputed) }) : t('disposition.verifyBad')}
            {verify.data.problems.length > 0 ? (
              <ul>
                {verify.data.problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            ) : null}
          </div>
        )}
      </td>
    </tr>
  );
}

function Certificates(): ReactNode {
  const { t } = useI18n();
  const certs = useQuery(certificatesQuery());
  if (certs.isPending) return <Loading />;
  if (certs.error) return <ErrorMessage error={certs.error} />;
  return (
    <DataTable
      testId="certificates-table"
      columns={[
        t('disposition.run'), t('disposition.certified'), t('disposition.period'), { label: t('disposition.tombstones'), className: 'num' },
        t('disposition.merkleRoot'), t('disposition.policiesApplied'), t('disposition.worm'), t('disposition.verification'),
      ]}
      count={certs.data.certificates.length}
      empty={{ text: t('disposition.noCertificates'), testId: 'no-certificates' }}
    >
      {certs.data.certificates.map((c) => (
        <CertificateRow key={c.runId} c={c} />
      ))}
    </DataTable>
  );
}

const REVIEW_FILTERS: { value: string; label: 'disposition.filter_open' | `disposition.review_${ReviewStatus}` | 'disposition.filter_all' }[] = [
  { value: '', label: 'disposition.filter_open' },
  { value: 'proposed', label: 'disposition.review_proposed' },
  { value: 'approved', label: 'disposition.review_approved' },
  { value: 'rejected', label: 'disposition.review_rejected' },
  { value: 'void', label: 'disposition.review_void' },
  { value: 'pending,proposed,approved,rejected,void', label: 'disposition.filter_all' },
];

function ReviewActions({ item, username, onDone }: { item: ReviewItem; username: string | undefined; onDone: () => void }): ReactNode {
  const { t } = useI18n();
  const [note, setNote] = useState('');
  const step = reviewStep(item, username);
  const act = useMutation({
    mutationFn: (a: { kind: 'propose'; proposal: 'dispose' | 'retain' } | { kind: 'decide'; approve: boolean }) =>
      a.kind === 'propose'
        ? api.post<'POST /retention/reviews/:id/propose'>(`/retention/reviews/${item.id}/propose`, { proposal: a.proposal, note: note.trim() || undefined })
        : api.post<'POST /retention/reviews/:id/decide'>(`/retention/reviews/${item.id}/decide`, { approve: a.approve, note: note.trim() || undefined }),
    onSuccess: () => {
      setNote('');
      onDone();
    },
  });
  if (step === 'closed') return null;
  if (step === 'own-proposal') {
    return (
      <div className="review-actions">
        <p className="notice-box warning small-text" data-testid="review-own-proposal">
          {t('disposition.ownProposal')}
        </p>
        <div className="actions">
          <button type="button" className="small" disabled title={t('disposition.ownProposal')} data-testid="review-approve">
            {t('disposition.approve')}
          </button>
          <button type="button" className="secondary small" disabled title={t('disposition.ownProposal')} data-testid="review-reject">
            {t('disposition.reject')}
          </button>
        </div>
      </div>
    );
  }
  return (
    <div className="review-actions">
      <input value={note} onChange={(e) => setNote(e.target.value)} placeholder={t('disposition.notePlaceholder')} maxLength={2000} aria-label={t('disposition.note')} data-testid="review-note" />
      <div className="actions">
        {step === 'propose' ? (
          <>
            <button type="button" className="small danger" disabled={act.isPending} onClick={() => act.mutate({ kind: 'propose', proposal: 'dispose' })} data-testid="review-propose-dispose">
              {t('disposition.proposeDispose')}
            </button>
            <button type="button" className="secondary small" disabled={act.isPending} onClick={() => act.mutate({ kind: 'propose', proposal: 'retain' })} data-testid="review-propose-retain">
              {t('disposition.proposeRetain')}
            </button>
          </>
        ) : (
          <>
            <button type="button" className="small" disabled={act.isPending} onClick={() => act.mutate({ kind: 'decide', approve: true })} data-testid="review-approve">
              {t('disposition.approve')}
            </button>
            <button type="button" className="secondary small" disabled={act.isPending} onClick={() => act.mutate({ kind: 'decide', approve: false })} data-testid="review-reject">
              {t('disposition.reject')}
            </button>
          </>
        )}
      </div>
      <ErrorMessage error={act.error} />
    </div>
  );
}

/**
 * A step on the selected items at once (`POST /retention/reviews/propose|decide`): each item is
 * handled and audited on its own; the step goes to the selected items at that step only, and the
 * items the server refuses are listed with its reason.
 */
function BulkReviewBar({ items, selected, username, onSelect, onDone }: {
  items: ReviewItem[]; selected: ReadonlySet<number>; username: string | undefined; onSelect: (ids: Set<number>) => void; onDone: () => void;
}): ReactNode {
  const { t } = useI18n();
  const [note, setNote] = useState('');
  const chosen = items.filter((r) => selected.has(r.id));
  const toPropose = chosen.filter((r) => reviewStep(r, username) === 'propose').map((r) => r.id);
  const toDecide = chosen.filter((r) => reviewStep(r, username) === 'decide').map((r) => r.id);
  const actionable = items.filter((r) => mayActOn(r, username)).map((r) => r.id);
  const act = useMutation({
    mutationFn: (a: { kind: 'propose'; proposal: 'dispose' | 'retain' } | { kind: 'decide'; approve: boolean }) =>
      a.kind === 'propose'
        ? api.post<'POST /retention/reviews/propose'>('/retention/reviews/propose', { ids: toPropose, proposal: a.proposal, note: note.trim() || undefined })
        : api.post<'POST /retention/reviews/decide'>('/retention/reviews/decide', { ids: toDecide, approve: a.approve, note: note.trim() || undefined }),
    onSuccess: () => {
      setNote('');
      onSelect(new Set());
      onDone();
    },
  });
  if (actionable.length === 0) return null;
  return (
    <div className="bulk-review" data-testid="bulk-review">
      <p className="muted small-text">{t('disposition.bulkHint')}</p>
      <div className="review-actions">
        <span data-testid="bulk-selected" data-count={chosen.length}>{t('disposition.selected', { n: chosen.length })}</span>
        <button type="button" className="secondary small" onClick={() => onSelect(new Set(actionable))} data-testid="bulk-select-page">
          {t('disposition.selectPage')}
        </button>
        <button type="button" className="secondary small" disabled={chosen.length === 0} onClick={() => onSelect(new Set())}>
          {t('disposition.clearSelection')}
        </button>
        <input value={note} onChange={(e) => setNote(e.target.value)} placeholder={t('disposition.bulkNote')} maxLength={2000} aria-label={t('disposition.bulkNote')} data-testid="bulk-note" />
        <button type="button" className="small danger" disabled={act.isPending || toPropose.length === 0} onClick={() => act.mutate({ kind: 'propose', proposal: 'dispose' })} data-testid="bulk-propose-dispose">
          {t('disposition.proposeDispose')} ({toPropose.length})
        </button>
        <button type="button" className="secondary small" disabled={act.isPending || toPropose.length === 0} onClick={() => act.mutate({ kind: 'propose', proposal: 'retain' })} data-testid="bulk-propose-retain">
          {t('disposition.proposeRetain')} ({toPropose.length})
        </button>
        <button type="button" className="small" disabled={act.isPending || toDecide.length === 0} onClick={() => act.mutate({ kind: 'decide', approve: true })} data-testid="bulk-approve">
          {t('disposition.approve')} ({toDecide.length})
        </button>
        <button type="button" className="secondary small" disabled={act.isPending || toDecide.length === 0} onClick={() => act.mutate({ kind: 'decide', approve: false })} data-testid="bulk-reject">
          {t('disposition.reject')} ({toDecide.length})
        </button>
      </div>
      {act.data ? (
        <div className="small-text" role="status" data-testid="bulk-result" data-done={act.data.done} data-failed={act.data.failed}>
          {t('disposition.bulkDone', { done: act.data.done, failed: act.data.failed })}
          {act.data.results.filter((r) => !r.ok).map((r) => (r.ok ? null : <div key={r.id} className="muted">#{r.id}: {r.message}</div>))}
        </div>
      ) : null}
      {act.error ? <ErrorMessage error={act.error} /> : null}
    </div>
  );
}

function ReviewQueue({ policies }: { policies: RetentionPolicy[] }): ReactNode {
  const { t, dateTime } = useI18n();
  const user = useUser();
  const qc = useQueryClient();
  const [filter, setFilter] = useState('');
  const [page, setPage] = useState(1);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const reviews = useQuery(reviewsQuery(filter, page));
  const policyName = (id: number): string => policies.find((p) => p.id === id)?.name ?? `#${id}`;
  const toggle = (id: number): void => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  return (
    <>
      <p className="notice-box four-eyes" data-testid="four-eyes-explain">
        {t('disposition.fourEyes')}
      </p>
      <div className="segmented small review-filter" role="group" aria-label={t('disposition.status')}>
        {REVIEW_FILTERS.map((f) => (
          <button
            key={f.value || 'open'}
            type="button"
            className={filter === f.value ? 'selected' : undefined}
            aria-pressed={filter === f.value}
            onClick={() => {
              setFilter(f.value);
              setPage(1);
              setSelected(new Set());
            }}
          >
            {t(f.label)}
          </button>
        ))}
      </div>
      {reviews.isPending ? (
        <Loading />
      ) : reviews.error ? (
        <ErrorMessage error={reviews.error} />
      ) : reviews.data.items.length === 0 ? (
        <p className="empty-state" data-testid="no-reviews">
          {t('disposition.noReviews')}
        </p>
      ) : (
        <>
          <p className="muted" data-testid="reviews-total" data-total={reviews.data.total}>
            {t('disposition.reviewsTotal', { n: reviews.data.total })}
          </p>
          <BulkReviewBar items={reviews.data.items} selected={selected} username={user?.username} onSelect={setSelected} onDone={() => void qc.invalidateQueries({ queryKey: RETENTION_KEY })} />
          <DataTable testId="reviews-table" columns={['', '#', t('disposition.record'), t('retention.policy'), t('disposition.status'), t('disposition.proposal'), t('disposition.decision'), t('disposition.actions')]}>
            {reviews.data.items.map((r) => (
              <tr key={r.id} data-testid="review-row" data-review={r.id} data-status={r.status}>
                <td>
                  {mayActOn(r, user?.username) ? (
                    <input type="checkbox" checked={selected.has(r.id)} onChange={() => toggle(r.id)} aria-label={t('disposition.select', { id: r.id })} data-testid="review-select" />
                  ) : null}
                </td>
                <td>{r.id}</td>
                <td className="small-text">
                  <a href={href(['m', String(r.messageKey)])}>{dateTime(timeOfMessageKey(r.messageKey))}</a>
                  <div className="muted">{t('disposition.queuedAt', { time: dateTime(r.queuedAt) })}</div>
                </td>
                <td>
                  {policyName(r.policyId)}
                  {r.policyVersion !== null ? <span className="muted"> v{r.policyVersion}</span> : null}
                </td>
                <td>
                  <span className={`badge review-${r.status}`}>{t(`disposition.review_${r.status}`)}</span>
                  {r.voidReason ? <div className="muted small-text">{r.voidReason}</div> : null}
                </td>
                <td className="small-text" data-testid="review-proposal">
                  {r.proposal ? (
                    <>
                      <strong>{r.proposal === 'dispose' ? t('disposition.proposal_dispose') : t('disposition.proposal_retain')}</strong>
                      <div>{t('disposition.byAt', { who: actorName(r.proposedBy), time: r.proposedAt ? dateTime(r.proposedAt) : '—' })}</div>
                      {r.proposalNote ? <div className="muted">{r.proposalNote}</div> : null}
                    </>
                  ) : (
                    '—'
                  )}
                </td>
                <td className="small-text">
                  {r.decidedBy ? (
                    <>
                      <div>{t('disposition.byAt', { who: actorName(r.decidedBy), time: r.decidedAt ? dateTime(r.decidedAt) : '—' })}</div>
                      {r.decisionNote ? <div className="muted">{r.decisionNote}</div> : null}
                    </>
                  ) : (
                    '—'
                  )}
                </td>
                <td>
                  <ReviewActions item={r} username={user?.username} onDone={() => void qc.invalidateQueries({ queryKey: RETENTION_KEY })} />
                </td>
              </tr>
            ))}
          </DataTable>
          <Pager
            page={page}
            pageCount={Math.ceil(reviews.data.total / REVIEWS_PAGE_SIZE)}
            onPage={(p) => {
              setPage(p);
              setSelected(new Set());
            }}
          />
        </>
      )}
    </>
  );
}

export function DispositionPage(): ReactNode {
  const { t } = useI18n();
  const user = useUser();
  const caps = retentionCaps(user?.role);
  const status = useQuery(retentionStatusQuery());
  const runs = useQuery(retentionRunsQuery());
  const policies = useQuery(retentionPoliciesQuery());
  const policyList = policies.data?.policies ?? [];
  return (
    <div className="page disposition-page" data-testid="disposition">
      <header className="page-header">
        <h1>{t('disposition.title')}</h1>
      </header>
      <p className="hint">{t('disposition.intro')}</p>
      <Panel
        title={t('disposition.statusTitle')}
        actions={
          <button type="button" className="secondary small" onClick={() => void status.refetch()} disabled={status.isFetching}>
            {t('common.refresh')}
          </button>
        }
      >
        {status.isPending ? <Loading /> : status.error ? <ErrorMessage error={status.error} /> : <StatusPanel status={status.data} />}
        {caps.manage ? <RunNow /> : null}
      </Panel>
      {caps.review ? (
        <Panel title={t('disposition.reviewsTitle')}>
          <ReviewQueue policies={policyList} />
        </Panel>
      ) : null}
      <Panel title={t('disposition.runsTitle')}>{runs.isPending ? <Loading /> : runs.error ? <ErrorMessage error={runs.error} /> : <RunsTable runs={runs.data.runs} policies={policyList} />}</Panel>
      <Panel title={t('disposition.certificatesTitle')}>
        <Certificates />
      </Panel>
    </div>
  );
}
