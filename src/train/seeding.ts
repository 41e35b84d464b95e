import { Rng } from '../core/rng.ts';

/**
 * A 32-bit seed for one (run seed, epoch, stream) triple, so that each epoch's batch order,
 * augmentation and dropout masks depend only on the seed and the epoch: a resumed run
 * replays them exactly.
 *
 * @example
 * const orderRng = new Rng(deriveSeed(seed, epoch, 0));
 */
export function deriveSeed(seed: number, epoch: number, stream: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15) ^ (epoch + 1), 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13) ^ Math.imul(stream + 1, 0x27d4eb2f), 0x85ebca6b);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The sample order of one epoch: a permutation of 0..n-1 fixed by seed and epoch.
 *
 * @example
 * const order = epochOrder(1, 0, size(train));
 */
export function epochOrder(seed: number, epoch: number, n: number): Int32Array {
  return new Rng(deriveSeed(seed, epoch, 0)).permutation(n);
}

/**
 * Run `fn` with `Math.random` drawing from `rng`. TF.js seeds each random op (Dropout's
 * masks among them) from `Math.random()` when the layer has no fixed seed, and a fixed layer
 * seed would repeat the same mask every step; this makes dropout follow `--seed` instead.
 * `fn` must be synchronous.
 *
 * @example
 * const y = withSeededRandom(new Rng(1), () => model.apply(x, { training: true }));
 */
export function withSeededRandom<T>(rng: Rng, fn: () => T): T {
  const saved = Math.random;
  Math.random = () => rng.next();
  try {
    return fn();
  } finally {
    Math.random = saved;
  }
}
