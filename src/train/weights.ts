import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { assert } from '../core/errors.ts';
import type { WeightInfo } from './checkpoint.ts';

/**
 * Copies of all of `model.weights` (trainable and not, e.g. BatchNorm moving statistics).
 *
 * @example
 * const snapshot = readWeights(model); // later: writeWeights(model, snapshot)
 */
export function readWeights(model: LayersModel): Float32Array[] {
  return model.weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array));
}

/**
 * Put values back into `model.weights` exactly. Unlike `model.setWeights` this skips the
 * layers' constraints: max-norm's `norm / (eps + norm)` factor would nudge restored weights
 * by ~1e-7 and break bit-exact resume.
 *
 * @example
 * writeWeights(model, readWeights(other));
 */
export function writeWeights(model: LayersModel, values: readonly Float32Array[]): void {
  const ws = model.weights;
  assert(ws.length === values.length, () => `writeWeights: model has ${ws.length} weights, got ${values.length}`);
  tf.tidy(() => {
    ws.forEach((w, i) => {
      const v = w.read() as tf.Variable;
      assert(v.size === values[i].length, () => `writeWeights: ${w.name} has ${v.size} values, got ${values[i].length}`);
      v.assign(tf.tensor(values[i], v.shape, 'float32'));
    });
  });
}

/** Names and shapes of `model.weights`, for checkpoint manifests. */
export function weightInfo(model: LayersModel): WeightInfo[] {
  return model.weights.map((w) => ({ name: w.originalName, shape: [...(w.shape as number[])] }));
}
