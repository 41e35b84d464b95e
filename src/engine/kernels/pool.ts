/**
 * MaxPoolGrad for the wasm backend. The stock 4.22 kernel starts its running max at the
 * smallest positive float, so a window whose values are all <= 0 routes its gradient nowhere
 * (e.g. after a ReLU that zeroed a whole window, or on raw inputs). Here the max starts at
 * -Infinity and the first maximum wins, as on the cpu backend.
 */
import { backend_util, MaxPoolGrad } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { asWasm, f32, zeros } from './heap.ts';

function maxPoolGrad(args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: NamedAttrMap }): TensorInfo {
  const backend = asWasm(args.backend);
  const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
  const attrs = args.attrs as unknown as {
    filterSize: number | [number, number]; strides: number | [number, number];
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding; dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize,
    attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const padT = info.padInfo.top;
  const padL = info.padInfo.left;
  const dx = zeros(backend, [...input.shape]);
  const xs = f32(backend, input);
  const dys = f32(backend, dy);
  const dxs = f32(backend, dx);
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++) {
        best.fill(-Infinity);
        where.fill(-1);
        for (let a = 0; a < kh; a++) {
          const yy = i * sh + a - padT;
          if (yy < 0 || yy >= h) continue;
          for (let bb = 0; bb < kw; bb++) {
            const xx = j * sw + bb - padL;
            if (xx < 0 || xx >= w) continue;
            const base = ((b * h + yy) * w + xx) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = xs[base + ch]!;
              if (v > best[ch]! || where[ch] === -1) { best[ch] = v; where[ch] = base + ch; }
            }
          }
        }
        const dyBase = ((b * ho + i) * wo + j) * c;
        for (let ch = 0; ch < c; ch++) {
          const at = where[ch]!;
          if (at >= 0) dxs[at] += dys[dyBase + ch]!;
        }
      }
    }
  }
  return dx;
}

/** Registered on 'wasm' by {@link registerWasmKernels}. */
export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
