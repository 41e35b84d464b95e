import { z } from 'zod';
import { DistilleryError } from '../../core/errors.ts';
import { call } from '../layers.ts';
import { DistilleryTransformerEncoder } from '../text-layers.ts';
import { cfg, need2, needTokenLength, pos } from './shared.ts';
import { defineBlock } from './types.ts';

const schema = z.strictObject({
  type: z.literal('transformer'),
  /** Attention heads; the width must be a multiple of it. */
  heads: pos.optional(),
  /** Feed-forward width; default 4 × the model width (BERT's ratio). */
  ffDim: pos.optional(),
  /** Layer norm before each sublayer (`pre`, stable without warm-up) or after the residual (`post`, BERT's). */
  norm: z.enum(['pre', 'post']).optional(),
  activation: z.enum(['relu', 'gelu']).optional(),
  /** Dropout on each sublayer's output during training. */
  dropout: z.number().min(0).lt(1).optional(),
});
/** A resolved transformer block (ffDim 0 means 4 × the width, known once the input is). */
export interface TransformerBlock {
  type: 'transformer';
  heads: number;
  ffDim: number;
  norm: 'pre' | 'post';
  activation: 'relu' | 'gelu';
  dropout: number;
}

/** The feed-forward width: `ffDim`, or 4 × the width when it is 0. */
export function ffWidth(b: TransformerBlock, width: number): number {
  return b.ffDim > 0 ? b.ffDim : 4 * width;
}

/**
 * `transformer`: one encoder layer on a sequence [L, D] → [L, D]: multi-head self-attention
 * with the padding mask, a feed-forward of width ffDim, residuals and layer norms. Defaults:
 * heads 2, ffDim 4·D, norm pre, activation gelu, dropout 0. Params: 4(D²+D) attention,
 * 2DF+F+D feed-forward, 4D layer norms. MACs at length L: 4LD² projections + 2L²D scores and
 * weighted sum + 2LDF feed-forward. Layer: `transformer` (DistilleryTransformerEncoder).
 */
export const transformer = defineBlock({
  type: 'transformer',
  schema,
  resolve: (b): TransformerBlock => ({ type: 'transformer', heads: b.heads ?? 2, ffDim: b.ffDim ?? 0, norm: b.norm ?? 'pre', activation: b.activation ?? 'gelu', dropout: b.dropout ?? 0 }),
  cost(b, s, path, ctx) {
    const [l, d] = need2(s, path, b.type);
    needTokenLength(l, ctx.tokenLength, path, b.type);
    if (d % b.heads !== 0) throw new DistilleryError('MODEL_SHAPE', `${path} (transformer): width ${d} is not a multiple of ${b.heads} heads`, `set ${path}.heads to a divisor of ${d}`, path);
    const f = ffWidth(b, d);
    const kernel = 4 * d * d + 2 * d * f;
    const params = kernel + 4 * d + f + d + 4 * d;
    return { out: [l, d], params, macs: l * kernel + 2 * l * l * d, kernel };
  },
  build(x, b, { prefix: p, inits, modelInput }) {
    const d = x.shape[2] as number;
    const layer = new DistilleryTransformerEncoder({ name: `${p}_transformer`, heads: b.heads, ffDim: ffWidth(b, d), norm: b.norm, activation: b.activation, dropout: b.dropout, seed: inits.next() });
    return call(layer, [x, modelInput]);
  },
  describe: (b) => `transformer h${b.heads} ff${b.ffDim > 0 ? b.ffDim : '4x'} ${b.norm}-norm ${b.activation}${b.dropout > 0 ? ` dropout ${b.dropout}` : ''}`,
  readback(g): TransformerBlock | undefined {
    if (!g.has('transformer')) return undefined;
    const c = cfg(g.get('transformer'));
    const d = (g.get('transformer').getWeights()[0]?.shape[0] ?? 0) as number;
    const ff = c['ffDim'] as number;
    return { type: 'transformer', heads: c['heads'] as number, ffDim: ff === 4 * d ? 0 : ff, norm: c['norm'] as 'pre' | 'post', activation: c['activation'] as 'relu' | 'gelu', dropout: c['dropout'] as number };
  },
});
