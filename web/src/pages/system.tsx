import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { api } from '../api';
import { DataTable, ErrorMessage, Loading, Panel } from '../components/ui';
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
            <DataTable
              testId="infected-table"
              columns={[t('system.blob'), t('system.signature'), t('system.engine'), { label: t('system.size'), className: 'num' }, t('system.scannedAt'), t('system.messageKeys')]}
              count={report.data.infected.length}
              empty={{ text: t('system.noInfected'), testId: 'no-infected' }}
            >
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
            </DataTable>
          </Panel>
        </>
      )}
    </div>
  );
}
