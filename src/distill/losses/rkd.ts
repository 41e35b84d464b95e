import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { LossContext, LossTerm, LossTermKind } from '../types.ts';
import { DistilleryError } from '../../core/errors.ts';
import { featureOf, flattenSamples, l2NormalizeRows, shapeText, smoothL1Mean, teacherLogitsOf } from './common.ts';

/**
 * Options of `rkd`: the weights of the distance-wise and angle-wise terms (25 and 50 by
 * default, the weights of mdistiller's RKD reference), and optionally a student and a teacher feature
 * to relate instead of the logits (flattened per sample; their widths may differ).
 */
export const rkdOptionsSchema = z
  .object({
    student: z.string().min(1).optional(),
    teacher: z.string().min(1).optional(),
    distance: z.number().min(0).default(25),
    angle: z.number().min(0).default(50),
  })
  .strict()
  .refine((o) => (o.student === undefined) === (o.teacher === undefined), {
    message: 'give both student and teacher feature names, or neither (to use the logits)',
    path: ['teacher'],
  });

/** Validated options of {@link rkdTerm}. */
export type RkdOptions = z.output<typeof rkdOptionsSchema>;

// Clamp of squared distances before the square root, as the authors' pdist: keeps the
// gradient finite for coincident samples.
const EPS = 1e-12;

/**
 * Euclidean distances between the rows of `e` [n, d], with a zero diagonal, divided by their
 * mean over the n(n-1) pairs: RKD's scale-free distance potential. Differences are taken
 * directly (not from the Gram matrix) so float32 keeps small distances accurate.
 *
 * @example
 * const d = normalizedDistances(tf.tensor2d([[0, 0], [3, 4]])); // [[0, 1], [1, 0]]
 */
export function normalizedDistances(e: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const n = e.shape[0];
    const sq = tf.sum(tf.square(tf.sub(tf.expandDims(e, 0), tf.expandDims(e, 1))), 2);
    const offDiagonal = tf.sub(1, tf.eye(n));
    const d = tf.mul(tf.sqrt(tf.maximum(sq, EPS)), offDiagonal);
    // Off-diagonal distances are >= sqrt(EPS) > 0, so the authors' mean over d > 0 is a mean
    // over all n(n-1) pairs.
    return tf.div(d, tf.div(tf.sum(d), n * (n - 1))) as tf.Tensor2D;
  });
}

/**
 * Cosines of the angles each triplet forms: entry [i, j, k] is the cosine between e_j - e_i
 * and e_k - e_i (0 when j or k is i). Shape [n, n, n].
 *
 * @example
 * const a = tripletCosines(tf.tensor2d([[0, 0], [1, 0], [0, 1]])); // a[0][1][2] = 0
 */
export function tripletCosines(e: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const unit = l2NormalizeRows(tf.sub(tf.expandDims(e, 0), tf.expandDims(e, 1))) as tf.Tensor3D;
    return tf.matMul(unit, unit, false, true);
  });
}

/**
 * Relational KD (Park et al., CVPR 2019) on embeddings [n, d] (student and teacher widths may
 * differ): `distance * smoothL1(dist(s), dist(t)) + angle * smoothL1(cos(s), cos(t))`, both
 * smooth-L1 terms averaged over all entries, as in the authors' code. A batch of one sample
 * has no pairs and gives 0.
 *
 * @example
 * const loss = rkdLoss(studentEmb, teacherEmb, 25, 50);
 */
export function rkdLoss(student: tf.Tensor2D, teacher: tf.Tensor2D, distance: number, angle: number): tf.Scalar {
  return tf.tidy(() => {
    // Multiplying by zero keeps the result on the gradient tape.
    if (student.shape[0] < 2) return tf.mul(tf.sum(student), 0) as tf.Scalar;
    let loss = tf.scalar(0);
    if (distance > 0) loss = tf.add(loss, tf.mul(smoothL1Mean(normalizedDistances(student), normalizedDistances(teacher)), distance));
    if (angle > 0) loss = tf.add(loss, tf.mul(smoothL1Mean(tripletCosines(student), tripletCosines(teacher)), angle));
    return loss;
  });
}

/**
 * A relational KD term on the logits or on a named pair of features.
 *
 * @example
 * const rkd = rkdTerm({ distance: 25, angle: 50 });               // logits
 * const rkdF = rkdTerm({ student: 'pool', teacher: 'avgpool', distance: 25, angle: 50 });
 */
export function rkdTerm(options: RkdOptions): LossTerm {
  const { student, teacher } = options;
  const named = student !== undefined && teacher !== undefined;
  const embeddings = (ctx: LossContext): [tf.Tensor2D, tf.Tensor2D] => {
    if (!named) return [ctx.studentLogits, teacherLogitsOf(ctx, 'rkd')];
    const s = featureOf(ctx, 'student', student, 'rkd');
    const t = featureOf(ctx, 'teacher', teacher, 'rkd');
    if (s.rank < 2 || t.rank < 2 || s.shape[0] !== t.shape[0]) {
      throw new DistilleryError('LOSS_FEATURE_SHAPE',
        `loss term 'rkd': student feature '${student}' ${shapeText(s.shape)} and teacher feature '${teacher}' ${shapeText(t.shape)} must have the same batch size`,
        'name features computed on the same batch; their widths may differ');
    }
    return [flattenSamples(s), flattenSamples(t)];
  };
  return {
    name: 'rkd',
    needsTeacher: true,
    ...(named ? { features: { student, teacher } } : {}),
    compute(ctx) {
      return tf.tidy(() => {
        const [s, t] = embeddings(ctx);
        return rkdLoss(s, t, options.distance, options.angle);
      });
    },
  };
}

/** `rkd` as registered. */
export const rkdKind: LossTermKind<RkdOptions> = { schema: rkdOptionsSchema, create: rkdTerm };
