/**
 * The small slice of the wasm backend's internals our kernels touch: tensors live on the
 * Emscripten heap, and a kernel writes its output straight into a fresh heap allocation.
 */
import { getKernel } from '@tensorflow/tfjs-core';
import type { DataId, DataType, KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

/** What our kernels use of `BackendWasm` (its public d.ts types `wasm` loosely). */
export interface WasmBackendLike {
  dataIdMap: { get(dataId: DataId): { id: number; memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: DataId, force?: boolean): boolean;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Narrows a kernel's backend to the wasm one. */
export function asWasm(backend: unknown): WasmBackendLike {
  return backend as WasmBackendLike;
}

/**
 * A Float32Array view of a tensor on the heap. Take views only after the last allocation of
 * a kernel: `malloc` may grow the memory and detach earlier views.
 */
export function f32(backend: WasmBackendLike, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** A zero-filled float32 output of `shape` on the heap (malloc does not clear memory). */
export function zeros(backend: WasmBackendLike, shape: number[]): TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  f32(backend, out).fill(0);
  return out;
}

/** The same data seen with another shape: no copy (the caller must not dispose it). */
export function view(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

export type { KernelBackend };

/**
 * Runs another kernel registered on 'wasm' (stock or ours) from inside a kernel, as the stock
 * kernels do: no tape, no scope; the caller disposes what it does not return.
 */
export function runKernel(name: string, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown>, backend: unknown): TensorInfo {
  const k = getKernel(name, 'wasm');
  if (!k) throw new Error(`internal error: wasm kernel ${name} missing`);
  return (k.kernelFunc as KernelFunc)({ inputs, backend: backend as never, attrs: attrs as NamedAttrMap }) as TensorInfo;
}
