import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../core/rng.ts';
import { disposeEngine, initEngine, registerWasmKernels, unregisterWasmKernels } from './index.ts';
import { randn, runOn, testThreads, wasmVsCpu } from './reference.ts';

before(async () => { await initEngine({ backend: 'wasm', threads: testThreads() }); });
after(async () => { await disposeEngine(); });

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
type Shape4 = [number, number, number, number];
type Pool = (x: tf.Tensor4D) => tf.Tensor4D;

function poolGrads(pool: Pool) {
  return (x: tf.Tensor, g: tf.Tensor): tf.Tensor[] => [pool(x as tf.Tensor4D), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(pool(a as tf.Tensor4D), g)))(x)];
}

describe('pooling gradients on wasm match cpu', () => {
  const cases: { x: Shape4; k: number; s: number; pad: 'same' | 'valid' }[] = [
    { x: [2, 8, 8, 3], k: 2, s: 2, pad: 'valid' },
    { x: [2, 7, 7, 5], k: 3, s: 2, pad: 'same' },
    { x: [1, 9, 6, 2], k: 3, s: 1, pad: 'valid' },
  ];
  for (const c of cases) {
    for (const kind of ['max', 'avg'] as const) {
      test(`${kind}Pool x ${c.x} k ${c.k} s ${c.s} ${c.pad}`, async () => {
        const rng = new Rng(3);
        const pool: Pool = (x) => (kind === 'max' ? tf.maxPool(x, c.k, c.s, c.pad) : tf.avgPool(x, c.k, c.s, c.pad));
        const outShape = tf.tidy(() => pool(tf.zeros(c.x) as tf.Tensor4D).shape);
        const err = await wasmVsCpu([{ values: randn(rng, size(c.x)), shape: c.x }, { values: randn(rng, size(outShape)), shape: outShape }], poolGrads(pool));
        assert.ok(err < 1e-4, `max relative error ${err}`);
      });
    }
  }
});

describe('MaxPoolGrad with windows of values <= 0', () => {
  // Rows [-3, -1, 0, 0] and [-2, -5, 0, 0]: the left 2x2 window is all negative (max -1 at
  // index 1), the right one all zero (first max at index 2).
  const x = { values: new Float32Array([-3, -1, 0, 0, -2, -5, 0, 0]), shape: [1, 2, 4, 1] };
  const grad = (t: tf.Tensor): tf.Tensor[] => [tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid')))(t)];
  const expected = [0, 1, 1, 0, 0, 0, 0, 0];

  test('cpu reference and distillery kernel route each gradient to its window maximum', async () => {
    const [ref] = await runOn('cpu', [x], grad);
    assert.deepEqual([...ref!], expected);
    const [got] = await runOn('wasm', [x], grad);
    assert.deepEqual([...got!], expected);
  });

  test('stock 4.22 kernel is wrong on the same input (the bug we replace)', async () => {
    unregisterWasmKernels();
    try {
      const [got] = await runOn('wasm', [x], grad);
      assert.notDeepEqual([...got!], expected);
    } finally {
      registerWasmKernels();
    }
  });
});
