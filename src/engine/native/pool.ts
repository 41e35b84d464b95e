import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.ts';

/** Native pool kernels (to be written). */
export function poolKernels(addon: NativeAddon): tf.KernelConfig[] {
  void addon;
  return [];
}
