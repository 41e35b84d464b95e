/**
 * Test support for the native kernel pack's matmul, elementwise and optimizer tests: run one
 * computation on the native backend and on the stock cpu backend (TF.js's numerical
 * reference) from the same host inputs, and compare every output.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../core/rng.ts';
import { initEngine } from '../engine.ts';
import { loadNativeAddon, nativeUnavailableReason } from './addon.ts';

/**
 * `false` when the pack is built (start the native backend), else why the tests skip.
 *
 * @example
 * const skip = await nativeTestSkip();
 * test('relu', { skip }, () => ...);
 */
export async function nativeTestSkip(): Promise<string | false> {
  if (!loadNativeAddon()) return `native kernel pack unavailable: ${nativeUnavailableReason() ?? 'unknown'}`;
  await initEngine({ backend: 'native', threads: 2 });
  return false;
}

/** A host input: values and shape, so that each backend builds its own tensor. */
export interface HostTensor { values: Float32Array | Int32Array | Uint8Array; shape: number[]; dtype?: 'float32' | 'int32' | 'bool' }

/**
 * Seeded normal values as a host tensor.
 *
 * @example
 * const x = randomHost(new Rng(1), [3, 4]);
 */
export function randomHost(rng: Rng, shape: number[], scale = 1): HostTensor {
  const n = shape.reduce((p, q) => p * q, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = rng.normal() * scale;
  return { values, shape };
}

/** Runs `f` on `backend` and copies every output (values and dtype) to the host. */
export async function runOnBackend(backend: string, inputs: HostTensor[], f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]):
  Promise<Array<{ values: Float32Array; dtype: string; shape: number[] }>> {
  await tf.setBackend(backend);
  // the cpu backend's first tensor prints a banner about tfjs-node: noise in test output
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  const outs = tf.tidy(() => {
    const r = f(...inputs.map((i) => tf.tensor(i.values, i.shape, i.dtype ?? 'float32')));
    return Array.isArray(r) ? r : [r];
  });
  return outs.map((t) => {
    const v = { values: Float32Array.from(t.dataSync() as ArrayLike<number>), dtype: t.dtype, shape: [...t.shape] };
    t.dispose();
    return v;
  });
}

/**
 * Largest element-wise |native - cpu| / max(1, |cpu|) over all outputs; Infinity when
 * shapes, dtypes or NaN placement differ.
 *
 * @example
 * assert.ok(await nativeVsCpu([x, w], (a, b) => tf.matMul(a, b)) < 1e-4);
 */
export async function nativeVsCpu(inputs: HostTensor[], f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<number> {
  const ref = await runOnBackend('cpu', inputs, f);
  const got = await runOnBackend('native', inputs, f);
  await tf.setBackend('native');
  if (ref.length !== got.length) return Infinity;
  let worst = 0;
  for (let o = 0; o < ref.length; o++) {
    const a = ref[o];
    const b = got[o];
    if (a.dtype !== b.dtype || !tf.util.arraysEqual(a.shape, b.shape)) return Infinity;
    for (let i = 0; i < a.values.length; i++) {
      if (Number.isNaN(a.values[i]) !== Number.isNaN(b.values[i])) return Infinity;
      if (Number.isNaN(a.values[i])) continue;
      const e = a.values[i] === b.values[i] ? 0 : Math.abs(a.values[i] - b.values[i]) / Math.max(1, Math.abs(a.values[i]));
      if (e > worst) worst = e;
    }
  }
  return worst;
}

export { Rng };
