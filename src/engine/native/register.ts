import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.ts';
import { matmulKernels } from './matmul.ts';
import { elementwiseKernels } from './elementwise.ts';
import { convKernels } from './conv.ts';
import { poolKernels } from './pool.ts';
import { normKernels } from './norm.ts';
import { activationGradKernels } from './activation-grad.ts';
import { segmentKernels } from './segment.ts';

/** Every native kernel, by family. A family lists only the kernels its addon functions back. */
export function nativeKernels(addon: NativeAddon): tf.KernelConfig[] {
  return [...matmulKernels(addon), ...elementwiseKernels(addon), ...convKernels(addon), ...poolKernels(addon), ...normKernels(addon),
    ...activationGradKernels(addon), ...segmentKernels()];
}
