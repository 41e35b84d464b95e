import type { ResolvedModelSpec } from '../index.ts';
import { kernelFeatureNames, kernelFeatures, type KernelRuntime } from './kernels.ts';
import { ridge } from './linalg.ts';

/**
 * A device's kernel latency model: `ms = Σ coef[j] · feature[j]` over {@link kernelFeatureNames}
 * (a fixed cost per inference, per kernel kind a dispatch cost, a cost per MAC and per element
 * moved), and with `blockKinds` the blocks' lone latencies. Every coefficient is ≥ 0 and named,
 * so the model can be read: `conv.count` is what one conv dispatch costs on this device, in ms.
 */
export interface KernelModel {
  runtime: KernelRuntime;
  /** {@link kernelFeatureNames}, then `block.<kind>` per entry of `blockKinds`. */
  features: string[];
  /**
   * Block kinds whose summed lone latency in the table (`kindSums`) is a feature too: what a
   * block costs alone, measured on the device, carries what a per-kernel line cannot (a conv's
   * efficiency at its channel counts and spatial size, the runtime's layout changes), while the
   * kernel features carry what fusion changes inside a model. Absent: kernel features only.
   */
  blockKinds?: string[];
  coef: number[];
  /** Models it was fitted on. */
  n: number;
  /** Its |relative error| on those models, median and p90, in percent. */
  fitMedianAbsPct: number;
  fitP90AbsPct: number;
}

/**
 * Least squares on relative errors (each model's row divided by its latency: the bar is a
 * percentage) with the coefficients kept ≥ 0 by an active set: a feature whose coefficient
 * comes out negative is dropped and the rest refitted, so what remains is a sum of costs.
 * With `signed`, no coefficient is held at 0 or above: plain (ridge) least squares on the same
 * relative rows.
 *
 * @example
 * fitNonNegative([[1, 2], [1, 4], [1, 8]], [3, 5, 9]); // [1, 1]
 */
export function fitNonNegative(x: readonly (readonly number[])[], y: readonly number[], lambda = 1e-6, signed = false): number[] {
  const k = x[0]?.length ?? 0;
  const scales = Array.from({ length: k }, (_, j) => Math.max(1e-12, ...x.map((r) => Math.abs(r[j]!))));
  let active = Array.from({ length: k }, (_, j) => j).filter((j) => scales[j]! > 1e-12);
  const rows = x.map((r, i) => r.map((v, j) => v / scales[j]! / y[i]!));
  const ones = y.map(() => 1);
  for (let it = 0; it <= k; it++) {
    // ridge() leaves its first column unpenalised: put a zero column first so every feature is
    const w = ridge(rows.map((r) => [0, ...active.map((j) => r[j]!)]), ones, lambda).slice(1);
    const neg = signed ? [] : w.map((v, i) => [v, i] as const).filter(([v]) => v < 0);
    if (neg.length === 0 || active.length === 1) {
      const coef = new Array<number>(k).fill(0);
      active.forEach((j, i) => (coef[j] = (signed ? w[i]! : Math.max(0, w[i]!)) / scales[j]!));
      return coef;
    }
    // drop the most negative one and refit
    const worst = neg.reduce((a, b) => (b[0] < a[0] ? b : a))[1];
    active = active.filter((_, i) => i !== worst);
  }
  return new Array<number>(k).fill(0);
}

/**
 * Fits a {@link KernelModel} on whole models measured on the device: the kernels each runs
 * (with the runtime's fusions, see `kernelsOf`) against its latency, every coefficient ≥ 0.
 * `opts.signed` fits them signed instead, an experiment `bench:predictor` reports beside the
 * predictor: with block features, a kernel coefficient could then correct a block's lone
 * latency downwards for what a model shares (its dispatch, layout reorders at its edges, reading
 * its output back). Paired with the non-negative fit on the same timings it did not do better
 * (docs/deploy.md), so the predictor keeps the sum of costs.
 *
 * @example
 * const km = fitKernelModel(specs, measuredMs, 'onnx');
 * predictKernelMs(spec, km); // 0.213
 */
export function fitKernelModel(specs: readonly ResolvedModelSpec[], measured: readonly number[], runtime: KernelRuntime, blockSums?: (spec: ResolvedModelSpec) => Record<string, number>, opts: { signed?: boolean } = {}): KernelModel {
  const sums = blockSums ? specs.map(blockSums) : undefined;
  const blockKinds = sums ? [...new Set(sums.flatMap((s) => Object.keys(s)))].sort() : undefined;
  const x = specs.map((s, i) => featuresOf(s, runtime, blockKinds, sums?.[i]));
  const coef = fitNonNegative(x, measured, 1e-6, opts.signed ?? false);
  const err = x.map((r, i) => Math.abs(dot(coef, r) / measured[i]! - 1) * 100).sort((a, b) => a - b);
  const at = (q: number): number => err[Math.min(err.length - 1, Math.max(0, Math.ceil(q * err.length) - 1))] ?? NaN;
  const features = [...kernelFeatureNames(), ...(blockKinds ?? []).map((k) => `block.${k}`)];
  return { runtime, features, ...(blockKinds ? { blockKinds } : {}), coef, n: specs.length, fitMedianAbsPct: at(0.5), fitP90AbsPct: at(0.9) };
}

function featuresOf(spec: ResolvedModelSpec, runtime: KernelRuntime, blockKinds: readonly string[] | undefined, sums: Record<string, number> | undefined): number[] {
  const f = kernelFeatures(spec, runtime);
  return blockKinds ? [...f, ...blockKinds.map((k) => sums?.[k] ?? 0)] : f;
}

/**
 * A model's predicted latency (ms) from a kernel model; one with block features needs the
 * model's summed block latencies per kind from the same table (`kindSums(spec, table)`).
 *
 * @example
 * predictKernelMs(spec, table.kernels!, kindSums(spec, table)); // 0.213
 */
export function predictKernelMs(spec: ResolvedModelSpec, km: KernelModel, blockSums?: Record<string, number>): number {
  if (km.blockKinds && !blockSums) throw new Error('predictKernelMs: this kernel model has block features; pass the model\'s kindSums from its table');
  return dot(km.coef, featuresOf(spec, km.runtime, km.blockKinds, blockSums));
}

function dot(a: readonly number[], b: readonly number[]): number {
  return a.reduce((s, v, i) => s + v * b[i]!, 0);
}

/**
 * Adaptive sampling as nn-Meter does it: of the unmeasured `pool`, the `count` models nearest
 * (in log kernel features, each scaled by its spread) to the measured models the current fit misses most, so the
 * next measurements go where the model is wrong rather than where it is already right.
 * Returns indices into `pool`.
 *
 * @example
 * const next = whereWorst(pool, measuredSpecs, errorsPct, 20, 'onnx');
 */
export function whereWorst(pool: readonly ResolvedModelSpec[], measured: readonly ResolvedModelSpec[], absErrorPct: readonly number[], count: number, runtime: KernelRuntime): number[] {
  // log features, each scaled by its spread over pool and measured models alike
  const raw = (s: ResolvedModelSpec): number[] => kernelFeatures(s, runtime).map((v) => Math.log1p(v));
  const all = [...pool, ...measured].map(raw);
  const sd = all[0]!.map((_, j) => {
    const m = all.reduce((a, r) => a + r[j]!, 0) / all.length;
    return Math.sqrt(all.reduce((a, r) => a + (r[j]! - m) ** 2, 0) / all.length) || 1;
  });
  const z = (r: number[]): number[] => r.map((v, j) => v / sd[j]!);
  const pf = all.slice(0, pool.length).map(z);
  const order = absErrorPct.map((e, i) => [e, i] as const).sort((a, b) => b[0] - a[0]);
  const worst = order.slice(0, Math.max(1, Math.ceil(order.length / 5))).map(([, i]) => z(all[pool.length + i]!));
  const taken = new Set<number>();
  // round-robin over the worst models: each takes its nearest unmeasured neighbour in turn
  for (let round = 0; taken.size < Math.min(count, pool.length); round++) {
    const w = worst[round % worst.length]!;
    let best = -1;
    let bestD = Infinity;
    pf.forEach((f, i) => {
      if (taken.has(i)) return;
      const d = f.reduce((s, v, j) => s + (v - w[j]!) ** 2, 0);
      if (d < bestD) [best, bestD] = [i, d];
    });
    if (best < 0) break;
    taken.add(best);
  }
  return [...taken];
}
