import { z } from 'zod';
import { activation, cfg, convBnAct, need3, padding, pos, readAct, scalar, window, type ActivationName } from './shared.ts';
import { defineBlock, type LayerGroup, type Layer, type Resolved } from './types.ts';

/** conv2d and sepconv take the same options; only their batchNorm default differs. */
export const convOptions = {
  filters: pos,
  kernel: pos.optional(),
  stride: pos.optional(),
  padding: padding.optional(),
  activation: activation.optional(),
  batchNorm: z.boolean().optional(),
  bias: z.boolean().optional(),
};

const schema = z.strictObject({ type: z.literal('conv2d'), ...convOptions });
/** A resolved conv2d block. */
export type Conv2dBlock = Resolved<z.infer<typeof schema>>;

/** Defaults shared by conv2d and sepconv: kernel 3, stride 1, same, relu, bias = !batchNorm. */
export function resolveConv<T extends 'conv2d' | 'sepconv'>(type: T, b: z.infer<typeof schema> | { type: T } & Omit<z.infer<typeof schema>, 'type'>, bnDefault: boolean): Omit<Conv2dBlock, 'type'> & { type: T } {
  const batchNorm = b.batchNorm ?? bnDefault;
  return { type, filters: b.filters, kernel: b.kernel ?? 3, stride: b.stride ?? 1, padding: b.padding ?? 'same', activation: b.activation ?? 'relu', batchNorm, bias: b.bias ?? !batchNorm };
}

/** Reads a conv2d/sepconv back: geometry from `geometry`, filters and fused activation from `out`. */
export function readConv(g: LayerGroup, geometry: Layer, out: Layer, batchNorm: boolean): Omit<Conv2dBlock, 'type'> {
  const k = cfg(geometry);
  return {
    filters: cfg(out)['filters'] as number,
    kernel: scalar(k['kernelSize']),
    stride: scalar(k['strides']),
    padding: k['padding'] as 'same' | 'valid',
    activation: readAct(g, 'act', out) as ActivationName,
    batchNorm,
    bias: k['useBias'] as boolean,
  };
}

/** Convenience string shared by conv2d and sepconv. */
export function describeConv(b: Omit<Conv2dBlock, 'type'> & { type: string }): string {
  return `${b.type} ${b.filters} k${b.kernel} s${b.stride} ${b.padding} ${b.activation}${b.batchNorm ? ' bn' : ''}${b.bias ? '' : ' nobias'}`;
}

/**
 * `conv2d`: a k×k convolution → [BN] → activation. Defaults: kernel 3, stride 1, padding same,
 * activation relu, batchNorm false, bias = !batchNorm. Layers: `conv`, `bn`, `act`.
 */
export const conv2d = defineBlock({
  type: 'conv2d',
  schema,
  resolve: (b): Conv2dBlock => resolveConv('conv2d', b, false),
  cost(b, s, path) {
    const [h, w, c] = need3(s, path, b.type);
    const [ho, wo] = window(h, w, b.kernel, b.stride, b.padding, path);
    const kernel = b.kernel * b.kernel * c * b.filters;
    const params = kernel + (b.bias ? b.filters : 0) + (b.batchNorm ? 4 * b.filters : 0);
    return { out: [ho, wo, b.filters], params, macs: ho * wo * kernel, kernel };
  },
  build: (x, b, { prefix: p, inits }) => convBnAct(x, p, 'conv', b, inits, `${p}_act`),
  describe: (b) => describeConv(b),
  readback: (g) => (g.has('conv') ? { type: 'conv2d' as const, ...readConv(g, g.get('conv'), g.get('conv'), g.has('bn')) } : undefined),
});
