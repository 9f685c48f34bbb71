import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { api } from '../api';
import { ErrorMessage, Loading, Panel } from '../components/ui';
import { useI18n } from '../i18n';
import type { SourceGap, SourcesResult } from '../types';

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

export function SourcesPage(): ReactNode {
  const { t, num, dateTime } = useI18n();
  const sources = useQuery({ queryKey: ['sources'], queryFn: ({ signal }) => api.get<SourcesResult>('/sources', { signal }) });
  const perSourceQuarantine = sources.data?.sources.some((s) => s.quarantined !== undefined) ?? false;
  return (
    <div className="page sources-page" data-testid="sources">
      <header className="page-header">
        <h1>{t('sources.title')}</h1>
      </header>
      <Panel>
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
