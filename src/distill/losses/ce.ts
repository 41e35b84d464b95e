import { z } from 'zod';
import { softmaxCrossEntropy } from '../../train/losses.ts';
import type { LossTerm, LossTermKind } from '../types.ts';

/** Options of `ce`: label smoothing `s` turns the target into `(1 - s) * onehot + s / classes`. */
export const ceOptionsSchema = z
  .object({
    labelSmoothing: z.number().min(0).lt(1).default(0),
  })
  .strict();

/** Validated options of {@link ceTerm}. */
export type CeOptions = z.output<typeof ceOptionsSchema>;

/**
 * Cross-entropy on the hard labels (the student's usual loss), averaged over the batch.
 *
 * @example
 * const ce = ceTerm({ labelSmoothing: 0.1 });
 * const loss = ce.compute({ studentLogits, labels });
 */
export function ceTerm(options: CeOptions): LossTerm {
  return {
    name: 'ce',
    needsTeacher: false,
    compute: (ctx) => softmaxCrossEntropy(ctx.studentLogits, ctx.labels, options.labelSmoothing),
  };
}

/** `ce` as registered. */
export const ceKind: LossTermKind<CeOptions> = { schema: ceOptionsSchema, create: ceTerm };
