/**
 * Test support for the native kernel pack: run one computation on the `native` backend and on
 * the stock `cpu` backend (TF.js's numerical reference) and compare every output, and count
 * calls into the addon so a test can prove the native path ran. Internal to the engine's tests
 * (the wasm tests compare through the same functions, see ../reference.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../core/rng.ts';
import type { NativeAddon } from './addon.ts';

/** A host input: values and shape (float32 unless `dtype` says), so each backend builds its own tensor. */
export interface HostTensor { values: Float32Array | Int32Array | Uint8Array; shape: number[]; dtype?: 'float32' | 'int32' | 'bool' }

/** Inputs as host arrays so each backend builds its own tensors. */
export type HostInputs = HostTensor[];

/** A float32 host tensor, as the random inputs are. */
export type FloatHost = HostTensor & { values: Float32Array };

/** One output read back to the host, its values as float32 whatever its dtype. */
export interface HostOutput { values: Float32Array; dtype: tf.DataType; shape: number[] }

/**
 * Seeded standard-normal values (times `scale`) as a host tensor, drawn from `rng`.
 *
 * @example
 * const x = randomHost(new Rng(1), [3, 4]);
 */
export function randomHost(rng: Rng, shape: number[], scale = 1): FloatHost {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = rng.normal() * scale;
  return { values, shape };
}

/**
 * Seeded standard-normal inputs of the given shapes.
 *
 * @example
 * const inputs = randomInputs(7, [[2, 5, 5, 3], [3, 3, 3, 4]]);
 */
export function randomInputs(seed: number, shapes: number[][], scale = 1): FloatHost[] {
  const rng = new Rng(seed);
  return shapes.map((shape) => randomHost(rng, shape, scale));
}

/**
 * Runs `f` on `backend` and copies every output (values, dtype and shape) to the host.
 *
 * @example
 * const [y] = await runOnBackend('cpu', [x], (t) => tf.relu(t)); // y.dtype === 'float32'
 */
export async function runOnBackend(backend: string, inputs: HostInputs, f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<HostOutput[]> {
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
 * Runs `f` on `backend` and reads every output's values back to the host.
 *
 * @example
 * const [dx] = await runOn('native', inputs, (x) => [tf.grad((t) => tf.sum(tf.relu(t)))(x)]);
 */
export async function runOn(backend: string, inputs: HostInputs, f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  return (await runOnBackend(backend, inputs, f)).map((o) => o.values);
}

/**
 * The largest |native - cpu| over all outputs, relative to max(1, |cpu|) element-wise;
 * Infinity when the outputs differ in number, dtype or shape or a value is NaN on one side only.
 *
 * @example
 * const err = await nativeVsCpu(inputs, (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'));
 * assert.ok(err < 1e-4);
 */
export async function nativeVsCpu(inputs: HostInputs, f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<number> {
  const ref = await runOnBackend('cpu', inputs, f);
  const got = await runOnBackend('native', inputs, f);
  const alike = (a: HostOutput, b: HostOutput | undefined): boolean => b !== undefined && a.dtype === b.dtype && tf.util.arraysEqual(a.shape, b.shape);
  if (ref.length !== got.length || !ref.every((r, o) => alike(r, got[o]))) return Infinity;
  return worstError(ref.map((r) => r.values), got.map((g) => g.values));
}

/**
 * The largest element-wise error of `got` against `ref`, relative to max(1, |ref|): 0 where
 * the values are equal (infinities included) or both NaN, Infinity where only one is NaN or the
 * outputs differ in number or length.
 *
 * @example
 * worstError([Float32Array.of(1, 2)], [Float32Array.of(1, 2.5)]); // 0.25
 */
export function worstError(ref: Float32Array[], got: Float32Array[]): number {
  let worst = 0;
  if (ref.length !== got.length) return Infinity;
  for (let o = 0; o < ref.length; o++) {
    const a = ref[o]!;
    const b = got[o]!;
    if (a.length !== b.length) return Infinity;
    for (let i = 0; i < a.length; i++) {
      if (a[i] === b[i] || (Number.isNaN(a[i]!) && Number.isNaN(b[i]!))) continue;
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
