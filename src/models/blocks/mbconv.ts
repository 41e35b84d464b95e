import * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { applyActivation, applyBatchNorm, call } from '../layers.ts';
import { activation, cfg, conv, depthwise, need3, pos, readAct, scalar, window } from './shared.ts';
import { defineBlock, type Resolved } from './types.ts';

const schema = z.strictObject({
  type: z.literal('mbconv'),
  filters: pos,
  expansion: pos.optional(),
  kernel: pos.optional(),
  stride: pos.optional(),
  se: z.number().min(0).max(1).optional(),
  activation: activation.optional(),
});
/** A resolved mbconv block. */
export type MbconvBlock = Resolved<z.infer<typeof schema>>;

/**
 * Units of the squeeze-excite bottleneck: `se` is a fraction of the expanded channels
 * (MobileNetV3's convention), rounded, at least 1; 0 when `se` is 0.
 *
 * @example
 * seUnits(96, 0.25); // 24
 */
export function seUnits(expandedChannels: number, se: number): number {
  return se > 0 ? Math.max(1, Math.round(expandedChannels * se)) : 0;
}

function resolveMbconv(b: z.infer<typeof schema>): MbconvBlock {
  return { type: 'mbconv', filters: b.filters, expansion: b.expansion ?? 6, kernel: b.kernel ?? 3, stride: b.stride ?? 1, se: b.se ?? 0, activation: b.activation ?? 'relu6' };
}

/**
 * `mbconv` (MobileNetV2 inverted residual): 1×1 expand + BN + act (skipped when expansion is
 * 1), depthwise k×k stride s + BN + act, optional squeeze-excite, 1×1 linear project + BN,
 * residual add when the stride is 1 and channels in == out. Defaults: expansion 6, kernel 3,
 * stride 1, se 0 (off), activation relu6; padding is always same and convs have no bias.
 */
export const mbconv = defineBlock({
  type: 'mbconv',
  schema,
  resolve: resolveMbconv,
  cost(b, s, path) {
    const [h, w, c] = need3(s, path, b.type);
    const e = c * b.expansion;
    const [ho, wo] = window(h, w, b.kernel, b.stride, 'same', path);
    const expand = b.expansion > 1 ? c * e : 0;
    const dw = b.kernel * b.kernel * e;
    const r = seUnits(e, b.se);
    const se = r > 0 ? 2 * e * r : 0;
    const project = e * b.filters;
    const bn = 4 * ((b.expansion > 1 ? e : 0) + e + b.filters);
    const seBias = r > 0 ? r + e : 0;
    return { out: [ho, wo, b.filters], params: expand + dw + se + project + bn + seBias, macs: h * w * expand + ho * wo * (dw + project) + se, kernel: expand + dw + se + project };
  },
  build(x, b, { prefix: p, inits }) {
    const cin = x.shape[3] as number;
    const e = cin * b.expansion;
    let y = x;
    if (b.expansion > 1) {
      y = conv(y, `${p}_expand`, e, 1, 1, 'same', false, 'linear', inits);
      y = applyBatchNorm(y, `${p}_expand_bn`);
      y = applyActivation(y, b.activation, `${p}_expand_act`);
    }
    y = depthwise(y, `${p}_dw`, b.kernel, b.stride, 'same', false, inits);
    y = applyBatchNorm(y, `${p}_dw_bn`);
    y = applyActivation(y, b.activation, `${p}_dw_act`);
    const r = seUnits(e, b.se);
    if (r > 0) {
      let s = call(tfl.layers.globalAveragePooling2d({ name: `${p}_se_pool` }), y);
      s = call(tfl.layers.dense({ name: `${p}_se_reduce`, units: r, activation: 'relu', kernelInitializer: inits.glorot() }), s);
      s = call(tfl.layers.dense({ name: `${p}_se_expand`, units: e, activation: 'sigmoid', kernelInitializer: inits.glorot() }), s);
      s = call(tfl.layers.reshape({ name: `${p}_se_reshape`, targetShape: [1, 1, e] }), s);
      // Multiply broadcasts [N,1,1,C] over [N,H,W,C] (same rank, so tfjs-layers needs no reshape).
      y = call(tfl.layers.multiply({ name: `${p}_se` }), [y, s]);
    }
    y = conv(y, `${p}_project`, b.filters, 1, 1, 'same', false, 'linear', inits);
    y = applyBatchNorm(y, `${p}_project_bn`);
    if (b.stride === 1 && cin === b.filters) y = call(tfl.layers.add({ name: `${p}_add` }), [x, y]);
    return y;
  },
  describe: (b) => `mbconv ${b.filters} k${b.kernel} s${b.stride} x${b.expansion}${b.se > 0 ? ` se${b.se}` : ''} ${b.activation}`,
  readback(g) {
    if (!g.has('project')) return undefined;
    const dw = cfg(g.get('dw'));
    const project = g.get('project');
    const e = (project.getWeights()[0]?.shape[2] ?? 0) as number;
    const expand = g.opt('expand');
    const cin = expand ? (expand.getWeights()[0]!.shape[2] as number) : e;
    const reduce = g.opt('se_reduce');
    return resolveMbconv({
      type: 'mbconv',
      filters: cfg(project)['filters'] as number,
      expansion: e / cin,
      kernel: scalar(dw['kernelSize']),
      stride: scalar(dw['strides']),
      se: reduce ? (cfg(reduce)['units'] as number) / e : 0,
      activation: readAct(g, expand ? 'expand_act' : 'dw_act'),
    });
  },
});
