/**
 * Charts for the studio's analytics and the admin dashboard: a line/area
 * chart (daily series, retention curves) and a bar chart (traffic sources,
 * per-stage figures), drawn with uPlot (a maintained canvas chart library).
 *
 * This module is tiny on purpose: uPlot itself (and its CSS) is only fetched
 * with a dynamic import() the first time a chart is drawn, so no page that
 * shows no chart (the feed) pays for it. Every chart is a <figure> whose data
 * is also a real <table> (a "Show data" toggle reveals it; screen readers get
 * it either way through aria-describedby), so what the picture says is
 * readable without the picture. Colours come from the app's CSS variables
 * (--text, --muted, --line, --accent, --accent-2), so the light and dark
 * themes apply; the plot follows its container's width.
 */
import './charts.css';
import { h } from '../dom.js';

export interface ChartSeries {
  label: string;
  /** One value per x; null leaves a gap. */
  values: ReadonlyArray<number | null>;
}

interface ChartBase {
  /** The chart's title (figure caption, table caption). */
  title: string;
  /** Formats a y value for axes, tooltips and the table (default: locale number). */
  format?: (v: number) => string;
  /** CSS pixels (default 220). */
  height?: number;
  /** A stable name for tests and styling (data-chart). */
  id?: string;
}

export interface LineChartSpec extends ChartBase {
  kind: 'line' | 'area';
  /** The x values' labels (dates, "0:12"): one per point, in order. */
  x: readonly string[];
  /** Header of the table's first column (e.g. "Day", "Second"). */
  xLabel: string;
  series: readonly ChartSeries[];
  /** Fixed y range (e.g. [0, 1] for shares); default from the data, starting at 0. */
  yRange?: [number, number];
}

export interface BarChartSpec extends ChartBase {
  kind: 'bar';
  categories: readonly string[];
  /** Header of the table's first column (e.g. "Source"). */
  xLabel: string;
  /** Header of the value column. */
  valueLabel: string;
  values: readonly number[];
}

export type ChartSpec = LineChartSpec | BarChartSpec;

/** A drawn chart: the element to insert, and a way to free its observers and canvas. */
export interface Chart {
  el: HTMLElement;
  /** Resolves once the plot is drawn (or failed to load: the table stays). */
  ready: Promise<void>;
  destroy(): void;
}

const defaultFormat = (v: number): string => v.toLocaleString('en-US', { maximumFractionDigits: 2 });

let seq = 0;

/** The data as a table (also what the chart's toggle shows). */
export function chartTable(spec: ChartSpec): HTMLTableElement {
  const fmt = spec.format ?? defaultFormat;
  const cell = (v: number | null | undefined) => (v === null || v === undefined ? '–' : fmt(v));
  if (spec.kind === 'bar') {
    return h(
      'table',
      { class: 'chart-table' },
      h('caption', {}, spec.title),
      h('thead', {}, h('tr', {}, h('th', { attrs: { scope: 'col' } }, spec.xLabel), h('th', { attrs: { scope: 'col' } }, spec.valueLabel))),
      h(
        'tbody',
        {},
        ...spec.categories.map((c, i) => h('tr', {}, h('th', { attrs: { scope: 'row' } }, c), h('td', {}, cell(spec.values[i])))),
      ),
    );
  }
  return h(
    'table',
    { class: 'chart-table' },
    h('caption', {}, spec.title),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { attrs: { scope: 'col' } }, spec.xLabel),
        ...spec.series.map((s) => h('th', { attrs: { scope: 'col' } }, s.label)),
      ),
    ),
    h(
      'tbody',
      {},
      ...spec.x.map((x, i) =>
        h('tr', {}, h('th', { attrs: { scope: 'row' } }, x), ...spec.series.map((s) => h('td', {}, cell(s.values[i])))),
      ),
    ),
  );
}

/** A one-line summary of the chart for its aria-label (the table has the detail). */
export function chartSummary(spec: ChartSpec): string {
  const fmt = spec.format ?? defaultFormat;
  if (spec.kind === 'bar') {
    if (spec.categories.length === 0) return `${spec.title}: no data`;
    let top = 0;
    spec.values.forEach((v, i) => {
      if (v > (spec.values[top] ?? 0)) top = i;
    });
    return `${spec.title}: bar chart of ${spec.categories.length} categories; highest ${spec.categories[top]} (${fmt(spec.values[top] ?? 0)})`;
  }
  const parts = spec.series.map((s) => {
    const vals = s.values.filter((v): v is number => v !== null);
    if (vals.length === 0) return `${s.label}: no data`;
    return `${s.label} from ${fmt(vals[0]!)} to ${fmt(vals[vals.length - 1]!)}, highest ${fmt(Math.max(...vals))}`;
  });
  const span = spec.x.length > 0 ? ` (${spec.x[0]} to ${spec.x[spec.x.length - 1]})` : '';
  return `${spec.title}${span}: ${parts.join('; ')}`;
}

/**
 * A chart: returns at once with the figure (caption, data table, plot area);
 * the plot is drawn once uPlot has loaded. If it cannot load (offline), the
 * table is shown instead.
 */
export function chart(spec: ChartSpec): Chart {
  const n = ++seq;
  const tableId = `chart-table-${n}`;
  const table = chartTable(spec);
  const tableWrap = h('div', { class: 'chart-table-wrap', attrs: { id: tableId, hidden: true } }, table);
  const plot = h('div', {
    class: 'chart-plot',
    attrs: { role: 'img', 'aria-label': chartSummary(spec), 'aria-describedby': tableId, 'data-state': 'loading' },
  });
  plot.style.minHeight = `${spec.height ?? 220}px`;
  const toggle = h(
    'button',
    { class: 'chart-toggle', attrs: { type: 'button', 'aria-expanded': 'false', 'aria-controls': tableId } },
    'Show data',
  );
  toggle.addEventListener('click', () => {
    const show = tableWrap.hidden;
    tableWrap.hidden = !show;
    toggle.setAttribute('aria-expanded', String(show));
    toggle.textContent = show ? 'Hide data' : 'Show data';
  });
  const el = h(
    'figure',
    { class: 'chart', attrs: { 'data-chart': spec.id ?? spec.kind } },
    h('figcaption', { class: 'chart-head' }, h('span', { class: 'chart-title' }, spec.title), toggle),
    plot,
    tableWrap,
  );
  let destroyed = false;
  let dispose: (() => void) | null = null;
  const ready = import('./uplot-chart.js')
    .then(({ drawChart }) => {
      if (destroyed) return;
      dispose = drawChart(plot, spec);
      plot.dataset.state = 'drawn';
    })
    .catch(() => {
      // No plot (the library failed to load): the table says it all.
      plot.dataset.state = 'failed';
      plot.hidden = true;
      tableWrap.hidden = false;
      toggle.hidden = true;
    });
  return {
    el,
    ready,
    destroy() {
      destroyed = true;
      dispose?.();
      dispose = null;
    },
  };
}
