import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { LossTerm, LossTermKind } from '../types.ts';
import { teacherLogitsOf } from './common.ts';

/**
 * Options of `dkd`, defaults from Zhao et al. 2022's CIFAR-100 setting (alpha 1, beta 8, T 4).
 * The authors also ramp the term in linearly over the first 20 epochs; that belongs to the
 * term's weight schedule, not to the term.
 */
export const dkdOptionsSchema = z
  .object({
    alpha: z.number().min(0).default(1),
    beta: z.number().min(0).default(8),
    T: z.number().positive().default(4),
  })
  .strict();

/** Validated options of {@link dkdTerm}. */
export type DkdOptions = z.output<typeof dkdOptionsSchema>;

// The paper's own code masks the target class out with a -1000 logit shift (exp underflows to
// exactly 0 in float32); kept so the numbers match it.
const MASK_SHIFT = 1000;

/**
 * Decoupled KD (Zhao et al., CVPR 2022): `alpha * TCKD + beta * NCKD`, each a KL divergence
 * times `T^2`, averaged over the batch. TCKD compares the binary (target, all others)
 * probabilities of teacher and student; NCKD compares their distributions over the non-target
 * classes alone. The binary log-probabilities are taken from log-sum-exps rather than as
 * `log(sum of probabilities)`, which is the same value but stays finite when a student is very
 * sure.
 *
 * @example
 * const loss = dkdLoss(studentLogits, teacherLogits, labels, { alpha: 1, beta: 8, T: 4 });
 */
export function dkdLoss(student: tf.Tensor2D, teacher: tf.Tensor2D, labels: tf.Tensor1D, o: DkdOptions): tf.Scalar {
  return tf.tidy(() => {
    const [n, classes] = student.shape;
    const gt = tf.cast(tf.oneHot(tf.cast(labels, 'int32'), classes), 'float32');
    const shift = tf.mul(gt, MASK_SHIFT);
    // [n, 2]: log p(target), log p(not target)
    const binaryLogProbs = (z: tf.Tensor2D) => {
      const all = tf.logSumExp(z, 1, true);
      const target = tf.sum(tf.mul(z, gt), 1, true);
      const rest = tf.logSumExp(tf.sub(z, shift), 1, true);
      return tf.sub(tf.concat([target, rest], 1), all);
    };
    const kl = (logP: tf.Tensor, logQ: tf.Tensor) => tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)));
    const zs = tf.div(student, o.T) as tf.Tensor2D;
    const zt = tf.div(teacher, o.T) as tf.Tensor2D;
    const tckd = kl(binaryLogProbs(zt), binaryLogProbs(zs));
    const nckd = kl(tf.logSoftmax(tf.sub(zt, shift)), tf.logSoftmax(tf.sub(zs, shift)));
    const total = tf.add(tf.mul(tckd, o.alpha), tf.mul(nckd, o.beta));
    return tf.mul(total, (o.T * o.T) / n) as tf.Scalar;
  });
}

/**
 * Decoupled knowledge distillation: needs the teacher's logits and the hard labels.
 *
 * @example
 * const dkd = dkdTerm({ alpha: 1, beta: 8, T: 4 });
 * const loss = dkd.compute({ studentLogits, teacherLogits, labels });
 */
export function dkdTerm(options: DkdOptions): LossTerm {
  return {
    name: 'dkd',
    needsTeacher: true,
    compute: (ctx) => dkdLoss(ctx.studentLogits, teacherLogitsOf(ctx, 'dkd'), ctx.labels, options),
  };
}

/** `dkd` as registered. */
export const dkdKind: LossTermKind<DkdOptions> = { schema: dkdOptionsSchema, create: dkdTerm };
