import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon.ts';
import { nativeKernels } from './register.ts';

/** The backend name of TF.js's cpu backend with distillery's native kernels over it. */
export const NATIVE_BACKEND = 'native';

/**
 * Register the `native` backend: TF.js's cpu backend (tensors in JS typed arrays, so native
 * code reads and writes them in place) with every cpu kernel, and native oneDNN kernels in
 * place of those the pack implements. The stock `cpu` backend stays untouched as the
 * numerical reference.
 */
export function registerNativeBackend(addon: NativeAddon): string[] {
  if (tf.findBackendFactory(NATIVE_BACKEND)) return nativeKernels(addon).map((k) => k.kernelName);
  tf.registerBackend(NATIVE_BACKEND, () => {
    const b = new MathBackendCPU();
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
