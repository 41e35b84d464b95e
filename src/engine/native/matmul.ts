import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.ts';

/** Native matmul kernels (to be written). */
export function matmulKernels(addon: NativeAddon): tf.KernelConfig[] {
  void addon;
  return [];
}
