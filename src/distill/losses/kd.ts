import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { LossTerm, LossTermKind } from '../types.ts';
import { teacherLogitsOf } from './common.ts';

/** Options of `kd`: the softmax temperature (Hinton et al. used 20 on MNIST; 4 is common on CIFAR). */
export const kdOptionsSchema = z
  .object({
    T: z.number().positive().default(4),
  })
  .strict();

/** Validated options of {@link kdTerm}. */
export type KdOptions = z.output<typeof kdOptionsSchema>;

/**
 * `KL(softmax(t/T) || softmax(s/T)) * T^2`, summed over classes and averaged over the batch.
 * The teacher's distribution is the target: swapping the arguments gives a different loss
 * whose gradient pulls the teacher towards the student. The `T^2` keeps the soft gradients'
 * size independent of T (they scale as 1/T^2), as Hinton et al. 2015 §2 prescribe, so the
 * weight against `ce` means the same at any temperature.
 *
 * @example
 * const loss = kdLoss(studentLogits, teacherLogits, 4);
 */
export function kdLoss(student: tf.Tensor2D, teacher: tf.Tensor2D, T: number): tf.Scalar {
  return tf.tidy(() => {
    const logPs = tf.logSoftmax(tf.div(student, T));
    // log-probabilities on both sides so that a vanishing teacher probability contributes
    // exactly 0 instead of 0 * log 0.
    const logPt = tf.logSoftmax(tf.div(teacher, T));
    const kl = tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)));
    return tf.mul(kl, (T * T) / student.shape[0]) as tf.Scalar;
  });
}

/**
 * Hinton et al. 2015 knowledge distillation on the teacher's softened logits.
 *
 * @example
 * const kd = kdTerm({ T: 20 });
 * const loss = kd.compute({ studentLogits, teacherLogits, labels });
 */
export function kdTerm(options: KdOptions): LossTerm {
  return {
    name: 'kd',
    needsTeacher: true,
    compute: (ctx) => kdLoss(ctx.studentLogits, teacherLogitsOf(ctx, 'kd'), options.T),
  };
}

/** `kd` as registered. */
export const kdKind: LossTermKind<KdOptions> = { schema: kdOptionsSchema, create: kdTerm };
