import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { LossContext, LossTermKind } from '../types.ts';
import { HintTerm } from './hint.ts';
import { layerPairOptions } from './layer-map.ts';

/**
 * Options of `hidden`: a student and a teacher feature (`b<i>`: a block's output, [batch, length,
 * width]), or `layers: uniform` for every transformer layer and the embedding, mapped as
 * TinyBERT does (see `mapLayers`). Channel counts and seed as `hint`'s.
 */
export const hiddenOptionsSchema = layerPairOptions({
  studentChannels: z.number().int().positive().optional(),
  teacherChannels: z.number().int().positive().optional(),
  /** Seed of the projection's initial weights; `createLoss` fills it when absent. */
  seed: z.number().int().min(0).optional(),
});

/** Validated options of {@link HiddenTerm}. */
export type HiddenOptions = z.output<typeof hiddenOptionsSchema>;

/**
 * TinyBERT's hidden-state loss (Jiao et al. 2020, eq. 8): `MSE(H_S W_h, H_T)`, the student's
 * hidden states [batch, length, d_S] through a learned projection `W_h` [d_S, d_T] (with a bias)
 * against the teacher's. Unlike TinyBERT's code, which averages over every position, the mean is
 * over token positions only when the batch has a token mask: a padding position's state is
 * computed but read by nothing (attention and pooling skip it), so matching it teaches nothing.
 * The projection trains with the student (it is in {@link variables}) and is dropped after.
 *
 * @example
 * const h = new HiddenTerm({ student: 'b2', teacher: 'b4' });
 * h.compute({ ...ctx, tokenMask }); // ctx.studentFeatures.b2 [N, L, 32], ctx.teacherFeatures.b4 [N, L, 64]
 */
export class HiddenTerm extends HintTerm {
  override readonly name: string = 'hidden';

  constructor(options: HiddenOptions) {
    super({ ...options, student: options.student!, teacher: options.teacher! });
  }

  override compute(ctx: LossContext): tf.Scalar {
    return tf.tidy(() => {
      const { y, t } = this.pair(ctx, 'hidden');
      const m = ctx.tokenMask;
      if (!m || t.rank !== 3 || m.shape[0] !== t.shape[0] || m.shape[1] !== t.shape[1]) return tf.mean(tf.squaredDifference(y, t)) as tf.Scalar;
      const sq = tf.sum(tf.squaredDifference(y, t), -1); // [N, L]
      const tokens = tf.maximum(tf.sum(m), 1);
      return tf.div(tf.sum(tf.mul(sq, m)), tf.mul(tokens, t.shape[2]!)) as tf.Scalar;
    });
  }
}

/** `hidden` as registered. */
export const hiddenKind: LossTermKind<HiddenOptions> = { schema: hiddenOptionsSchema, create: (o) => new HiddenTerm(o) };
