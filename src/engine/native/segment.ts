import type * as tf from '@tensorflow/tfjs-core';
import { allocF32, kernel, stock, values } from './elementwise-util.ts';

/**
 * UnsortedSegmentSum on the native backend: the gradient of Gather, i.e. of every embedding
 * layer. The stock cpu kernel loops over the segments and builds an equal-mask, a product and
 * a sum of the whole input for each one, O(vocabulary × tokens × width) with four tensors per
 * segment: an 8,000-word embedding never finished a step. This is one pass over the rows
 * (plain JS: the work is a scatter-add, memory-bound, with nothing for oneDNN to do).
 * float32 values with int32 ids; anything else goes to the stock kernel.
 *
 * @example
 * for (const k of segmentKernels()) tf.registerKernel(k);
 */
export function segmentKernels(): tf.KernelConfig[] {
  const stockSegmentSum = stock('UnsortedSegmentSum');
  return [
    kernel('UnsortedSegmentSum', (args) => {
      const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      if (x.dtype !== 'float32' || segmentIds.dtype !== 'int32') return stockSegmentSum(args);
      const numSegments = args.attrs!['numSegments'] as number;
      const rows = segmentIds.shape.reduce((a, d) => a * d, 1);
      const innerShape = x.shape.slice(segmentIds.shape.length);
      const inner = innerShape.reduce((a, d) => a * d, 1);
      const out = allocF32(numSegments * inner).fill(0);
      const xs = values(args.backend, x);
      const ids = args.backend.data.get(segmentIds.dataId).values as Int32Array;
      for (let i = 0; i < rows; i++) {
        const s = ids[i]!;
        if (s < 0 || s >= numSegments) continue; // TF drops ids outside the range
        const src = i * inner;
        const dst = s * inner;
        for (let j = 0; j < inner; j++) out[dst + j]! += xs[src + j]!;
      }
      return args.backend.makeTensorInfo([numSegments, ...innerShape], 'float32', out);
    }),
  ];
}
