import { useQuery } from '@tanstack/react-query';
import { useMemo, useState, type ReactNode } from 'react';
import { AccountApprovals } from '../components/account-approvals';
import { ChartCard, type Column } from '../components/chart-card';
import type { EChartsOption } from '../components/echarts';
import { ErrorMessage, Loading } from '../components/ui';
import type { Cell } from '../csv';
import { addDays, daysBetween, fillDays, forecastGrowth } from '../forecast';
import { useI18n, type I18n } from '../i18n';
import { typeLabelKey } from '../labels';
import { statsQuery } from '../queries';
import { useUser } from '../session';
import type { GroupRow, Stats } from '../types';

type Range = '30' | '90' | '365' | 'all';
type Metric = 'messages' | 'bytes';

const PALETTE = ['#07a35a', '#1677ff', '#fa8c16', '#eb2f96', '#722ed1', '#13c2c2', '#faad14', '#2f54eb', '#a0d911', '#8c8c8c'];
/** Types shown as their own series; the rest are summed as "other types". */
const MAX_TYPE_SERIES = 8;

const rowBytes = (r: GroupRow): number => r.textBytes + r.attachmentBytes;

const baseGrid = { left: 56, right: 24, top: 40, bottom: 40, containLabel: true };

function Kpi({ label, value, sub, testId }: { label: string; value: string; sub?: string; testId?: string }): ReactNode {
  return (
    <div className="kpi" data-testid={testId}>
      <span className="kpi-label">{label}</span>
      <span className="kpi-value">{value}</span>
      {sub ? <span className="kpi-sub">{sub}</span> : null}
    </div>
  );
}

function MetricSwitch({ value, onChange }: { value: Metric; onChange: (m: Metric) => void }): ReactNode {
  const { t } = useI18n();
  return (
    <div className="segmented small" role="group" aria-label={t('dash.metric')}>
      {(['messages', 'bytes'] as const).map((m) => (
        <button key={m} type="button" className={value === m ? 'selected' : undefined} aria-pressed={value === m} onClick={() => onChange(m)}>
          {m === 'messages' ? t('dash.messages') : t('dash.bytes')}
        </button>
      ))}
    </div>
  );
}

/** Bars of grouped usage (by source, person, conversation, type): count or bytes. */
function groupOption(i18n: I18n, rows: GroupRow[], metric: Metric, labelOf: (r: GroupRow) => string, horizontal: boolean): EChartsOption {
  const names = rows.map(labelOf);
  const values = rows.map((r) => (metric === 'messages' ? r.count : rowBytes(r)));
  const axisFmt = (v: number): string => (metric === 'bytes' ? i18n.bytes(v) : i18n.num(v));
  const category = { type: 'category', data: horizontal ? [...names].reverse() : names, axisLabel: { width: 140, overflow: 'truncate', interval: 0 } };
  const value = { type: 'value', axisLabel: { formatter: axisFmt } };
  return {
    color: PALETTE,
    grid: { ...baseGrid, left: horizontal ? 8 : 56 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: unknown) => axisFmt(Number(v)) },
    xAxis: horizontal ? value : category,
    yAxis: horizontal ? category : value,
    series: [{ type: 'bar', name: metric === 'messages' ? i18n.t('dash.messages') : i18n.t('dash.bytes'), data: horizontal ? [...values].reverse() : values, barMaxWidth: 28 }],
  };
}

const groupColumns = (i18n: I18n, first: string): Column[] => [
  { label: first },
  { label: i18n.t('dash.messages'), numeric: true, format: (v) => i18n.num(Number(v)) },
  { label: i18n.t('dash.textBytes'), numeric: true, format: (v) => i18n.bytes(Number(v)) },
  { label: i18n.t('dash.attachments'), numeric: true, format: (v) => i18n.num(Number(v)) },
  { label: i18n.t('dash.attachmentBytes'), numeric: true, format: (v) => i18n.bytes(Number(v)) },
];
const groupRows = (rows: GroupRow[], labelOf: (r: GroupRow) => string): Cell[][] => rows.map((r) => [labelOf(r), r.count, r.textBytes, r.attachments, r.attachmentBytes]);

function GroupChart({ id, title, rows, labelOf, firstColumn, horizontal, note }: { id: string; title: string; rows: GroupRow[]; labelOf: (r: GroupRow) => string; firstColumn: string; horizontal?: boolean; note?: ReactNode }): ReactNode {
  const i18n = useI18n();
  const [metric, setMetric] = useState<Metric>('messages');
  const option = useMemo(() => groupOption(i18n, rows, metric, labelOf, horizontal ?? false), [i18n, rows, metric, labelOf, horizontal]);
  return (
    <ChartCard
      id={id}
      title={title}
      option={option}
      columns={groupColumns(i18n, firstColumn)}
      rows={groupRows(rows, labelOf)}
      tall={horizontal && rows.length > 8}
      controls={<MetricSwitch value={metric} onChange={setMetric} />}
      note={note}
    />
  );
}

interface DailyRow {
  day: string;
  type: string;
  messages: number;
  bytes: number;
}

/** Pseudo type of the fallback series (all types together) when the server has no breakdown by type. */
const ALL_TYPES = '*';

function DailyByType({ stats }: { stats: Stats }): ReactNode {
  const i18n = useI18n();
  const { t } = i18n;
  const [range, setRange] = useState<Range>('90');
  const [metric, setMetric] = useState<Metric>('messages');
  const lastDay = stats.byDay[stats.byDay.length - 1]?.key;
  const fallback = stats.byDayType === undefined;

  const model = useMemo(() => {
    const empty = { days: [] as string[], types: [] as string[], matrix: new Map<string, Map<string, DailyRow>>() };
    if (lastDay === undefined) return empty;
    const from = range === 'all' ? stats.byDay[0]?.key ?? lastDay : addDays(lastDay, -(Number(range) - 1));
    const source: DailyRow[] = stats.byDayType
      ? stats.byDayType.map((r) => ({ day: r.day, type: r.type, messages: r.count, bytes: rowBytes(r) }))
      : stats.byDay.map((r) => ({ day: r.key, type: ALL_TYPES, messages: r.count, bytes: rowBytes(r) }));
    const rows = source.filter((r) => r.day >= from && r.day <= lastDay);
    const totals = new Map<string, number>();
    for (const r of rows) totals.set(r.type, (totals.get(r.type) ?? 0) + (metric === 'messages' ? r.messages : r.bytes));
    const types = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
    const matrix = new Map<string, Map<string, DailyRow>>();
    for (const r of rows) {
      let m = matrix.get(r.day);
      if (!m) matrix.set(r.day, (m = new Map()));
      m.set(r.type, r);
    }
    return { days: daysBetween(from, lastDay), types, matrix };
  }, [stats.byDay, stats.byDayType, metric, range, lastDay]);

  const typeName = (ty: string): string => (ty === ALL_TYPES ? t('dash.allTypes') : t(typeLabelKey(ty)));
  const option = useMemo<EChartsOption>(() => {
    const shown = model.types.slice(0, MAX_TYPE_SERIES);
    const rest = model.types.slice(MAX_TYPE_SERIES);
    const value = (r: DailyRow | undefined): number => (r === undefined ? 0 : metric === 'messages' ? r.messages : r.bytes);
    const series = shown.map((ty) => ({ name: ty === ALL_TYPES ? t('dash.allTypes') : t(typeLabelKey(ty)), type: 'bar', stack: 'all', data: model.days.map((d) => value(model.matrix.get(d)?.get(ty))), barMaxWidth: 24 }));
    if (rest.length > 0) series.push({ name: t('dash.otherTypes'), type: 'bar', stack: 'all', data: model.days.map((d) => rest.reduce((s, ty) => s + value(model.matrix.get(d)?.get(ty)), 0)), barMaxWidth: 24 });
    const fmt = (v: number): string => (metric === 'bytes' ? i18n.bytes(v) : i18n.num(v));
    return {
      color: PALETTE,
      grid: { ...baseGrid, top: 56 },
      legend: { type: 'scroll', top: 0 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: unknown) => fmt(Number(v)) },
      xAxis: { type: 'category', data: model.days },
      yAxis: { type: 'value', axisLabel: { formatter: fmt } },
      dataZoom: model.days.length > 60 ? [{ type: 'inside' }] : [],
      series,
    };
  }, [model, metric, t, i18n]);

  const rows: Cell[][] = [];
  for (const d of model.days) for (const [ty, r] of model.matrix.get(d) ?? []) rows.push([d, typeName(ty), r.messages, r.bytes]);
  const ranges: Range[] = ['30', '90', '365', 'all'];
  return (
    <ChartCard
      id="daily"
      title={t('dash.dailyByType')}
      option={option}
      tall
      columns={[
        { label: t('dash.day') },
        { label: t('dash.type') },
        { label: t('dash.messages'), numeric: true, format: (v) => i18n.num(Number(v)) },
        { label: t('dash.bytes'), numeric: true, format: (v) => i18n.bytes(Number(v)) },
      ]}
      rows={rows}
      controls={
        <>
          <label className="inline-label">
            <span className="visually-hidden">{t('dash.range')}</span>
            <select value={range} onChange={(e) => setRange(e.target.value as Range)} aria-label={t('dash.range')} data-testid="daily-range">
              {ranges.map((r) => (
                <option key={r} value={r}>
                  {r === 'all' ? t('dash.rangeAll') : t('dash.rangeDays', { n: Number(r) })}
                </option>
              ))}
            </select>
          </label>
          <MetricSwitch value={metric} onChange={setMetric} />
        </>
      }
      note={`${t('dash.dailyNote', { zone: stats.timeZone })}${fallback ? ` ${t('dash.dailyFallback')}` : ''}`}
    />
  );
}

function Growth({ stats }: { stats: Stats }): ReactNode {
  const i18n = useI18n();
  const { t } = i18n;
  const [metric, setMetric] = useState<Metric>('messages');
  const HORIZON = 30;
  const WINDOW = 90;
  const model = useMemo(() => {
    const byDay = stats.byDay;
    const first = byDay[0]?.key;
    const last = byDay[byDay.length - 1]?.key;
    if (first === undefined || last === undefined) return null;
    const values = new Map(byDay.map((r) => [r.key, metric === 'messages' ? r.count : rowBytes(r)]));
    return forecastGrowth(fillDays(values, first, last), HORIZON, WINDOW);
  }, [stats.byDay, metric]);

  const fmt = (v: number): string => (metric === 'bytes' ? i18n.bytes(v) : i18n.num(Math.round(v)));
  const option = useMemo<EChartsOption>(() => {
    if (!model) return {};
    const days = [...model.history.map((h) => h.day), ...model.forecast.slice(1).map((f) => f.day)];
    const n = model.history.length;
    const forecastLabel = t('dash.forecastSeries');
    return {
      color: ['#07a35a', '#fa8c16'],
      grid: { ...baseGrid, top: 48 },
      legend: { top: 0 },
      tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (v === null || v === undefined ? '—' : fmt(Number(v))) },
      xAxis: { type: 'category', data: days, boundaryGap: false },
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => fmt(v) } },
      dataZoom: days.length > 120 ? [{ type: 'inside' }] : [],
      series: [
        { name: t('dash.actualSeries'), type: 'line', showSymbol: false, areaStyle: { opacity: 0.15 }, data: model.history.map((h) => h.cumulative) },
        {
          name: forecastLabel,
          type: 'line',
          showSymbol: false,
          lineStyle: { type: 'dashed', width: 2 },
          data: [...Array.from({ length: n - 1 }, () => null), ...model.forecast.map((f) => Math.round(f.cumulative))],
          markLine: { silent: true, symbol: 'none', label: { show: false }, lineStyle: { type: 'dotted', color: '#999' }, data: [{ xAxis: model.history[n - 1]?.day }] },
        },
      ],
    };
  }, [model, t, metric, i18n]);

  if (!model) return null;
  const end = model.forecast[model.forecast.length - 1];
  const rows: Cell[][] = [...model.history.map((h) => [h.day, h.value, h.cumulative, '']), ...model.forecast.slice(1).map((f) => [f.day, Math.round(f.daily), '', Math.round(f.cumulative)])];
  return (
    <ChartCard
      id="growth"
      title={t('dash.growth')}
      option={option}
      tall
      columns={[
        { label: t('dash.day') },
        { label: metric === 'messages' ? t('dash.perDayMessages') : t('dash.perDayBytes'), numeric: true, format: (v) => fmt(Number(v)) },
        { label: t('dash.actualSeries'), numeric: true, format: (v) => (v === '' ? '' : fmt(Number(v))) },
        { label: t('dash.forecastSeries'), numeric: true, format: (v) => (v === '' ? '' : fmt(Number(v))) },
      ]}
      rows={rows}
      controls={<MetricSwitch value={metric} onChange={setMetric} />}
      note={
        <span data-testid="forecast-note">
          {t('dash.forecastNote', { window: model.window, horizon: HORIZON, perDay: fmt(model.dailyAtEnd), total: end ? fmt(end.cumulative) : '—' })}
        </span>
      }
    />
  );
}

function Storage({ stats }: { stats: Stats }): ReactNode {
  const i18n = useI18n();
  const { t } = i18n;
  const s = stats.storage;
  const other = Math.max(0, s.dataDirBytes - s.databaseBytes - s.blobBytes);
  const parts: [string, number][] = [
    [t('dash.database'), s.databaseBytes],
    [t('dash.blobs'), s.blobBytes],
    [t('dash.otherFiles'), other],
  ];
  const option = useMemo<EChartsOption>(
    () => ({
      color: PALETTE,
      tooltip: { trigger: 'item', valueFormatter: (v: unknown) => i18n.bytes(Number(v)) },
      legend: { bottom: 0 },
      series: [{ type: 'pie', radius: ['40%', '70%'], data: parts.map(([name, value]) => ({ name, value })), label: { formatter: '{b}: {d}%' } }],
    }),
    [s.databaseBytes, s.blobBytes, other, i18n],
  );
  return (
    <ChartCard
      id="storage"
      title={t('dash.storage')}
      option={option}
      columns={[{ label: t('dash.part') }, { label: t('dash.bytes'), numeric: true, format: (v) => i18n.bytes(Number(v)) }]}
      rows={[...parts, [t('dash.total'), s.dataDirBytes]]}
      note={t('dash.storageNote', { total: i18n.bytes(s.dataDirBytes) })}
    />
  );
}

function Savings({ stats }: { stats: Stats }): ReactNode {
  const i18n = useI18n();
  const { t } = i18n;
  const a = stats.attachments;
  const bars: [string, number][] = [
    [t('dash.logicalBytes'), a.logicalBytes],
    [t('dash.uniqueBytes'), a.uniqueBytes],
    [t('dash.storedBytes'), a.storedBytes],
  ];
  const option = useMemo<EChartsOption>(
    () => ({
      color: ['#1677ff'],
      grid: baseGrid,
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: unknown) => i18n.bytes(Number(v)) },
      xAxis: { type: 'category', data: bars.map(([n]) => n) },
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => i18n.bytes(v) } },
      series: [{ type: 'bar', data: bars.map(([, v]) => v), barMaxWidth: 48, label: { show: true, position: 'top', formatter: (p: { value: number }) => i18n.bytes(p.value) } }],
    }),
    [a.logicalBytes, a.uniqueBytes, a.storedBytes, i18n],
  );
  const pct = (part: number): string => (a.logicalBytes > 0 ? `${((part / a.logicalBytes) * 100).toFixed(1)}%` : '—');
  return (
    <ChartCard
      id="savings"
      title={t('dash.savings')}
      option={option}
      columns={[{ label: t('dash.part') }, { label: t('dash.bytes'), numeric: true, format: (v) => i18n.bytes(Number(v)) }]}
      rows={[...bars, [t('dash.dedupSaved'), a.dedupSavedBytes], [t('dash.compressionSaved'), a.compressionSavedBytes]]}
      note={t('dash.savingsNote', {
        refs: a.references,
        blobs: a.uniqueBlobs,
        dedup: i18n.bytes(a.dedupSavedBytes),
        dedupPct: pct(a.dedupSavedBytes),
        comp: i18n.bytes(a.compressionSavedBytes),
        compPct: pct(a.compressionSavedBytes),
      })}
    />
  );
}

export function DashboardPage(): ReactNode {
  const i18n = useI18n();
  const { t } = i18n;
  const user = useUser();
  const stats = useQuery(statsQuery());
  const typeLabel = useMemo(() => (r: GroupRow) => t(typeLabelKey(r.key)), [t]);
  const plainLabel = useMemo(() => (r: GroupRow) => r.key, []);
  const personLabel = useMemo(() => (r: GroupRow & { name?: string | null }) => (r.name ? `${r.name} (${r.key})` : r.key), []);
  const convLabel = useMemo(() => (r: GroupRow & { title?: string | null; label?: string }) => r.label ?? r.title ?? r.key, []);

  if (stats.isPending) return <Loading />;
  if (stats.error) return <ErrorMessage error={stats.error} />;
  const s = stats.data;

  return (
    <div className="page dashboard-page" data-testid="dashboard">
      <header className="page-header">
        <h1>{t('dash.title')}</h1>
        <span className="muted">{t('dash.generated', { time: i18n.dateTime(s.generatedAt), zone: s.timeZone })}</span>
        <button type="button" className="secondary small" onClick={() => void stats.refetch()} disabled={stats.isFetching}>
          {t('common.refresh')}
        </button>
      </header>
      {user?.role === 'compliance' ? <AccountApprovals /> : null}
      <div className="kpis">
        <Kpi label={t('dash.kpiMessages')} value={i18n.num(s.totals.messages)} sub={t('dash.kpiRecalled', { n: s.totals.recalled })} testId="kpi-messages" />
        <Kpi label={t('dash.kpiPersons')} value={i18n.num(s.totals.persons)} />
        <Kpi label={t('dash.kpiConversations')} value={i18n.num(s.totals.conversations)} />
        <Kpi label={t('dash.kpiSources')} value={i18n.num(s.totals.sources)} />
        <Kpi label={t('dash.kpiStorage')} value={i18n.bytes(s.storage.dataDirBytes)} sub={t('dash.kpiText', { size: i18n.bytes(s.totals.textBytes) })} />
        <Kpi label={t('dash.kpiSaved')} value={i18n.bytes(s.attachments.dedupSavedBytes + s.attachments.compressionSavedBytes)} sub={t('dash.kpiAttachments', { n: s.attachments.references })} />
      </div>
      <div className="chart-grid">
        <div className="span-2">
          <DailyByType stats={s} />
        </div>
        <div className="span-2">
          <Growth stats={s} />
        </div>
        <GroupChart id="by-type" title={t('dash.byType')} rows={s.byType} labelOf={typeLabel} firstColumn={t('dash.type')} horizontal />
        <GroupChart id="by-source" title={t('dash.bySource')} rows={s.bySource} labelOf={plainLabel} firstColumn={t('dash.source')} horizontal />
        {s.byPerson ? (
          <GroupChart id="by-person" title={t('dash.byPerson')} rows={s.byPerson.slice(0, 20)} labelOf={personLabel} firstColumn={t('dash.person')} horizontal />
        ) : (
          <section className="panel" data-testid="chart-by-person-hidden">
            <header className="panel-header">
              <h2>{t('dash.byPerson')}</h2>
            </header>
            <p className="empty-state">{user?.role === 'admin' ? t('dash.byPersonHidden') : t('dash.noData')}</p>
          </section>
        )}
        {s.byConversation ? (
          <GroupChart id="by-conversation" title={t('dash.topConversations')} rows={s.byConversation.slice(0, 20)} labelOf={convLabel} firstColumn={t('dash.conversation')} horizontal />
        ) : (
          <section className="panel">
            <header className="panel-header">
              <h2>{t('dash.topConversations')}</h2>
            </header>
            <p className="empty-state">{user?.role === 'admin' ? t('dash.byConversationHidden') : t('dash.notProvided')}</p>
          </section>
        )}
        <Storage stats={s} />
        <Savings stats={s} />
      </div>
    </div>
  );
}
