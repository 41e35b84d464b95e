import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../data/batch.ts';

/**
 * What a loss sees besides logits and labels: the batch as gathered (plus where its samples
 * sit in the training set, so a distillation loss can look up cached teacher logits) and the
 * input tensor as fed to the model (valid only during the step).
 */
export interface TrainBatch extends Batch {
  /** Index of each sample in the training Dataset. */
  readonly indices: Int32Array;
  /** The model input for this batch, already reshaped; owned by the step. */
  readonly input: tf.Tensor;
  /** 0-based epoch and global step. */
  readonly epoch: number;
  readonly step: number;
}

/**
 * A training loss: logits [n, classes] and int32 labels [n] to a scalar. Runs inside the
 * gradient tape, so every op must be differentiable with respect to the logits.
 */
export type LossFn = (logits: tf.Tensor2D, labels: tf.Tensor1D, batch: TrainBatch) => tf.Scalar;

/**
 * Mean softmax cross-entropy of logits against integer labels, with optional label smoothing
 * (targets `(1 - s) * onehot + s / classes`, as in PyTorch and Szegedy et al. 2016).
 *
 * @example
 * const loss = softmaxCrossEntropy(logits, tf.tensor1d([3, 1], 'int32'), 0.1);
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, labelSmoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[1];
    const onehot = tf.oneHot(labels, classes);
    return tf.losses.softmaxCrossEntropy(onehot, logits, undefined, labelSmoothing, tf.Reduction.MEAN) as tf.Scalar;
  });
}

/** The default loss of {@link fit}: cross-entropy with the given label smoothing. */
export function crossEntropyLoss(labelSmoothing = 0): LossFn {
  return (logits, labels) => softmaxCrossEntropy(logits, labels, labelSmoothing);
}
