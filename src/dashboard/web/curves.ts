import uPlot from 'uplot';

/** One trial's values per epoch for a learning-curve chart. */
export interface Curve {
  label: string;
  /** value by epoch (1-based); missing epochs are gaps */
  points: Map<number, number>;
}

const PALETTE = ['#1f77e6', '#e6550d', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f'];

/**
 * A line chart of a metric per epoch, one line per selected trial, with an optional
 * horizontal reference (the teacher's accuracy).
 *
 * @example
 * const c = new CurveChart(el, 'val accuracy');
 * c.draw([{ label: 'trial 3', points: new Map([[1, 0.8]]) }], 0.99);
 */
export class CurveChart {
  private plot: uPlot | undefined;

  constructor(
    private readonly el: HTMLElement,
    private readonly title: string,
  ) {}

  draw(curves: Curve[], reference: number | null): void {
    this.plot?.destroy();
    const epochs = [...new Set(curves.flatMap((c) => [...c.points.keys()]))].sort((a, b) => a - b);
    const xs = epochs.length > 0 ? epochs : [1];
    const series: uPlot.Series[] = [{ label: 'epoch' }];
    const data: (number | null)[][] = [];
    curves.forEach((c, i) => {
      const color = PALETTE[i % PALETTE.length]!;
      series.push({ label: c.label, stroke: color, width: 2, points: { show: true, size: 6, stroke: color, fill: color } });
      data.push(xs.map((e) => c.points.get(e) ?? null));
    });
    const all = [...data.flat().filter((v): v is number => v !== null), ...(reference !== null ? [reference] : [])];
    const lo = all.length ? Math.min(...all) : 0;
    const hi = all.length ? Math.max(...all) : 1;
    const pad = hi > lo ? (hi - lo) * 0.08 : Math.max(Math.abs(hi) * 0.1, 1e-3);
    const opts: uPlot.Options = {
      title: this.title,
      width: Math.max(280, Math.min(this.el.clientWidth || 440, 560)),
      height: 240,
      cursor: { drag: { x: false, y: false, setScale: false } },
      scales: { x: { time: false, range: [Math.min(...xs) - 0.5, Math.max(...xs) + 0.5] }, y: { range: [lo - pad, hi + pad] } },
      // whole epochs only on the x axis
      axes: [{ label: 'epoch', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] }, { size: 60 }],
      series,
      hooks: {
        draw: [
          (u) => {
            if (reference === null) return;
            const y = u.valToPos(reference, 'y', true);
            u.ctx.save();
            u.ctx.strokeStyle = 'rgb(230, 140, 20)';
            u.ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
            u.ctx.lineWidth = 1.5 * devicePixelRatio;
            u.ctx.beginPath();
            u.ctx.moveTo(u.bbox.left, y);
            u.ctx.lineTo(u.bbox.left + u.bbox.width, y);
            u.ctx.stroke();
            u.ctx.restore();
          },
        ],
      },
    };
    this.plot = new uPlot(opts, [xs, ...data] as uPlot.AlignedData, this.el);
    this.el.dataset['curves'] = String(curves.length);
    this.el.dataset['reference'] = reference === null ? 'none' : String(reference);
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = undefined;
  }
}
