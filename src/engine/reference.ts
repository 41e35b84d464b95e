/**
 * Test support: run one computation on the wasm backend and on the cpu backend (TF.js's
 * numerical reference) and compare every output. Internal to the engine's tests.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../core/rng.ts';

/** Seeded standard-normal values (the same on every run). */
export function randn(rng: Rng, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * scale;
  return out;
}

/** Inputs as plain arrays so each backend builds its own tensors. */
export type HostInputs = { values: Float32Array; shape: number[] }[];

/** Runs `f` on `backend` and reads every output back to the host. */
export async function runOn(backend: 'wasm' | 'cpu', inputs: HostInputs, f: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => f(...inputs.map((i) => tf.tensor(i.values, i.shape)))).map((t) => {
    const v = t.dataSync() as Float32Array;
    t.dispose();
    return v;
  });
}

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
  let worst = 0;
  if (ref.length !== got.length) return Infinity;
  for (let o = 0; o < ref.length; o++) {
    const a = ref[o]!;
    const b = got[o]!;
    if (a.length !== b.length) return Infinity;
    for (let i = 0; i < a.length; i++) {
      const e = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(a[i]!));
      if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
    }
  }
  return worst;
}

/** Thread count for the wasm tests: DISTILLERY_TEST_THREADS, default 1. */
export function testThreads(): number {
  const v = Number(process.env['DISTILLERY_TEST_THREADS'] ?? 1);
  return Number.isInteger(v) && v >= 1 ? v : 1;
}
