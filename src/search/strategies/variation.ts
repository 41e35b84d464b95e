import type { Rng } from '../../core/rng.ts';
import type { Dim } from '../space-compile.ts';

/**
 * Real-coded variation operators of NSGA-II over one numeric variable in [lo, hi].
 */

/**
 * Simulated binary crossover (Deb & Agrawal 1995, the bounded form of Deb's NSGA-II code):
 * two children whose spread around the parents is set by `eta` (larger: closer to the parents).
 *
 * @example
 * const [a, b] = sbx(0.2, 0.6, 0, 1, 20, rng);
 */
export function sbx(x1: number, x2: number, lo: number, hi: number, eta: number, rng: Rng): [number, number] {
  if (Math.abs(x1 - x2) < 1e-14 || hi <= lo) return [x1, x2];
  const y1 = Math.min(x1, x2);
  const y2 = Math.max(x1, x2);
  const u = rng.next();
  const spread = (beta: number) => {
    const alpha = 2 - Math.pow(beta, -(eta + 1));
    return u <= 1 / alpha ? Math.pow(u * alpha, 1 / (eta + 1)) : Math.pow(1 / (2 - u * alpha), 1 / (eta + 1));
  };
  const b1 = spread(1 + (2 * (y1 - lo)) / (y2 - y1));
  const b2 = spread(1 + (2 * (hi - y2)) / (y2 - y1));
  const c1 = Math.min(hi, Math.max(lo, 0.5 * (y1 + y2 - b1 * (y2 - y1))));
  const c2 = Math.min(hi, Math.max(lo, 0.5 * (y1 + y2 + b2 * (y2 - y1))));
  return rng.next() < 0.5 ? [c2, c1] : [c1, c2];
}

/**
 * Polynomial mutation (Deb & Goyal 1996, bounded form): a perturbation whose size is set by `eta`.
 *
 * @example
 * const y = polynomialMutation(0.5, 0, 1, 20, rng);
 */
export function polynomialMutation(y: number, lo: number, hi: number, eta: number, rng: Rng): number {
  if (hi <= lo) return y;
  const d1 = (y - lo) / (hi - lo);
  const d2 = (hi - y) / (hi - lo);
  const r = rng.next();
  const pow = 1 / (eta + 1);
  let dq: number;
  if (r < 0.5) {
    const v = 2 * r + (1 - 2 * r) * Math.pow(1 - d1, eta + 1);
    dq = Math.pow(v, pow) - 1;
  } else {
    const v = 2 * (1 - r) + 2 * (r - 0.5) * Math.pow(1 - d2, eta + 1);
    dq = 1 - Math.pow(v, pow);
  }
  return Math.min(hi, Math.max(lo, y + dq * (hi - lo)));
}

/** A numeric dimension's working interval (log space on a log scale; ints widened by half a step). */
export function bounds(d: Dim): { lo: number; hi: number; fwd: (x: number) => number; back: (t: number) => number } {
  const half = d.kind === 'int' ? d.step / 2 : 0;
  if (d.log) return { lo: Math.log(Math.max(d.low - half, d.low / 2)), hi: Math.log(d.high + half), fwd: Math.log, back: Math.exp };
  return { lo: d.low - half, hi: d.high + half, fwd: (x) => x, back: (t) => t };
}
