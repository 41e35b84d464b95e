import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.ts';

/** Native norm kernels (to be written). */
export function normKernels(addon: NativeAddon): tf.KernelConfig[] {
  void addon;
  return [];
}
