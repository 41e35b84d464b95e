import { DistilleryError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';
import type { Batch } from './batch.ts';

/** A batch transformation applied in place during training, drawing from the epoch's rng. */
export type Augment = (batch: Batch, shape: readonly number[], rng: Rng) => void;

/**
 * Shift each image of the batch, in place, by its own random integer offset in
 * [-maxShift, maxShift] along x and along y; pixels shifted in are 0. This is the ±2-pixel
 * jitter of Hinton et al. (2015) for MNIST. Works on samples of shape [H, W, C] or [H, W].
 * Whole rows move with `copyWithin` (memmove), so the cost is a few native copies per image.
 *
 * @example
 * for (const b of batches(train, 128, { rng, shuffle: true })) shiftAugment(b, train.shape, 2, rng);
 */
export function shiftAugment(batch: Batch, shape: readonly number[], maxShift: number, rng: Rng): void {
  if (shape.length !== 2 && shape.length !== 3) {
    throw new DistilleryError(
      'DATA_AUGMENT_SHAPE',
      `data.augment.shift needs image samples [H, W, C], got shape [${shape.join(', ')}]`,
      'set data.source.shape (e.g. [28, 28, 1]) or remove data.augment',
      'data.augment',
    );
  }
  const H = shape[0];
  const W = shape[1];
  const C = shape.length === 3 ? shape[2] : 1;
  const rs = W * C;
  const d = H * rs;
  const x = batch.x;
  for (let s = 0; s < batch.n; s++) {
    const dx = rng.int(-maxShift, maxShift);
    const dy = rng.int(-maxShift, maxShift);
    if (dx === 0 && dy === 0) continue;
    const base = s * d;
    if (Math.abs(dx) >= W || Math.abs(dy) >= H) {
      x.fill(0, base, base + d);
      continue;
    }
    const keep = (W - Math.abs(dx)) * C;
    const dstCol = dx > 0 ? dx * C : 0;
    const srcCol = dx < 0 ? -dx * C : 0;
    // Moving down, copy bottom-up (and top-down moving up) so no source row is overwritten
    // before it is read.
    const y0 = dy > 0 ? H - 1 : 0;
    const y1 = dy > 0 ? dy - 1 : H + dy;
    const step = dy > 0 ? -1 : 1;
    for (let y = y0; y !== y1; y += step) {
      const dst = base + y * rs;
      const src = base + (y - dy) * rs + srcCol;
      x.copyWithin(dst + dstCol, src, src + keep);
      if (dx > 0) x.fill(0, dst, dst + dstCol);
      else if (dx < 0) x.fill(0, dst + keep, dst + rs);
    }
    if (dy > 0) x.fill(0, base, base + dy * rs);
    else if (dy < 0) x.fill(0, base + (H + dy) * rs, base + d);
  }
}

/**
 * The augmentation a `data.augment` config asks for, or undefined for none.
 *
 * @example
 * const aug = augmentFrom({ shift: 2 }); // (batch, shape, rng) => shiftAugment(batch, shape, 2, rng)
 */
export function augmentFrom(cfg: { readonly shift?: number | undefined } | undefined): Augment | undefined {
  const shift = cfg?.shift ?? 0;
  if (shift <= 0) return undefined;
  return (batch, shape, rng) => shiftAugment(batch, shape, shift, rng);
}
