import type { Rng } from '../../core/rng.ts';
import type { Dim } from '../space-compile.ts';

/**
 * One dimension's density for TPE (Bergstra et al. 2011), over encoded values: a choice's option
 * index, or an int/float value.
 */
export interface Density {
  sample(rng: Rng): number;
  logPdf(x: number): number;
}

/**
 * A categorical density: observed counts plus a uniform prior of total weight `prior`.
 *
 * @example
 * categorical(3, [0, 0, 2]).logPdf(0) > categorical(3, [0, 0, 2]).logPdf(1); // true
 */
export function categorical(k: number, observed: readonly number[], prior = 1): Density {
  const w = new Array<number>(k).fill(prior / k);
  for (const i of observed) w[i]! += 1;
  const total = prior + observed.length;
  const p = w.map((x) => x / total);
  return {
    sample: (rng) => {
      let u = rng.next();
      for (let i = 0; i < k; i++) if ((u -= p[i]!) < 0) return i;
      return k - 1;
    },
    logPdf: (x) => Math.log(p[x] ?? 1e-300),
  };
}

/**
 * A truncated Gaussian mixture over a numeric dimension, with one component per observation and a
 * wide prior component at the centre, in log space for log-scaled dimensions. Bandwidths follow
 * hyperopt: each point's sigma is the larger gap to its sorted neighbours, clipped to
 * [range / min(100, n + 1), range]. Ints are smoothed over ±half a step and rounded when sampled.
 *
 * @example
 * const d = parzen(space.dim('train.lr'), [0.01, 0.02]);
 */
export function parzen(d: Dim, observed: readonly number[]): Density {
  const half = d.kind === 'int' ? d.step / 2 : 0;
  const fwd = (x: number) => (d.log ? Math.log(x) : x);
  const lo = d.log ? Math.log(Math.max(d.low - half, d.low / 2)) : d.low - half;
  const hi = fwd(d.high + half);
  const range = hi - lo;
  const mus = [...observed.map(fwd), (lo + hi) / 2];
  const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]!);
  const sig = new Array<number>(mus.length);
  const minSig = range / Math.min(100, mus.length);
  order.forEach((idx, r) => {
    const left = r > 0 ? mus[idx]! - mus[order[r - 1]!]! : mus[idx]! - lo;
    const right = r < order.length - 1 ? mus[order[r + 1]!]! - mus[idx]! : hi - mus[idx]!;
    sig[idx] = Math.min(range, Math.max(minSig, left, right));
  });
  sig[mus.length - 1] = range; // the prior component
  const mass = mus.map((m, i) => normCdf((hi - m) / sig[i]!) - normCdf((lo - m) / sig[i]!));
  const n = mus.length;
  return {
    sample: (rng) => {
      const i = Math.floor(rng.next() * n);
      let t = mus[i]! + sig[i]! * rng.normal();
      for (let k = 0; k < 16 && (t < lo || t > hi); k++) t = mus[i]! + sig[i]! * rng.normal();
      t = Math.min(hi, Math.max(lo, t));
      return d.log ? Math.exp(t) : t;
    },
    logPdf: (x) => {
      const t = fwd(x);
      let p = 0;
      for (let i = 0; i < n; i++) {
        const z = (t - mus[i]!) / sig[i]!;
        p += Math.exp(-0.5 * z * z) / (sig[i]! * Math.sqrt(2 * Math.PI) * Math.max(mass[i]!, 1e-12));
      }
      return Math.log(p / n + 1e-300);
    },
  };
}

/** Standard normal CDF via erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
export function normCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
