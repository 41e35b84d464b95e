/**
 * Conv2DBackpropInput for the wasm backend. Stock 4.22 has one, but it is a direct loop in C
 * that ran at ~1.6 GFLOP/s here and took over half of a small conv net's training step.
 *
 * Stride 1: dx is a full convolution of dy with the filter flipped in space and with its
 * channel axes swapped, which XNNPACK's forward conv runs at full speed with explicit pads.
 * Other strides: dx = col2im(dy · Wᵀ): one plain GEMM gives, for every output pixel, the
 * gradient of each input value it read; a JS pass adds those back onto the input pixels.
 */
import { backend_util, Conv2DBackpropInput, getKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { asWasm, f32, runKernel, view, zeros } from './heap.ts';
import { assert } from '../../core/errors.ts';

function conv2DBackpropInput(args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: NamedAttrMap }): TensorInfo {
  const backend = asWasm(args.backend);
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs as unknown as {
    inputShape: [number, number, number, number]; strides: number | [number, number];
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding; dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  assert(attrs.dataFormat !== 'NCHW', () => 'Conv2DBackpropInput on wasm supports NHWC only');
  const info = backend_util.computeConv2DInfo(attrs.inputShape, filter.shape as [number, number, number, number],
    attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const padT = info.padInfo.top;
  const padL = info.padInfo.left;
  const k = kh * kw * ci;
  const r = n * ho * wo;
  const pads = [kh - 1 - padT, kh - 1 - info.padInfo.bottom, kw - 1 - padL, kw - 1 - info.padInfo.right];
  if (sh === 1 && sw === 1 && pads.every((p) => p >= 0)) {
    const flipped = runKernel('Reverse', { x: filter }, { dims: [0, 1] }, args.backend);
    const swapped = runKernel('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] }, args.backend);
    backend.disposeData(flipped.dataId);
    const dx = runKernel('Conv2D', { x: dy, filter: swapped }, {
      strides: 1, dilations: 1, dataFormat: 'NHWC', dimRoundingMode: undefined,
      pad: [[0, 0], [pads[0], pads[1]], [pads[2], pads[3]], [0, 0]],
    }, args.backend);
    backend.disposeData(swapped.dataId);
    return dx;
  }

  const matmul = getKernel('BatchMatMul', 'wasm');
  assert(matmul, () => 'wasm BatchMatMul kernel missing');
  const cols = (matmul.kernelFunc as KernelFunc)({
    inputs: { a: view(dy, [1, r, co]), b: view(filter, [1, k, co]) }, backend: args.backend as never,
    attrs: { transposeA: false, transposeB: true },
  }) as TensorInfo;
  const dx = zeros(backend, [...attrs.inputShape]);
  const cs = f32(backend, cols);
  const dxs = f32(backend, dx);
  for (let bn = 0; bn < n; bn++) {
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++) {
        const colBase = ((bn * ho + i) * wo + j) * k;
        for (let a = 0; a < kh; a++) {
          const yy = i * sh + a - padT;
          if (yy < 0 || yy >= h) continue;
          for (let b = 0; b < kw; b++) {
            const xx = j * sw + b - padL;
            if (xx < 0 || xx >= w) continue;
            const dst = ((bn * h + yy) * w + xx) * ci;
            const src = colBase + (a * kw + b) * ci;
            for (let c = 0; c < ci; c++) dxs[dst + c] += cs[src + c]!;
          }
        }
      }
    }
  }
  backend.disposeData(cols.dataId);
  return dx;
}

/** Registered on 'wasm' by {@link registerWasmKernels}. */
export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
