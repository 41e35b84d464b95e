import { assert } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import type { Augment } from './augment.ts';
import type { Batch } from './batch.ts';
import { gatherBatch } from './batch.ts';
import type { Dataset } from './dataset.ts';
import { size } from './dataset.ts';

/** Options for {@link batches}. */
export interface BatchOptions {
  /** Draws the order (when shuffling) and the augmentation. */
  readonly rng?: Rng;
  /** Visit samples in a random order drawn from `rng` (default false). */
  readonly shuffle?: boolean;
  /** A fixed visiting order (e.g. from {@link epochOrder}); overrides `shuffle`. */
  readonly order?: Int32Array;
  /** Skip the last batch when it is smaller than `batchSize` (default false). */
  readonly dropLast?: boolean;
  /** Applied in place to each gathered batch (needs `rng`). */
  readonly augment?: Augment;
}

/**
 * One epoch over `ds` in batches. Each batch is a fresh copy, so augmentation never touches
 * the Dataset.
 *
 * @example
 * const rng = new Rng(7);
 * for (const b of batches(train, 128, { rng, shuffle: true, dropLast: true, augment: augmentFrom({ shift: 2 }) })) step(b);
 */
export function* batches(ds: Dataset, batchSize: number, opts: BatchOptions = {}): Generator<Batch> {
  const n = size(ds);
  assert(opts.rng !== undefined || (!opts.augment && (!opts.shuffle || opts.order)), () => 'batches(): shuffle and augment need opts.rng');
  const rng = opts.rng ?? new Rng(0);
  let order = opts.order;
  if (!order) order = opts.shuffle ? rng.permutation(n) : identity(n);
  const stop = opts.dropLast ? order.length - (order.length % batchSize) : order.length;
  for (let s = 0; s < stop; s += batchSize) {
    const b = gatherBatch(ds, order, s, Math.min(s + batchSize, stop));
    if (opts.augment) opts.augment(b, ds.shape, rng);
    yield b;
  }
}

/**
 * Number of batches {@link batches} yields.
 *
 * @example
 * batchCount(60000, 128); // 469
 */
export function batchCount(n: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

function identity(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}
