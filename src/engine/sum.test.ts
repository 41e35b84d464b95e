import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../core/rng.ts';
import { disposeEngine, initEngine } from './index.ts';
import { randn, testThreads, wasmVsCpu } from './reference.ts';

before(async () => { await initEngine({ backend: 'wasm', threads: testThreads() }); });
after(async () => { await disposeEngine(); });

describe('sum on wasm matches cpu', () => {
  const shape = [4, 5, 6, 7];
  const cases: { axis: number[] | null; keepDims: boolean }[] = [
    { axis: [0, 1, 2], keepDims: false },
    { axis: [0, 1, 2], keepDims: true },
    { axis: [0], keepDims: false },
    { axis: [1, 0], keepDims: true },
    { axis: [1, 2], keepDims: false },
    { axis: [3], keepDims: false },
    { axis: null, keepDims: false },
  ];
  for (const c of cases) {
    test(`axis ${JSON.stringify(c.axis)} keepDims ${c.keepDims}`, async () => {
      const rng = new Rng(8);
      const err = await wasmVsCpu([{ values: randn(rng, 840), shape }], (x) => {
        const s = tf.sum(x!, c.axis ?? undefined, c.keepDims);
        // The bias-gradient use: the sum's own gradient must come back too.
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.sum(t, c.axis ?? undefined, c.keepDims))))(x!);
        return [s, g, tf.tensor1d(s.shape)];
      });
      assert.ok(err < 1e-5, `max relative error ${err}`);
    });
  }
});
