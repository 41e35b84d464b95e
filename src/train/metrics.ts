import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Dataset } from '../data/dataset.ts';
import { sampleSize, size } from '../data/dataset.ts';
import { DistilleryError } from '../core/errors.ts';
import { softmaxCrossEntropy } from './losses.ts';
import { resolveInputShape } from './input.ts';

/**
 * Number of rows whose arg-max equals the label, as an int32 scalar tensor.
 *
 * @example
 * correctCount(tf.tensor2d([[1, 2], [3, 0]]), tf.tensor1d([1, 1], 'int32')); // 1
 */
export function correctCount(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'int32')));
}

/**
 * Number of rows whose label is among the `k` largest logits (ties broken by position).
 *
 * @example
 * topKCount(tf.tensor2d([[1, 2, 3]]), tf.tensor1d([1], 'int32'), 2); // 1
 */
export function topKCount(logits: tf.Tensor2D, labels: tf.Tensor1D, k: number): tf.Scalar {
  return tf.tidy(() => {
    const kk = Math.min(k, logits.shape[1]);
    const { indices } = tf.topk(logits, kk);
    const hit = tf.equal(indices, tf.expandDims(labels, 1));
    return tf.sum(tf.cast(tf.any(hit, 1), 'int32'));
  });
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Samples per forward pass; default 256. */
  batchSize?: number;
  /** Per-sample shape fed to the model; default from the model (see resolveInputShape). */
  inputShape?: readonly number[] | undefined;
  /** Also count top-k hits for this k. */
  topK?: number | undefined;
}

/** Scores of a model on a data set. */
export interface EvalResult {
  /** Mean softmax cross-entropy. */
  loss: number;
  /** Fraction correct, in [0, 1]. */
  accuracy: number;
  /** Misclassified samples. */
  errors: number;
  /** Top-k accuracy, when `topK` was asked for. */
  topK?: number;
  n: number;
}

/**
 * Loss, accuracy and error count of `model` (which outputs logits) over all of `ds`, in
 * inference mode (Dropout off, BatchNorm on moving statistics), batched, freeing every tensor
 * it makes. Values are summed on the device and read once at the end.
 *
 * @example
 * const { accuracy, errors } = evaluate(model, testSet, { batchSize: 1000 });
 */
export function evaluate(model: LayersModel, ds: Dataset, opts: EvaluateOptions = {}): EvalResult {
  const n = size(ds);
  const bs = Math.max(1, Math.floor(opts.batchSize ?? 256));
  if (n === 0) {
    throw new DistilleryError('EVAL_EMPTY', 'cannot evaluate on an empty data set', 'check the data split (e.g. data.validation) leaves samples to evaluate on');
  }
  const shape = resolveInputShape(model, ds.shape, opts.inputShape);
  const d = sampleSize(ds);
  const k = opts.topK;
  let totals = tf.zeros([3]);
  for (let s = 0; s < n; s += bs) {
    const e = Math.min(n, s + bs);
    const next = tf.tidy(() => {
      const x = tf.tensor(ds.x.subarray(s * d, e * d), [e - s, ...shape], 'float32');
      const y = tf.tensor1d(ds.y.subarray(s, e), 'int32');
      const logits = model.apply(x, { training: false }) as tf.Tensor2D;
      const loss = tf.mul(softmaxCrossEntropy(logits, y), e - s);
      const correct = tf.cast(correctCount(logits, y), 'float32');
      const top = k ? tf.cast(topKCount(logits, y, k), 'float32') : tf.scalar(0);
      return tf.add(totals, tf.stack([loss, correct, top]));
    });
    totals.dispose();
    totals = next;
  }
  const [lossSum, correct, top] = totals.dataSync();
  totals.dispose();
  const result: EvalResult = { loss: lossSum / n, accuracy: correct / n, errors: n - Math.round(correct), n };
  if (k) result.topK = top / n;
  return result;
}
