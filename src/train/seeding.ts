import { deriveSeed, Rng } from '../core/rng.ts';

export { deriveSeed };

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
