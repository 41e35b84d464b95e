import { DistilleryError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';
import type { Dataset } from './dataset.ts';
import { sampleSize, size } from './dataset.ts';

/**
 * A Dataset with new values but the same shape, classes and value range as `like`.
 *
 * @example
 * const flipped = withData(ds, mirror(ds.x), ds.y.slice());
 */
export function withData(like: Dataset, x: Float32Array, y: Int32Array): Dataset {
  const base = { x, y, shape: like.shape, numClasses: like.numClasses, classNames: like.classNames };
  // Texts and keys are per sample: they stay only when the samples are the same ones, in order.
  const text = like.text && like.text.texts.length === y.length ? { text: like.text } : {};
  return like.valueRange ? { ...base, valueRange: like.valueRange, ...text } : { ...base, ...text };
}

/**
 * The samples at `indices`, in that order, as a new Dataset (values are copied).
 *
 * @example
 * const firstAndLast = subset(ds, [0, size(ds) - 1]);
 */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const d = sampleSize(ds);
  const n = indices.length;
  const total = size(ds);
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = indices[i];
    if (!(j >= 0 && j < total && Number.isInteger(j))) {
      throw new DistilleryError('DATA_INDEX', `sample index ${j} is outside 0..${total - 1}`, 'pass indices of existing samples');
    }
    x.set(ds.x.subarray(j * d, (j + 1) * d), i * d);
    y[i] = ds.y[j];
  }
  const out = withData(ds, x, y);
  return ds.text ? { ...out, text: { ...ds.text, texts: Array.from(indices, (j) => ds.text!.texts[j]), keys: Array.from(indices, (j) => ds.text!.keys[j]) } } : out;
}

/**
 * The first `n` samples (all of them when there are fewer), copied.
 *
 * @example
 * const small = take(train, 1000);
 */
export function take(ds: Dataset, n: number): Dataset {
  const k = Math.max(0, Math.min(Math.floor(n), size(ds)));
  const d = sampleSize(ds);
  const out = withData(ds, ds.x.slice(0, k * d), ds.y.slice(0, k));
  return ds.text ? { ...out, text: { ...ds.text, texts: ds.text.texts.slice(0, k), keys: ds.text.keys.slice(0, k) } } : out;
}

/**
 * The samples in a seeded random order, as a new Dataset.
 *
 * @example
 * const mixed = shuffle(ds, new Rng(42));
 */
export function shuffle(ds: Dataset, rng: Rng): Dataset {
  return subset(ds, rng.permutation(size(ds)));
}

/** Options for {@link split}. */
export interface SplitOptions {
  /** Keep each class's share in both parts (default true). */
  readonly stratify?: boolean;
}

/**
 * Hold out a validation part. `validation` is a fraction (0 < f < 1) or a count (an integer
 * >= 1). By default the split is stratified: each class gives the same share of its samples
 * (largest-remainder rounding, so the total is exact), which keeps small validation sets
 * representative. Which samples go is drawn from `rng`; both parts keep the original order.
 *
 * @example
 * const { train, validation } = split(all, 0.1, new Rng(1)); // 54,000 / 6,000 on MNIST
 */
export function split(ds: Dataset, validation: number, rng: Rng, opts: SplitOptions = {}): { train: Dataset; validation: Dataset } {
  const n = size(ds);
  const k = validationCount(n, validation);
  const held = new Uint8Array(n);
  if (opts.stratify === false) {
    const p = rng.permutation(n);
    for (let i = 0; i < k; i++) held[p[i]] = 1;
  } else {
    const byClass = groupByClass(ds);
    const quotas = apportion(
      byClass.map((g) => g.length),
      k,
    );
    byClass.forEach((g, c) => {
      rng.shuffle(g);
      for (let i = 0; i < quotas[c]; i++) held[g[i]] = 1;
    });
  }
  const tr = new Int32Array(n - k);
  const va = new Int32Array(k);
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    if (held[i]) va[b++] = i;
    else tr[a++] = i;
  }
  return { train: subset(ds, tr), validation: subset(ds, va) };
}

/**
 * The number of samples a `validation` setting takes out of `n`: a fraction rounds to the
 * nearest count.
 *
 * @example
 * validationCount(60000, 0.1); // 6000
 */
export function validationCount(n: number, validation: number): number {
  const bad = (why: string) =>
    new DistilleryError('DATA_SPLIT', `data.validation ${validation}: ${why}`, 'use a fraction 0 < f < 1 or a whole count between 1 and the training size - 1', 'data.validation');
  if (!(validation > 0)) throw bad('must be > 0');
  if (validation >= 1 && !Number.isInteger(validation)) throw bad('a count must be a whole number');
  const k = validation < 1 ? Math.round(validation * n) : validation;
  if (k < 1) throw bad(`leaves no validation sample out of ${n}`);
  if (k >= n) throw bad(`leaves no training sample out of ${n}`);
  return k;
}

function groupByClass(ds: Dataset): Int32Array[] {
  const counts = new Int32Array(ds.numClasses);
  for (let i = 0; i < ds.y.length; i++) counts[ds.y[i]]++;
  const groups = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(ds.numClasses);
  for (let i = 0; i < ds.y.length; i++) {
    const c = ds.y[i];
    groups[c][fill[c]++] = i;
  }
  return groups;
}

/** Split `total` over groups in proportion to `sizes`, largest remainders first; exact sum. */
function apportion(sizes: readonly number[], total: number): number[] {
  const n = sizes.reduce((a, b) => a + b, 0);
  const exact = sizes.map((s) => (s * total) / n);
  const q = exact.map((e, i) => Math.min(sizes[i], Math.floor(e)));
  let left = total - q.reduce((a, b) => a + b, 0);
  // Ties go to the lower class index, so the result depends on nothing but the inputs.
  const order = exact.map((e, i) => ({ r: e - Math.floor(e), i })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let j = 0; left > 0; j = (j + 1) % order.length) {
    const i = order[j].i;
    if (q[i] < sizes[i]) {
      q[i]++;
      left--;
    }
  }
  return q;
}
