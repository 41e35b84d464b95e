/**
 * Depthwise convolution gradients for the wasm backend (stock 4.22 registers neither, so
 * MobileNet-style blocks cannot train). Tight loops over the heap: the work is
 * O(output pixels * taps * channels), as small as the forward pass, and the innermost loop
 * runs over contiguous channels.
 */
import { backend_util, DepthwiseConv2dNativeBackpropFilter, DepthwiseConv2dNativeBackpropInput } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { asWasm, f32, runKernel, zeros } from './heap.ts';

interface DepthwiseAttrs {
  strides: number | [number, number];
  dilations: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape?: [number, number, number, number];
  filterShape?: [number, number, number, number];
}

type Args = { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: NamedAttrMap };

function geometry(xShape: [number, number, number, number], wShape: [number, number, number, number], attrs: DepthwiseAttrs) {
  const info = backend_util.computeConv2DInfo(xShape, wShape, attrs.strides, attrs.dilations, attrs.pad,
    attrs.dimRoundingMode, true, 'channelsLast');
  return {
    n: info.batchSize, h: info.inHeight, w: info.inWidth, c: info.inChannels, ho: info.outHeight, wo: info.outWidth,
    m: wShape[3], kh: info.filterHeight, kw: info.filterWidth, sh: info.strideHeight, sw: info.strideWidth,
    dh: info.dilationHeight, dw: info.dilationWidth, padT: info.padInfo.top, padL: info.padInfo.left,
  };
}

function backpropInput(args: Args): TensorInfo {
  const backend = asWasm(args.backend);
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs as unknown as DepthwiseAttrs;
  const g = geometry(attrs.inputShape!, filter.shape as [number, number, number, number], attrs);
  const info = backend_util.computeConv2DInfo(attrs.inputShape!, filter.shape as [number, number, number, number],
    attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, true, 'channelsLast');
  const pads = [g.kh - 1 - g.padT, g.kh - 1 - info.padInfo.bottom, g.kw - 1 - g.padL, g.kw - 1 - info.padInfo.right];
  if (g.m === 1 && g.sh === 1 && g.sw === 1 && g.dh === 1 && g.dw === 1 && pads.every((p) => p >= 0)) {
    // Stride 1, one filter per channel: dx is dy convolved with the spatially flipped filter,
    // which XNNPACK's depthwise forward runs ~10x faster than the loop below.
    const flipped = runKernel('Reverse', { x: filter }, { dims: [0, 1] }, args.backend);
    const dx = runKernel('DepthwiseConv2dNative', { x: dy, filter: flipped }, {
      strides: 1, dilations: 1, dimRoundingMode: undefined, pad: [[0, 0], [pads[0], pads[1]], [pads[2], pads[3]], [0, 0]],
    }, args.backend);
    backend.disposeData(flipped.dataId);
    return dx;
  }
  const dx = zeros(backend, [...attrs.inputShape!]);
  const dys = f32(backend, dy);
  const ws = f32(backend, filter);
  const dxs = f32(backend, dx);
  // Scatter form: each output pixel pushes its gradient back through every tap it read.
  forEachTap(g, (dyBase, xBase, wBase) => {
    if (g.m === 1) {
      for (let c = 0; c < g.c; c++) dxs[xBase + c] += dys[dyBase + c]! * ws[wBase + c]!;
      return;
    }
    for (let c = 0; c < g.c; c++) {
      let acc = 0;
      for (let q = 0; q < g.m; q++) acc += dys[dyBase + c * g.m + q]! * ws[wBase + c * g.m + q]!;
      dxs[xBase + c] += acc;
    }
  });
  return dx;
}

function backpropFilter(args: Args): TensorInfo {
  const backend = asWasm(args.backend);
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as DepthwiseAttrs;
  const g = geometry(x.shape as [number, number, number, number], attrs.filterShape!, attrs);
  const dw = zeros(backend, [...attrs.filterShape!]);
  const xs = f32(backend, x);
  const dys = f32(backend, dy);
  const dws = f32(backend, dw);
  forEachTap(g, (dyBase, xBase, wBase) => {
    if (g.m === 1) {
      for (let c = 0; c < g.c; c++) dws[wBase + c] += xs[xBase + c]! * dys[dyBase + c]!;
      return;
    }
    for (let c = 0; c < g.c; c++) {
      const xv = xs[xBase + c]!;
      for (let q = 0; q < g.m; q++) dws[wBase + c * g.m + q] += xv * dys[dyBase + c * g.m + q]!;
    }
  });
  return dw;
}

/**
 * Every (output pixel, filter tap) pair whose input pixel is in bounds, as the offsets of the
 * output pixel in dy, the input pixel in x, and the tap in the filter: the walk both gradients share.
 */
function forEachTap(g: ReturnType<typeof geometry>, visit: (dyBase: number, xBase: number, wBase: number) => void): void {
  const oc = g.c * g.m;
  for (let b = 0; b < g.n; b++) {
    for (let i = 0; i < g.ho; i++) {
      for (let j = 0; j < g.wo; j++) {
        const dyBase = ((b * g.ho + i) * g.wo + j) * oc;
        for (let fa = 0; fa < g.kh; fa++) {
          const yy = i * g.sh + fa * g.dh - g.padT;
          if (yy < 0 || yy >= g.h) continue;
          for (let fb = 0; fb < g.kw; fb++) {
            const xx = j * g.sw + fb * g.dw - g.padL;
            if (xx < 0 || xx >= g.w) continue;
            visit(dyBase, ((b * g.h + yy) * g.w + xx) * g.c, (fa * g.kw + fb) * oc);
          }
        }
      }
    }
  }
}

/** Registered on 'wasm' by {@link registerWasmKernels}. */
export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: backpropInput as unknown as KernelFunc,
};

/** Registered on 'wasm' by {@link registerWasmKernels}. */
export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: backpropFilter as unknown as KernelFunc,
};
