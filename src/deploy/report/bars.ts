import { escapeHtml } from './format.ts';
import type { ReportData } from './types.ts';

/** One bar: a series' value for a model, and an optional upper whisker (p95 over p50). */
export interface Bar {
  series: string;
  value: number;
  whisker?: number;
  text: string;
}

/** A horizontal grouped bar chart: one group per model, one bar per series. */
export interface BarChart {
  title: string;
  unit: string;
  series: string[];
  groups: { label: string; bars: Bar[] }[];
}

/**
 * Bars of weight size per model: fp32 against int8 (from the spec's cost).
 *
 * @example
 * sizeBars(data).groups.length; // models with a known size
 */
export function sizeBars(data: ReportData, fmt: (n: number) => string): BarChart {
  const groups = data.models
    .filter((m) => m.bytes)
    .map((m) => ({ label: m.label, bars: [
      { series: 'fp32', value: m.bytes!.fp32, text: fmt(m.bytes!.fp32) },
      { series: 'int8', value: m.bytes!.int8, text: fmt(m.bytes!.int8) },
    ] }));
  return { title: 'Weight size: fp32 against int8', unit: 'bytes', series: ['fp32', 'int8'], groups };
}

/**
 * Bars of p50 latency per model and runtime, with p95 as a whisker.
 *
 * @example
 * latencyBars(data).series; // ['onnx', 'tfjs-wasm']
 */
export function latencyBars(data: ReportData, fmt: (n: number) => string): BarChart {
  const series = data.runtimes.filter((r) => data.models.some((m) => m.latency[r]));
  const groups = data.models
    .filter((m) => series.some((r) => m.latency[r]))
    .map((m) => ({
      label: m.label,
      bars: series.flatMap((r) => {
        const l = m.latency[r];
        return l ? [{ series: r, value: l.p50Ms, whisker: l.p95Ms, text: `${fmt(l.p50Ms)} (p95 ${fmt(l.p95Ms)})` }] : [];
      }),
    }));
  return { title: 'Latency at batch 1: p50, whisker to p95 (ms)', unit: 'ms', series, groups };
}

const W = 640;
const LABEL = 130;
const TEXT = 150;
const BAR = 14;
const GAP = 10;

/**
 * A bar chart as an inline SVG, bars scaled from 0 to the largest value (whiskers included). Each
 * bar is a `rect.bar` with `data-series`; the element carries `id` and `data-points` (the number
 * of bars).
 *
 * @example
 * barsSvg(sizeBars(data, formatBytes), 'sizes');
 */
export function barsSvg(c: BarChart, id: string): string {
  const n = c.groups.reduce((s, g) => s + g.bars.length, 0);
  const legend = 24;
  const height = legend + c.groups.reduce((s, g) => s + g.bars.length * BAR + GAP, 0) + 8;
  // Scaled on the bars, not the whiskers: one slow outlier in a p95 would squash every bar.
  const max = 1.25 * Math.max(1e-12, ...c.groups.flatMap((g) => g.bars.map((b) => b.value)));
  const span = W - LABEL - TEXT;
  const px = (v: number) => Math.min(span, Math.max(1, (v / max) * span));
  const out: string[] = [];
  out.push(`<svg id="${escapeHtml(id)}" class="plot bars" data-points="${n}" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="${escapeHtml(c.title)}" xmlns="http://www.w3.org/2000/svg">`);
  c.series.forEach((s, i) => {
    const x = LABEL + i * 110;
    out.push(`<rect class="swatch s${i}" x="${x}" y="4" width="12" height="12"/><text class="tick" x="${x + 16}" y="14">${escapeHtml(s)}</text>`);
  });
  let y = legend;
  for (const g of c.groups) {
    const h = g.bars.length * BAR;
    out.push(`<text class="tick" x="${LABEL - 6}" y="${y + h / 2 + 4}" text-anchor="end">${escapeHtml(g.label)}</text>`);
    for (const b of g.bars) {
      const i = c.series.indexOf(b.series);
      const w = px(b.value);
      out.push(`<rect class="bar s${i}" data-series="${escapeHtml(b.series)}" x="${LABEL}" y="${y + 1}" width="${w.toFixed(1)}" height="${BAR - 2}"><title>${escapeHtml(`${g.label}, ${b.series}: ${b.text}`)}</title></rect>`);
      let end = LABEL + w;
      if (b.whisker !== undefined && b.whisker > b.value) {
        end = LABEL + px(b.whisker);
        out.push(`<line class="whisker" x1="${(LABEL + w).toFixed(1)}" x2="${end.toFixed(1)}" y1="${y + BAR / 2}" y2="${y + BAR / 2}"/>`);
        // a whisker past the chart's edge ends in an arrow head
        if (b.whisker > max) out.push(`<path class="whisker-cut" d="M${end.toFixed(1)} ${y + BAR / 2 - 4}l6 4l-6 4z"/>`);
      }
      out.push(`<text class="value" x="${(end + 4).toFixed(1)}" y="${y + BAR - 3}">${escapeHtml(b.text)}</text>`);
      y += BAR;
    }
    y += GAP;
  }
  out.push('</svg>');
  return out.join('\n');
}
