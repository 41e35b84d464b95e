import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { loadNativeAddon } from './addon.ts';
import { Rng } from '../../core/rng.ts';
import { nativeVsCpu, randomHost } from './compare.ts';
import { nativeTestSkip } from './testing.ts';

const skip = await nativeTestSkip();
const rng = new Rng(7);

test('BatchMatMul: every transpose pair, odd sizes, batches and broadcast batches', { skip }, async () => {
  const cases: Array<[number[], number[]]> = [
    [[7, 13], [13, 5]], [[1, 1], [1, 1]], [[3, 7, 13], [3, 13, 5]], [[1, 4, 5], [3, 5, 6]],
    [[3, 4, 5], [5, 6]], [[2, 3, 4, 5], [5, 2]],
    // batch dims [2, 3] vs [3]: 6 and 3 batches, repeated modulo as tfjs does
    [[2, 3, 4, 5], [3, 5, 2]],
  ];
  for (const [sa, sb] of cases) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const a = [...sa];
        const b = [...sb];
        if (ta) [a[a.length - 2], a[a.length - 1]] = [a[a.length - 1], a[a.length - 2]];
        if (tb) [b[b.length - 2], b[b.length - 1]] = [b[b.length - 1], b[b.length - 2]];
        const err = await nativeVsCpu([randomHost(rng, a), randomHost(rng, b)], (x, y) => tf.matMul(x, y, ta, tb));
        assert.ok(err < 1e-5, `${a} x ${b} ta=${ta} tb=${tb}: ${err}`);
      }
    }
  }
});

test('BatchMatMul: a sum long enough to show accumulation error (784 x 1200 x 1200)', { skip }, async () => {
  const err = await nativeVsCpu([randomHost(rng, [16, 784]), randomHost(rng, [784, 1200], 0.05)], (x, w) => tf.matMul(x, w));
  assert.ok(err < 1e-4, `${err}`);
});

test('_FusedMatMul: bias and relu / relu6 / sigmoid / elu / leakyrelu, with transposes', { skip }, async () => {
  for (const activation of ['linear', 'relu', 'relu6', 'sigmoid', 'elu', 'leakyrelu'] as const) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const a = randomHost(rng, ta ? [9, 6] : [6, 9], 3);
      const b = randomHost(rng, tb ? [11, 9] : [9, 11]);
      const bias = randomHost(rng, [11]);
      const err = await nativeVsCpu([a, b, bias], (x, w, c) =>
        tf.fused.matMul({ a: x, b: w, bias: c, activation, transposeA: ta, transposeB: tb, leakyreluAlpha: 0.1 }));
      assert.ok(err < 1e-5, `${activation} ta=${ta} tb=${tb}: ${err}`);
    }
  }
});

test('_FusedMatMul: biases the primitive cannot take and prelu fall back to the stock kernel', { skip }, async () => {
  const a = randomHost(rng, [5, 4]);
  const b = randomHost(rng, [4, 3]);
  // a full [5, 3] bias, a scalar bias, a [5, 1] per-row bias, and prelu
  for (const shape of [[5, 3], [], [5, 1]]) {
    const err = await nativeVsCpu([a, b, randomHost(rng, shape)], (x, w, c) => tf.fused.matMul({ a: x, b: w, bias: c, activation: 'relu' }));
    assert.ok(err < 1e-6, `bias ${shape}: ${err}`);
  }
  const err = await nativeVsCpu([a, b, randomHost(rng, [3]), randomHost(rng, [3])], (x, w, c, p) =>
    tf.fused.matMul({ a: x, b: w, bias: c, activation: 'prelu', preluActivationWeights: p }));
  assert.ok(err < 1e-6, `prelu: ${err}`);
});

test('fused matmul gradients (x, w and bias) match the cpu backend', { skip }, async () => {
  for (const activation of ['relu', 'relu6', 'linear'] as const) {
    const err = await nativeVsCpu([randomHost(rng, [8, 12], 4), randomHost(rng, [12, 7]), randomHost(rng, [7])], (x, w, c) =>
      tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => tf.sum(tf.square(tf.fused.matMul({ a: p as tf.Tensor2D, b: q as tf.Tensor2D, bias: r, activation }))))([x, w, c]));
    assert.ok(err < 1e-4, `${activation}: ${err}`);
  }
});

test('primitives are cached by shape: repeating a product adds no cache entry', { skip }, async () => {
  const addon = loadNativeAddon()!;
  const size = addon['matmulCacheSize'] as unknown as () => number;
  const a = tf.ones([3, 17]);
  const b = tf.ones([17, 19]);
  tf.matMul(a, b).dispose();
  const before = size();
  for (let i = 0; i < 3; i++) {
    const c = tf.matMul(a, b);
    assert.equal(c.dataSync()[0], 17);
    c.dispose();
  }
  assert.equal(size(), before);
  tf.matMul(a, tf.ones([17, 20])).dispose();
  assert.equal(size(), before + 1);
  tf.dispose([a, b]);
});
