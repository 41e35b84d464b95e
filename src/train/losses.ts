import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../data/batch.ts';

/**
 * One batch as the trainer gathered (and augmented) it, with where its samples sit in the
 * training set: what `beforeStep` sees, e.g. to run an online teacher on the same augmented
 * pixels the student gets.
 */
export interface StepBatch extends Batch {
  /** Index of each sample in the training Dataset. */
  readonly indices: Int32Array;
  /** 0-based epoch and global step. */
  readonly epoch: number;
  readonly step: number;
}

/**
 * What a loss sees besides logits and labels: the batch (so a distillation loss can look up
 * cached teacher logits by `indices`), the input tensor as fed to the model, and the outputs
 * of the layers named in `FitOptions.features`. Tensors are valid only during the step.
 */
export interface TrainBatch extends StepBatch {
  /** The model input for this batch, already reshaped; owned by the step. */
  readonly input: tf.Tensor;
  /** Outputs of the layers named in `FitOptions.features`, by layer name (training mode); `{}` when none. */
  readonly features: Readonly<Record<string, tf.Tensor>>;
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
