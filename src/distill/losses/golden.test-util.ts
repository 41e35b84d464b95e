/**
 * Test support: the golden fixtures written by scripts/golden/distill_losses.py (PyTorch,
 * float64) and the comparisons the loss tests make against them, on each backend.
 */
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { disposeEngine, initEngine } from '../../engine/index.ts';
import { nativeSkip } from '../../engine/native/testing.ts';
import { lossTerms } from './registry.ts';
import type { LossContext, LossTerm } from '../types.ts';

/** A tensor as the fixtures store it. */
export interface Encoded {
  shape: number[];
  data: number[];
}

/** One fixture case: inputs, options, PyTorch's value and gradients. */
export interface GoldenCase {
  name: string;
  options: Record<string, unknown>;
  inputs: Record<string, Encoded>;
  value: number;
  grads: Record<string, Encoded>;
}

/** The cases of `fixtures/<term>.json`. */
export function loadGolden(term: string): GoldenCase[] {
  const doc = JSON.parse(readFileSync(new URL(`./fixtures/${term}.json`, import.meta.url), 'utf8')) as { term: string; cases: GoldenCase[] };
  assert.equal(doc.term, term);
  return doc.cases;
}

/** A fixture tensor as a TF.js tensor on the current backend. */
export function tensorOf(e: Encoded, dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  return tf.tensor(e.data, e.shape, dtype);
}

/** Relative tolerance of values and gradients against PyTorch's float64 (we compute in float32). */
export const RTOL = 1e-5;

/**
 * Worst error of `actual` against `expected`, each element measured against
 * `|expected_i| + max|expected| / 10`: relative for the large entries, and no tighter than
 * float32 can be for entries that are near zero only by cancellation.
 */
export function worstError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length, 'length');
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / (Math.abs(expected[i]) + scale / 10 + 1e-30);
    if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
  }
  return worst;
}

/** Fails with the worst error and the first few numbers when {@link worstError} exceeds `rtol`. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = RTOL): void {
  const err = worstError(actual, expected);
  assert.ok(err <= rtol, `${what}: worst relative error ${err.toExponential(2)} > ${rtol} (got ${Array.from(actual).slice(0, 4).map((v) => v.toPrecision(7)).join(', ')}..., want ${Array.from(expected).slice(0, 4).map((v) => v.toPrecision(7)).join(', ')}...)`);
}

/** The term a case configures, built through the registry and the term's own schema. */
export function termOf(term: string, c: GoldenCase): LossTerm {
  const kind = lossTerms.get(term);
  return kind.create(kind.schema.parse(c.options));
}

/**
 * Value and gradient (w.r.t. the student's logits) of a loss on a logits case.
 * `f` defaults to the registered term.
 */
export function logitsResult(c: GoldenCase, f: (ctx: LossContext) => tf.Scalar): { value: number; grad: Float32Array } {
  return tf.tidy(() => {
    const teacherLogits = tensorOf(c.inputs['teacherLogits']) as tf.Tensor2D;
    const labels = tensorOf(c.inputs['labels'], 'int32') as tf.Tensor1D;
    const fn = (s: tf.Tensor) => f({ studentLogits: s as tf.Tensor2D, teacherLogits, labels });
    const s = tensorOf(c.inputs['studentLogits']);
    const { value, grad } = tf.valueAndGrad(fn)(s);
    return { value: value.dataSync()[0], grad: grad.dataSync() as Float32Array };
  });
}

/** Value and gradient (w.r.t. the student's feature) of a term on a feature case. */
export function featureResult(c: GoldenCase, term: LossTerm): { value: number; grad: Float32Array } {
  return tf.tidy(() => {
    const o = c.options as { student: string; teacher: string };
    const t = tensorOf(c.inputs['teacherFeature']);
    const dummy = tf.zeros([t.shape[0], 2]) as tf.Tensor2D;
    const fn = (s: tf.Tensor) => term.compute({
      studentLogits: dummy, teacherLogits: dummy, labels: tf.zeros([t.shape[0]], 'int32') as tf.Tensor1D,
      studentFeatures: { [o.student]: s }, teacherFeatures: { [o.teacher]: t },
    });
    const { value, grad } = tf.valueAndGrad(fn)(tensorOf(c.inputs['studentFeature']));
    return { value: value.dataSync()[0], grad: grad.dataSync() as Float32Array };
  });
}

/**
 * The backends every loss test runs on: cpu (TF.js's numerical reference), wasm (the portable
 * default) and native (what `auto` picks where the kernel pack is built; skipped without it on
 * a user's machine, a failure in CI, see engine/native/testing.ts).
 */
export const BACKENDS = ['cpu', 'wasm', 'native'] as const;

/** A `describe` per backend, with the engine started on it. */
export function onEachBackend(title: string, body: (backend: (typeof BACKENDS)[number]) => void): void {
  for (const backend of BACKENDS) {
    describe(`${title} [${backend}]`, { skip: backend === 'native' ? nativeSkip() : false }, () => {
      before(async () => { await initEngine({ backend, threads: 1 }); });
      body(backend);
    });
  }
  after(async () => { await disposeEngine(); });
}
