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

/**
 * A native kernel that hands every call it does not cover (`f` answers null) to the stock cpu
 * kernel of the same name ({@link stockKernel}).
 *
 * @example
 * withFallback('MaxPool', (args) => (args.inputs['x']!.shape.length === 4 ? runNative(args) : null));
 */
export function withFallback(kernelName: string, f: (args: KernelArgs) => tf.TensorInfo | null): tf.KernelConfig {
  const stock = stockKernel(kernelName);
  return { kernelName, backendName: 'native', kernelFunc: (args) => f(args) ?? stock(args) };
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

/** The attrs every conv kernel (forward and both gradients, plain and depthwise) shares. */
interface ConvAttrs {
  strides: number | [number, number];
  pad: tf.backend_util.ExplicitPadding | 'same' | 'valid' | number;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function convInfo(xShape: number[], filterShape: number[], at: ConvAttrs, depthwise: boolean): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(xShape as Dims4, filterShape as Dims4, at.strides, at.dilations ?? 1, at.pad,
    at.dimRoundingMode, depthwise);
}

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
  const forward = (args: KernelArgs, depthwise: boolean, fused: boolean): tf.TensorInfo | null => {
    const backend = args.backend as MathBackendCPU;
    const { x, filter, bias } = args.inputs as Record<string, tf.TensorInfo>;
    const at = args.attrs as unknown as ConvAttrs & { activation?: string };
    const act = ACT[at.activation ?? 'linear'];
    if (!x || !filter || at.dataFormat === 'NCHW' || act === undefined || !allFloat(x, filter, bias)) return null;
    const info = convInfo(x.shape, filter.shape, at, depthwise);
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

  /**
   * Both gradients: a kernel gets one of x and the filter as a tensor and the other, the one it
   * differentiates with respect to, as a shape attr; the forward geometry comes from the two.
   */
  const backward = (args: KernelArgs, depthwise: boolean, wrt: 'input' | 'filter'): tf.TensorInfo | null => {
    const backend = args.backend as MathBackendCPU;
    const { dy, x, filter } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const at = args.attrs as unknown as ConvAttrs & { inputShape: Dims4; filterShape: Dims4 };
    const given = wrt === 'input' ? filter : x;
    if (!dy || !given || at.dataFormat === 'NCHW' || !allFloat(dy, given)) return null;
    const xShape = wrt === 'input' ? at.inputShape : given.shape;
    const filterShape = wrt === 'input' ? given.shape : at.filterShape;
    const outShape = wrt === 'input' ? xShape : filterShape;
    const info = convInfo(xShape, filterShape, at, depthwise);
    const out = allocOutput(outShape.reduce((s, d) => s * d, 1));
    const geo = geometry(info, depthwise ? info.inChannels : 1);
    if (wrt === 'input') a.conv2dBackwardData(valuesOf(backend, dy), valuesOf(backend, given), out, geo);
    else a.conv2dBackwardFilter(valuesOf(backend, given), valuesOf(backend, dy), out, geo);
    return backend.makeTensorInfo(outShape, 'float32', out);
  };

  return [
    withFallback('Conv2D', (args) => forward(args, false, false)),
    withFallback('FusedConv2D', (args) => forward(args, false, true)),
    withFallback('Conv2DBackpropInput', (args) => backward(args, false, 'input')),
    withFallback('Conv2DBackpropFilter', (args) => backward(args, false, 'filter')),
    withFallback('DepthwiseConv2dNative', (args) => forward(args, true, false)),
    withFallback('FusedDepthwiseConv2D', (args) => forward(args, true, true)),
    withFallback('DepthwiseConv2dNativeBackpropInput', (args) => backward(args, true, 'input')),
    withFallback('DepthwiseConv2dNativeBackpropFilter', (args) => backward(args, true, 'filter')),
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
  const info = convInfo(xShape, filterShape, { strides, pad }, depthwise);
  return (addon as unknown as ConvAddon).convImpl(geometry(info, depthwise ? info.inChannels : 1), kind);
}
