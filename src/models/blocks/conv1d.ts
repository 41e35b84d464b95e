import * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { applyActivation, call, type Inits, isBuiltinActivation, type Sym } from '../layers.ts';
import { activation, cfg, depthwise, need2, padding, pos, readAct, scalar, window1, type ActivationName } from './shared.ts';
import { defineBlock, type Layer, type LayerGroup, type Resolved } from './types.ts';

const options = { filters: pos, kernel: pos.optional(), stride: pos.optional(), padding: padding.optional(), activation: activation.optional(), bias: z.boolean().optional() };
const conv1dSchema = z.strictObject({ type: z.literal('conv1d'), ...options });
const sep1dSchema = z.strictObject({ type: z.literal('sepconv1d'), ...options });
/** A resolved conv1d block. */
export type Conv1dBlock = Resolved<z.infer<typeof conv1dSchema>>;
/** A resolved sepconv1d block. */
export type Sepconv1dBlock = Resolved<z.infer<typeof sep1dSchema>>;

type Opts = Omit<Conv1dBlock, 'type'>;
const defaults = (b: z.infer<typeof conv1dSchema> | z.infer<typeof sep1dSchema>): Opts => ({
  filters: b.filters, kernel: b.kernel ?? 3, stride: b.stride ?? 1, padding: b.padding ?? 'same', activation: b.activation ?? 'relu', bias: b.bias ?? true,
});

function conv1dLayer(x: Sym, name: string, b: Opts, kernel: number, stride: number, inits: Inits): Sym {
  const fuse = isBuiltinActivation(b.activation) ? b.activation : 'linear';
  const y = call(tfl.layers.conv1d({ name, filters: b.filters, kernelSize: kernel, strides: stride, padding: b.padding, useBias: b.bias, activation: fuse, kernelInitializer: inits.glorot() }), x);
  return y;
}

function readOpts(g: LayerGroup, geometry: Layer, out: Layer): Opts {
  const k = cfg(geometry);
  return {
    filters: cfg(out)['filters'] as number,
    kernel: scalar(k['kernelSize']),
    stride: scalar(k['strides']),
    padding: k['padding'] as 'same' | 'valid',
    activation: readAct(g, 'act', out) as ActivationName,
    bias: cfg(out)['useBias'] as boolean,
  };
}

const describe = (b: Opts & { type: string }): string => `${b.type} ${b.filters} k${b.kernel} s${b.stride} ${b.padding} ${b.activation}${b.bias ? '' : ' nobias'}`;

/**
 * `conv1d`: a convolution over time on a sequence [L, C] → [L', filters], then the activation.
 * Defaults: kernel 3, stride 1, padding same, activation relu, bias true. Layers: `conv1d`, `act`.
 */
export const conv1d = defineBlock({
  type: 'conv1d',
  schema: conv1dSchema,
  resolve: (b): Conv1dBlock => ({ type: 'conv1d', ...defaults(b) }),
  cost(b, s, path) {
    const [l, c] = need2(s, path, b.type);
    const lo = window1(l, b.kernel, b.stride, b.padding, path);
    const kernel = b.kernel * c * b.filters;
    return { out: [lo, b.filters], params: kernel + (b.bias ? b.filters : 0), macs: lo * kernel, kernel };
  },
  build(x, b, { prefix: p, inits }) {
    const y = conv1dLayer(x, `${p}_conv1d`, b, b.kernel, b.stride, inits);
    return isBuiltinActivation(b.activation) ? y : applyActivation(y, b.activation, `${p}_act`);
  },
  describe: (b) => describe(b),
  readback: (g): Conv1dBlock | undefined => (g.has('conv1d') ? { type: 'conv1d', ...readOpts(g, g.get('conv1d'), g.get('conv1d')) } : undefined),
});

/**
 * `sepconv1d`: depthwise-separable convolution over time (as Keras' SeparableConv1D): a
 * per-channel k-tap filter, then a pointwise 1×1 conv to `filters`, then the activation; bias
 * on the pointwise conv only. Defaults as conv1d. Layers: `dw_in` (Reshape to [L, 1, C]),
 * `dw1d` (stock DepthwiseConv2D k×1), `dw_out` (Reshape back), `pw1d` (Conv1D 1), `act`.
 */
export const sepconv1d = defineBlock({
  type: 'sepconv1d',
  schema: sep1dSchema,
  resolve: (b): Sepconv1dBlock => ({ type: 'sepconv1d', ...defaults(b) }),
  cost(b, s, path) {
    const [l, c] = need2(s, path, b.type);
    const lo = window1(l, b.kernel, b.stride, b.padding, path);
    const dw = b.kernel * c;
    const pw = c * b.filters;
    return { out: [lo, b.filters], params: dw + pw + (b.bias ? b.filters : 0), macs: lo * (dw + pw), kernel: dw + pw };
  },
  build(x, b, { prefix: p, inits }) {
    const [l, c] = [x.shape[1] as number, x.shape[2] as number];
    let y = call(tfl.layers.reshape({ name: `${p}_dw_in`, targetShape: [l, 1, c] }), x);
    // stock DepthwiseConv2D with a k×1 window: tfjs-layers has no DepthwiseConv1D
    y = depthwise(y, `${p}_dw1d`, [b.kernel, 1], b.stride, b.padding, false, inits);
    const lo = y.shape[1] as number;
    y = call(tfl.layers.reshape({ name: `${p}_dw_out`, targetShape: [lo, c] }), y);
    y = conv1dLayer(y, `${p}_pw1d`, b, 1, 1, inits);
    return isBuiltinActivation(b.activation) ? y : applyActivation(y, b.activation, `${p}_act`);
  },
  describe: (b) => describe(b),
  readback: (g): Sepconv1dBlock | undefined => (g.has('dw1d') ? { type: 'sepconv1d', ...readOpts(g, g.get('dw1d'), g.get('pw1d')) } : undefined),
});
