import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.ts';

/** Native conv kernels (to be written). */
export function convKernels(addon: NativeAddon): tf.KernelConfig[] {
  void addon;
  return [];
}
