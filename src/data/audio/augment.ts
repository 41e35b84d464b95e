import type { Rng } from '../../core/rng.ts';
import type { Batch } from '../batch.ts';

/**
 * Shift each clip of a batch in time, in place, by its own random whole number of samples in
 * [-maxShift, maxShift]; samples shifted in are 0 (the `time_shift_ms` of TensorFlow's Speech
 * Commands pipeline, there ±100 ms). Clips are `samples` long, sample-major in `batch.x`.
 *
 * @example
 * timeShift(batch, 16000, 1600, rng); // ±100 ms at 16 kHz
 */
export function timeShift(batch: Batch, samples: number, maxShift: number, rng: Rng): void {
  const x = batch.x;
  for (let s = 0; s < batch.n; s++) {
    const k = rng.int(-maxShift, maxShift);
    if (k === 0) continue;
    const base = s * samples;
    if (Math.abs(k) >= samples) {
      x.fill(0, base, base + samples);
    } else if (k > 0) {
      x.copyWithin(base + k, base, base + samples - k);
      x.fill(0, base, base + k);
    } else {
      x.copyWithin(base, base - k, base + samples);
      x.fill(0, base + samples + k, base + samples);
    }
  }
}

/** How {@link mixNoise} draws: the chance a clip gets noise, and the SNR range in dB. */
export interface NoiseOptions {
  readonly probability: number;
  readonly snr: readonly [number, number];
}

/**
 * Mix background noise into each clip of a batch, in place, with probability
 * `opts.probability`: a random stretch of a random recording of `noise`, scaled so that the
 * clip's signal-to-noise ratio is a uniform draw from `opts.snr` dB (power ratio
 * 10^(snr/10)). A clip with no signal (all but silent: mean power < 1e-10) has no SNR and is
 * left as it is; silence clips already hold noise.
 *
 * @example
 * mixNoise(batch, 16000, data.noise, { probability: 0.8, snr: [0, 20] }, rng);
 */
export function mixNoise(batch: Batch, samples: number, noise: readonly Float32Array[], opts: NoiseOptions, rng: Rng): void {
  if (noise.length === 0) return;
  const x = batch.x;
  for (let s = 0; s < batch.n; s++) {
    // Draw every number for every clip, used or not, so a clip's noise does not depend on
    // whether an earlier clip got any.
    const use = rng.next() < opts.probability;
    const src = noise[rng.int(0, noise.length - 1)];
    const start = src.length > samples ? rng.int(0, src.length - samples) : 0;
    const snr = opts.snr[0] + rng.next() * (opts.snr[1] - opts.snr[0]);
    if (!use) continue;
    const base = s * samples;
    const n = Math.min(samples, src.length);
    let ps = 0;
    let pn = 0;
    for (let i = 0; i < samples; i++) ps += x[base + i] * x[base + i];
    for (let i = 0; i < n; i++) pn += src[start + i] * src[start + i];
    ps /= samples;
    pn /= samples;
    if (ps < 1e-10 || pn === 0) continue;
    const scale = Math.sqrt(ps / (pn * 10 ** (snr / 10)));
    for (let i = 0; i < n; i++) x[base + i] += scale * src[start + i];
  }
}

/** SpecAugment's masks: how many of each kind, and the widest one (in frames / bins). */
export interface SpecAugmentOptions {
  readonly timeMasks: number;
  readonly timeWidth: number;
  readonly freqMasks: number;
  readonly freqWidth: number;
  /** What masked cells become; 0 (the mean of normalised features) by default. */
  readonly value?: number;
}

/**
 * SpecAugment's time and frequency masks (Park et al. 2019), in place, on a batch of feature
 * maps [n, frames, bins] (frame-major, as the front-end returns them): each map gets
 * `timeMasks` runs of w ~ U{0..timeWidth} whole frames and `freqMasks` runs of
 * w ~ U{0..freqWidth} whole bins set to `value`, each at a uniform start. Time warping, the
 * paper's third part, is left out: its ablation shows it matters least.
 *
 * @example
 * specAugment(feats, n, 98, 40, { timeMasks: 2, timeWidth: 10, freqMasks: 2, freqWidth: 5 }, rng);
 */
export function specAugment(x: Float32Array, n: number, frames: number, bins: number, opts: SpecAugmentOptions, rng: Rng): void {
  const v = opts.value ?? 0;
  const d = frames * bins;
  for (let s = 0; s < n; s++) {
    const base = s * d;
    for (let m = 0; m < opts.freqMasks; m++) {
      const w = rng.int(0, Math.min(opts.freqWidth, bins));
      const f0 = rng.int(0, bins - w);
      for (let t = 0; t < frames; t++) x.fill(v, base + t * bins + f0, base + t * bins + f0 + w);
    }
    for (let m = 0; m < opts.timeMasks; m++) {
      const w = rng.int(0, Math.min(opts.timeWidth, frames));
      const t0 = rng.int(0, frames - w);
      x.fill(v, base + t0 * bins, base + (t0 + w) * bins);
    }
  }
}
