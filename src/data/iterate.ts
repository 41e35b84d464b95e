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

/**
 * The sample order of epoch `epoch` of a run seeded with `seed`: a function of those two
 * numbers only, so a run resumed at epoch k visits the samples exactly as the first run did.
 *
 * @example
 * const rng = epochRng(seed, epoch);
 * for (const b of batches(train, 128, { order: epochOrder(size(train), seed, epoch), rng })) step(b);
 */
export function epochOrder(n: number, seed: number, epoch: number): Int32Array {
  return new Rng(mix(seed, epoch, 0x0d1e)).permutation(n);
}

/**
 * A generator for epoch `epoch`'s augmentation, independent of the one behind its order, so
 * a resumed epoch also replays its augmentation.
 *
 * @example
 * batches(train, 128, { order: epochOrder(n, seed, k), rng: epochRng(seed, k), augment });
 */
export function epochRng(seed: number, epoch: number): Rng {
  return new Rng(mix(seed, epoch, 0xa097));
}

/** Hash (seed, epoch, stream) to a 32-bit seed; neighbouring inputs give unrelated outputs. */
function mix(seed: number, epoch: number, stream: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ Math.imul(epoch + 1, 0xc2b2ae35), 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 15) ^ stream, 0x165667b1);
  return (h ^ (h >>> 16)) >>> 0;
}

function identity(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}
