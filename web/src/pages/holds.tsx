import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { api, enc } from '../api';
import { DataTable, Dialog, ErrorMessage, Loading, Panel } from '../components/ui';
import { useI18n } from '../i18n';
import { HOLDS_KEY, holdQuery, holdsQuery, matterQuery, mattersQuery, RETENTION_KEY } from '../queries';
import { actorName, holdHasCriteria, sortHolds, splitList } from '../retention-policy';
import { href } from '../router';
import type { HoldInput, LegalHold, Matter } from '../types';

/**
 * Matters (cases) and their legal holds (permission holds.manage). A record under an active hold is
 * never disposed of, whatever the policies say. A hold is never deleted: it is released, with who,
 * when and why, and stays listed; closing a matter releases its holds.
 */

function useInvalidateHolds(): () => void {
  const qc = useQueryClient();
  return () => {
    void qc.invalidateQueries({ queryKey: HOLDS_KEY });
    // The forecast counts the records holds keep.
    void qc.invalidateQueries({ queryKey: RETENTION_KEY });
  };
}

function MatterStatus({ m }: { m: Matter }): ReactNode {
  const { t } = useI18n();
  return (
    <span className={`badge ${m.status === 'open' ? 'status-active' : 'status-disabled'}`} data-testid="matter-status" data-status={m.status}>
      {m.status === 'open' ? t('holds.matterOpen') : t('holds.matterClosed')}
    </span>
  );
}

/** What a hold covers: its query, custodians, conversations and dates. */
function HoldCriteria({ h }: { h: LegalHold }): ReactNode {
  const { t, dateTime } = useI18n();
  return (
    <dl className="criteria">
      {h.scope ? (
        <>
          <dt>{t('holds.scope')}</dt>
          <dd>
            <code className="scope">{h.scope}</code>
          </dd>
        </>
      ) : null}
      {h.custodians.length > 0 ? (
        <>
          <dt>{t('holds.custodians')}</dt>
          <dd>{h.custodians.join(', ')}</dd>
        </>
      ) : null}
      {h.conversations.length > 0 ? (
        <>
          <dt>{t('holds.conversations')}</dt>
          <dd>{h.conversations.join(', ')}</dd>
        </>
      ) : null}
      {h.afterMs !== null || h.beforeMs !== null ? (
        <>
          <dt>{t('holds.range')}</dt>
          <dd>
            {h.afterMs !== null ? dateTime(h.afterMs) : '…'} – {h.beforeMs !== null ? dateTime(h.beforeMs) : '…'}
          </dd>
        </>
      ) : null}
    </dl>
  );
}

/** How many records a hold covers now (GET /holds/:id counts them: asked for on demand). */
function Covered({ h }: { h: LegalHold }): ReactNode {
  const { t, num } = useI18n();
  const [asked, setAsked] = useState(false);
  const q = useQuery({ ...holdQuery(h.id), enabled: asked });
  if (!asked) {
    return (
      <button type="button" className="link-button" onClick={() => setAsked(true)} data-testid="hold-count">
        {t('holds.count')}
      </button>
    );
  }
  if (q.isPending) return <span className="muted">{t('holds.counting')}</span>;
  if (q.error) return <ErrorMessage error={q.error} />;
  return (
    <span data-testid="hold-covered-now" data-count={q.data.covered ?? ''}>
      {q.data.covered === undefined ? '—' : t('holds.records', { n: num(q.data.covered) })}
    </span>
  );
}

function HoldsTable({ holds, showMatter, onRelease }: { holds: LegalHold[]; showMatter: boolean; onRelease?: (h: LegalHold) => void }): ReactNode {
  const { t, dateTime } = useI18n();
  return (
    <DataTable
      testId="holds-table"
      columns={['#', showMatter ? t('holds.matter') : null, t('holds.criteria'), t('holds.reason'), t('holds.placed'), t('holds.status'), t('holds.covered'), onRelease ? t('holds.actions') : null]}
      count={holds.length}
      empty={{ text: t('holds.noHolds'), testId: 'no-holds' }}
    >
      {sortHolds(holds).map((h) => (
        <tr key={h.id} data-testid="hold-row" data-hold={h.id} data-status={h.status} className={h.status === 'released' ? 'row-disabled' : undefined}>
          <td>{h.id}</td>
          {showMatter ? (
            <td>
              <a href={href(['holds', String(h.matterId)])}>{h.matter}</a>
            </td>
          ) : null}
          <td>
            <HoldCriteria h={h} />
          </td>
          <td className="reason">{h.reason}</td>
          <td className="small-text">
            {dateTime(h.placedAt)}
            <br />
            <span className="muted">{actorName(h.placedBy)}</span>
          </td>
          <td>
            {h.status === 'active' ? (
              <span className="badge badge-hold" data-testid="hold-status">
                {t('holds.active')}
              </span>
            ) : (
              <div className="released" data-testid="hold-released">
                <span className="badge status-disabled" data-testid="hold-status">
                  {t('holds.released')}
                </span>
                <div className="small-text">{t('holds.releasedBy', { who: actorName(h.releasedBy), time: h.releasedAt !== null ? dateTime(h.releasedAt) : '—' })}</div>
                <div className="small-text muted" data-testid="hold-release-reason">
                  {h.releaseReason ?? '—'}
                </div>
              </div>
            )}
          </td>
          <td>{h.status === 'active' ? <Covered h={h} /> : <span className="muted">—</span>}</td>
          {onRelease ? (
            <td className="row-actions">
              {h.status === 'active' ? (
                <button type="button" className="secondary small" onClick={() => onRelease(h)} data-testid="hold-release">
                  {t('holds.release')}
                </button>
              ) : null}
            </td>
          ) : null}
        </tr>
      ))}
    </DataTable>
  );
}

/** A reason, required, then the action (release a hold, close a matter). */
function ReasonForm({ explain, submitLabel, pending, error, onSubmit, testId }: { explain: string; submitLabel: string; pending: boolean; error: unknown; onSubmit: (reason: string) => void; testId: string }): ReactNode {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  return (
    <form
      className="form"
      onSubmit={(e) => {
        e.preventDefault();
        if (reason.trim() !== '') onSubmit(reason.trim());
      }}
      data-testid={testId}
    >
      <p className="hint">{explain}</p>
      <label>
        {t('holds.reason')}
        <textarea value={reason} onChange={(e) => setReason(e.target.value)} required rows={3} maxLength={4000} data-testid={`${testId}-reason`} />
      </label>
      <div className="actions">
        <button type="submit" className="danger" disabled={pending || reason.trim() === ''} data-testid={`${testId}-submit`}>
          {submitLabel}
        </button>
      </div>
      <ErrorMessage error={error} />
    </form>
  );
}

function PlaceHold({ matter }: { matter: Matter }): ReactNode {
  const { t, num } = useI18n();
  const invalidate = useInvalidateHolds();
  const empty = { scope: '', custodians: '', conversations: '', after: '', before: '', reason: '' };
  const [f, setF] = useState(empty);
  const set = (k: keyof typeof empty, v: string): void => setF((x) => ({ ...x, [k]: v }));
  const place = useMutation({
    mutationFn: () => {
      const body: HoldInput = { matter: String(matter.id), reason: f.reason.trim() };
      if (f.scope.trim() !== '') body.scope = f.scope.trim();
      const custodians = splitList(f.custodians);
      const conversations = splitList(f.conversations);
      if (custodians.length > 0) body.custodians = custodians;
      if (conversations.length > 0) body.conversations = conversations;
      if (f.after !== '') body.after = f.after;
      if (f.before !== '') body.before = f.before;
      return api.post<'POST /holds'>('/holds', body);
    },
    onSuccess: () => {
      setF(empty);
      invalidate();
    },
  });
  const criteria = holdHasCriteria(f);
  return (
    <>
      <form
        className="form hold-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (criteria && f.reason.trim() !== '') place.mutate();
        }}
        data-testid="place-hold-form"
      >
        <p className="hint">{t('holds.placeHint')}</p>
        <div className="form-grid">
          <label>
            {t('holds.scope')}
            <input value={f.scope} onChange={(e) => set('scope', e.target.value)} placeholder={t('holds.scopePlaceholder')} maxLength={1000} data-testid="hold-scope" />
          </label>
          <label>
            {t('holds.custodians')}
            <textarea value={f.custodians} onChange={(e) => set('custodians', e.target.value)} rows={2} placeholder={t('holds.custodiansPlaceholder')} data-testid="hold-custodians" />
          </label>
          <label>
            {t('holds.conversations')}
            <textarea value={f.conversations} onChange={(e) => set('conversations', e.target.value)} rows={2} placeholder={t('holds.conversationsPlaceholder')} data-testid="hold-conversations" />
          </label>
          <label>
            {t('holds.after')}
            <input type="date" value={f.after} onChange={(e) => set('after', e.target.value)} data-testid="hold-after" />
          </label>
          <label>
            {t('holds.before')}
            <input type="date" value={f.before} onChange={(e) => set('before', e.target.value)} data-testid="hold-before" />
          </label>
        </div>
        <label>
          {t('holds.reason')}
          <textarea value={f.reason} onChange={(e) => set('reason', e.target.value)} required rows={2} maxLength={4000} data-testid="hold-reason" />
        </label>
        {!criteria ? <p className="muted">{t('holds.needsCriteria')}</p> : null}
        <div className="actions">
          <button type="submit" disabled={place.isPending || !criteria || f.reason.trim() === ''} data-testid="hold-submit">
            {place.isPending ? t('holds.placing') : t('holds.place')}
          </button>
        </div>
        <ErrorMessage error={place.error} />
      </form>
      {place.data ? (
        <p className="success" role="status" data-testid="hold-placed" data-hold={place.data.id} data-count={place.data.coveredAtPlacement ?? ''}>
          {t('holds.placedResult', { id: place.data.id, n: num(place.data.coveredAtPlacement ?? 0) })}
        </p>
      ) : null}
    </>
  );
}

function MatterView({ matterRef }: { matterRef: string }): ReactNode {
  const { t, dateTime } = useI18n();
  const invalidate = useInvalidateHolds();
  const matter = useQuery(matterQuery(matterRef));
  const [releasing, setReleasing] = useState<LegalHold | null>(null);
  const [closing, setClosing] = useState(false);
  const release = useMutation({
    mutationFn: (a: { id: number; reason: string }) => api.post<'POST /holds/:id/release'>(`/holds/${a.id}/release`, { reason: a.reason }),
    onSuccess: () => {
      setReleasing(null);
      invalidate();
    },
  });
  const close = useMutation({
    mutationFn: (reason: string) => api.post<'POST /matters/:ref/close'>(`/matters/${enc(matterRef)}/close`, { reason }),
    onSuccess: () => {
      setClosing(false);
      invalidate();
    },
  });

  if (matter.isPending) return <Loading />;
  if (matter.error) return <ErrorMessage error={matter.error} notFound={t('holds.noSuchMatter')} />;
  const m = matter.data;
  return (
    <div className="page holds-page" data-testid="matter" data-matter={m.name}>
      <header className="page-header">
        <h1>
          {t('holds.matterTitle', { name: m.name })} <MatterStatus m={m} />
        </h1>
        <a href={href(['holds'])} data-testid="matters-back">
          {t('holds.backToMatters')}
        </a>
      </header>
      <Panel
        title={t('holds.matterDetails')}
        actions={
          m.status === 'open' ? (
            <button type="button" className="danger small" onClick={() => setClosing(true)} data-testid="matter-close">
              {t('holds.closeMatter')}
            </button>
          ) : undefined
        }
      >
        <dl className="details-list">
          {m.description ? (
            <>
              <dt>{t('holds.description')}</dt>
              <dd>{m.description}</dd>
            </>
          ) : null}
          <dt>{t('holds.opened')}</dt>
          <dd>{t('holds.byAt', { who: actorName(m.createdBy), time: dateTime(m.createdAt) })}</dd>
          {m.status === 'closed' ? (
            <>
              <dt>{t('holds.closed')}</dt>
              <dd data-testid="matter-closed">
                {t('holds.byAt', { who: actorName(m.closedBy), time: m.closedAt !== null ? dateTime(m.closedAt) : '—' })}
                {m.closeReason ? ` · ${m.closeReason}` : ''}
              </dd>
            </>
          ) : null}
          <dt>{t('holds.holdCounts')}</dt>
          <dd>{t('holds.holdCountsValue', { active: m.activeHolds, released: m.releasedHolds })}</dd>
        </dl>
      </Panel>
      {m.status === 'open' ? (
        <Panel title={t('holds.placeTitle')}>
          <PlaceHold matter={m} />
        </Panel>
      ) : (
        <p className="notice-box" data-testid="matter-closed-notice">
          {t('holds.closedNotice')}
        </p>
      )}
      <Panel title={t('holds.holdsTitle')}>
        <ErrorMessage error={release.error} />
        <HoldsTable holds={m.holds} showMatter={false} onRelease={(h) => setReleasing(h)} />
      </Panel>
      <Dialog open={releasing !== null} title={releasing ? t('holds.releaseTitle', { id: releasing.id }) : ''} onClose={() => setReleasing(null)} testId="release-dialog">
        {releasing ? (
          <ReasonForm
            explain={t('holds.releaseExplain')}
            submitLabel={t('holds.release')}
            pending={release.isPending}
            error={release.error}
            onSubmit={(reason) => release.mutate({ id: releasing.id, reason })}
            testId="release-form"
          />
        ) : null}
      </Dialog>
      <Dialog open={closing} title={t('holds.closeTitle', { name: m.name })} onClose={() => setClosing(false)} testId="close-dialog">
        {closing ? <ReasonForm explain={t('holds.closeExplain', { n: m.activeHolds })} submitLabel={t('holds.closeMatter')} pending={close.isPending} error={close.error} onSubmit={(reason) => close.mutate(reason)} testId="close-form" /> : null}
      </Dialog>
    </div>
  );
}

function AddMatter(): ReactNode {
  const { t } = useI18n();
  const invalidate = useInvalidateHolds();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const add = useMutation({
    mutationFn: () => api.post<'POST /matters'>('/matters', { name: name.trim(), description: description.trim() === '' ? undefined : description.trim() }),
    onSuccess: () => {
      setName('');
      setDescription('');
      invalidate();
    },
  });
  return (
    <form
      className="form form-inline"
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate();
      }}
      data-testid="add-matter-form"
    >
      <label>
        {t('holds.matterName')}
        <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} autoComplete="off" data-testid="matter-name" />
      </label>
      <label className="grow">
        {t('holds.description')}
        <input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={4000} data-testid="matter-description" />
      </label>
      <button type="submit" disabled={add.isPending || name.trim() === ''} data-testid="matter-submit">
        {t('holds.openMatter')}
      </button>
      <ErrorMessage error={add.error} />
      {add.data ? (
        <p className="success" role="status">
          {t('holds.matterOpened', { name: add.data.name })} <a href={href(['holds', String(add.data.id)])}>{t('holds.openIt')}</a>
        </p>
      ) : null}
    </form>
  );
}

function MattersIndex(): ReactNode {
  const { t, dateTime } = useI18n();
  const matters = useQuery(mattersQuery());
  const [status, setStatus] = useState<'active' | 'released' | ''>('active');
  const holds = useQuery(holdsQuery(status === '' ? {} : { status }));
  return (
    <div className="page holds-page" data-testid="holds">
      <header className="page-header">
        <h1>{t('holds.title')}</h1>
      </header>
      <p className="hint">{t('holds.intro')}</p>
      <Panel title={t('holds.addMatterTitle')}>
        <AddMatter />
      </Panel>
      <Panel title={t('holds.mattersTitle')}>
        {matters.isPending ? (
          <Loading />
        ) : matters.error ? (
          <ErrorMessage error={matters.error} />
        ) : (
          <DataTable
            testId="matters-table"
            columns={[t('holds.matterName'), t('holds.status'), { label: t('holds.activeHolds'), className: 'num' }, { label: t('holds.releasedHolds'), className: 'num' }, t('holds.opened'), t('holds.closed')]}
            count={matters.data.matters.length}
            empty={{ text: t('holds.noMatters'), testId: 'no-matters' }}
          >
            {matters.data.matters.map((m) => (
              <tr key={m.id} data-testid="matter-row" data-name={m.name}>
                <td>
                  <a href={href(['holds', String(m.id)])} data-testid="matter-link">
                    {m.name}
                  </a>
                  {m.description ? <div className="muted small-text">{m.description}</div> : null}
                </td>
                <td>
                  <MatterStatus m={m} />
                </td>
                <td className="num">{m.activeHolds}</td>
                <td className="num">{m.releasedHolds}</td>
                <td className="small-text">{t('holds.byAt', { who: actorName(m.createdBy), time: dateTime(m.createdAt) })}</td>
                <td className="small-text">
                  {m.status === 'closed' ? (
                    <>
                      {t('holds.byAt', { who: actorName(m.closedBy), time: m.closedAt !== null ? dateTime(m.closedAt) : '—' })}
                      {m.closeReason ? <div className="muted">{m.closeReason}</div> : null}
                    </>
                  ) : (
                    '—'
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Panel>
      <Panel
        title={t('holds.allHoldsTitle')}
        actions={
          <div className="segmented small" role="group" aria-label={t('holds.status')}>
            {(['active', 'released', ''] as const).map((s) => (
              <button key={s || 'all'} type="button" className={status === s ? 'selected' : undefined} aria-pressed={status === s} onClick={() => setStatus(s)} data-testid={`holds-filter-${s || 'all'}`}>
                {s === 'active' ? t('holds.active') : s === 'released' ? t('holds.released') : t('holds.all')}
              </button>
            ))}
          </div>
        }
      >
        {holds.isPending ? <Loading /> : holds.error ? <ErrorMessage error={holds.error} /> : <HoldsTable holds={holds.data.holds} showMatter />}
      </Panel>
    </div>
  );
}

export function HoldsPage({ matterRef }: { matterRef?: string | undefined }): ReactNode {
  return matterRef === undefined ? <MattersIndex /> : <MatterView key={matterRef} matterRef={matterRef} />;
}
