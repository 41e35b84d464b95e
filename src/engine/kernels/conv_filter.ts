/**
 * Conv2DBackpropFilter for the wasm backend (stock 4.22 has none, so conv nets cannot train).
 *
 * dW[a,b,ci,co] = sum over (n,i,j) of x[n, i*s+a-padT, j*s+b-padL, ci] * dy[n,i,j,co].
 * We lay the input patches out transposed (im2col^T: one row per filter tap, one column per
 * output pixel) in JS, then let XNNPACK's plain GEMM do the reduction: transposed GEMMs are
 * the slow path of the wasm backend, and the gather is a small fraction of the FLOPs.
 * (Measured and rejected: the same product as a dilated forward convolution of the transposed
 * input by the transposed dy; it was 0-50% slower on every MNIST/MobileNet-like shape tried.)
 */
import { Conv2DBackpropFilter } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { asWasm, f32, runKernel, view } from './heap.ts';
import { convGeometry, type ConvGradAttrs } from './conv_geometry.ts';

function conv2DBackpropFilter(args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: NamedAttrMap }): TensorInfo {
  const backend = asWasm(args.backend);
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as ConvGradAttrs & { filterShape: [number, number, number, number] };
  const { n, h, w, ci, ho, wo, co, kh, kw, sh, sw, padT, padL, k, r } =
    convGeometry(x.shape as [number, number, number, number], attrs.filterShape, attrs, 'Conv2DBackpropFilter');

  const cols = backend.makeOutput([1, k, r], 'float32');
  const xs = f32(backend, x);
  const pt = f32(backend, cols);
  // One pass per filter tap (a,b): every output pixel reads one input pixel's channels, which
  // are contiguous in x, and writes them to ci rows of pt at the same column.
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const rowBase = (a * kw + b) * ci * r;
      for (let bn = 0; bn < n; bn++) {
        for (let i = 0; i < ho; i++) {
          const yy = i * sh + a - padT;
          const colBase = (bn * ho + i) * wo;
          if (yy < 0 || yy >= h) {
            for (let c = 0; c < ci; c++) pt.fill(0, rowBase + c * r + colBase, rowBase + c * r + colBase + wo);
            continue;
          }
          const xRow = (bn * h + yy) * w;
          for (let j = 0; j < wo; j++) {
            const xx = j * sw + b - padL;
            const col = rowBase + colBase + j;
            if (xx < 0 || xx >= w) {
              for (let c = 0; c < ci; c++) pt[col + c * r] = 0;
            } else {
              const src = (xRow + xx) * ci;
              for (let c = 0; c < ci; c++) pt[col + c * r] = xs[src + c]!;
            }
          }
        }
      }
    }
  }
  const out = runKernel('BatchMatMul', { a: cols, b: view(dy, [1, r, co]) }, { transposeA: false, transposeB: false }, args.backend);
  backend.disposeData(cols.dataId);
  return view(out, [kh, kw, ci, co]);
}

/** Registered on 'wasm' by {@link registerWasmKernels}. */
export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
