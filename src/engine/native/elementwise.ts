import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.ts';

/** Native elementwise kernels (to be written). */
export function elementwiseKernels(addon: NativeAddon): tf.KernelConfig[] {
  void addon;
  return [];
}
