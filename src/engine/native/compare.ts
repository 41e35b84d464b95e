/**
 * Test support for the native kernel pack: run one computation on the `native` backend and on
 * the stock `cpu` backend (TF.js's numerical reference) and compare every output, and count
 * calls into the addon so a test can prove the native path ran. Internal to the engine's tests.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../core/rng.ts';
import type { NativeAddon } from './addon.ts';

/** Inputs as plain arrays so each backend builds its own tensors. */
export type HostInputs = { values: Float32Array; shape: number[] }[];

/**
 * Seeded standard-normal inputs of the given shapes.
 *
 * @example
 * const inputs = randomInputs(7, [[2, 5, 5, 3], [3, 3, 3, 4]]);
 */
export function randomInputs(seed: number, shapes: number[][], scale = 1): HostInputs {
  const rng = new Rng(seed);
  return shapes.map((shape) => {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) values[i] = rng.normal() * scale;
    return { values, shape };
  });
}

/** Runs `f` on `backend` and reads every output back to the host. */
export async function runOn(backend: string, inputs: HostInputs, f: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => f(...inputs.map((i) => tf.tensor(i.values, i.shape)))).map((t) => {
    const v = t.dataSync() as Float32Array;
    t.dispose();
    return v;
  });
}

/**
 * The largest |native - cpu| over all outputs, relative to max(1, |cpu|) element-wise;
 * Infinity when the outputs differ in number or size or a value is NaN on one side only.
 *
 * @example
 * const err = await nativeVsCpu(inputs, (x, w) => [tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')]);
 * assert.ok(err < 1e-4);
 */
export async function nativeVsCpu(inputs: HostInputs, f: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<number> {
  const ref = await runOn('cpu', inputs, f);
  const got = await runOn('native', inputs, f);
  return worstError(ref, got);
}

/** The largest element-wise error of `got` against `ref`, relative to max(1, |ref|). */
export function worstError(ref: Float32Array[], got: Float32Array[]): number {
  let worst = 0;
  if (ref.length !== got.length) return Infinity;
  for (let o = 0; o < ref.length; o++) {
    const a = ref[o]!;
    const b = got[o]!;
    if (a.length !== b.length) return Infinity;
    for (let i = 0; i < a.length; i++) {
      if (Number.isNaN(a[i]!) && Number.isNaN(b[i]!)) continue;
      const e = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(a[i]!));
      if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
    }
  }
  return worst;
}

/**
 * Counts the calls of the addon functions `names` from now on (the kernels look their
 * functions up on the addon object at each call); `restore()` puts the originals back.
 *
 * @example
 * const spy = spyOn(addon, ['conv2d']);
 * tf.conv2d(x, w, 1, 'same');
 * assert.equal(spy.calls.conv2d, 1);
 * spy.restore();
 */
export function spyOn(addon: NativeAddon, names: string[]): { calls: Record<string, number>; restore(): void } {
  const calls: Record<string, number> = {};
  const originals: Record<string, NativeAddon[string]> = {};
  const target = addon as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const n of names) {
    calls[n] = 0;
    const original = target[n]!;
    originals[n] = original as NativeAddon[string];
    target[n] = (...args: unknown[]) => {
      calls[n] = (calls[n] ?? 0) + 1;
      return original.apply(addon, args);
    };
  }
  return {
    calls,
    restore: () => { for (const n of names) target[n] = originals[n] as unknown as (...args: unknown[]) => unknown; },
  };
}
