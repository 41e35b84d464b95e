import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon.ts';
import { allFloat, allocOutput, valuesOf, withFallback } from './conv.ts';

/** The pooling functions in the addon (native/src/pool.cc). */
interface PoolAddon {
  maxPool(x: Float32Array, y: Float32Array, geo: Int32Array): void;
  maxPoolGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, geo: Int32Array): void;
  avgPool(x: Float32Array, y: Float32Array, geo: Int32Array): void;
  avgPoolGrad(dy: Float32Array, dx: Float32Array, geo: Int32Array): void;
}

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

type Dims4 = [number, number, number, number];

function poolInfo(xShape: number[], at: PoolAttrs): { info: tf.backend_util.Conv2DInfo; geo: Int32Array } {
  const info = tf.backend_util.computePool2DInfo(xShape as Dims4, at.filterSize, at.strides, 1, at.pad, at.dimRoundingMode);
  const geo = Int32Array.of(info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.filterHeight,
    info.filterWidth, info.outHeight, info.outWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left);
  return { info, geo };
}

const size = (shape: number[]): number => shape.reduce((s, d) => s * d, 1);

/**
 * Native pooling kernels: MaxPool, MaxPoolGrad, AvgPool, AvgPoolGrad on NHWC float32 data.
 * The max-pool gradient goes to the first maximum of each window, as TF's does. AvgPoolGrad
 * divides by the in-bounds pixel count like TF and like the forward pass; the stock cpu
 * kernel divides by the full window, which differs at padded borders ('same').
 *
 * @example
 * const kernels = poolKernels(loadNativeAddon()!); // [{ kernelName: 'MaxPool', ... }, ...]
 */
export function poolKernels(addon: NativeAddon): tf.KernelConfig[] {
  if (typeof addon['maxPool'] !== 'function') return [];
  const a = addon as unknown as PoolAddon;
  // MaxPool and AvgPool differ only in the addon function they call; so do their gradients
  const forward = (kernelName: string, run: (x: Float32Array, y: Float32Array, geo: Int32Array) => void): tf.KernelConfig =>
    withFallback(kernelName, ({ inputs, backend, attrs }) => {
      const { x } = inputs as { x: tf.TensorInfo };
      if (x.shape.length !== 4 || !allFloat(x)) return null;
      const { info, geo } = poolInfo(x.shape, attrs as unknown as PoolAttrs);
      const b = backend as MathBackendCPU;
      const y = allocOutput(size(info.outShape));
      run(valuesOf(b, x), y, geo);
      return b.makeTensorInfo(info.outShape, 'float32', y);
    });
  const backward = (kernelName: string, run: (dy: Float32Array, x: Float32Array, dx: Float32Array, geo: Int32Array) => void): tf.KernelConfig =>
    withFallback(kernelName, ({ inputs, backend, attrs }) => {
      const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
      if (input.shape.length !== 4 || !allFloat(dy, input)) return null;
      const { geo } = poolInfo(input.shape, attrs as unknown as PoolAttrs);
      const b = backend as MathBackendCPU;
      const dx = allocOutput(size(input.shape));
      run(valuesOf(b, dy), valuesOf(b, input), dx, geo);
      return b.makeTensorInfo(input.shape, 'float32', dx);
    });
  return [
    forward('MaxPool', (x, y, geo) => a.maxPool(x, y, geo)),
    forward('AvgPool', (x, y, geo) => a.avgPool(x, y, geo)),
    backward('MaxPoolGrad', (dy, x, dx, geo) => a.maxPoolGrad(dy, x, dx, geo)),
    // an average's gradient does not depend on the input's values, only on its shape
    backward('AvgPoolGrad', (dy, _x, dx, geo) => a.avgPoolGrad(dy, dx, geo)),
  ];
}
