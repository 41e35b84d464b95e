import uPlot from 'uplot';
import { h } from './dom.ts';

/** One trial as a point of the scatter. */
export interface ScatterPoint {
  id: number;
  x: number;
  y: number;
  /** On the study's Pareto front (drawn solid; the others are faded). */
  front: boolean;
}

/** What one drawing of the scatter shows. */
export interface ScatterInput {
  points: ScatterPoint[];
  xLabel: string;
  yLabel: string;
  /** Limits on the shown axes, drawn as lines. */
  xLimits: number[];
  yLimits: number[];
  /** The teacher, when its values on both axes are known. */
  teacher: { x: number; y: number } | null;
}

const FRONT = 'rgb(31, 119, 230)';
const FADED = 'rgba(31, 119, 230, 0.25)';
const LIMIT = 'rgb(214, 39, 40)';
const TEACHER = 'rgb(230, 140, 20)';

function range(vals: number[]): [number, number] {
  let lo = Math.min(...vals);
  let hi = Math.max(...vals);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  const pad = hi > lo ? (hi - lo) * 0.08 : Math.max(Math.abs(hi) * 0.1, 1e-3);
  lo -= pad;
  hi += pad;
  return [lo, hi];
}

/**
 * The Pareto scatter: one point per complete trial over two chosen axes, limits as dashed
 * lines, the teacher as a diamond; a click near a point calls `onPick` with its trial id.
 * The element's `data-points` is the number of points handed to uPlot.
 *
 * @example
 * const s = new Scatter(el, (id) => (location.hash = `#/trial/${id}`));
 * s.draw({ points, xLabel: 'macs', yLabel: 'accuracy', xLimits: [30000], yLimits: [], teacher: null });
 */
export class Scatter {
  private plot: uPlot | undefined;
  private current: ScatterPoint[] = [];

  constructor(
    private readonly el: HTMLElement,
    private readonly onPick: (id: number) => void,
  ) {}

  draw(input: ScatterInput): void {
    this.plot?.destroy();
    // uPlot draws along x: sort by it; the front and the rest are two series sharing the x values
    const pts = [...input.points].sort((a, b) => a.x - b.x || a.y - b.y);
    this.current = pts;
    const xs = pts.map((p) => p.x);
    const front = pts.map((p) => (p.front ? p.y : null));
    const rest = pts.map((p) => (p.front ? null : p.y));
    const xr = range([...xs, ...input.xLimits, ...(input.teacher ? [input.teacher.x] : [])]);
    const yr = range([...pts.map((p) => p.y), ...input.yLimits, ...(input.teacher ? [input.teacher.y] : [])]);
    const width = Math.max(320, Math.min(this.el.clientWidth || 640, 900));
    const scatter = (stroke: string, label: string): uPlot.Series => ({ label, stroke, fill: stroke, paths: () => null, points: { show: true, size: 9, stroke, fill: stroke }, spanGaps: false });
    const opts: uPlot.Options = {
      width,
      height: 360,
      legend: { show: true },
      cursor: { drag: { x: false, y: false, setScale: false }, points: { show: false } },
      scales: { x: { time: false, range: xr }, y: { range: yr } },
      axes: [{ label: input.xLabel }, { label: input.yLabel, size: 70 }],
      series: [{ label: input.xLabel }, scatter(FRONT, 'Pareto front'), scatter(FADED, 'dominated')],
      hooks: { draw: [(u) => this.overlay(u, input)] },
    };
    const data: uPlot.AlignedData = [xs, front, rest];
    this.plot = new uPlot(opts, data, this.el);
    this.el.dataset['points'] = String(xs.length);
    this.el.dataset['x'] = input.xLabel;
    this.el.dataset['y'] = input.yLabel;
    this.el.dataset['teacher'] = input.teacher ? 'drawn' : 'none';
    this.plot.over.addEventListener('click', (e) => this.pick(e));
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = undefined;
  }

  private pick(e: MouseEvent): void {
    const u = this.plot;
    if (!u) return;
    let best: ScatterPoint | undefined;
    let dist = 12; // CSS pixels: close enough to mean that point
    for (const p of this.current) {
      const d = Math.hypot(u.valToPos(p.x, 'x') - e.offsetX, u.valToPos(p.y, 'y') - e.offsetY);
      if (d < dist) {
        dist = d;
        best = p;
      }
    }
    if (best) this.onPick(best.id);
  }

  private overlay(u: uPlot, input: ScatterInput): void {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.strokeStyle = LIMIT;
    ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
    for (const v of input.xLimits) {
      const x = u.valToPos(v, 'x', true);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
    }
    for (const v of input.yLimits) {
      const y = u.valToPos(v, 'y', true);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
    }
    if (input.teacher) {
      const x = u.valToPos(input.teacher.x, 'x', true);
      const y = u.valToPos(input.teacher.y, 'y', true);
      const r = 7 * devicePixelRatio;
      ctx.setLineDash([]);
      ctx.fillStyle = TEACHER;
      ctx.beginPath();
      ctx.moveTo(x, y - r);
      ctx.lineTo(x + r, y);
      ctx.lineTo(x, y + r);
      ctx.lineTo(x - r, y);
      ctx.closePath();
      ctx.fill();
    }
    ctx.restore();
  }
}

/**
 * The scatter's key: what the faded points, lines and diamond mean.
 *
 * @example
 * keyEl.appendChild(scatterKey(true, ' teacher'));
 */
export function scatterKey(hasLimits: boolean, teacher: string | null): HTMLElement {
  return h(
    'p',
    { class: 'key' },
    h('span', { class: 'dot front' }),
    ' Pareto front  ',
    h('span', { class: 'dot faded' }),
    ' dominated or over a limit',
    hasLimits ? h('span', { class: 'dash' }) : null,
    hasLimits ? ' limit' : null,
    h('span', { class: 'diamond' }),
    teacher ?? ' teacher: accuracy and cost not stored with this study',
  );
}
