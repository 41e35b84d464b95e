/**
 * SpecAugment (Park et al. 2019) inside the model: time and frequency masks on the front-end's
 * log-mel/MFCC map, after the features and before the network, in training steps only. The
 * masks live in the trainer's forward pass, not in the data, because the data are raw audio:
 * the front-end is the model's first layer.
 *
 * A masked cell takes the mean of its own map (not 0: the log-mel of silence is far below 0,
 * so a zero run would be a loud band). Each step's masks come from a seed the trainer's
 * augmentation stream draws (see {@link armSpecAugment}), so a resumed run masks exactly as an
 * unbroken one. Nothing is saved: model.json, the weights and the ONNX export are those of an
 * unmasked model, and an online teacher (another model) sees unmasked features.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import { specAugment } from '../data/audio/augment.ts';
import type { SpecAugmentConfig } from '../data/config.ts';
import { DistilleryFrontEnd } from './audio-layers.ts';

/** The masks a `data.augment.specAugment` value asks for (`true`: the defaults). */
export const SPEC_AUGMENT_DEFAULTS: SpecAugmentConfig = { timeMasks: 2, timeWidth: 12, freqMasks: 2, freqWidth: 9 };

/** What {@link armSpecAugment} returns: set the next step's seed, or take the masks off. */
export interface SpecAugmentArm {
  /** The seed of the masks of the next training forward pass (every call in a step gets the same masks). */
  step(seed: number): void;
  /** Take the masks off the model's front-end again. */
  disarm(): void;
}

const KEY = 'data.augment.specAugment';

/**
 * Arm the front-end of `model` (its `logmel`/`mfcc` layer) with SpecAugment's masks for
 * training calls. `samples` is the clip length the model is trained on (it fixes the map's
 * frames). Throws CONFIG_INVALID naming the key when the model has no front-end or a width is
 * larger than the map.
 *
 * @example
 * const arm = armSpecAugment(model, { timeMasks: 2, timeWidth: 12, freqMasks: 2, freqWidth: 9 }, 16000, 1);
 * await fit(model, train, { ...opts, augment: (b, rng) => arm.step(rng.int(0, 0x7fffffff)) });
 */
export function armSpecAugment(model: tfl.LayersModel, cfg: SpecAugmentConfig | true, samples: number, seed: number): SpecAugmentArm {
  const c = cfg === true ? SPEC_AUGMENT_DEFAULTS : cfg;
  const fronts = model.layers.filter((l): l is DistilleryFrontEnd => l instanceof DistilleryFrontEnd);
  if (fronts.length === 0) {
    throw new DistilleryError('CONFIG_INVALID', `${KEY}: masks the features of an audio front-end, and model ${model.name} has none`, 'start model.blocks with { type: logmel } or { type: mfcc }, or remove data.augment.specAugment', KEY);
  }
  for (const [k, v] of Object.entries(c)) {
    if (!Number.isInteger(v) || v < 0) throw new DistilleryError('CONFIG_INVALID', `${KEY}.${k}: expected a whole number >= 0, got ${v}`, 'give counts and widths as whole numbers, e.g. { timeMasks: 2, timeWidth: 12, freqMasks: 2, freqWidth: 9 }', `${KEY}.${k}`);
  }
  const [, frames, bins] = fronts[0]!.computeOutputShape([null, samples]) as number[];
  if (c.timeWidth > frames!) {
    throw new DistilleryError('CONFIG_INVALID', `${KEY}.timeWidth: ${c.timeWidth} frames is wider than the map (${frames} frames of ${samples} samples)`, `give at most ${frames}; about a tenth of the frames is usual`, `${KEY}.timeWidth`);
  }
  if (c.freqWidth > bins!) {
    throw new DistilleryError('CONFIG_INVALID', `${KEY}.freqWidth: ${c.freqWidth} bins is wider than the map (${bins} bins)`, `give at most ${bins}; about a quarter of the bins is usual`, `${KEY}.freqWidth`);
  }
  let stepSeed = seed >>> 0;
  const mask = (y: tf.Tensor4D): tf.Tensor4D => {
    const [n, t, f] = y.shape;
    const keep = new Float32Array(n * t * f).fill(1);
    specAugment(keep, n, t, f, { ...c, value: 0 }, new Rng(stepSeed));
    const k = tf.tensor4d(keep, [n, t, f, 1]);
    const mean = tf.mean(y, [1, 2, 3], true);
    // keep·y + (1 − keep)·mean: masked cells take their own map's mean
    return tf.add(tf.mul(y, k), tf.mul(tf.sub(1, k), mean)) as tf.Tensor4D;
  };
  for (const l of fronts) l.trainingMask = mask;
  return {
    step: (s) => {
      stepSeed = s >>> 0;
    },
    disarm: () => {
      for (const l of fronts) if (l.trainingMask === mask) l.trainingMask = undefined;
    },
  };
}

/**
 * The SpecAugment part of a training step's `augment` hook for `data.augment.specAugment`, or
 * undefined when it is absent or asks for no masks: arms `model` (see {@link armSpecAugment}) and
 * returns a function that seeds the next step's masks with one draw from the step's rng (the
 * trainer's per-epoch augmentation stream, so a resumed run masks as an unbroken one).
 *
 * @example
 * const mask = specAugmentStep(model, config.data.augment?.specAugment, 16000);
 * await fit(model, train, { ...opts, augment: (b, rng) => { timeShiftAndNoise(b, rng); mask?.(rng); } });
 */
export function specAugmentStep(model: tfl.LayersModel, cfg: SpecAugmentConfig | undefined, samples: number): ((rng: Rng) => void) | undefined {
  if (!cfg || cfg.timeMasks + cfg.freqMasks === 0) return undefined;
  const arm = armSpecAugment(model, cfg, samples, 0);
  return (rng) => arm.step(Math.floor(rng.next() * 0x100000000));
}
