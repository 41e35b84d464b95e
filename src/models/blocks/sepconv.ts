import { z } from 'zod';
import { applyActivation, applyBatchNorm } from '../layers.ts';
import { convOptions, describeConv, readConv, resolveConv } from './conv2d.ts';
import { convBnAct, depthwise, need3, window } from './shared.ts';
import { defineBlock, type Resolved } from './types.ts';

const schema = z.strictObject({ type: z.literal('sepconv'), ...convOptions });
/** A resolved sepconv block. */
export type SepconvBlock = Resolved<z.infer<typeof schema>>;

/**
 * `sepconv` (MobileNetV1): depthwise k×k stride s → BN → act → pointwise 1×1 → BN → act.
 * Defaults: kernel 3, stride 1, padding same, activation relu, batchNorm true, bias = !batchNorm.
 * Layers: `dw`, `dw_bn`, `dw_act`, `pw`, `pw_bn`, `act`.
 */
export const sepconv = defineBlock({
  type: 'sepconv',
  schema,
  resolve: (b): SepconvBlock => resolveConv('sepconv', b, true),
  cost(b, s, path) {
    const [h, w, c] = need3(s, path, b.type);
    const [ho, wo] = window(h, w, b.kernel, b.stride, b.padding, path);
    const dw = b.kernel * b.kernel * c;
    const pw = c * b.filters;
    const extra = (b.bias ? c + b.filters : 0) + (b.batchNorm ? 4 * (c + b.filters) : 0);
    return { out: [ho, wo, b.filters], params: dw + pw + extra, macs: ho * wo * (dw + pw), kernel: dw + pw };
  },
  build(x, b, { prefix: p, inits }) {
    let y = depthwise(x, `${p}_dw`, b.kernel, b.stride, b.padding, b.bias, inits);
    if (b.batchNorm) y = applyBatchNorm(y, `${p}_dw_bn`);
    y = applyActivation(y, b.activation, `${p}_dw_act`);
    return convBnAct(y, p, 'pw', { ...b, kernel: 1, stride: 1, padding: 'same' }, inits, `${p}_act`);
  },
  describe: (b) => describeConv(b),
  readback: (g) => (g.has('dw') && g.has('pw') ? { type: 'sepconv' as const, ...readConv(g, g.get('dw'), g.get('pw'), g.has('dw_bn')) } : undefined),
});
