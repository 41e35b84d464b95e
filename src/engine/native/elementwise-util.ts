/**
 * Helpers shared by the native matmul, elementwise and optimizer kernels: typed-array access
 * to the cpu backend's tensors, output allocation without zero fill, and the stock cpu kernel
 * to fall back on for the cases a native kernel does not cover.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

/** What a kernel function receives on the native backend. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: MathBackendCPU;
  attrs?: tf.NamedAttrMap;
}

/** A kernel function over the native backend (the cpu backend's memory layout). */
export type NativeKernelFunc = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

/**
 * The memory of a float32 tensor: the very array the backend holds, no copy. Callers must
 * never write to it (other tensors may share it).
 *
 * @example
 * const xs = values(backend, inputs.x); // Float32Array of x.size
 */
export function values(backend: MathBackendCPU, t: tf.TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

/** Kernel outputs: recycled arrays of the right length, else fresh unfilled ones (memory.ts). */
export { allocF32 } from './memory.ts';

const logFallbacks = process.env['DISTILLERY_NATIVE_LOG_FALLBACKS'] === '1';
const logged = new Set<string>();

/**
 * With DISTILLERY_NATIVE_LOG_FALLBACKS=1, say on stderr (once per kernel and input shapes)
 * that a native kernel handed a call to the stock JS kernel: such calls run at JS speed, and
 * the profiler still counts them as the native kernel's.
 *
 * @example
 * noteFallback('Add', args.inputs); // "native: Add fell back to the stock cpu kernel for float32[2,3,4,5,6] + ..."
 */
export function noteFallback(kernelName: string, inputs: tf.NamedTensorInfoMap): void {
  if (!logFallbacks) return;
  const sig = `${kernelName} ${Object.entries(inputs).map(([k, t]) => `${k}: ${t?.dtype}[${t?.shape.join(',')}]`).join(', ')}`;
  if (logged.has(sig)) return;
  logged.add(sig);
  process.stderr.write(`native: fell back to the stock cpu kernel: ${sig}\n`);
}

/**
 * The stock cpu kernel of `kernelName`: what a native kernel falls back on for dtypes or
 * shapes it does not cover (noted by {@link noteFallback}; `isFallback` false for wrappers
 * whose job is to call it). Resolved lazily: the cpu kernels register on import.
 *
 * @example
 * const stockAdd = stock('Add'); return stockAdd(args);
 */
export function stock(kernelName: string, isFallback = true): NativeKernelFunc {
  let fn: tf.KernelFunc | undefined;
  return (args) => {
    fn ??= tf.getKernel(kernelName, 'cpu')?.kernelFunc;
    if (fn === undefined) throw new Error(`native backend: no stock cpu kernel '${kernelName}' to fall back on`);
    if (isFallback) noteFallback(kernelName, args.inputs);
    return fn(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo | tf.TensorInfo[];
  };
}

/**
 * A KernelConfig for the native backend from a native kernel function.
 *
 * @example
 * kernel('Relu', ({ inputs, backend }) => ...)
 */
export function kernel(kernelName: string, kernelFunc: NativeKernelFunc): tf.KernelConfig {
  return { kernelName, backendName: 'native', kernelFunc: kernelFunc as unknown as tf.KernelFunc };
}
