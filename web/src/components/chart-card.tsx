import { useEffect, useRef, useState, type ReactNode } from 'react';
import { downloadCsv, toCsv, type Cell } from '../csv';
import { useI18n } from '../i18n';
import { echarts, type EChartsOption } from './echarts';

export interface Column {
  label: string;
  /** Shown in the table; the CSV gets the raw value. */
  format?: (v: Cell) => string;
  numeric?: boolean;
}

export function EChart({ option, tall, label }: { option: EChartsOption; tall?: boolean; label: string }): ReactNode {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  useEffect(() => {
    const node = el.current;
    if (!node) return undefined;
    const c = echarts.init(node, undefined, { renderer: 'canvas' });
    chart.current = c;
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(node);
    return () => {
      ro.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    // Tooltips drawn on the canvas: the HTML tooltip writes inline style attributes, which the CSP forbids.
    const tooltip = (option as { tooltip?: object }).tooltip;
    chart.current?.setOption(tooltip ? { ...option, tooltip: { ...tooltip, renderMode: 'richText' } } : option, { notMerge: true });
  }, [option]);
  return <div ref={el} className={tall ? 'chart chart-tall' : 'chart'} role="img" aria-label={label} />;
}

/** A chart with a "table" toggle showing its numbers and a CSV download of them. */
export function ChartCard({ id, title, option, columns, rows, note, tall, empty, controls }: {
  id: string;
  title: string;
  option: EChartsOption;
  columns: Column[];
  rows: Cell[][];
  note?: ReactNode;
  tall?: boolean;
  empty?: boolean;
  controls?: ReactNode;
}): ReactNode {
  const { t } = useI18n();
  const [table, setTable] = useState(false);
  return (
    <section className="panel chart-card" data-testid={`chart-${id}`} aria-labelledby={`chart-title-${id}`}>
      <header className="panel-header">
        <h2 id={`chart-title-${id}`}>{title}</h2>
        <div className="panel-actions">
          {controls}
          <button type="button" className="secondary small" aria-pressed={table} onClick={() => setTable((v) => !v)} data-testid={`chart-${id}-table-toggle`}>
            {table ? t('dash.showChart') : t('dash.showTable')}
          </button>
          <button type="button" className="secondary small" onClick={() => downloadCsv(`wekeep-${id}.csv`, toCsv(columns.map((c) => c.label), rows))} disabled={rows.length === 0} data-testid={`chart-${id}-csv`}>
            CSV
          </button>
        </div>
      </header>
      {empty || rows.length === 0 ? (
        <p className="empty-state">{t('dash.noData')}</p>
      ) : table ? (
        <div className="table-wrap">
          <table className="data-table" aria-label={title}>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th key={c.label} scope="col" className={c.numeric ? 'num' : undefined}>
                    {c.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={i}>
                  {r.map((v, j) => {
                    const c = columns[j];
                    return (
                      <td key={j} className={c?.numeric ? 'num' : undefined}>
                        {c?.format ? c.format(v) : String(v ?? '')}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <EChart option={option} tall={tall} label={title} />
      )}
      {note ? <p className="chart-note">{note}</p> : null}
    </section>
  );
}
