/**
 * The geometry both wasm conv gradients (conv_filter.ts, conv_input.ts) work in: TF's own conv
 * arithmetic (backend_util: 'same' puts the extra pad at the bottom/right) unpacked into the
 * short names their loops use.
 */
import { backend_util } from '@tensorflow/tfjs-core';
import { assert } from '../../core/errors.ts';

type Dims4 = [number, number, number, number];

/** The attrs both Conv2D gradient kernels share (the input or filter shape comes apart). */
export interface ConvGradAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * A plain (not depthwise, not dilated) NHWC conv's sizes: batch `n`, input `h`×`w`×`ci`, output
 * `ho`×`wo`×`co`, filter `kh`×`kw`, strides, pads, and the im2col product's `k` = kh·kw·ci
 * (one entry per filter tap and input channel) by `r` = n·ho·wo (one per output pixel).
 */
export interface ConvGeometry {
  n: number; h: number; w: number; ci: number; ho: number; wo: number; co: number;
  kh: number; kw: number; sh: number; sw: number;
  padT: number; padB: number; padL: number; padR: number;
  k: number; r: number;
}

/**
 * The geometry of the forward conv of input `xShape` by `filterShape` that a gradient kernel
 * differentiates; NCHW is an internal error (tfjs-layers only asks for NHWC here).
 *
 * @example
 * const g = convGeometry([2, 28, 28, 1], [3, 3, 1, 32], { strides: 1, pad: 'same', dataFormat: 'NHWC' }, 'Conv2DBackpropFilter');
 * [g.k, g.r]; // [9, 1568]
 */
export function convGeometry(xShape: Dims4, filterShape: Dims4, attrs: ConvGradAttrs, kernelName: string): ConvGeometry {
  assert(attrs.dataFormat !== 'NCHW', () => `${kernelName} on wasm supports NHWC only`);
  const info = backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo: p } = info;
  return { n, h, w, ci, ho, wo, co, kh, kw, sh, sw, padT: p.top, padB: p.bottom, padL: p.left, padR: p.right, k: kh * kw * ci, r: n * ho * wo };
}
