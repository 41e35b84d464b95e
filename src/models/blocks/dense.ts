import * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { DistilleryError } from '../../core/errors.ts';
import { applyActivation, call, isBuiltinActivation } from '../layers.ts';
import { activation, cfg, pos, readAct } from './shared.ts';
import { defineBlock, type Resolved } from './types.ts';

const schema = z.strictObject({
  type: z.literal('dense'),
  units: pos,
  activation: activation.optional(),
  bias: z.boolean().optional(),
  /** Max-norm constraint: each unit's incoming weight vector is rescaled to L2 norm <= this after every step (Hinton et al. 2012). */
  maxNorm: z.number().positive().optional(),
});
/** A resolved dense block (`maxNorm` stays absent when off). */
export type DenseBlock = Resolved<z.infer<typeof schema>, 'maxNorm'>;

function resolveDense(b: z.infer<typeof schema>): DenseBlock {
  return { type: 'dense', units: b.units, activation: b.activation ?? 'linear', bias: b.bias ?? true, ...(b.maxNorm !== undefined ? { maxNorm: b.maxNorm } : {}) };
}

/** `dense`: a fully connected layer on a flat input. Defaults: activation linear, bias true. Layers: `dense`, `act`. */
export const dense = defineBlock({
  type: 'dense',
  schema,
  resolve: resolveDense,
  cost(b, s, path) {
    if (s.length !== 1) {
      throw new DistilleryError(
        'MODEL_SHAPE',
        `${path} (dense) needs a flat input but gets [${s.join(', ')}]`,
        s.length === 2 ? `insert { type: seqpool } or { type: flatten } before ${path}` : `insert { type: flatten } or { type: globalavgpool } before ${path}`,
        path,
      );
    }
    const kernel = s[0]! * b.units;
    return { out: [b.units], params: kernel + (b.bias ? b.units : 0), macs: kernel, kernel };
  },
  build(x, b, { prefix: p, inits }) {
    const fuse = isBuiltinActivation(b.activation) ? b.activation : 'linear';
    // maxNorm over axis 0: the incoming weights of each unit (kernel is [in, units])
    const constraint = b.maxNorm !== undefined ? { kernelConstraint: tfl.constraints.maxNorm({ maxValue: b.maxNorm, axis: 0 }) } : {};
    const y = call(tfl.layers.dense({ name: `${p}_dense`, units: b.units, useBias: b.bias, activation: fuse, kernelInitializer: inits.glorot(), ...constraint }), x);
    return fuse === 'linear' ? applyActivation(y, b.activation, `${p}_act`) : y;
  },
  describe: (b) => `dense ${b.units} ${b.activation}${b.bias ? '' : ' nobias'}${b.maxNorm !== undefined ? ` maxnorm ${b.maxNorm}` : ''}`,
  readback(g) {
    if (!g.has('dense')) return undefined;
    const d = g.get('dense');
    const k = cfg(d);
    const c = k['kernelConstraint'] as { className?: string; config?: { maxValue?: number } } | null | undefined;
    const maxNorm = c?.className === 'MaxNorm' ? c.config?.maxValue : undefined;
    return resolveDense({ type: 'dense', units: k['units'] as number, activation: readAct(g, 'act', d), bias: k['useBias'] as boolean, ...(maxNorm !== undefined ? { maxNorm } : {}) });
  },
});
