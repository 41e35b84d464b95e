import { formatMetric } from './format.ts';

/** A mapping from data values to pixels along one axis, linear or log10. */
export interface Scale {
  log: boolean;
  lo: number;
  hi: number;
  /** Pixel of a value. */
  at(v: number): number;
  ticks: number[];
}

/**
 * Log scale when every value is positive and they span more than a factor of 30 (a teacher 30x
 * bigger than its students would squash them all into one corner on a linear axis).
 *
 * @example
 * wantsLog([80_000, 2_400_000]); // true
 */
export function wantsLog(values: readonly number[]): boolean {
  if (values.length < 2 || values.some((v) => !(v > 0))) return false;
  return Math.max(...values) / Math.min(...values) > 30;
}

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p;
}

/**
 * A scale over `values` (padded 8% each side, room for the marks and their labels) onto pixels `[from, to]` (`to < from` for a y axis
 * that grows upwards), with about five ticks.
 *
 * @example
 * const s = makeScale([0.9, 0.98], 380, 20, false);
 * s.at(0.98) < s.at(0.9); // true: higher values are drawn higher
 */
export function makeScale(values: readonly number[], from: number, to: number, log: boolean): Scale {
  const finite = values.filter(Number.isFinite);
  let lo = finite.length ? Math.min(...finite) : 0;
  let hi = finite.length ? Math.max(...finite) : 1;
  if (log) {
    let a = Math.log10(lo);
    let b = Math.log10(hi);
    const pad = Math.max(0.08 * (b - a), 0.1);
    a -= pad;
    b += pad;
    const at = (v: number) => from + ((Math.log10(v) - a) / (b - a)) * (to - from);
    const ticks: number[] = [];
    for (let e = Math.ceil(a); e <= Math.floor(b); e++) ticks.push(10 ** e);
    if (ticks.length < 2) ticks.splice(0, ticks.length, 10 ** a * 1.0001, 10 ** b * 0.9999);
    return { log, lo: 10 ** a, hi: 10 ** b, at, ticks };
  }
  if (hi === lo) {
    const d = Math.abs(hi) * 0.1 || 1;
    lo -= d;
    hi += d;
  }
  const pad = 0.08 * (hi - lo);
  lo -= pad;
  hi += pad;
  const step = niceStep(hi - lo, 5);
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-12; t += step) ticks.push(Number(t.toPrecision(12)));
  return { log, lo, hi, at: (v: number) => from + ((v - lo) / (hi - lo)) * (to - from), ticks };
}

/**
 * A tick's text: percent for accuracy, the metric's own format otherwise, without units (the
 * axis title carries them).
 *
 * @example
 * tickText('accuracy', 0.95); // '95'
 */
export function tickText(metric: string, v: number): string {
  if (metric === 'accuracy') return (100 * v).toFixed(Math.abs(100 * v - Math.round(100 * v)) < 1e-6 ? 0 : 1);
  return formatMetric(metric, v).replace(/ (ms|B|KB|MB|GB)$/, (_m, u: string) => (u === 'ms' ? '' : ` ${u}`));
}
