import type { Dataset } from './dataset.ts';
import { sampleSize } from './dataset.ts';

/** A batch gathered from a Dataset: features sample-major, labels, and the sample count. */
export interface Batch {
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly n: number;
}

/**
 * Copy samples `order[start..end)` of `ds` into one contiguous batch.
 *
 * @example
 * const order = rng.permutation(size(ds));
 * for (let s = 0; s < size(ds); s += 128) train(gatherBatch(ds, order, s, s + 128));
 */
export function gatherBatch(ds: Dataset, order: Int32Array, start: number, end: number): Batch {
  const d = sampleSize(ds);
  const stop = Math.min(end, order.length);
  const n = Math.max(0, stop - start);
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = order[start + i];
    x.set(ds.x.subarray(j * d, (j + 1) * d), i * d);
    y[i] = ds.y[j];
  }
  return { x, y, n };
}
