import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon.ts';
import { adopt, allocF32, takeRecycled } from './memory.ts';
import { noteFallback } from './elementwise-util.ts';

/** The conv pack's functions in the addon (native/src/conv.cc). */
interface ConvAddon {
  conv2d(x: Float32Array, filter: Float32Array, y: Float32Array, geo: Int32Array, bias?: Float32Array): void;
  conv2dBackwardData(dy: Float32Array, filter: Float32Array, dx: Float32Array, geo: Int32Array): void;
  conv2dBackwardFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geo: Int32Array): void;
  convImpl(geo: Int32Array, kind: number): string;
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

let pooled: ((n: number) => Float32Array | undefined) | undefined;

/**
 * Output memory for the native kernels: a float32 array of `n` elements whose contents are
 * undefined until a kernel writes them. First from the free list of disposed outputs
 * (memory.ts: a fresh 38 MB array costs ~20 ms of page faults here, more than the kernel that
 * fills it); on a miss, large arrays come from the addon's recycled blocks
 * (native/src/conv_alloc.cc), which return to it when V8 collects their array, and the rest
 * from {@link allocF32}. Either way the array is recycled when its tensor is disposed.
 *
 * @example
 * const y = allocOutput(128 * 26 * 26 * 64);
 */
export function allocOutput(n: number): Float32Array {
  const recycled = takeRecycled(n);
  if (recycled) return recycled;
  // the pool answers undefined once 1 GiB is out and not yet collected (a loop that never yields)
  const p = pooled && n >= POOL_MIN ? pooled(n) : undefined;
  return p ? adopt(p) : allocF32(n);
}

/** Below this many elements (256 KiB) V8's own allocation is as fast as the pool. */
const POOL_MIN = 65536;

/**
 * Use the addon's recycled output memory where it has it (called when the kernels register);
 * DISTILLERY_NATIVE_POOL=0 turns it off.
 */
function usePool(addon: NativeAddon): void {
  if (process.env['DISTILLERY_NATIVE_POOL'] === '0') return;
  if (typeof addon['pooledF32'] === 'function') pooled = addon['pooledF32'] as unknown as (n: number) => Float32Array | undefined;
}

/**
 * The float32 memory behind a tensor on the native backend (no copy).
 *
 * @example
 * const xs = valuesOf(backend, inputs.x); // Float32Array shared with the tensor
 */
export function valuesOf(backend: MathBackendCPU, t: tf.TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

/**
 * The stock cpu kernel of a name, for the cases a native kernel does not cover (NCHW, odd
 * dtypes, activations oneDNN cannot fuse): the native backend is a cpu backend, so it runs as
 * is. Each call is a fallback, logged with DISTILLERY_NATIVE_LOG_FALLBACKS=1.
 *
 * @example
 * const stock = stockKernel('Conv2D'); // (args) => TensorInfo
 */
export function stockKernel(name: string): tf.KernelFunc {
  const k = tf.getKernel(name, 'cpu');
  if (!k) throw new Error(`the cpu backend has no kernel ${name}`);
  return (args) => {
    noteFallback(name, args.inputs);
    return k.kernelFunc(args);
  };
}

/** Whether every tensor is float32 and non-empty (what the native kernels accept). */
export function allFloat(...ts: Array<tf.TensorInfo | undefined | null>): boolean {
  return ts.every((t) => t == null || (t.dtype === 'float32' && t.shape.every((d) => d > 0)));
}

/** Activation codes of conv.cc's fused post-op. */
const ACT: Record<string, number> = { linear: 0, relu: 1, relu6: 2 };

/**
 * The geometry conv.cc reads: TF's own padding arithmetic (backend_util) packed as 20 ints, so
 * 'same' with the extra pad at the bottom/right, explicit pads and rounding modes match the
 * stock kernels exactly.
 */
function geometry(info: tf.backend_util.Conv2DInfo, groups: number, act = 0, bias = 0): Int32Array {
  const p = info.padInfo;
  return Int32Array.of(info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.filterHeight,
    info.filterWidth, info.outChannels, info.outHeight, info.outWidth, info.strideHeight, info.strideWidth,
    info.dilationHeight, info.dilationWidth, p.top, p.bottom, p.left, p.right, groups, act, bias);
}

type Dims4 = [number, number, number, number];

/**
 * Native conv kernels: Conv2D, FusedConv2D (bias + linear/relu/relu6), Conv2DBackpropInput,
 * Conv2DBackpropFilter, and their depthwise counterparts, on oneDNN's NHWC convolution
 * primitives. NCHW data and other activations run the stock cpu kernels.
 *
 * @example
 * const kernels = convKernels(loadNativeAddon()!); // [{ kernelName: 'Conv2D', ... }, ...]
 */
export function convKernels(addon: NativeAddon): tf.KernelConfig[] {
  if (typeof addon['conv2d'] !== 'function') return [];
  const a = addon as unknown as ConvAddon;
  usePool(addon);
  const cfg = (kernelName: string, kernelFunc: tf.KernelFunc): tf.KernelConfig => ({ kernelName, backendName: 'native', kernelFunc });

  const forward = (args: KernelArgs, depthwise: boolean, fused: boolean): tf.TensorInfo | null => {
    const backend = args.backend as MathBackendCPU;
    const { x, filter, bias } = args.inputs as Record<string, tf.TensorInfo>;
    const at = args.attrs as unknown as {
      strides: number | [number, number]; pad: tf.backend_util.ExplicitPadding | 'same' | 'valid' | number;
      dataFormat?: 'NHWC' | 'NCHW'; dilations?: number | [number, number]; dimRoundingMode?: 'floor' | 'round' | 'ceil';
      activation?: string;
    };
    const act = ACT[at.activation ?? 'linear'];
    if (!x || !filter || at.dataFormat === 'NCHW' || act === undefined || !allFloat(x, filter, bias)) return null;
    const info = tf.backend_util.computeConv2DInfo(x.shape as Dims4, filter.shape as Dims4, at.strides,
      at.dilations ?? 1, at.pad, at.dimRoundingMode, depthwise);
    const biasSize = bias ? tf.util.sizeFromShape(bias.shape) : 0;
    if (bias && biasSize !== 1 && biasSize !== info.outChannels) return null;
    let b: Float32Array | undefined;
    if (bias) {
      b = valuesOf(backend, bias);
      if (biasSize === 1 && info.outChannels !== 1) b = new Float32Array(info.outChannels).fill(b[0]!);
    }
    const y = allocOutput(info.outShape.reduce((s, d) => s * d, 1));
    const geo = geometry(info, depthwise ? info.inChannels : 1, fused ? act : 0, b ? 1 : 0);
    if (b) a.conv2d(valuesOf(backend, x), valuesOf(backend, filter), y, geo, b);
    else a.conv2d(valuesOf(backend, x), valuesOf(backend, filter), y, geo);
    return backend.makeTensorInfo(info.outShape, 'float32', y);
  };

  const withFallback = (name: string, f: (args: KernelArgs) => tf.TensorInfo | null): tf.KernelConfig => {
    const stock = stockKernel(name);
    return cfg(name, (args) => f(args) ?? stock(args));
  };

  const backwardData = (args: KernelArgs, depthwise: boolean): tf.TensorInfo | null => {
    const backend = args.backend as MathBackendCPU;
    const { dy, filter } = args.inputs as Record<string, tf.TensorInfo>;
    const at = args.attrs as unknown as {
      inputShape: Dims4; strides: number | [number, number]; pad: tf.backend_util.ExplicitPadding | 'same' | 'valid' | number;
      dataFormat?: 'NHWC' | 'NCHW'; dilations?: number | [number, number]; dimRoundingMode?: 'floor' | 'round' | 'ceil';
    };
    if (!dy || !filter || at.dataFormat === 'NCHW' || !allFloat(dy, filter)) return null;
    const info = tf.backend_util.computeConv2DInfo(at.inputShape, filter.shape as Dims4, at.strides,
      at.dilations ?? 1, at.pad, at.dimRoundingMode, depthwise);
    const dx = allocOutput(at.inputShape.reduce((s, d) => s * d, 1));
    a.conv2dBackwardData(valuesOf(backend, dy), valuesOf(backend, filter), dx, geometry(info, depthwise ? info.inChannels : 1));
    return backend.makeTensorInfo(at.inputShape, 'float32', dx);
  };

  const backwardFilter = (args: KernelArgs, depthwise: boolean): tf.TensorInfo | null => {
    const backend = args.backend as MathBackendCPU;
    const { x, dy } = args.inputs as Record<string, tf.TensorInfo>;
    const at = args.attrs as unknown as {
      filterShape: Dims4; strides: number | [number, number]; pad: tf.backend_util.ExplicitPadding | 'same' | 'valid' | number;
      dataFormat?: 'NHWC' | 'NCHW'; dilations?: number | [number, number]; dimRoundingMode?: 'floor' | 'round' | 'ceil';
    };
    if (!x || !dy || at.dataFormat === 'NCHW' || !allFloat(x, dy)) return null;
    const info = tf.backend_util.computeConv2DInfo(x.shape as Dims4, at.filterShape, at.strides,
      at.dilations ?? 1, at.pad, at.dimRoundingMode, depthwise);
    const dw = allocOutput(at.filterShape.reduce((s, d) => s * d, 1));
    a.conv2dBackwardFilter(valuesOf(backend, x), valuesOf(backend, dy), dw, geometry(info, depthwise ? info.inChannels : 1));
    return backend.makeTensorInfo(at.filterShape, 'float32', dw);
  };

  return [
    withFallback('Conv2D', (args) => forward(args, false, false)),
    withFallback('FusedConv2D', (args) => forward(args, false, true)),
    withFallback('Conv2DBackpropInput', (args) => backwardData(args, false)),
    withFallback('Conv2DBackpropFilter', (args) => backwardFilter(args, false)),
    withFallback('DepthwiseConv2dNative', (args) => forward(args, true, false)),
    withFallback('FusedDepthwiseConv2D', (args) => forward(args, true, true)),
    withFallback('DepthwiseConv2dNativeBackpropInput', (args) => backwardData(args, true)),
    withFallback('DepthwiseConv2dNativeBackpropFilter', (args) => backwardFilter(args, true)),
  ];
}

/**
 * Which oneDNN implementation serves a conv shape ('brg:avx2', 'jit:avx2', 'gemm:jit', ...),
 * for benchmarks: kind 0 forward, 1 backward data, 2 backward weights.
 *
 * @example
 * convImplementation(addon, [128, 28, 28, 1], [3, 3, 1, 32], 1, 'valid', 0); // 'jit:avx2'
 */
export function convImplementation(addon: NativeAddon, xShape: Dims4, filterShape: Dims4, strides: number,
  pad: 'same' | 'valid', kind: 0 | 1 | 2, depthwise = false): string {
  const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, 1, pad, undefined, depthwise);
  return (addon as unknown as ConvAddon).convImpl(geometry(info, depthwise ? info.inChannels : 1), kind);
}
