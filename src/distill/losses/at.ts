import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { DistilleryError } from '../../core/errors.ts';
import type { LossTerm, LossTermKind } from '../types.ts';
import { featureOf, l2NormalizeRows, shapeText } from './common.ts';

/**
 * Options of `at`: the student and teacher feature maps (NHWC, same height and width; channel
 * counts may differ), the exponent p of the attention map, and beta (the authors' code: 1000).
 */
export const atOptionsSchema = z
  .object({
    student: z.string().min(1),
    teacher: z.string().min(1),
    p: z.number().positive().default(2),
    beta: z.number().min(0).default(1000),
  })
  .strict();

/** Validated options of {@link atTerm}. */
export type AtOptions = z.output<typeof atOptionsSchema>;

/**
 * Spatial attention map of an NHWC feature: the mean over channels of `|f|^p`, flattened
 * per sample and scaled to unit L2 norm. Result: [batch, height * width].
 *
 * @example
 * const a = attentionMap(tf.ones([2, 4, 4, 8]), 2); // every entry 1/4
 */
export function attentionMap(f: tf.Tensor4D, p: number): tf.Tensor2D {
  return tf.tidy(() => {
    const powered = p === 2 ? tf.square(f) : tf.pow(tf.abs(f), p);
    return l2NormalizeRows(tf.reshape(tf.mean(powered, 3), [f.shape[0], -1]) as tf.Tensor2D);
  });
}

/**
 * Attention transfer (Zagoruyko & Komodakis, ICLR 2017), in the form of the authors' code
 * (szagoruyko/attention-transfer): `beta / 2 * mean((at(s) - at(t))^2)`, the mean over batch
 * and positions. The paper's equation 2 writes `beta / 2 * || at(s) - at(t) ||_2` per sample
 * (a norm, not its square, and no mean over positions); the code's form is the one whose
 * beta = 1000 was tuned, so that is the one implemented.
 *
 * @example
 * const loss = atLoss(studentMap, teacherMap, 2, 1000);
 */
export function atLoss(student: tf.Tensor4D, teacher: tf.Tensor4D, p: number, beta: number): tf.Scalar {
  return tf.tidy(() => tf.mul(tf.mean(tf.squaredDifference(attentionMap(student, p), attentionMap(teacher, p))), beta / 2) as tf.Scalar);
}

/**
 * An attention transfer term between one student feature map and one teacher feature map;
 * add one term per pair of layers.
 *
 * @example
 * const at = atTerm({ student: 'b2', teacher: 'layer2', p: 2, beta: 1000 });
 */
export function atTerm(options: AtOptions): LossTerm {
  const { student, teacher } = options;
  return {
    name: 'at',
    needsTeacher: true,
    features: { student, teacher },
    compute(ctx) {
      const s = featureOf(ctx, 'student', student, 'at');
      const t = featureOf(ctx, 'teacher', teacher, 'at');
      if (s.rank !== 4 || t.rank !== 4 || s.shape[0] !== t.shape[0] || s.shape[1] !== t.shape[1] || s.shape[2] !== t.shape[2]) {
        throw new DistilleryError('LOSS_FEATURE_SHAPE',
          `loss term 'at': student feature '${student}' ${shapeText(s.shape)} and teacher feature '${teacher}' ${shapeText(t.shape)} must be NHWC maps of the same batch, height and width`,
          'pick a student layer and a teacher feature at the same spatial resolution (channel counts may differ)');
      }
      return atLoss(s as tf.Tensor4D, t as tf.Tensor4D, options.p, options.beta);
    },
  };
}

/** `at` as registered. */
export const atKind: LossTermKind<AtOptions> = { schema: atOptionsSchema, create: atTerm };
