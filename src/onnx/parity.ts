import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { openOnnx } from '../runtime/index.ts';
import { argmaxRows, concatF32, onnxLogits } from './run.ts';

/**
 * Largest |onnx - tfjs| of the logits we accept as "the same model": float32 kernels differ in
 * summation order and fused multiply-adds, which moves logits by ~1e-6 to 1e-5, never 1e-4.
 */
export const PARITY_TOLERANCE = 1e-4;

/** How an exported ONNX model's outputs compare with the TF.js model it came from. */
export interface ParityReport {
  /** Samples compared (the whole labelled test set when known). */
  samples: number;
  /** Largest absolute difference over every logit of every sample. */
  maxAbsDiff: number;
  /** Share of samples whose predicted class is the same in both runtimes. */
  classAgreement: number;
  /** Samples whose predicted class differs. */
  classDiffers: number;
  /** maxAbsDiff within {@link PARITY_TOLERANCE} and every class the same. */
  ok: boolean;
}

/**
 * The logits of a TF.js model over sample-major inputs, in batches (so a 10,000-image test set
 * never sits in one tensor).
 *
 * @example
 * const logits = tfLogits(model, test.x, [28, 28, 1]);
 */
export function tfLogits(model: tfl.LayersModel, x: Float32Array, shape: readonly number[], batch = 1000): Float32Array {
  const d = shape.reduce((a, b) => a * b, 1);
  const n = x.length / d;
  const parts: Float32Array[] = [];
  for (let s = 0; s < n; s += batch) {
    const e = Math.min(n, s + batch);
    const y = tf.tidy(() => model.predict(tf.tensor(x.subarray(s * d, e * d), [e - s, ...shape])) as tf.Tensor);
    parts.push(y.dataSync() as Float32Array);
    y.dispose();
  }
  return concatF32(parts);
}

/**
 * The largest absolute difference between two arrays of the same length.
 *
 * @example
 * maxAbsDiff(new Float32Array([1, 2]), new Float32Array([1, 2.5])); // 0.5
 */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = d; // NaN counts as the worst difference
  }
  return m;
}

/**
 * Runs the fp32 ONNX export in onnxruntime-node and the TF.js model on the same samples and
 * compares every logit and every predicted class: the proof that the file the user ships
 * computes what was trained.
 *
 * `ref`: the TF.js logits of `x` when the caller has them already (a text export compares
 * them with the raw-text run too), so the TF.js model runs once.
 *
 * @example
 * const p = await onnxParity(model, await exportOnnx(model), test.x, [28, 28, 1]);
 * p.ok; // true: max |diff| <= 1e-4 and the same class for every sample
 */
export async function onnxParity(model: tfl.LayersModel, onnxBytes: Uint8Array, x: Float32Array, shape: readonly number[], ref = tfLogits(model, x, shape)): Promise<ParityReport> {
  const session = await openOnnx('parity', { bytes: onnxBytes });
  let ours: Float32Array;
  try {
    ours = await onnxLogits(session, x, shape);
  } finally {
    await session.release();
  }
  const classes = ref.length / (x.length / shape.reduce((a, b) => a * b, 1));
  const a = argmaxRows(ours, classes);
  const b = argmaxRows(ref, classes);
  let differ = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differ++;
  const diff = ours.length === ref.length ? maxAbsDiff(ours, ref) : Infinity;
  return { samples: a.length, maxAbsDiff: diff, classAgreement: a.length ? 1 - differ / a.length : 1, classDiffers: differ, ok: diff <= PARITY_TOLERANCE && differ === 0 };
}
