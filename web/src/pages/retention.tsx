import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState, type ReactNode } from 'react';
import { api, enc } from '../api';
import { DataTable, Dialog, ErrorMessage, Loading, Panel } from '../components/ui';
import { typeLabelKey } from '../labels';
import { useI18n, type MessageKey } from '../i18n';
import { RETENTION_KEY, retentionForecastQuery, retentionPoliciesQuery, retentionPresetsQuery, retentionStatusQuery } from '../queries';
import {
  conflictRows,
  emptyPolicyForm,
  FORECAST_HORIZONS,
  floorAboveCeiling,
  formFromPolicy,
  formFromPreset,
  formProblems,
  hasChanges,
  lockedProblem,
  retentionCaps,
  toPolicyChanges,
  toPolicyInput,
  type PolicyForm,
} from '../retention-policy';
import { ActionBadge, CountCell, DurationText, FateText, OverdueAlert } from '../retention-ui';
import { useUser } from '../session';
import type { RetentionDryRun, RetentionDryRunRequest, RetentionForecast, RetentionPolicy, RetentionPreset } from '../types';

/**
 * Retention policies (GET /retention/policies), their live forecast (GET /retention/forecast: what
 * each policy disposes of in the next 7/30/365 days, what holds keep, the floor/ceiling conflicts),
 * and for compliance (retention.manage) the editor: every new policy and every change is first run
 * dry (POST /retention/dry-run: which records would change fate) and only then saved.
 */

/** Hints for the server's presets, in the console's languages (the server's own note names CLI flags). */
const PRESET_NOTES: Record<string, MessageKey> = {
  'pipl-minimum-necessary': 'retention.presetNote_pipl',
  'sec-17a-4': 'retention.presetNote_sec',
  'mifid-ii': 'retention.presetNote_mifid',
  'gdpr-storage-limitation': 'retention.presetNote_gdpr',
  'voice-video-default': 'retention.presetNote_voice',
};

function ForecastPanel({ forecast, policies }: { forecast: RetentionForecast; policies: RetentionPolicy[] }): ReactNode {
  const { t, num, dateTime } = useI18n();
  const conflicts = conflictRows(forecast, policies);
  return (
    <>
      <div className="kpis forecast-kpis">
        <div className="kpi" data-testid="forecast-held" data-records={forecast.held.records}>
          <span className="kpi-label">{t('retention.held')}</span>
          <span className="kpi-value">{num(forecast.held.records)}</span>
          <span className="kpi-sub">{t('retention.heldSub')}</span>
        </div>
        <div className={forecast.conflicts.records > 0 ? 'kpi kpi-alert' : 'kpi'} data-testid="forecast-conflict-count" data-records={forecast.conflicts.records}>
          <span className="kpi-label">{t('retention.conflicts')}</span>
          <span className="kpi-value">{num(forecast.conflicts.records)}</span>
          <span className="kpi-sub">{t('retention.conflictsSub')}</span>
        </div>
        <div className="kpi" data-testid="forecast-frozen">
          <span className="kpi-label">{t('retention.frozen')}</span>
          <span className="kpi-value">{num(forecast.frozen)}</span>
          <span className="kpi-sub">{t('retention.frozenSub')}</span>
        </div>
      </div>
      {conflicts.length > 0 ? (
        <div className="notice-box warning" role="alert" data-testid="forecast-conflicts">
          <p>{t('retention.conflictsExplain', { n: forecast.conflicts.records })}</p>
          <table className="data-table compact">
            <thead>
              <tr>
                <th scope="col">{t('retention.conflictFloor')}</th>
                <th scope="col">{t('retention.conflictCeiling')}</th>
                <th scope="col" className="num">
                  {t('retention.records')}
                </th>
              </tr>
            </thead>
            <tbody>
              {conflicts.map((c) => (
                <tr key={`${c.floor}|${c.ceiling}`} data-testid="conflict-row">
                  <td>{c.floor}</td>
                  <td>{c.ceiling}</td>
                  <td className="num">{num(c.records)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {forecast.policies.length === 0 ? (
        <p className="empty-state" data-testid="forecast-empty">
          {t('retention.forecastEmpty')}
        </p>
      ) : (
        <div className="table-wrap">
          <table className="data-table" data-testid="forecast-table">
            <thead>
              <tr>
                <th scope="col">{t('retention.policy')}</th>
                <th scope="col">{t('retention.action')}</th>
                <th scope="col" className="num">
                  {t('retention.dueNow')}
                </th>
                {FORECAST_HORIZONS.map((d) => (
                  <th scope="col" className="num" key={d}>
                    {t('retention.within', { n: Number(d) })}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {forecast.policies.map((p) => (
                <tr key={p.policyId} data-testid="forecast-row" data-policy={p.name}>
                  <td>{p.name}</td>
                  <td>
                    <ActionBadge action={p.action} />
                  </td>
                  <td className="num">
                    <CountCell c={p.dueNow} testId="forecast-due-now" />
                  </td>
                  {FORECAST_HORIZONS.map((d) => (
                    <td className="num" key={d}>
                      <CountCell c={p.within[d] ?? { records: 0, bytes: 0 }} testId={`forecast-within-${d}`} />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="hint">{t('retention.forecastNote', { time: dateTime(forecast.at), n: num(forecast.records), ms: num(forecast.durationMs) })}</p>
    </>
  );
}

function PolicyStatus({ p }: { p: RetentionPolicy }): ReactNode {
  const { t } = useI18n();
  return (
    <>
      <span className={`badge ${p.enabled ? 'status-active' : 'status-disabled'}`} data-testid="policy-enabled" data-enabled={p.enabled}>
        {p.enabled ? t('retention.enabled') : t('retention.disabled')}
      </span>
      {p.locked ? (
        <span className="badge badge-locked" title={t('retention.lockedTitle')} data-testid="policy-locked">
          {t('retention.locked')}
        </span>
      ) : null}
    </>
  );
}

type EditorState = { mode: 'new' } | { mode: 'change'; policy: RetentionPolicy; enabled?: boolean };

function PoliciesTable({ policies, manage, onEdit }: { policies: RetentionPolicy[]; manage: boolean; onEdit: (e: EditorState) => void }): ReactNode {
  const { t, dateTime } = useI18n();
  return (
    <DataTable
      testId="policies-table"
      columns={[t('retention.name'), t('retention.scope'), t('retention.min'), t('retention.max'), t('retention.action'), t('retention.status'), t('retention.purposeBasis'), t('retention.updated'), manage ? t('retention.actions') : null]}
      count={policies.length}
      empty={{ text: t('retention.noPolicies'), testId: 'no-policies' }}
    >
      {policies.map((p) => (
        <tr key={p.id} data-testid="policy-row" data-name={p.name} className={p.enabled ? undefined : 'row-disabled'}>
          <td>
            <strong>{p.name}</strong>
            {p.preset ? <div className="muted small-text">{t('retention.fromPreset', { preset: p.preset })}</div> : null}
          </td>
          <td>{p.scope === '' ? <span className="muted">{t('retention.scopeAll')}</span> : <code className="scope">{p.scope}</code>}</td>
          <td data-testid="policy-min">
            <DurationText value={p.min} />
          </td>
          <td data-testid="policy-max">
            <DurationText value={p.max} />
          </td>
          <td>
            <ActionBadge action={p.action} />
          </td>
          <td>
            <PolicyStatus p={p} />
          </td>
          <td className="details-cell">
            <details>
              <summary>{p.purpose}</summary>
              <p className="muted">
                {t('retention.basis')}: {p.basis}
              </p>
            </details>
          </td>
          <td className="muted small-text">
            {dateTime(p.updatedAt)}
            <br />
            {t('retention.updatedBy', { who: p.updatedBy, v: p.version })}
          </td>
          {manage ? (
            <td className="row-actions">
              <button type="button" className="secondary small" onClick={() => onEdit({ mode: 'change', policy: p })} data-testid="policy-edit">
                {p.locked ? t('retention.extend') : t('retention.change')}
              </button>
              {p.locked ? null : p.enabled ? (
                <button type="button" className="secondary small" onClick={() => onEdit({ mode: 'change', policy: p, enabled: false })} data-testid="policy-disable">
                  {t('retention.disable')}
                </button>
              ) : (
                <button type="button" className="secondary small" onClick={() => onEdit({ mode: 'change', policy: p, enabled: true })} data-testid="policy-enable">
                  {t('retention.enable')}
                </button>
              )}
            </td>
          ) : null}
        </tr>
      ))}
    </DataTable>
  );
}

function DryRunView({ r }: { r: RetentionDryRun }): ReactNode {
  const { t, num, dateTime } = useI18n();
  return (
    <section className="dry-run" data-testid="dry-run-result" aria-live="polite">
      <h3>{t('retention.dryRunTitle')}</h3>
      <div className="kpis">
        <div className="kpi" data-testid="dry-run-changed-now" data-count={r.changedNow}>
          <span className="kpi-label">{t('retention.changedNow')}</span>
          <span className="kpi-value">{num(r.changedNow)}</span>
        </div>
        <div className="kpi" data-testid="dry-run-changed-year" data-count={r.changedWithinYear}>
          <span className="kpi-label">{t('retention.changedWithinYear')}</span>
          <span className="kpi-value">{num(r.changedWithinYear)}</span>
        </div>
        <div className="kpi" data-testid="dry-run-newly-due" data-count={r.newlyDue.records}>
          <span className="kpi-label">{t('retention.newlyDue')}</span>
          <span className="kpi-value">
            <CountCell c={r.newlyDue} />
          </span>
        </div>
        <div className="kpi" data-testid="dry-run-no-longer-due" data-count={r.noLongerDue.records}>
          <span className="kpi-label">{t('retention.noLongerDue')}</span>
          <span className="kpi-value">
            <CountCell c={r.noLongerDue} />
          </span>
        </div>
        <div className={r.newConflicts > 0 ? 'kpi kpi-alert' : 'kpi'} data-testid="dry-run-new-conflicts" data-count={r.newConflicts}>
          <span className="kpi-label">{t('retention.newConflicts')}</span>
          <span className="kpi-value">{num(r.newConflicts)}</span>
        </div>
      </div>
      {r.newConflicts > 0 ? (
        <p className="notice-box warning" role="alert">
          {t('retention.newConflictsExplain', { n: r.newConflicts })}
        </p>
      ) : null}
      {r.newlyDue.records > 0 ? <p className="warn-text">{t('retention.newlyDueExplain', { n: r.newlyDue.records })}</p> : null}
      {r.examples.length === 0 ? (
        <p className="muted" data-testid="dry-run-no-examples">
          {t('retention.noExamples')}
        </p>
      ) : (
        <>
          <p className="hint">{t('retention.examples', { n: r.examples.length })}</p>
          <div className="table-wrap dry-run-examples">
            <table className="data-table compact" data-testid="dry-run-examples">
              <thead>
                <tr>
                  <th scope="col">{t('retention.exSource')}</th>
                  <th scope="col">{t('retention.exId')}</th>
                  <th scope="col">{t('retention.exTime')}</th>
                  <th scope="col">{t('retention.exType')}</th>
                  <th scope="col">{t('retention.exBefore')}</th>
                  <th scope="col">{t('retention.exAfter')}</th>
                </tr>
              </thead>
              <tbody>
                {r.examples.map((e) => (
                  <tr key={`${e.source}|${e.id}`} data-testid="dry-run-example">
                    <td>{e.source}</td>
                    <td>
                      <code>{e.id}</code>
                    </td>
                    <td>{dateTime(e.timeMs)}</td>
                    <td>{t(typeLabelKey(e.type))}</td>
                    <td>
                      <FateText fate={e.before} />
                    </td>
                    <td>
                      <FateText fate={e.after} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

function PolicyEditor({ state, presets, onDone }: { state: EditorState; presets: RetentionPreset[]; onDone: (saved?: RetentionPolicy) => void }): ReactNode {
  const { t, lang } = useI18n();
  const qc = useQueryClient();
  const before = state.mode === 'change' ? state.policy : undefined;
  const [form, setForm] = useState<PolicyForm>(() => (before ? { ...formFromPolicy(before), enabled: state.mode === 'change' && state.enabled !== undefined ? state.enabled : before.enabled } : emptyPolicyForm()));
  const set = <K extends keyof PolicyForm>(k: K, v: PolicyForm[K]): void => setForm((f) => ({ ...f, [k]: v }));
  const preset = presets.find((p) => p.name === form.preset);

  const request: RetentionDryRunRequest | undefined = useMemo(() => {
    if (!before) return { input: toPolicyInput(form) };
    const changes = toPolicyChanges(before, form);
    return hasChanges(changes) ? { ref: String(before.id), changes } : undefined;
  }, [before, form]);
  const requestJson = request === undefined ? '' : JSON.stringify(request);
  const problems = formProblems(form, before ? 'change' : 'new');
  const locked = before ? lockedProblem(before, form) : undefined;
  if (locked) problems.push(locked);
  if (preset?.needsMax && form.max.trim() === '') problems.push('retention.problem_presetNeedsMax');

  const dryRun = useMutation({ mutationFn: (body: RetentionDryRunRequest) => api.post<'POST /retention/dry-run'>('/retention/dry-run', body) });
  const dryRunFor = dryRun.isSuccess ? JSON.stringify(dryRun.variables) : undefined;
  const current = dryRunFor !== undefined && dryRunFor === requestJson;
  const save = useMutation({
    mutationFn: (body: RetentionDryRunRequest) =>
      'input' in body ? api.post<'POST /retention/policies'>('/retention/policies', body.input) : api.put<'PUT /retention/policies/:ref'>(`/retention/policies/${enc(body.ref)}`, body.changes),
    onSuccess: (p) => {
      void qc.invalidateQueries({ queryKey: RETENTION_KEY });
      onDone(p);
    },
  });

  const fieldsLocked = before?.locked === true;
  return (
    <div className="policy-editor" data-testid="policy-editor">
      {before?.locked ? (
        <p className="notice-box warning" data-testid="locked-notice">
          {t('retention.lockedNotice')}
        </p>
      ) : null}
      {before && form.enabled !== before.enabled ? (
        <p className="notice-box warning" data-testid="enable-notice">
          {form.enabled ? t('retention.enableNotice') : t('retention.disableNotice')}
        </p>
      ) : null}
      <form
        className="form policy-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (request && problems.length === 0) dryRun.mutate(request);
        }}
      >
        {before ? null : (
          <label>
            {t('retention.preset')}
            <select
              value={form.preset}
              onChange={(e) => {
                const p = presets.find((x) => x.name === e.target.value);
                setForm(p ? formFromPreset(p, form.name) : { ...emptyPolicyForm(), name: form.name });
              }}
              data-testid="policy-preset"
            >
              <option value="">{t('retention.fromScratch')}</option>
              {presets.map((p) => (
                <option key={p.name} value={p.name}>
                  {lang === 'en' ? p.title.en : p.title.zh}
                </option>
              ))}
            </select>
          </label>
        )}
        {preset ? (
          <p className="hint" data-testid="preset-note">
            {PRESET_NOTES[preset.name] ? t(PRESET_NOTES[preset.name] as MessageKey) : preset.note}
          </p>
        ) : null}
        <div className="form-grid">
          <label>
            {t('retention.name')}
            <input value={form.name} onChange={(e) => set('name', e.target.value)} readOnly={before !== undefined} required maxLength={100} autoComplete="off" data-testid="policy-name" />
          </label>
          <label>
            {t('retention.scope')}
            <input value={form.scope} onChange={(e) => set('scope', e.target.value)} disabled={fieldsLocked} placeholder={t('retention.scopePlaceholder')} maxLength={1000} data-testid="policy-scope" />
          </label>
          <label>
            {t('retention.min')}
            <input value={form.min} onChange={(e) => set('min', e.target.value)} placeholder={t('retention.durationPlaceholder')} maxLength={20} data-testid="policy-min-input" />
          </label>
          <label>
            {t('retention.max')}
            <input value={form.max} onChange={(e) => set('max', e.target.value)} placeholder={t('retention.durationPlaceholder')} maxLength={20} data-testid="policy-max-input" />
          </label>
          <label>
            {t('retention.actionAtMax')}
            <select value={form.action} onChange={(e) => set('action', e.target.value as PolicyForm['action'])} disabled={fieldsLocked} data-testid="policy-action">
              <option value="review">{t('retention.action_review')}</option>
              <option value="delete">{t('retention.action_delete')}</option>
            </select>
          </label>
        </div>
        <p className="hint">{t('retention.scopeHint')}</p>
        <label>
          {t('retention.purpose')}
          <textarea value={form.purpose} onChange={(e) => set('purpose', e.target.value)} rows={2} maxLength={2000} data-testid="policy-purpose" />
        </label>
        <label>
          {t('retention.basis')}
          <textarea value={form.basis} onChange={(e) => set('basis', e.target.value)} rows={2} maxLength={2000} data-testid="policy-basis" />
        </label>
        <label className="check">
          <input type="checkbox" checked={form.locked} disabled={fieldsLocked} onChange={(e) => set('locked', e.target.checked)} data-testid="policy-locked-input" />
          {t('retention.lockLabel')}
        </label>
        {form.locked && !fieldsLocked ? <p className="warn-text">{t('retention.lockWarning')}</p> : null}
        {floorAboveCeiling(form) ? <p className="warn-text">{t('retention.floorAboveCeiling')}</p> : null}
        {problems.length > 0 ? (
          <ul className="problems" data-testid="policy-problems">
            {problems.map((k) => (
              <li key={k} className="warn-text">
                {t(k)}
              </li>
            ))}
          </ul>
        ) : null}
        {before && request === undefined ? <p className="muted">{t('retention.noChanges')}</p> : null}
        <div className="actions">
          <button type="submit" className={current ? 'secondary' : undefined} disabled={request === undefined || problems.length > 0 || dryRun.isPending} data-testid="policy-dry-run">
            {dryRun.isPending ? t('retention.dryRunning') : t('retention.dryRun')}
          </button>
          <button type="button" className="secondary" onClick={() => onDone()}>
            {t('retention.cancel')}
          </button>
        </div>
      </form>
      <ErrorMessage error={dryRun.error} />
      {dryRun.data && dryRun.isSuccess ? (
        <>
          {!current ? (
            <p className="notice-box warning" data-testid="dry-run-stale">
              {t('retention.dryRunStale')}
            </p>
          ) : null}
          <DryRunView r={dryRun.data} />
          <div className="actions save-actions">
            <button type="button" disabled={!current || save.isPending || problems.length > 0} onClick={() => request && save.mutate(request)} data-testid="policy-save">
              {save.isPending ? t('retention.saving') : before ? t('retention.saveChange') : t('retention.saveNew')}
            </button>
            {current ? <span className="hint">{t('retention.saveHint')}</span> : null}
          </div>
          <ErrorMessage error={save.error} />
        </>
      ) : (
        <p className="hint">{t('retention.dryRunFirst')}</p>
      )}
    </div>
  );
}

export function RetentionPage(): ReactNode {
  const { t } = useI18n();
  const user = useUser();
  const caps = retentionCaps(user?.role);
  const policies = useQuery(retentionPoliciesQuery());
  const forecast = useQuery(retentionForecastQuery());
  const status = useQuery(retentionStatusQuery());
  const presets = useQuery({ ...retentionPresetsQuery(), enabled: caps.manage });
  const [editor, setEditor] = useState<EditorState | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const editorTitle = editor === null ? '' : editor.mode === 'new' ? t('retention.addTitle') : t('retention.changeTitle', { name: editor.policy.name });
  return (
    <div className="page retention-page" data-testid="retention">
      <header className="page-header">
        <h1>{t('retention.title')}</h1>
        {caps.manage ? (
          <button
            type="button"
            onClick={() => {
              setSaved(null);
              setEditor({ mode: 'new' });
            }}
            data-testid="policy-add"
          >
            {t('retention.add')}
          </button>
        ) : null}
      </header>
      <p className="hint">{t('retention.intro')}</p>
      {caps.manage ? null : (
        <p className="notice-box" data-testid="retention-read-only">
          {t('retention.readOnly')}
        </p>
      )}
      <OverdueAlert status={status.data} link />
      {saved ? (
        <p className="success" role="status" data-testid="policy-saved">
          {t('retention.saved', { name: saved })}
        </p>
      ) : null}
      <Panel
        title={t('retention.forecastTitle')}
        actions={
          <button type="button" className="secondary small" onClick={() => void forecast.refetch()} disabled={forecast.isFetching} data-testid="forecast-refresh">
            {forecast.isFetching && !forecast.isPending ? t('retention.computing') : t('common.refresh')}
          </button>
        }
      >
        {forecast.isPending || policies.isPending ? <Loading /> : forecast.error ? <ErrorMessage error={forecast.error} /> : <ForecastPanel forecast={forecast.data} policies={policies.data?.policies ?? []} />}
      </Panel>
      <Panel title={t('retention.policiesTitle')}>
        {policies.isPending ? (
          <Loading />
        ) : policies.error ? (
          <ErrorMessage error={policies.error} />
        ) : (
          <PoliciesTable
            policies={policies.data.policies}
            manage={caps.manage}
            onEdit={(e) => {
              setSaved(null);
              setEditor(e);
            }}
          />
        )}
      </Panel>
      <Dialog open={editor !== null} title={editorTitle} onClose={() => setEditor(null)} wide testId="policy-dialog">
        {editor ? (
          presets.isPending && editor.mode === 'new' ? (
            <Loading />
          ) : (
            <PolicyEditor
              key={editor.mode === 'new' ? 'new' : `${editor.policy.id}:${String(editor.enabled)}`}
              state={editor}
              presets={presets.data?.presets ?? []}
              onDone={(p) => {
                if (p) setSaved(p.name);
                setEditor(null);
              }}
            />
          )
        ) : null}
      </Dialog>
    </div>
  );
}
