import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../core/rng.ts';
import { size, type Dataset } from '../data/index.ts';
import type { BnStats, Supernet } from './net.ts';
import type { SubnetArch } from './space.ts';

/** Samples OFA recalibrates a subnet's batch norm on by default (a few hundred training images). */
export const CALIBRATION_SAMPLES = 500;

/** Images `start..end` of `ds` (in `order` when given) as one [N, H, W, C] tensor. */
export function imageBatch(ds: Dataset, start: number, end: number, order?: Int32Array): tf.Tensor4D {
  const d = ds.shape.reduce((a, b) => a * b, 1);
  const n = end - start;
  if (!order) return tf.tensor4d(ds.x.subarray(start * d, end * d), [n, ...ds.shape] as [number, number, number, number]);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) x.set(ds.x.subarray(order[start + i]! * d, (order[start + i]! + 1) * d), i * d);
  return tf.tensor4d(x, [n, ...ds.shape] as [number, number, number, number]);
}

/** Options of {@link recalibrate}. */
export interface RecalibrateOptions {
  /** How many training samples (default {@link CALIBRATION_SAMPLES}). */
  samples?: number;
  /** Samples per forward pass (default 250). */
  batchSize?: number;
  /** Which samples: a seeded draw from the training set (default seed 0). */
  seed?: number;
}

/**
 * Batch-norm recalibration, as OFA does it before scoring a subnet: the shared BN layers'
 * statistics belong to no subnet in particular, so the subnet runs forward on a few hundred
 * training samples in training mode and each of its BN layers gets the population mean and
 * (biased) variance of what it saw there. Batches are combined exactly (the variance of the
 * union from each batch's mean and variance), so the result does not depend on `batchSize`
 * when the batches are equal. The weights are not touched.
 *
 * @example
 * const stats = recalibrate(net, arch, data.train, { samples: 500 });
 * const acc = subnetAccuracy(net, arch, stats, data.validation);
 */
export function recalibrate(net: Supernet, arch: SubnetArch, train: Dataset, opts: RecalibrateOptions = {}): BnStats {
  const n = Math.min(opts.samples ?? CALIBRATION_SAMPLES, size(train));
  const order = new Rng(opts.seed ?? 0).permutation(size(train)).subarray(0, n);
  const bs = Math.max(1, opts.batchSize ?? 250);
  const sums = new Map<string, { n: number; mean: Float64Array; sq: Float64Array }>();
  for (let start = 0; start < n; start += bs) {
    const end = Math.min(n, start + bs);
    const count = end - start;
    tf.tidy(() => {
      const x = imageBatch(train, start, end, order);
      net.forward(x, arch, {
        kind: 'calibrate',
        record: (name, mean, variance) => {
          const m = mean.dataSync();
          const v = variance.dataSync();
          let acc = sums.get(name);
          if (!acc) sums.set(name, (acc = { n: 0, mean: new Float64Array(m.length), sq: new Float64Array(m.length) }));
          // per sample position: E[x] and E[x²] weighted by the batch's share
          for (let c = 0; c < m.length; c++) {
            acc.mean[c]! += count * m[c]!;
            acc.sq[c]! += count * (v[c]! + m[c]! * m[c]!);
          }
          acc.n += count;
        },
      });
    });
  }
  const stats: BnStats = new Map();
  for (const [name, acc] of sums) {
    const mean = new Float32Array(acc.mean.length);
    const variance = new Float32Array(acc.mean.length);
    for (let c = 0; c < mean.length; c++) {
      const m = acc.mean[c]! / acc.n;
      mean[c] = m;
      variance[c] = Math.max(0, acc.sq[c]! / acc.n - m * m);
    }
    stats.set(name, { mean, variance });
  }
  return stats;
}

/** Logits of a recalibrated subnet on `ds`, in batches, as one [N, classes] array. */
export function subnetLogits(net: Supernet, arch: SubnetArch, stats: BnStats, ds: Dataset, batchSize = 500): Float32Array {
  const n = size(ds);
  const out = new Float32Array(n * net.numClasses);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const logits = tf.tidy(() => net.forward(imageBatch(ds, start, end), arch, { kind: 'infer', stats }));
    out.set(logits.dataSync(), start * net.numClasses);
    logits.dispose();
  }
  return out;
}

/** Top-1 accuracy of a recalibrated subnet on `ds`. */
export function subnetAccuracy(net: Supernet, arch: SubnetArch, stats: BnStats, ds: Dataset): number {
  const logits = subnetLogits(net, arch, stats, ds);
  const k = net.numClasses;
  let correct = 0;
  for (let i = 0; i < ds.y.length; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (logits[i * k + j]! > logits[i * k + best]!) best = j;
    if (best === ds.y[i]) correct++;
  }
  return ds.y.length > 0 ? correct / ds.y.length : NaN;
}
