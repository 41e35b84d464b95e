import * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { applyActivation, applyBatchNorm, call } from '../layers.ts';
import { activation, cfg, need3, padding, pos, readAct, scalar, window } from './shared.ts';
import { defineBlock, type Resolved } from './types.ts';

/**
 * The small image-era blocks that are one stock layer each (batchnorm, activation, pools,
 * globalavgpool, flatten, dropout): one file, one definition per kind.
 */

/** `batchnorm`: BatchNormalization over the channel axis. Layer: `bn`. */
export const batchnorm = defineBlock({
  type: 'batchnorm',
  schema: z.strictObject({ type: z.literal('batchnorm') }),
  resolve: (b) => ({ ...b }),
  cost: (_b, s) => ({ out: s, params: 4 * s[s.length - 1]!, macs: 0, kernel: 0 }),
  build: (x, _b, { prefix }) => applyBatchNorm(x, `${prefix}_bn`),
  describe: (b) => b.type,
  readback: (g) => (g.has('bn') ? { type: 'batchnorm' as const } : undefined),
});

/** `activation`: one activation function. Layer(s): `act` (hswish/hsigmoid add `act_gate*`). */
export const activationBlock = defineBlock({
  type: 'activation',
  schema: z.strictObject({ type: z.literal('activation'), fn: activation }),
  resolve: (b) => ({ ...b }),
  cost: (_b, s) => ({ out: s, params: 0, macs: 0, kernel: 0 }),
  // an explicit linear block still gets a layer, so that the block can be read back
  build: (x, b, { prefix: p }) => (b.fn === 'linear' ? call(tfl.layers.activation({ activation: 'linear', name: `${p}_act` }), x) : applyActivation(x, b.fn, `${p}_act`)),
  describe: (b) => `activation ${b.fn}`,
  readback: (g) => (g.has('act') ? { type: 'activation' as const, fn: readAct(g, 'act') } : undefined),
});

const poolOptions = { size: pos.optional(), stride: pos.optional(), padding: padding.optional() };

function pool<T extends 'maxpool' | 'avgpool'>(type: T) {
  const schema = z.strictObject({ type: z.literal(type), ...poolOptions });
  type B = Resolved<z.infer<typeof schema>>;
  return defineBlock({
    type,
    schema,
    resolve: (b): B => {
      const size = b.size ?? 2;
      return { type: b.type, size, stride: b.stride ?? size, padding: b.padding ?? 'valid' } as B;
    },
    cost(b: B, s: number[], path: string) {
      const [h, w, c] = need3(s, path, b.type);
      const [ho, wo] = window(h, w, b.size, b.stride, b.padding, path);
      return { out: [ho, wo, c], params: 0, macs: 0, kernel: 0 };
    },
    build: (x, b: B, { prefix: p }) =>
      call((type === 'maxpool' ? tfl.layers.maxPooling2d : tfl.layers.averagePooling2d)({ name: `${p}_${type}`, poolSize: b.size, strides: b.stride, padding: b.padding }), x),
    describe: (b: B) => `${b.type} ${b.size} s${b.stride} ${b.padding}`,
    readback(g): B | undefined {
      if (!g.has(type)) return undefined;
      const k = cfg(g.get(type));
      return { type, size: scalar(k['poolSize']), stride: scalar(k['strides']), padding: k['padding'] as 'same' | 'valid' } as B;
    },
  });
}

/** `maxpool`: size 2, stride = size, padding valid (the Keras convention). Layer: `maxpool`. */
export const maxpool = pool('maxpool');
/** `avgpool`: size 2, stride = size, padding valid. Layer: `avgpool`. */
export const avgpool = pool('avgpool');

/** `globalavgpool`: mean over H and W, [H, W, C] → [C]. Layer: `globalavgpool`. */
export const globalavgpool = defineBlock({
  type: 'globalavgpool',
  schema: z.strictObject({ type: z.literal('globalavgpool') }),
  resolve: (b) => ({ ...b }),
  cost(b, s, path) {
    const [, , c] = need3(s, path, b.type);
    return { out: [c], params: 0, macs: 0, kernel: 0 };
  },
  build: (x, _b, { prefix: p }) => call(tfl.layers.globalAveragePooling2d({ name: `${p}_globalavgpool` }), x),
  describe: (b) => b.type,
  readback: (g) => (g.has('globalavgpool') ? { type: 'globalavgpool' as const } : undefined),
});

/** `flatten`: any shape → [product]. Layer: `flatten`. */
export const flatten = defineBlock({
  type: 'flatten',
  schema: z.strictObject({ type: z.literal('flatten') }),
  resolve: (b) => ({ ...b }),
  cost: (_b, s) => ({ out: [s.reduce((a, d) => a * d, 1)], params: 0, macs: 0, kernel: 0 }),
  build: (x, _b, { prefix: p }) => call(tfl.layers.flatten({ name: `${p}_flatten` }), x),
  describe: (b) => b.type,
  readback: (g) => (g.has('flatten') ? { type: 'flatten' as const } : undefined),
});

/** `dropout`: rate in [0, 1). Layer: `dropout`. */
export const dropout = defineBlock({
  type: 'dropout',
  schema: z.strictObject({ type: z.literal('dropout'), rate: z.number().min(0).lt(1) }),
  resolve: (b) => ({ ...b }),
  cost: (_b, s) => ({ out: s, params: 0, macs: 0, kernel: 0 }),
  // No seed: tfjs-layers would redraw the same mask at every step from a fixed seed.
  build: (x, b, { prefix: p }) => call(tfl.layers.dropout({ name: `${p}_dropout`, rate: b.rate }), x),
  describe: (b) => `dropout ${b.rate}`,
  readback: (g) => (g.has('dropout') ? { type: 'dropout' as const, rate: cfg(g.get('dropout'))['rate'] as number } : undefined),
});
