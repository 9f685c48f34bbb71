import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { api } from '../api';
import { ErrorMessage, Loading, Panel } from '../components/ui';
import { useI18n } from '../i18n';
import { SCAN_STATUSES, type ScanReport } from '../types';

/**
 * System health for administrators (permission system.health): the malware scanner, attachments by
 * scan status, and the quarantined (infected) ones. Ids, signatures and sizes only: an administrator
 * may not read archived content, so nothing here links to a message.
 */

function ScannerStatus({ scanner }: { scanner: ScanReport['scanner'] }): ReactNode {
  const { t } = useI18n();
  const state = !scanner.configured ? 'not_configured' : scanner.reachable ? 'reachable' : 'unreachable';
  return (
    <>
      <dl className="details-list">
        <dt>{t('system.scannerStatus')}</dt>
        <dd>
          <span className={`badge scanner-${state}`} data-testid="scanner-status" data-state={state}>
            {t(state === 'not_configured' ? 'system.notConfigured' : state === 'reachable' ? 'system.reachable' : 'system.unreachable')}
          </span>
        </dd>
        {scanner.engine ? (
          <>
            <dt>{t('system.engine')}</dt>
            <dd>
              <code data-testid="scanner-engine">{scanner.engine}</code>
            </dd>
          </>
        ) : null}
      </dl>
      {state === 'not_configured' ? <p className="hint">{t('system.notConfiguredHint')}</p> : null}
      {state === 'unreachable' ? (
        <p className="notice-box critical" role="alert">
          {t('system.unreachableHint')}
        </p>
      ) : null}
    </>
  );
}

export function SystemPage(): ReactNode {
  const { t, num, bytes, dateTime } = useI18n();
  const report = useQuery({ queryKey: ['system', 'scan'], queryFn: ({ signal }) => api.get<'GET /system/scan'>('/system/scan', { signal }) });
  const refresh = (
    <button type="button" className="secondary small" onClick={() => void report.refetch()} disabled={report.isFetching} data-testid="system-refresh">
      {t('common.refresh')}
    </button>
  );
  return (
    <div className="page system-page" data-testid="system">
      <header className="page-header">
        <h1>{t('system.title')}</h1>
      </header>
      {report.isPending ? (
        <Loading />
      ) : report.error ? (
        <ErrorMessage error={report.error} />
      ) : (
        <>
          <Panel title={t('system.scanner')} actions={refresh}>
            <ScannerStatus scanner={report.data.scanner} />
          </Panel>
          <Panel title={t('system.counts')}>
            <div className="kpis scan-counts">
              {SCAN_STATUSES.map((s) => (
                <div key={s} className={`kpi scan-count-${s}`} data-testid={`scan-count-${s}`} data-count={report.data.counts[s] ?? 0}>
                  <span className="kpi-label">{t(`system.scan_${s}`)}</span>
                  <span className="kpi-value">{num(report.data.counts[s] ?? 0)}</span>
                </div>
              ))}
            </div>
            {(report.data.counts.pending ?? 0) > 0 ? <p className="warn-text">{t('system.pendingHint', { n: report.data.counts.pending })}</p> : null}
          </Panel>
          <Panel title={t('system.infected')}>
            <p className="hint">{t('system.infectedHint')}</p>
            {report.data.infected.length === 0 ? (
              <p className="empty-state" data-testid="no-infected">
                {t('system.noInfected')}
              </p>
            ) : (
              <div className="table-wrap">
                <table className="data-table" data-testid="infected-table">
                  <thead>
                    <tr>
                      <th scope="col">{t('system.blob')}</th>
                      <th scope="col">{t('system.signature')}</th>
                      <th scope="col">{t('system.engine')}</th>
                      <th scope="col" className="num">
                        {t('system.size')}
                      </th>
                      <th scope="col">{t('system.scannedAt')}</th>
                      <th scope="col">{t('system.messageKeys')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {report.data.infected.map((b) => (
                      <tr key={b.blob} data-testid="infected-row">
                        <td>
                          <code>{b.blob}</code>
                        </td>
                        <td className="danger-text">{b.signature ?? '—'}</td>
                        <td>{b.engine ?? '—'}</td>
                        <td className="num">{bytes(b.size)}</td>
                        <td>{b.scannedAt ? dateTime(b.scannedAt) : '—'}</td>
                        <td>
                          {b.messageKeys.length === 0
                            ? '—'
                            : b.messageKeys.map((k, i) => (
                                <span key={String(k)}>
                                  {i > 0 ? ', ' : null}
                                  <code>{String(k)}</code>
                                </span>
                              ))}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Panel>
        </>
      )}
    </div>
  );
}
