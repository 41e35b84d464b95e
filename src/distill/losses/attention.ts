import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { DistilleryError } from '../../core/errors.ts';
import type { LossTerm, LossTermKind } from '../types.ts';
import { featureOf, shapeText } from './common.ts';
import { layerPairOptions } from './layer-map.ts';

/**
 * Options of `attention`: a student and a teacher transformer's attention maps (`b<i>.attention`,
 * [batch, heads, length, length]), or `layers: uniform`; `heads` says how heads are matched when
 * the counts differ.
 */
export const attentionOptionsSchema = layerPairOptions({
  /**
   * `map` (default): head i to head i when the counts are equal, else the side with more heads
   * averaged in consecutive groups down to the other's count (which must divide it); `mean`: each
   * side's heads averaged into one map.
   */
  heads: z.enum(['map', 'mean']).default('map'),
});

/** Validated options of {@link attentionTerm}. */
export type AttentionOptions = z.output<typeof attentionOptionsSchema>;

/** Averages groups of `k` consecutive heads: [N, H, L, L] -> [N, H / k, L, L]. */
function groupHeads(a: tf.Tensor4D, k: number): tf.Tensor4D {
  if (k === 1) return a;
  const [n, h, l, l2] = a.shape;
  return tf.mean(tf.reshape(a, [n, h / k, k, l, l2]), 2) as tf.Tensor4D;
}

/**
 * TinyBERT's attention loss (Jiao et al. 2020, eq. 7) on attention probabilities: the mean
 * squared difference between the student's and the teacher's maps of matched heads, over the
 * (query, key) pairs where both are tokens (`tokenMask`; padding keys get probability 0 on both
 * sides, and a padding query's row is read by nothing). TinyBERT's code compares the scores
 * before the softmax (with masked entries set to 0); probabilities are bounded and do not depend
 * on a temperature, so their squared differences stay on one scale across layers and models.
 *
 * @example
 * const loss = attentionLoss(s, t, 'map', mask); // s [8, 2, 64, 64], t [8, 4, 64, 64]: teacher heads averaged in pairs
 */
export function attentionLoss(s: tf.Tensor4D, t: tf.Tensor4D, heads: 'map' | 'mean', mask?: tf.Tensor2D, names = { student: 'student', teacher: 'teacher' }): tf.Scalar {
  if (s.shape[0] !== t.shape[0] || s.shape[2] !== t.shape[2] || s.shape[3] !== t.shape[3]) {
    throw new DistilleryError('LOSS_FEATURE_SHAPE', `loss term 'attention': student maps '${names.student}' ${shapeText(s.shape)} and teacher maps '${names.teacher}' ${shapeText(t.shape)} differ in batch or length`,
      'attention maps compare token positions: give teacher and student the same tokenizer and maxLength');
  }
  const hs = s.shape[1];
  const ht = t.shape[1];
  if (heads === 'map' && Math.max(hs, ht) % Math.min(hs, ht) !== 0) {
    throw new DistilleryError('LOSS_FEATURE_SHAPE', `loss term 'attention': the student's ${hs} heads ('${names.student}') and the teacher's ${ht} ('${names.teacher}') cannot be matched in groups`,
      "use heads: mean (each side's heads averaged), or head counts where one divides the other");
  }
  return tf.tidy(() => {
    const a = heads === 'mean' ? groupHeads(s, hs) : groupHeads(s, hs / Math.min(hs, ht));
    const b = heads === 'mean' ? groupHeads(t, ht) : groupHeads(t, ht / Math.min(hs, ht));
    const sq = tf.squaredDifference(a, b);
    if (!mask) return tf.mean(sq) as tf.Scalar;
    const m = tf.expandDims(mask, 1); // [N, 1, L]
    const pairs = tf.mul(tf.expandDims(m, 3), tf.expandDims(m, 2)); // [N, 1, L, L]: query and key both tokens
    const count = tf.mul(tf.maximum(tf.sum(pairs), 1), a.shape[1]);
    return tf.div(tf.sum(tf.mul(sq, pairs)), count) as tf.Scalar;
  });
}

/**
 * A TinyBERT attention term between one student and one teacher transformer layer (see
 * {@link attentionLoss}); `layers: uniform` is expanded into one term per mapped pair.
 *
 * @example
 * const a = attentionTerm({ student: 'b1.attention', teacher: 'b2.attention', heads: 'map' });
 */
export function attentionTerm(options: AttentionOptions): LossTerm {
  const student = options.student!;
  const teacher = options.teacher!;
  return {
    name: 'attention',
    needsTeacher: true,
    features: { student, teacher },
    compute(ctx) {
      const s = featureOf(ctx, 'student', student, 'attention');
      const t = featureOf(ctx, 'teacher', teacher, 'attention');
      if (s.rank !== 4 || t.rank !== 4) {
        throw new DistilleryError('LOSS_FEATURE_SHAPE', `loss term 'attention': '${student}' ${shapeText(s.shape)} and '${teacher}' ${shapeText(t.shape)} must be attention maps [batch, heads, length, length]`,
          'name a transformer block\'s maps as b<i>.attention');
      }
      return attentionLoss(s as tf.Tensor4D, t as tf.Tensor4D, options.heads, ctx.tokenMask, { student, teacher });
    },
  };
}

/** `attention` as registered. */
export const attentionKind: LossTermKind<AttentionOptions> = { schema: attentionOptionsSchema, create: attentionTerm };
