/**
 * Installs (and removes) distillery's kernels on the 'wasm' backend. Kernels are looked up by
 * name at every op call, so switching takes effect on the next op without recreating the
 * backend.
 */
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { conv2DBackpropFilterConfig } from './conv_filter.ts';
import { conv2DBackpropInputConfig } from './conv_input.ts';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise.ts';
import { maxPoolGradConfig } from './pool.ts';
import { matmulConfigs } from './matmul.ts';
import { sumConfig } from './sum.ts';
import { unsortedSegmentSumConfig } from './segment.ts';
import { assert } from '../../core/errors.ts';

/** Stock configs of the kernels we replace (undefined where stock has none), saved once. */
let stock: Map<string, KernelConfig | undefined> | undefined;
let ours: KernelConfig[] | undefined;
let active = false;

function build(): KernelConfig[] {
  if (ours) return ours;
  const bmm = getKernel('BatchMatMul', 'wasm');
  const fused = getKernel('_FusedMatMul', 'wasm');
  const sum = getKernel('Sum', 'wasm');
  assert(bmm && fused && sum, () => 'the wasm backend package did not register BatchMatMul/_FusedMatMul/Sum');
  ours = [conv2DBackpropFilterConfig, conv2DBackpropInputConfig, depthwiseBackpropInputConfig, depthwiseBackpropFilterConfig, maxPoolGradConfig,
    ...matmulConfigs(bmm, fused), sumConfig(sum), unsortedSegmentSumConfig];
  stock = new Map(ours.map((k) => [k.kernelName, getKernel(k.kernelName, 'wasm')]));
  return ours;
}

function put(config: KernelConfig): void {
  if (getKernel(config.kernelName, 'wasm')) unregisterKernel(config.kernelName, 'wasm');
  registerKernel(config);
}

/**
 * Registers distillery's wasm kernels: the missing conv/depthwise gradients, a correct
 * MaxPoolGrad, fast transposed matmuls and UnsortedSegmentSum (the embedding gradient). `initEngine` calls it unless `kernels: 'stock'`.
 *
 * @example
 * registerWasmKernels();
 * wasmKernelNames(); // ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', ...]
 */
export function registerWasmKernels(): void {
  if (active) return;
  for (const k of build()) put(k);
  active = true;
}

/**
 * Restores the stock wasm kernels (removing the ones stock lacks), e.g. to benchmark stock
 * against ours.
 *
 * @example
 * unregisterWasmKernels(); // tf.conv2d gradients on wasm throw again
 */
export function unregisterWasmKernels(): void {
  if (!active || !stock) return;
  for (const [name, config] of stock) {
    if (config) put(config);
    else if (getKernel(name, 'wasm')) unregisterKernel(name, 'wasm');
  }
  active = false;
}

/**
 * Whether our kernels are the ones registered now.
 *
 * @example
 * if (!wasmKernelsActive()) registerWasmKernels();
 */
export function wasmKernelsActive(): boolean {
  return active;
}

/**
 * The kernel names distillery registers on 'wasm'.
 *
 * @example
 * wasmKernelNames().includes('MaxPoolGrad'); // true
 */
export function wasmKernelNames(): string[] {
  return build().map((k) => k.kernelName);
}
