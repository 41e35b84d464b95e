import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { asWasm, f32 } from './heap.ts';

/**
 * UnsortedSegmentSum on wasm: stock tfjs 4.22's wasm backend lacks it, and it is the gradient
 * of Gather, so an embedding layer could not train there. out[s] = Σ x[i] over rows i whose
 * segment id is s (ids outside [0, numSegments) are dropped, as TF does); float32 values,
 * int32 ids, one id per leading row of x.
 */
export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
    const numSegments = attrs!['numSegments'] as number;
    const wasm = asWasm(backend);
    const rows = segmentIds.shape.reduce((a, d) => a * d, 1);
    const inner = x.shape.slice(segmentIds.shape.length).reduce((a, d) => a * d, 1);
    const out = wasm.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], 'float32');
    // views after the last allocation (malloc may grow the heap and detach older views)
    const y = f32(wasm, out);
    y.fill(0);
    const xs = f32(wasm, x);
    const ids = wasm.typedArrayFromHeap(segmentIds) as Int32Array;
    for (let i = 0; i < rows; i++) {
      const s = ids[i]!;
      if (s < 0 || s >= numSegments) continue;
      const src = i * inner;
      const dst = s * inner;
      for (let j = 0; j < inner; j++) y[dst + j]! += xs[src + j]!;
    }
    return out;
  },
};
