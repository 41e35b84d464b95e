/**
 * Seeded pseudo-random numbers (mulberry32 for state, Box-Muller for normals). Everything
 * that shuffles, samples or initialises takes an Rng so that `--seed` makes runs repeatable.
 */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** The generator's state, to save in a checkpoint. */
  state(): number {
    return this.s;
  }

  static restore(state: number): Rng {
    const r = new Rng(0);
    r.s = state >>> 0;
    return r;
  }
}

/**
 * A 32-bit seed for one (run seed, epoch, stream) triple, so that each epoch's batch order,
 * augmentation and dropout masks depend only on the seed and the epoch: a resumed run
 * replays them exactly. Neighbouring inputs give unrelated outputs.
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
