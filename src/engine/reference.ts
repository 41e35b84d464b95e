/**
 * Test support: run one computation on the wasm backend and on the cpu backend (TF.js's
 * numerical reference) and compare every output. Internal to the engine's tests.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../core/rng.ts';
import { runOn, worstError } from './native/compare.ts';
import type { HostInputs } from './native/compare.ts';

/** Seeded standard-normal values (the same on every run). */
export function randn(rng: Rng, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * scale;
  return out;
}

// One implementation of running a computation on a backend and comparing, shared with the
// native pack's tests.
export { runOn } from './native/compare.ts';
export type { HostInputs } from './native/compare.ts';

/**
 * The largest |wasm - cpu| over all outputs, relative to max(1, |cpu|) element-wise.
 *
 * @example
 * const err = await wasmVsCpu(inputs, (x, w) => tf.grads((a, b) => tf.sum(tf.conv2d(a, b, 1, 'same')))([x, w]));
 * assert.ok(err < 1e-4);
 */
export async function wasmVsCpu(inputs: HostInputs, f: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<number> {
  const ref = await runOn('cpu', inputs, f);
  const got = await runOn('wasm', inputs, f);
  return worstError(ref, got);
}

/** Thread count for the wasm tests: DISTILLERY_TEST_THREADS, default 1. */
export function testThreads(): number {
  const v = Number(process.env['DISTILLERY_TEST_THREADS'] ?? 1);
  return Number.isInteger(v) && v >= 1 ? v : 1;
}
