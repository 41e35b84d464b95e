/**
 * Conv2DBackpropInput for the wasm backend. Stock 4.22 has one, but it is a direct loop in C
 * that ran at ~1.6 GFLOP/s here and took over half of a small conv net's training step.
 *
 * Stride 1: dx is a full convolution of dy with the filter flipped in space and with its
 * channel axes swapped, which XNNPACK's forward conv runs at full speed with explicit pads.
 * Other strides: dx = col2im(dy · Wᵀ): one plain GEMM gives, for every output pixel, the
 * gradient of each input value it read; a JS pass adds those back onto the input pixels.
 */
import { Conv2DBackpropInput } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { asWasm, f32, runKernel, view, zeros } from './heap.ts';
import { convGeometry, type ConvGradAttrs } from './conv_geometry.ts';

function conv2DBackpropInput(args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: NamedAttrMap }): TensorInfo {
  const backend = asWasm(args.backend);
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs as unknown as ConvGradAttrs & { inputShape: [number, number, number, number] };
  const { n, h, w, ci, ho, wo, co, kh, kw, sh, sw, padT, padB, padL, padR, k, r } =
    convGeometry(attrs.inputShape, filter.shape as [number, number, number, number], attrs, 'Conv2DBackpropInput');
  const pads = [kh - 1 - padT, kh - 1 - padB, kw - 1 - padL, kw - 1 - padR];
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

  const cols = runKernel('BatchMatMul', { a: view(dy, [1, r, co]), b: view(filter, [1, k, co]) }, { transposeA: false, transposeB: true }, args.backend);
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
