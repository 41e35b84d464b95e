import { DistilleryError } from '../core/errors.ts';
import type { Dataset } from './dataset.ts';
import { sampleSize } from './dataset.ts';

/**
 * A saved normalisation: every value becomes `(x - mean[k]) / std[k]`, where `k` runs over
 * the stats' length L: L = 1 is global, L = channels (the last axis) is per channel, L = the
 * sample size is per feature. Plain arrays, so it can be saved with a model as JSON.
 */
export interface Normalization {
  readonly kind: 'none' | 'scale' | 'standardize' | 'explicit';
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** How `standardize` pools its statistics. */
export type StandardizeOver = 'global' | 'channel' | 'feature';

/** The identity normalisation (`normalize(ds, noNormalization)` returns `ds`). */
export const noNormalization: Normalization = { kind: 'none', mean: [0], std: [1] };

/**
 * Map the data's value range to [0, 1]: the range the source recorded (`valueRange`, e.g.
 * [0, 255] for uint8 images), else the min and max of `train`.
 *
 * @example
 * const stats = scaleStats(train); // { kind: 'scale', mean: [0], std: [255] } for MNIST
 */
export function scaleStats(train: Dataset): Normalization {
  let lo: number;
  let hi: number;
  if (train.valueRange) [lo, hi] = train.valueRange;
  else {
    lo = Infinity;
    hi = -Infinity;
    const x = train.x;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (x.length === 0) [lo, hi] = [0, 1];
  }
  return { kind: 'scale', mean: [lo], std: [hi > lo ? hi - lo : 1] };
}

/**
 * Mean and standard deviation (population, two passes in float64) of `train`, pooled
 * `over` all values, per channel (the last axis; the default, as torchvision does for images,
 * and the same as per feature for tabular data), or per feature. A constant feature gets
 * std 1 rather than a division by zero (MNIST's border pixels are always 0).
 *
 * @example
 * const stats = standardizeStats(train); // MNIST: mean ≈ [33.3], std ≈ [78.6]
 * const [tr, te] = [normalize(train, stats), normalize(test, stats)];
 */
export function standardizeStats(train: Dataset, over: StandardizeOver = 'channel'): Normalization {
  const d = sampleSize(train);
  const L = over === 'global' ? 1 : over === 'feature' ? d : (train.shape[train.shape.length - 1] ?? 1);
  const x = train.x;
  const sum = new Float64Array(L);
  if (L === 1) {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i];
    sum[0] = s;
  } else {
    // Walk one run of L values at a time so the stat index needs no modulo per value.
    for (let i = 0; i < x.length; ) for (let k = 0; k < L; k++) sum[k] += x[i++];
  }
  const count = x.length / L;
  const mean = Array.from(sum, (s) => (count > 0 ? s / count : 0));
  const sq = new Float64Array(L);
  if (L === 1) {
    let s = 0;
    const m = mean[0];
    for (let i = 0; i < x.length; i++) s += (x[i] - m) * (x[i] - m);
    sq[0] = s;
  } else {
    for (let i = 0; i < x.length; ) {
      for (let k = 0; k < L; k++) {
        const t = x[i++] - mean[k];
        sq[k] += t * t;
      }
    }
  }
  const std = Array.from(sq, (s) => {
    const v = count > 0 ? Math.sqrt(s / count) : 1;
    return v > 1e-7 ? v : 1;
  });
  return { kind: 'standardize', mean, std };
}

/**
 * Given statistics (e.g. MNIST's 0.1307 / 0.3081, which apply to values already in [0, 1]:
 * combine with `scale` by passing mean·255 and std·255, or use `normalize: scale` first).
 *
 * @example
 * const stats = explicitStats(0.1307 * 255, 0.3081 * 255);
 */
export function explicitStats(mean: number | readonly number[], std: number | readonly number[]): Normalization {
  const m = typeof mean === 'number' ? [mean] : [...mean];
  const s = typeof std === 'number' ? [std] : [...std];
  const bad = s.find((v) => !(v > 0 && Number.isFinite(v)));
  if (bad !== undefined || m.some((v) => !Number.isFinite(v))) {
    throw new DistilleryError('DATA_NORMALIZE', `data.normalize: std must be finite and > 0 and mean finite (got std ${bad ?? s.join(', ')})`, 'give std > 0', 'data.normalize');
  }
  if (m.length !== s.length && m.length !== 1 && s.length !== 1) {
    throw new DistilleryError('DATA_NORMALIZE', `data.normalize: mean has ${m.length} values but std has ${s.length}`, 'give one value, or one per channel, for both', 'data.normalize');
  }
  const L = Math.max(m.length, s.length);
  const widen = (a: number[]) => (a.length === L ? a : Array.from({ length: L }, () => a[0]));
  return { kind: 'explicit', mean: widen(m), std: widen(s) };
}

/**
 * Apply saved statistics to a Dataset, returning a new one (the input is not touched; `none`
 * returns the input itself). The result has no `valueRange`: its values are no longer raw.
 *
 * @example
 * const test2 = normalize(test, loaded.normalization);
 */
export function normalize(ds: Dataset, stats: Normalization): Dataset {
  if (stats.kind === 'none') return ds;
  const out = new Float32Array(ds.x.length);
  applyStats(ds, stats, out);
  return { x: out, y: ds.y.slice(), shape: ds.shape, numClasses: ds.numClasses, classNames: ds.classNames };
}

/**
 * Normalise `ds.x` into `out`, which may be `ds.x` itself: loaders that own fresh arrays use
 * that to skip a copy of the whole set.
 *
 * @example
 * applyStats(fresh, stats, fresh.x); // in place, on arrays no one else holds
 */
export function applyStats(ds: Dataset, stats: Normalization, out: Float32Array): void {
  const d = sampleSize(ds);
  const L = stats.mean.length;
  const C = ds.shape[ds.shape.length - 1] ?? 1;
  if (L !== 1 && L !== C && L !== d) {
    throw new DistilleryError(
      'DATA_NORMALIZE',
      `data.normalize: ${L} statistics do not fit samples of shape [${ds.shape.join(', ')}]`,
      `give 1 value, ${C} (one per channel) or ${d} (one per feature)`,
      'data.normalize',
    );
  }
  const x = ds.x;
  // Multiply by 1/std: one division per stat instead of one per value.
  const inv = stats.std.map((s) => 1 / s);
  if (L === 1) {
    const m = stats.mean[0];
    const r = inv[0];
    for (let i = 0; i < x.length; i++) out[i] = (x[i] - m) * r;
  } else {
    const m = Float64Array.from(stats.mean);
    const r = Float64Array.from(inv);
    for (let i = 0; i < x.length; ) for (let k = 0; k < L; k++, i++) out[i] = (x[i] - m[k]) * r[k];
  }
}
