import { z } from 'zod';
import { call } from '../layers.ts';
import { DistilleryMaskedPool1D } from '../text-layers.ts';
import { cfg, need2, needTokenLength } from './shared.ts';
import { defineBlock } from './types.ts';

/** A resolved seqpool block. */
export interface SeqpoolBlock {
  type: 'seqpool';
  mode: 'avg' | 'max';
}

/**
 * `seqpool`: global pooling over time of a sequence [L, C] → [C] that skips padding (the mask
 * is `ids != 0` of the model's token input): `avg` (default) or `max`. Layer: `seqpool`
 * (DistilleryMaskedPool1D, inputs [x, ids]).
 */
export const seqpool = defineBlock({
  type: 'seqpool',
  schema: z.strictObject({ type: z.literal('seqpool'), mode: z.enum(['avg', 'max']).optional() }),
  resolve: (b): SeqpoolBlock => ({ type: 'seqpool', mode: b.mode ?? 'avg' }),
  cost(b, s, path, ctx) {
    const [l, c] = need2(s, path, b.type);
    needTokenLength(l, ctx.tokenLength, path, b.type);
    return { out: [c], params: 0, macs: 0, kernel: 0 };
  },
  build: (x, b, { prefix: p, modelInput }) => call(new DistilleryMaskedPool1D({ name: `${p}_seqpool`, mode: b.mode }), [x, modelInput]),
  describe: (b) => `seqpool ${b.mode}`,
  readback: (g): SeqpoolBlock | undefined => (g.has('seqpool') ? { type: 'seqpool', mode: cfg(g.get('seqpool'))['mode'] as 'avg' | 'max' } : undefined),
});
