import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError } from '../../core/errors.ts';
import type { LossContext } from '../types.ts';

/**
 * The teacher's logits, or one clear error naming the term that wanted them.
 *
 * @example
 * const t = teacherLogitsOf(ctx, 'kd');
 */
export function teacherLogitsOf(ctx: LossContext, term: string): tf.Tensor2D {
  if (!ctx.teacherLogits) {
    throw new DistilleryError('LOSS_NEEDS_TEACHER', `loss term '${term}' needs teacher logits, and this run has no teacher`,
      `add a teacher to the config, or drop '${term}' from the loss (use 'ce' to train on labels alone)`);
  }
  const s = ctx.studentLogits.shape;
  const t = ctx.teacherLogits.shape;
  if (s[0] !== t[0] || s[1] !== t[1]) {
    throw new DistilleryError('LOSS_SHAPE_MISMATCH', `loss term '${term}': student logits [${s.join(', ')}] and teacher logits [${t.join(', ')}] differ`,
      'the teacher and the student must predict the same classes for the same batch');
  }
  return ctx.teacherLogits;
}

/**
 * A named feature of the student or the teacher, or an error listing the names that are there.
 *
 * @example
 * const f = featureOf(ctx, 'student', 'block3', 'at');
 */
export function featureOf(ctx: LossContext, side: 'student' | 'teacher', name: string, term: string): tf.Tensor {
  const all = side === 'student' ? ctx.studentFeatures : ctx.teacherFeatures;
  const f = all?.[name];
  if (!f) {
    const known = Object.keys(all ?? {});
    throw new DistilleryError('LOSS_FEATURE_MISSING', `loss term '${term}': no ${side} feature '${name}' in this batch (got: ${known.join(', ') || 'none'})`,
      side === 'student' ? `name a layer or block of the student model (see blockOutputNames)` : `name a feature the teacher gives (its featureNames)`);
  }
  return f;
}

/**
 * A shape as messages print it.
 *
 * @example
 * shapeText([8, 4, 4, 16]); // '[8, 4, 4, 16]'
 */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Checks that two features agree on every axis but the last (batch and, for images, height and
 * width), as attention maps and 1x1 adapters need.
 *
 * @example
 * checkLeadingAxes(s, t, 'at', 'student b2', 'teacher layer3');
 */
export function checkLeadingAxes(s: tf.Tensor, t: tf.Tensor, term: string, sName: string, tName: string): void {
  const a = s.shape.slice(0, -1);
  const b = t.shape.slice(0, -1);
  if (s.rank < 2 || a.length !== b.length || a.some((v, i) => v !== b[i])) {
    throw new DistilleryError('LOSS_FEATURE_SHAPE',
      `loss term '${term}': student feature '${sName}' ${shapeText(s.shape)} and teacher feature '${tName}' ${shapeText(t.shape)} must match on every axis but channels`,
      'pick a student layer and a teacher feature with the same batch and spatial size (NHWC), e.g. the outputs of stages at the same stride');
  }
}

/**
 * Rows scaled to unit L2 norm, `x / max(||x||, eps)` as PyTorch's `F.normalize`. The norm is
 * taken as `sqrt(max(sum x^2, eps^2))` so that an all-zero row has a zero gradient rather than
 * the NaN that the derivative of sqrt at 0 gives.
 *
 * @example
 * const unit = l2NormalizeRows(tf.tensor2d([[3, 4]])); // [[0.6, 0.8]]
 */
export function l2NormalizeRows<T extends tf.Tensor>(x: T, eps = 1e-12): T {
  return tf.tidy(() => {
    const sq = tf.sum(tf.square(x), -1, true);
    return tf.div(x, tf.sqrt(tf.maximum(sq, eps * eps))) as T;
  });
}

/**
 * Mean smooth-L1 (Huber with delta 1) of `a - b`, as PyTorch's `F.smooth_l1_loss` with its
 * default beta of 1: `0.5 d^2` where `|d| < 1`, else `|d| - 0.5`.
 *
 * @example
 * smoothL1Mean(tf.tensor1d([0, 2]), tf.tensor1d([0.5, 0])); // (0.125 + 1.5) / 2
 */
export function smoothL1Mean(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    // 0.5 m^2 + (|d| - m) with m = min(|d|, 1) is the same piecewise function written without
    // a comparison on the tape (TF.js has no gradient for Less/where's condition).
    const ad = tf.abs(tf.sub(a, b));
    const m = tf.minimum(ad, 1);
    return tf.mean(tf.add(tf.mul(tf.square(m), 0.5), tf.sub(ad, m))) as tf.Scalar;
  });
}

/**
 * Features as [batch, rest]: NHWC maps flattened per sample.
 *
 * @example
 * flattenSamples(tf.zeros([8, 4, 4, 16])).shape; // [8, 256]
 */
export function flattenSamples(x: tf.Tensor): tf.Tensor2D {
  return x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [x.shape[0], -1]);
}
