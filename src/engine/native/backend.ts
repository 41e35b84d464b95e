import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon.ts';
import { nativeKernels } from './register.ts';
import { isRecyclable, release, resetRecycler } from './memory.ts';

/** The backend name of TF.js's cpu backend with distillery's native kernels over it. */
export const NATIVE_BACKEND = 'native';

/** dataIds whose memory a native kernel may overwrite in place (optim.ts): reads copy them. */
const privateIds = new WeakSet<object>();

/**
 * Mark `dataId`'s memory as private to the native backend: `dataSync` and friends hand out
 * copies of it, so a value read before an in-place update stays as it was (optim.ts).
 *
 * @example
 * keepPrivate(variable.dataId);
 */
export function keepPrivate(dataId: object): void {
  privateIds.add(dataId);
}

/**
 * TF.js's cpu backend, with the memory rules of the native pack: kernel outputs from
 * memory.ts go back to its free list as soon as their tensor's data is disposed, and never
 * leave the backend (reads copy them), nor do the buffers updated in place.
 */
class NativeBackend extends MathBackendCPU {
  override readSync(dataId: object): tf.backend_util.BackendValues {
    const v = super.readSync(dataId);
    // read() and bufferSync() come through here too, so no caller ever holds our memory
    return (isRecyclable(v) || privateIds.has(dataId)) && ArrayBuffer.isView(v) ? (v as Float32Array).slice() : v;
  }

  override disposeData(dataId: object, force = false): boolean {
    const v = this.data.has(dataId) ? this.data.get(dataId).values : undefined;
    const done = super.disposeData(dataId, force);
    // recycle only once the last reference (reshapes, clones share a dataId) is gone
    if (isRecyclable(v) && !this.data.has(dataId)) release(v);
    return done;
  }

  override dispose(): void {
    super.dispose();
    resetRecycler();
  }
}

/**
 * Register the `native` backend: TF.js's cpu backend (tensors in JS typed arrays, so native
 * code reads and writes them in place) with every cpu kernel, and native oneDNN kernels in
 * place of those the pack implements. The stock `cpu` backend stays untouched as the
 * numerical reference.
 *
 * @example
 * registerNativeBackend(loadNativeAddon()!); // the kernel names the pack took over
 */
export function registerNativeBackend(addon: NativeAddon): string[] {
  if (tf.findBackendFactory(NATIVE_BACKEND)) return nativeKernels(addon).map((k) => k.kernelName);
  tf.registerBackend(NATIVE_BACKEND, () => {
    const b = new NativeBackend();
    // the cpu backend greets its first tensor with a banner pointing at tfjs-node: noise here
    (b as unknown as { firstUse: boolean }).firstUse = false;
    return b;
  }, 3);
  const ours = nativeKernels(addon);
  const names = new Set(ours.map((k) => k.kernelName));
  for (const k of tf.getKernelsForBackend('cpu')) {
    if (!names.has(k.kernelName)) tf.registerKernel({ ...k, backendName: NATIVE_BACKEND });
  }
  for (const k of ours) tf.registerKernel({ ...k, backendName: NATIVE_BACKEND });
  return [...names];
}
