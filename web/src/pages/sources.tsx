import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, type ReactNode } from 'react';
import { api, enc } from '../api';
import { ErrorMessage, Loading, Panel } from '../components/ui';
import { useI18n, type MessageKey } from '../i18n';
import { lagLevelKey, lagText, syncStatusKey } from '../scan-status';
import { useUser } from '../session';
import type { ConnectorRow, SourceGap } from '../types';

const SOURCES_KEY = ['sources'] as const;
/** Consent entries shown per connector (the server sends the latest 50). */
const CONSENT_SHOWN = 20;

function Gaps({ gaps, count, missing }: { gaps: number | SourceGap[]; count: number | undefined; missing: number | undefined }): ReactNode {
  const { t, num } = useI18n();
  const n = count ?? (typeof gaps === 'number' ? gaps : gaps.length);
  if (n === 0) return <span className="ok-text">0</span>;
  const label = t('sources.gapCount', { n, missing: missing ?? (Array.isArray(gaps) ? gaps.reduce((s, g) => s + g.missing, 0) : '?') });
  if (typeof gaps === 'number' || gaps.length === 0) return <span className="warn-text">{label}</span>;
  return (
    <details>
      <summary className="warn-text">{label}</summary>
      <ul className="gap-list">
        {gaps.slice(0, 100).map((g) => (
          <li key={g.from}>
            {g.from === g.to ? num(g.from) : `${num(g.from)}–${num(g.to)}`}
          </li>
        ))}
      </ul>
    </details>
  );
}

/** The lag since the last successful sync, with the warning WeCom's 5-day retention calls for. */
function Lag({ c }: { c: ConnectorRow }): ReactNode {
  const { t } = useI18n();
  const lag = c.lagMs === null ? undefined : lagText(c.lagMs);
  const lagStr = lag ? t(lag.key, lag.params) : '';
  return (
    <>
      {c.lagLevel === 'warning' ? (
        <p className="notice-box warning" role="status" data-testid="lag-warning">
          {t('sources.lagWarning', { lag: lagStr })}
        </p>
      ) : c.lagLevel === 'critical' ? (
        <p className="notice-box critical" role="alert" data-testid="lag-critical">
          {t('sources.lagCritical', { lag: lagStr })}
        </p>
      ) : c.lagLevel === 'never_synced' ? (
        <p className="notice-box warning" data-testid="never-synced">
          {t('sources.neverSynced')}
        </p>
      ) : null}
    </>
  );
}

function SyncButton({ name }: { name: string }): ReactNode {
  const { t } = useI18n();
  const qc = useQueryClient();
  const sync = useMutation({ mutationFn: () => api.post<'POST /sources/:name/sync'>(`/sources/${enc(name)}/sync`) });
  // The sync runs in the server's background jobs: look again a little later for its outcome.
  useEffect(() => {
    if (!sync.isSuccess) return undefined;
    const id = window.setTimeout(() => void qc.invalidateQueries({ queryKey: SOURCES_KEY }), 3000);
    return () => window.clearTimeout(id);
  }, [sync.isSuccess, sync.submittedAt, qc]);
  return (
    <div className="sync-now">
      <button type="button" className="small" onClick={() => sync.mutate()} disabled={sync.isPending} data-testid="sync-now">
        {sync.isPending ? t('sources.syncing') : t('sources.syncNow')}
      </button>
      {sync.isSuccess ? (
        <p className="success" role="status" data-testid="sync-result">
          {t('sources.syncRequested')}
        </p>
      ) : null}
      <ErrorMessage error={sync.error} notFound={t('sources.notSyncable')} />
    </div>
  );
}

function ConnectorCard({ c, mayManage }: { c: ConnectorRow; mayManage: boolean }): ReactNode {
  const { t, num, dateTime } = useI18n();
  const kindKey = `sources.kind_${c.kind}`;
  const kind = kindKey === 'sources.kind_wecom' ? t(kindKey as MessageKey) : c.kind;
  const lag = c.lagMs === null ? undefined : lagText(c.lagMs);
  const statusKey = c.lastSyncStatus === null ? undefined : syncStatusKey(c.lastSyncStatus);
  const consent = c.consent.slice(0, CONSENT_SHOWN);
  return (
    <section className={`connector lag-${c.lagLevel}`} data-testid="connector" data-name={c.name} data-lag-level={c.lagLevel} aria-labelledby={`connector-${c.name}`}>
      <header className="connector-header">
        <h3 id={`connector-${c.name}`}>
          <code>{c.name}</code> <span className="muted">{kind}</span>
        </h3>
        <span className={`badge lag-badge lag-${c.lagLevel}`} data-testid="lag-level">
          {t(lagLevelKey(c.lagLevel))}
        </span>
        {mayManage ? <SyncButton name={c.name} /> : null}
      </header>
      <Lag c={c} />
      <dl className="details-list">
        <dt>{t('sources.lastSync')}</dt>
        <dd data-testid="last-sync">{c.lastSyncAt ? dateTime(c.lastSyncAt) : t('sources.never')}</dd>
        <dt>{t('sources.lastSuccess')}</dt>
        <dd data-testid="last-success">{c.lastSuccessAt ? dateTime(c.lastSuccessAt) : t('sources.never')}</dd>
        <dt>{t('sources.syncStatus')}</dt>
        <dd>{c.lastSyncStatus === null ? '—' : <span className={`badge sync-${c.lastSyncStatus}`}>{statusKey ? t(statusKey) : c.lastSyncStatus}</span>}</dd>
        {c.lastError ? (
          <>
            <dt>{t('sources.lastError')}</dt>
            <dd className="danger-text" data-testid="last-error">
              <code>{c.lastError}</code>
            </dd>
          </>
        ) : null}
        <dt>{t('sources.lag')}</dt>
        <dd className={c.lagLevel === 'critical' ? 'danger-text' : c.lagLevel === 'warning' ? 'warn-text' : undefined}>{lag ? t(lag.key, lag.params) : '—'}</dd>
        <dt>{t('sources.cursor')}</dt>
        <dd>
          <code data-testid="cursor">{num(c.cursor)}</code>
        </dd>
        <dt>{t('sources.media')}</dt>
        <dd className={(c.media.failed ?? 0) > 0 ? 'warn-text' : undefined} data-testid="media-counts">
          {t('sources.mediaCounts', { pending: c.media.downloading ?? 0, failed: c.media.failed ?? 0, done: c.media.done ?? 0 })}
          {(c.missingMedia?.waiting ?? 0) + (c.missingMedia?.attached ?? 0) + (c.missingMedia?.abandoned ?? 0) > 0 ? (
            <div className="muted small-text" data-testid="missing-media">
              {t('sources.missingMedia', { waiting: num(c.missingMedia?.waiting ?? 0), attached: num(c.missingMedia?.attached ?? 0), abandoned: num(c.missingMedia?.abandoned ?? 0) })}
            </div>
          ) : null}
        </dd>
      </dl>
      <h4>
        {t('sources.consent')} {consent.length > 0 ? <span className="muted">({t('sources.consentLatest', { n: consent.length })})</span> : null}
      </h4>
      {consent.length === 0 ? (
        <p className="hint">{t('sources.noConsent')}</p>
      ) : (
        <div className="table-wrap consent-table">
          <table className="data-table" data-testid="consent-table">
            <thead>
              <tr>
                <th scope="col">{t('sources.party')}</th>
                <th scope="col">{t('sources.consentAction')}</th>
                <th scope="col">{t('sources.consentTime')}</th>
              </tr>
            </thead>
            <tbody>
              {consent.map((e, i) => (
                <tr key={`${e.time}-${e.party}-${i}`}>
                  <td>
                    <code>{e.party}</code>
                  </td>
                  <td>
                    <span className={e.action === 'agree' ? 'badge status-active' : e.action === 'disagree' ? 'badge badge-warn' : 'badge'}>{e.action === 'agree' ? t('sources.agree') : e.action === 'disagree' ? t('sources.disagree') : e.action}</span>
                  </td>
                  <td>{dateTime(e.time)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Connectors({ connectors }: { connectors: ConnectorRow[] }): ReactNode {
  const { t } = useI18n();
  const user = useUser();
  const mayManage = user?.role === 'admin';
  return (
    <Panel title={t('sources.connectors')}>
      <p className="hint">{t('sources.connectorsExplain')}</p>
      {connectors.length === 0 ? (
        <p className="empty-state" data-testid="no-connectors">
          {t('sources.noConnectors')}
        </p>
      ) : (
        connectors.map((c) => <ConnectorCard key={c.name} c={c} mayManage={mayManage} />)
      )}
    </Panel>
  );
}

export function SourcesPage(): ReactNode {
  const { t, num, dateTime } = useI18n();
  const sources = useQuery({ queryKey: SOURCES_KEY, queryFn: ({ signal }) => api.get<'GET /sources'>('/sources', { signal }) });
  const perSourceQuarantine = sources.data?.sources.some((s) => s.quarantined !== undefined) ?? false;
  return (
    <div className="page sources-page" data-testid="sources">
      <header className="page-header">
        <h1>{t('sources.title')}</h1>
        <button type="button" className="secondary small" onClick={() => void sources.refetch()} disabled={sources.isFetching} data-testid="sources-refresh">
          {t('common.refresh')}
        </button>
      </header>
      {sources.data?.connectors !== undefined ? <Connectors connectors={sources.data.connectors} /> : null}
      <Panel title={t('sources.tableTitle')}>
        <p className="hint">{t('sources.explain')}</p>
        {sources.data?.quarantined !== undefined ? (
          <p data-testid="quarantined-total" className={sources.data.quarantined > 0 ? 'warn-text' : undefined}>
            {t('sources.quarantinedTotal', { n: sources.data.quarantined })}
          </p>
        ) : null}
        {sources.isPending ? (
          <Loading />
        ) : sources.error ? (
          <ErrorMessage error={sources.error} />
        ) : sources.data.sources.length === 0 ? (
          <p className="empty-state">{t('sources.none')}</p>
        ) : (
          <div className="table-wrap">
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">{t('sources.name')}</th>
                  <th scope="col" className="num">
                    {t('sources.messages')}
                  </th>
                  <th scope="col" className="num">
                    {t('sources.seqRange')}
                  </th>
                  <th scope="col">{t('sources.gaps')}</th>
                  {perSourceQuarantine ? (
                    <th scope="col" className="num">
                      {t('sources.quarantined')}
                    </th>
                  ) : null}
                  <th scope="col">{t('sources.lastMessage')}</th>
                </tr>
              </thead>
              <tbody>
                {sources.data.sources.map((s) => (
                  <tr key={s.name} data-testid="source-row">
                    <td>
                      <code>{s.name}</code>
                    </td>
                    <td className="num">{num(s.records ?? s.messages ?? 0)}</td>
                    <td className="num">{s.lastSeq === null || s.lastSeq === undefined ? '—' : `${s.firstSeq !== undefined && s.firstSeq !== null ? `${num(s.firstSeq)}–` : ''}${num(s.lastSeq)}`}</td>
                    <td>
                      <Gaps gaps={s.gaps} count={s.gapCount} missing={s.missing} />
                      {(s.unrecoverable ?? []).map((g) => (
                        <div key={g.from} className="danger-text" data-testid="unrecoverable-gap">
                          {t('sources.unrecoverable', { range: g.from === g.to ? num(g.from) : `${num(g.from)}–${num(g.to)}`, at: dateTime(g.detectedAt) })}
                        </div>
                      ))}
                    </td>
                    {perSourceQuarantine ? <td className={(s.quarantined ?? 0) > 0 ? 'num warn-text' : 'num'}>{num(s.quarantined ?? 0)}</td> : null}
                    <td>{(s.lastTime ?? s.lastImportAt) ? dateTime((s.lastTime ?? s.lastImportAt) as string) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
    </div>
  );
}
