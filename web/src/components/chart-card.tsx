import { useEffect, useRef, useState, type ReactNode } from 'react';
import { downloadCsv, toCsv, type Cell } from '../csv';
import { useI18n } from '../i18n';
import type { echarts, EChartsOption } from './echarts';

export interface Column {
  label: string;
  /** Shown in the table; the CSV gets the raw value. */
  format?: (v: Cell) => string;
  numeric?: boolean;
}

/** ECharts (about 600 kB) is a chunk of its own, asked for when the first chart is about to be drawn: never part of a page's first screen. */
const loadCharts = () => import('./echarts');

let turn: Promise<unknown> = Promise.resolve();

/**
 * Runs `draw` after the charts queued before it, in a task of its own after the next frame: a page of
 * charts appears one chart at a time, with its numbers on screen first, instead of after all of them.
 */
function inTurn(draw: () => void): void {
  turn = turn.then(
    () =>
      new Promise<void>((done) => {
        window.requestAnimationFrame(() =>
          window.setTimeout(() => {
            try {
              draw();
            } finally {
              done();
            }
          }, 0),
        );
      }),
  );
}

// Tooltips drawn on the canvas: the HTML tooltip writes inline style attributes, which the CSP forbids.
const withCanvasTooltip = (option: EChartsOption): EChartsOption => {
  const tooltip = (option as { tooltip?: object }).tooltip;
  return tooltip ? { ...option, tooltip: { ...tooltip, renderMode: 'richText' } } : option;
};

export function EChart({ option, tall, label }: { option: EChartsOption; tall?: boolean; label: string }): ReactNode {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const latest = useRef(option);
  useEffect(() => {
    const node = el.current;
    if (!node) return undefined;
    let live = true;
    let ro: ResizeObserver | undefined;
    // When the library cannot be loaded, the chart stays empty (its table and CSV still work).
    loadCharts().then(
      ({ echarts }) =>
        inTurn(() => {
          if (!live) return;
          const c = echarts.init(node, undefined, { renderer: 'canvas' });
          chart.current = c;
          c.setOption(withCanvasTooltip(latest.current), { notMerge: true });
          let width = node.clientWidth;
          let height = node.clientHeight;
          ro = new ResizeObserver(() => {
            // Not for the first report (the size the chart was just drawn at).
            if (node.clientWidth === width && node.clientHeight === height) return;
            width = node.clientWidth;
            height = node.clientHeight;
            c.resize();
          });
          ro.observe(node);
        }),
      () => undefined,
    );
    return () => {
      live = false;
      ro?.disconnect();
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    latest.current = option;
    chart.current?.setOption(withCanvasTooltip(option), { notMerge: true });
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
