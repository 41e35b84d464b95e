import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { broadcastPlan } from './elementwise.ts';
import { reducePlan, swapPlan } from './elementwise-reduce.ts';
import { Rng } from '../../core/rng.ts';
import { nativeVsCpu, randomHost } from './compare.ts';
import { nativeTestSkip } from './testing.ts';
import type { HostTensor } from './compare.ts';

const skip = await nativeTestSkip();
const rng = new Rng(11);

test('broadcastPlan collapses shapes to three dims with 0/1 inner strides', () => {
  assert.deepEqual(broadcastPlan([128, 10], [128, 1]), { outShape: [128, 10], dims: [1, 128, 10], sa: [0, 10, 1], sb: [0, 1, 0] });
  assert.deepEqual(broadcastPlan([2, 3, 3, 4], [4]), { outShape: [2, 3, 3, 4], dims: [1, 18, 4], sa: [0, 4, 1], sb: [0, 0, 1] });
  assert.deepEqual(broadcastPlan([5, 6], [5, 6])?.dims, [1, 1, 30]);
  assert.equal(broadcastPlan([2, 1, 3, 1], [1, 4, 1, 5]), undefined);
  assert.deepEqual(reducePlan([128, 1200], [0], false), { outer: 1, reduced: 128, inner: 1200, outShape: [1200] });
  assert.deepEqual(reducePlan([2, 3, 4, 5], [1, 2], true), { outer: 2, reduced: 12, inner: 5, outShape: [2, 1, 1, 5] });
  assert.equal(reducePlan([2, 3, 4], [0, 2], false), undefined);
  assert.deepEqual(swapPlan([4, 5], [1, 0]), { batch: 1, rows: 4, cols: 5 });
  assert.deepEqual(swapPlan([2, 3, 4, 5], [0, 3, 1, 2]), { batch: 2, rows: 12, cols: 5 });
  assert.deepEqual(swapPlan([2, 3, 4, 5], [2, 3, 0, 1]), { batch: 1, rows: 6, cols: 20 });
  assert.equal(swapPlan([2, 3, 4], [2, 1, 0]), undefined);
  assert.equal(swapPlan([2, 3], [0, 1]), undefined);
});

const SHAPES: Array<[number[], number[]]> = [
  [[37, 5], [37, 5]], [[37, 5], []], [[], [37, 5]], [[6, 7], [7]], [[6, 7], [6, 1]], [[1, 7], [6, 1]],
  [[2, 3, 3, 4], [4]], [[2, 1, 3], [1, 4, 1]], [[2, 1, 3, 1], [1, 4, 1, 5]], [[3, 50000], [50000]], [[70000], [70000]],
];

test('binary ops with broadcasting match the cpu backend (float and bool outputs)', { skip }, async () => {
  const ops: Array<[string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor]> = [
    ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', tf.div], ['maximum', tf.maximum], ['minimum', tf.minimum],
    ['squaredDifference', tf.squaredDifference], ['greater', tf.greater], ['greaterEqual', tf.greaterEqual], ['less', tf.less],
    ['lessEqual', tf.lessEqual], ['equal', tf.equal], ['notEqual', tf.notEqual],
    // |a| ^ b: a negative base with a fractional power is NaN on both backends, tested below
    ['pow', (p, q) => tf.pow(tf.abs(p), q)],
  ];
  for (const [sa, sb] of SHAPES) {
    const a = randomHost(rng, sa);
    const b = randomHost(rng, sb);
    // some exact ties, so that equal / greaterEqual see both outcomes
    if (sa.length === sb.length && a.values.length === b.values.length) for (let i = 0; i < a.values.length; i += 3) b.values[i] = a.values[i];
    for (const [name, f] of ops) {
      const err = await nativeVsCpu([a, b], f);
      assert.ok(err < 1e-6, `${name} ${sa} ${sb}: ${err}`);
    }
  }
});

test('logical and / or / not on bool tensors, with broadcasting', { skip }, async () => {
  for (const [sa, sb] of SHAPES) {
    const a = randomHost(rng, sa);
    const b = randomHost(rng, sb);
    for (const f of [tf.logicalAnd, tf.logicalOr]) {
      assert.equal(await nativeVsCpu([a, b], (p, q) => tf.cast(f(tf.greater(p, 0), tf.less(q, 0.3)), 'float32')), 0, `${sa} ${sb}`);
    }
    assert.equal(await nativeVsCpu([a], (p) => tf.cast(tf.logicalNot(tf.greater(p, 0)), 'float32')), 0);
  }
});

test('unary ops (with their attrs) match the cpu backend', { skip }, async () => {
  const x = randomHost(rng, [5, 7001], 4);
  x.values[0] = 0;
  x.values[1] = 6;
  const pos: HostTensor = { values: x.values.map(Math.abs), shape: x.shape };
  const ops: Array<[string, (t: tf.Tensor) => tf.Tensor, HostTensor?]> = [
    ['relu', tf.relu], ['relu6', tf.relu6], ['step', (t) => tf.step(t, 0.3)], ['neg', tf.neg], ['square', tf.square],
    ['sqrt', tf.sqrt, pos], ['rsqrt', tf.rsqrt, pos], ['exp', tf.exp], ['log', tf.log, pos], ['sigmoid', tf.sigmoid],
    ['abs', tf.abs], ['tanh', tf.tanh], ['reciprocal', tf.reciprocal, pos], ['clipByValue', (t) => tf.clipByValue(t, -1.5, 2)],
    ['elu', tf.elu], ['leakyRelu', (t) => tf.leakyRelu(t, 0.15)],
  ];
  for (const [name, f, input] of ops) {
    const err = await nativeVsCpu([input ?? x], f);
    assert.ok(err < 2e-6, `${name}: ${err}`);
  }
  // exp and sigmoid are vectorised by hand: check the range ends too
  const ends: HostTensor = { values: new Float32Array([-Infinity, -104, -100, -87, -1e-8, 0, 1e-8, 0.3466, 1, 20, 88, 88.7, 89, Infinity, NaN, 3]), shape: [16] };
  for (const f of [tf.exp, tf.sigmoid]) assert.ok((await nativeVsCpu([ends], f)) < 2e-6);
  const base: HostTensor = { values: new Float32Array([-2, -2, 0, 0, 3, -1.5]), shape: [6] };
  const power: HostTensor = { values: new Float32Array([3, 0.5, 0, -1, 2.5, 2]), shape: [6] };
  assert.equal(await nativeVsCpu([base, power], tf.pow), 0);
  // NaN goes through as NaN, as in tfjs
  const nan: HostTensor = { values: new Float32Array([NaN, 1, -1]), shape: [3] };
  for (const f of [tf.relu, tf.relu6, (t: tf.Tensor) => tf.step(t)]) assert.equal(await nativeVsCpu([nan], f), 0);
});

test('reductions over contiguous axes, keepDims, and the non-contiguous fallback', { skip }, async () => {
  const x = randomHost(rng, [6, 5, 4, 300]);
  const cases: Array<[number | number[], boolean]> = [[0, false], [3, false], [[0, 1, 2], false], [[1, 2], true], [[0, 2], false], [[0, 1, 2, 3], false], [-1, true]];
  for (const [axis, keepDims] of cases) {
    for (const [name, f] of [['sum', tf.sum], ['mean', tf.mean], ['max', tf.max], ['min', tf.min]] as const) {
      const err = await nativeVsCpu([x], (t) => f(t, axis, keepDims));
      assert.ok(err < 1e-5, `${name} axis ${String(axis)} keepDims ${keepDims}: ${err}`);
    }
  }
  // a long single-row sum in double agrees with the JS reference
  assert.ok((await nativeVsCpu([randomHost(rng, [200000], 10)], (t) => tf.sum(t))) < 1e-6);
});

test('argMax, softmax, tile, select and casts match the cpu backend', { skip }, async () => {
  const x = randomHost(rng, [33, 10]);
  x.values[5] = x.values[6] = 50; // a tie: the first index wins
  for (const axis of [0, 1]) assert.equal(await nativeVsCpu([x], (t) => tf.argMax(t, axis)), 0, `argMax ${axis}`);
  assert.ok((await nativeVsCpu([x], (t) => tf.softmax(t))) < 1e-6);
  assert.ok((await nativeVsCpu([x], (t) => tf.logSoftmax(t))) < 1e-6);
  for (const reps of [[1, 3], [4, 1], [2, 2]]) assert.equal(await nativeVsCpu([x], (t) => tf.tile(t, reps)), 0, `tile ${reps}`);
  assert.equal(await nativeVsCpu([randomHost(rng, [2, 3, 4])], (t) => tf.tile(t, [3, 1, 2])), 0);
  const t4 = randomHost(rng, [3, 37, 5, 70]);
  for (const perm of [[0, 1, 3, 2], [0, 3, 1, 2], [2, 3, 0, 1], [1, 0, 2, 3], [3, 2, 1, 0], [0, 2, 1, 3]]) {
    assert.equal(await nativeVsCpu([t4], (t) => tf.transpose(t, perm)), 0, `transpose ${perm}`);
  }
  const y = randomHost(rng, [33, 10]);
  assert.equal(await nativeVsCpu([x, y], (a, b) => tf.where(tf.greater(a, b), a, b)), 0);
  assert.equal(await nativeVsCpu([x], (t) => tf.cast(tf.greater(t, 0), 'float32')), 0);
  const ints: HostTensor = { values: Int32Array.from([3, -2, 7, 0]), shape: [4], dtype: 'int32' };
  assert.equal(await nativeVsCpu([ints], (t) => tf.cast(t, 'float32')), 0);
  // int32 inputs take the stock kernels and keep their dtype
  assert.equal(await nativeVsCpu([ints, ints], (a, b) => tf.add(a, b)), 0);
});

test('gradients of relu / relu6 / sigmoid / softmax cross-entropy / batch statistics match', { skip }, async () => {
  const x = randomHost(rng, [16, 3, 3, 8], 4);
  const scale = randomHost(rng, [8]);
  const err = await nativeVsCpu([x, scale], (t, s) => tf.grads((a: tf.Tensor, c: tf.Tensor) => {
    const { mean, variance } = tf.moments(a, [0, 1, 2]);
    const n = tf.mul(tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, 1e-3))), c);
    const h = tf.add(tf.relu6(n), tf.mul(tf.sigmoid(n), tf.relu(tf.neg(n))));
    const logits = tf.reshape(tf.mean(h, [1, 2]), [16, 8]);
    return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7, 7, 6, 5, 4, 3, 2, 1, 0], 'int32'), 8), logits);
  })([t, s]));
  assert.ok(err < 1e-4, `${err}`);
});
