/**
 * The uPlot half of charts.ts, loaded on demand (dynamic import): draws a
 * spec into its plot element, follows the element's width (ResizeObserver)
 * and the colour scheme (re-drawn with the theme's CSS variables when it
 * changes). Returns a function that frees it all.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartSpec } from './charts.js';

interface Theme {
  text: string;
  muted: string;
  line: string;
  palette: string[];
}

function theme(el: Element): Theme {
  const css = getComputedStyle(el);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    text: v('--text', '#f5f5f7'),
    muted: v('--muted', '#a1a1aa'),
    line: v('--line', 'rgba(255,255,255,0.12)'),
    palette: [v('--accent', '#ff3b5c'), v('--accent-2', '#25f4ee'), v('--warning-text', '#ffe08a'), v('--muted', '#a1a1aa')],
  };
}

/** `#rrggbb` or `rgb(...)` at `alpha` (area fills). */
function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})$/i.exec(color);
  if (hex) {
    const n = parseInt(hex[1]!, 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }
  const rgb = /^rgba?\(([^)]+)\)$/.exec(color);
  if (rgb) {
    const [r, g, b] = rgb[1]!.split(',').map((s) => s.trim());
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }
  return color;
}

let measure: CanvasRenderingContext2D | null = null;

/** The width in CSS pixels of `text` in the axes' font. */
function textWidth(text: string): number {
  measure ??= document.createElement('canvas').getContext('2d');
  if (!measure) return text.length * 7;
  measure.font = AXIS_FONT;
  return measure.measureText(text).width;
}

const AXIS_FONT = '12px system-ui, sans-serif';

const defaultFormat = (v: number): string => v.toLocaleString('en-US', { maximumFractionDigits: 2 });

function options(spec: ChartSpec, width: number, height: number, t: Theme): uPlot.Options {
  const fmt = spec.format ?? defaultFormat;
  const labels = spec.kind === 'bar' ? spec.categories : spec.x;
  const axis = (values: uPlot.Axis['values']): uPlot.Axis => ({
    stroke: t.muted,
    grid: { stroke: t.line, width: 1 },
    ticks: { stroke: t.line, width: 1 },
    values,
    font: AXIS_FONT,
  });
  const xAxis = axis((_u, splits) => splits.map((s) => (Number.isInteger(s) ? (labels[s] ?? '') : '')));
  const yAxis = axis((_u, splits) => splits.map((s) => fmt(s)));
  // As wide as its widest label (a fixed width clipped "1,234,567" or "12h 34m"): tick, gap, text, a little room.
  yAxis.size = (_u, values) => {
    const widest = Math.max(0, ...(values ?? []).map((v) => textWidth(v)));
    return Math.max(32, Math.ceil(widest) + 10 + 5 + 6);
  };
  if (spec.kind !== 'bar' && spec.integer) {
    yAxis.incrs = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 1e6, 1e7, 1e8];
  }
  const common = {
    width,
    height,
    legend: { show: spec.kind !== 'bar' && spec.series.length > 1 },
    cursor: { points: { size: 6 } },
    scales: {
      x: { time: false, ...(spec.kind === 'bar' ? { range: [-0.5, labels.length - 0.5] as uPlot.Range.MinMax } : {}) },
      y: {
        range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax =>
          spec.kind !== 'bar' && spec.yRange ? spec.yRange : [0, max > 0 ? max * 1.08 : 1],
      },
    },
    axes: [xAxis, yAxis],
  };
  const xs = labels.map((_, i) => i);
  if (spec.kind === 'bar') {
    const bars = uPlot.paths.bars!({ size: [0.6, 64] });
    return {
      ...common,
      series: [
        { label: spec.xLabel },
        {
          label: spec.valueLabel,
          fill: withAlpha(t.palette[1]!, 0.8),
          stroke: t.palette[1],
          paths: bars,
          points: { show: false },
          value: (_u, v) => (v === null ? '–' : fmt(v)),
        },
      ],
    };
  }
  return {
    ...common,
    series: [
      { label: spec.xLabel, value: (_u, v) => (v === null ? '–' : (labels[v] ?? '')) },
      ...spec.series.map((s, i) => {
        const color = t.palette[i % t.palette.length]!;
        return {
          label: s.label,
          stroke: color,
          width: 2,
          points: { show: xs.length <= 31 },
          ...(spec.kind === 'area' ? { fill: withAlpha(color, 0.18) } : {}),
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : fmt(v)),
        };
      }),
    ],
  };
}

function data(spec: ChartSpec): uPlot.AlignedData {
  if (spec.kind === 'bar') return [spec.categories.map((_, i) => i), [...spec.values]];
  return [spec.x.map((_, i) => i), ...spec.series.map((s) => [...s.values])];
}

export function drawChart(el: HTMLElement, spec: ChartSpec): () => void {
  const height = spec.height ?? 220;
  const width = () => {
    const w = el.clientWidth > 0 ? el.clientWidth : (el.parentElement?.clientWidth ?? 0);
    return Math.max(200, Math.floor(w > 0 ? w : 320));
  };
  let plot = new uPlot(options(spec, width(), height, theme(el)), data(spec), el);
  const redraw = () => {
    plot.destroy();
    plot = new uPlot(options(spec, width(), height, theme(el)), data(spec), el);
  };
  let lastWidth = width();
  const resize = new ResizeObserver(() => {
    const w = width();
    if (w !== lastWidth) {
      lastWidth = w;
      plot.setSize({ width: w, height });
    }
  });
  resize.observe(el);
  const scheme = matchMedia('(prefers-color-scheme: light)');
  scheme.addEventListener('change', redraw);
  return () => {
    resize.disconnect();
    scheme.removeEventListener('change', redraw);
    plot.destroy();
  };
}
