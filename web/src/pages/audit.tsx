import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { api, withQuery } from '../api';
import { verifyHeadSignature, verifyInclusionProof } from '../audit-verify';
import { Dialog, ErrorMessage, Loading, Panel } from '../components/ui';
import { useI18n } from '../i18n';
import { href, navigate, useRoute } from '../router';
import type { AuditProof } from '../types';

const PAGE_SIZE = 50;

function shortJson(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}

/** "Checked in this browser: valid / INVALID / cannot check". */
function BrowserCheck({ result, testId }: { result: boolean | undefined | null; testId: string }): ReactNode {
  const { t } = useI18n();
  if (result === null) return <span className="muted">{t('common.loading')}</span>;
  if (result === undefined) return <span className="muted" data-testid={testId} data-ok="unknown">{t('audit.browserCannot')}</span>;
  return (
    <span className={result ? 'ok-text' : 'warn-text'} data-testid={testId} data-ok={String(result)}>
      {result ? t('audit.browserValid') : t('audit.browserInvalid')}
    </span>
  );
}

function useCheck(run: (() => Promise<boolean | undefined>) | null, key: string): boolean | undefined | null {
  const [state, setState] = useState<{ key: string; result: boolean | undefined } | null>(null);
  useEffect(() => {
    if (!run) return undefined;
    let live = true;
    run().then((result) => live && setState({ key, result }), () => live && setState({ key, result: false }));
    return () => {
      live = false;
    };
  }, [key]);
  return state?.key === key ? state.result : null;
}

function Head(): ReactNode {
  const { t, dateTime, num } = useI18n();
  const head = useQuery({ queryKey: ['audit-head'], queryFn: ({ signal }) => api.get<'GET /audit/head'>('/audit/head', { signal }) });
  const verify = useMutation({ mutationFn: () => api.post<'POST /audit/verify'>('/audit/verify') });
  const h = head.data;
  const signature = useCheck(h ? () => verifyHeadSignature(h) : null, h ? `${h.size}/${h.rootHash}/${h.signature}` : '');
  return (
    <Panel
      title={t('audit.head')}
      actions={
        <button type="button" onClick={() => verify.mutate()} disabled={verify.isPending} data-testid="audit-verify">
          {verify.isPending ? t('audit.verifying') : t('audit.verify')}
        </button>
      }
    >
      {head.isPending ? (
        <Loading />
      ) : head.error ? (
        <ErrorMessage error={head.error} />
      ) : (
        <dl className="details-list" data-testid="audit-head">
          <dt>{t('audit.size')}</dt>
          <dd>{num(head.data.size)}</dd>
          <dt>{t('audit.root')}</dt>
          <dd>
            <code className="hash">{head.data.rootHash}</code>
          </dd>
          <dt>{t('audit.signedAt')}</dt>
          <dd>{dateTime(head.data.time)}</dd>
          <dt>{t('audit.keyId')}</dt>
          <dd>
            <code>{head.data.keyId}</code>
          </dd>
          <dt>{t('audit.signature')}</dt>
          <dd>
            <code className="hash">{head.data.signature}</code>
            <br />
            <BrowserCheck result={signature} testId="audit-head-signature" />
          </dd>
        </dl>
      )}
      <p className="hint">{t('audit.headHint')}</p>
      <ErrorMessage error={verify.error} />
      {verify.data ? (
        <div className={verify.data.ok ? 'verify-result ok' : 'verify-result bad'} role="status" data-testid="audit-verify-result" data-ok={String(verify.data.ok)}>
          <strong>{verify.data.ok ? t('audit.verifyOk', { n: verify.data.size }) : t('audit.verifyBad', { n: verify.data.problemCount ?? verify.data.problems.length })}</strong>
          {verify.data.problems.length > 0 ? (
            <ul>
              {verify.data.problems.slice(0, 50).map((p, i) => (
                <li key={i}>
                  {p.seq !== undefined ? `#${p.seq} ` : ''}
                  {p.message}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </Panel>
  );
}

function Proof({ seq }: { seq: number }): ReactNode {
  const proof = useQuery({ queryKey: ['audit-proof', seq], queryFn: ({ signal }) => api.get<'GET /audit/proof/:seq'>(`/audit/proof/${seq}`, { signal }), staleTime: Infinity });
  if (proof.isPending) return <Loading />;
  if (proof.error) return <ErrorMessage error={proof.error} />;
  return <ProofView p={proof.data} seq={seq} />;
}

function ProofView({ p, seq }: { p: AuditProof; seq: number }): ReactNode {
  const { t, num, dateTime } = useI18n();
  const index = p.index ?? p.seq ?? seq;
  const inclusion = useCheck(() => verifyInclusionProof(index, p.size, p.leafHash, p.proof, p.rootHash), `${index}/${p.size}/${p.rootHash}`);
  const head = p.head ?? null;
  const headSig = useCheck(head ? () => verifyHeadSignature(head) : null, head ? `${head.size}/${head.signature}` : '');
  return (
    <div data-testid="audit-proof">
      <p>{t('audit.proofExplain', { seq: index, size: num(p.size) })}</p>
      <dl className="details-list">
        <dt>{t('audit.leaf')}</dt>
        <dd>
          <code className="hash">{p.leafHash}</code>
        </dd>
        <dt>{t('audit.root')}</dt>
        <dd>
          <code className="hash">{p.rootHash}</code>
        </dd>
        <dt>{t('audit.inclusion')}</dt>
        <dd>
          <BrowserCheck result={inclusion} testId="audit-proof-check" />
        </dd>
        <dt>{t('audit.headAtSize')}</dt>
        <dd>
          {head ? (
            <>
              {dateTime(head.time)} · {head.rootHash === p.rootHash ? t('audit.rootMatches') : t('audit.rootDiffers')} · <BrowserCheck result={headSig} testId="audit-proof-head" />
            </>
          ) : (
            t('audit.noHeadAtSize')
          )}
        </dd>
        <dt>{t('audit.path', { n: p.proof.length })}</dt>
        <dd>
          <ol className="proof-path">
            {p.proof.map((h, i) => (
              <li key={i}>
                <code className="hash">{h}</code>
              </li>
            ))}
          </ol>
        </dd>
      </dl>
    </div>
  );
}

export function AuditPage(): ReactNode {
  const { t, dateTime, num } = useI18n();
  const route = useRoute();
  const action = route.params.get('action') ?? '';
  const actor = route.params.get('actor') ?? '';
  const beforeParam = route.params.get('before');
  const before = beforeParam !== null && /^\d+$/u.test(beforeParam) ? Number(beforeParam) : undefined;
  const [draftAction, setDraftAction] = useState(action);
  const [draftActor, setDraftActor] = useState(actor);
  const [proofSeq, setProofSeq] = useState<number | null>(null);
  /** How many "older" steps were taken in this visit (so "newer" can go back). */
  const depth = useRef(0);
  useEffect(() => {
    setDraftAction(action);
    setDraftActor(actor);
  }, [action, actor]);

  const go = (a: string, who: string, cursor?: number): void => navigate(href(['audit'], { action: a, actor: who, before: cursor }));
  const events = useQuery({
    queryKey: ['audit-events', action, actor, before ?? null],
    queryFn: ({ signal }) => api.get<'GET /audit/events'>(withQuery('/audit/events', { limit: PAGE_SIZE, beforeSeq: before, action, actor }), { signal }),
    placeholderData: keepPreviousData,
  });
  const list = events.data?.events ?? [];
  const oldest = list[list.length - 1];
  const hasOlder = list.length === PAGE_SIZE && oldest !== undefined && oldest.seq > 0;

  return (
    <div className="page audit-page" data-testid="audit">
      <header className="page-header">
        <h1>{t('audit.title')}</h1>
      </header>
      <Head />
      <Panel title={t('audit.events')}>
        <form
          className="form form-inline"
          onSubmit={(e) => {
            e.preventDefault();
            depth.current = 0;
            go(draftAction.trim(), draftActor.trim());
          }}
        >
          <label>
            {t('audit.action')}
            <input value={draftAction} onChange={(e) => setDraftAction(e.target.value)} placeholder="auth.*" data-testid="audit-filter-action" />
          </label>
          <label>
            {t('audit.actor')}
            <input value={draftActor} onChange={(e) => setDraftActor(e.target.value)} placeholder="user:alice" data-testid="audit-filter-actor" />
          </label>
          <button type="submit">{t('audit.filter')}</button>
          {action !== '' || actor !== '' ? (
            <button
              type="button"
              className="secondary"
              onClick={() => {
                depth.current = 0;
                go('', '');
              }}
            >
              {t('search.clearFilters')}
            </button>
          ) : null}
        </form>
        {events.isPending ? (
          <Loading />
        ) : events.error ? (
          <ErrorMessage error={events.error} />
        ) : (
          <>
            <p className="result-total" data-testid="audit-total">
              {events.data.total !== undefined ? t('audit.total', { n: events.data.total }) : events.data.size !== undefined ? t('audit.treeSize', { n: events.data.size }) : ''}
              {list.length > 0 ? ` · ${t('audit.showingSeq', { from: num(list[0]?.seq ?? 0), to: num(oldest?.seq ?? 0) })}` : ''}
            </p>
            {list.length === 0 ? (
              <p className="empty-state">{t('audit.none')}</p>
            ) : (
              <div className="table-wrap">
                <table className="data-table audit-table">
                  <thead>
                    <tr>
                      <th scope="col" className="num">
                        #
                      </th>
                      <th scope="col">{t('audit.time')}</th>
                      <th scope="col">{t('audit.actor')}</th>
                      <th scope="col">{t('audit.action')}</th>
                      <th scope="col">{t('audit.subject')}</th>
                      <th scope="col">{t('audit.details')}</th>
                      <th scope="col">
                        <span className="visually-hidden">{t('audit.proof')}</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((e) => (
                      <tr key={e.seq} data-testid="audit-row">
                        <td className="num">{num(e.seq)}</td>
                        <td>{dateTime(e.time)}</td>
                        <td>
                          <button type="button" className="link-button" onClick={() => go(action, e.actor)} title={t('audit.filterBy')}>
                            {e.actor}
                          </button>
                        </td>
                        <td>
                          <button type="button" className="link-button" onClick={() => go(e.action, actor)} title={t('audit.filterBy')}>
                            <code>{e.action}</code>
                          </button>
                        </td>
                        <td>{e.subject ?? ''}</td>
                        <td className="details-cell" title={typeof e.details === 'string' ? e.details : JSON.stringify(e.details)}>
                          <code>{shortJson(e.details)}</code>
                        </td>
                        <td>
                          <button type="button" className="secondary small" onClick={() => setProofSeq(e.seq)} data-testid="audit-proof-button">
                            {t('audit.proof')}
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <nav className="pager" aria-label={t('common.pages')}>
              {before !== undefined ? (
                <button
                  type="button"
                  className="secondary"
                  onClick={() => {
                    if (depth.current > 0) {
                      depth.current--;
                      window.history.back();
                    } else go(action, actor);
                  }}
                  data-testid="page-prev"
                >
                  {depth.current > 0 ? t('audit.newer') : t('audit.newest')}
                </button>
              ) : null}
              <button
                type="button"
                className="secondary"
                disabled={!hasOlder}
                onClick={() => {
                  depth.current++;
                  go(action, actor, oldest?.seq);
                }}
                data-testid="page-next"
              >
                {t('audit.older')}
              </button>
            </nav>
          </>
        )}
      </Panel>
      <Dialog open={proofSeq !== null} title={t('audit.proofTitle', { seq: proofSeq ?? 0 })} onClose={() => setProofSeq(null)} wide testId="audit-proof-dialog">
        {proofSeq !== null ? <Proof seq={proofSeq} /> : null}
      </Dialog>
    </div>
  );
}
