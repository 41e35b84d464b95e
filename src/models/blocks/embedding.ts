import * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { DistilleryError } from '../../core/errors.ts';
import { call } from '../layers.ts';
import { DistilleryPositions } from '../text-layers.ts';
import { cfg, pos } from './shared.ts';
import { defineBlock } from './types.ts';

const schema = z.strictObject({
  type: z.literal('embedding'),
  /** Width of each token's vector. */
  dim: pos,
  /** Vocabulary size; default: the spec's `input.vocabSize`, else the data's tokenizer. */
  vocabSize: pos.optional(),
  /** Position vectors added to the token vectors: `learned` (default), `sinusoidal` or `none` (order-blind, e.g. before pooling only). */
  positions: z.enum(['learned', 'sinusoidal', 'none']).optional(),
});
/** A resolved embedding block. */
export interface EmbeddingBlock {
  type: 'embedding';
  dim: number;
  vocabSize: number;
  positions: 'learned' | 'sinusoidal' | 'none';
}

/**
 * `embedding`: token ids [L] → vectors [L, dim], plus positions. The first block of a text
 * model (it reads the int32 ids; id 0 is padding). Params: vocabSize·dim (+ L·dim learned
 * positions). MACs: 0 (a lookup). Layers: `embed` (stock Embedding), `pos` (DistilleryPositions).
 */
export const embedding = defineBlock({
  type: 'embedding',
  schema,
  takesTokens: true,
  resolve(b, ctx): EmbeddingBlock {
    const vocabSize = b.vocabSize ?? ctx.vocabSize;
    if (vocabSize === undefined) {
      throw new DistilleryError('MODEL_VOCAB_MISSING', `${ctx.where}.vocabSize is not set and no tokenizer gives it`, `set ${ctx.where}.vocabSize or the model's input: { kind: tokens, length, vocabSize }`, `${ctx.where}.vocabSize`);
    }
    return { type: 'embedding', dim: b.dim, vocabSize, positions: b.positions ?? 'learned' };
  },
  cost(b, s, path) {
    if (s.length !== 1) {
      throw new DistilleryError('MODEL_SHAPE', `${path} (embedding) needs token ids [length] but gets [${s.join(', ')}]`, 'give the model input: { kind: tokens, length: N }', path);
    }
    const l = s[0]!;
    const table = b.vocabSize * b.dim;
    const params = table + (b.positions === 'learned' ? l * b.dim : 0);
    return { out: [l, b.dim], params, macs: 0, kernel: table };
  },
  build(x, b, { prefix: p, inits }) {
    // N(0, 0.02) as BERT: glorot over a large vocabulary gives tiny vectors
    let y = call(tfl.layers.embedding({ name: `${p}_embed`, inputDim: b.vocabSize, outputDim: b.dim, embeddingsInitializer: tfl.initializers.randomNormal({ stddev: 0.02, seed: inits.next() }) }), x);
    if (b.positions !== 'none') y = call(new DistilleryPositions({ name: `${p}_pos`, mode: b.positions, length: x.shape[1] as number, dim: b.dim, seed: inits.next() }), y);
    return y;
  },
  describe: (b) => `embedding ${b.dim} vocab ${b.vocabSize} ${b.positions} positions`,
  readback(g): EmbeddingBlock | undefined {
    if (!g.has('embed')) return undefined;
    const e = cfg(g.get('embed'));
    const p = g.opt('pos');
    return { type: 'embedding', dim: e['outputDim'] as number, vocabSize: e['inputDim'] as number, positions: p ? (cfg(p)['mode'] as 'learned' | 'sinusoidal') : 'none' };
  },
});
