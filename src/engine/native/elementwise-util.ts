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

/**
 * Below this many floats an output comes from `new Float32Array` (zero-filled, cheap when
 * small); from it up, from `Buffer.allocUnsafeSlow`: a dedicated ArrayBuffer (byteOffset 0,
 * never a slice of Node's shared pool) left unfilled, since the kernel overwrites every element.
 * Not from the addon's recycled blocks (`pooledF32`, conv_alloc.cc): those come back only when
 * the event loop runs, and in a loop of synchronous steps the MLP step then took 122 ms
 * (median) instead of 31; glibc's heap, kept from shrinking by elementwise.cc, reuses memory
 * as soon as V8 collects an array.
 */
const UNFILLED_FROM = 1024;

/**
 * A Float32Array of `n` elements whose contents are garbage: the caller writes all of them.
 *
 * @example
 * const out = allocF32(m * n); addon.matmul(a, b, out, ...);
 */
export function allocF32(n: number): Float32Array {
  if (n < UNFILLED_FROM) return new Float32Array(n);
  const buf = Buffer.allocUnsafeSlow(n * 4);
  return new Float32Array(buf.buffer, buf.byteOffset, n);
}

/**
 * The stock cpu kernel of `kernelName`: what a native kernel falls back on for dtypes or
 * shapes it does not cover. Resolved lazily: the cpu kernels register on import.
 *
 * @example
 * const stockAdd = stock('Add'); return stockAdd(args);
 */
export function stock(kernelName: string): NativeKernelFunc {
  let fn: tf.KernelFunc | undefined;
  return (args) => {
    fn ??= tf.getKernel(kernelName, 'cpu')?.kernelFunc;
    if (fn === undefined) throw new Error(`native backend: no stock cpu kernel '${kernelName}' to fall back on`);
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
