import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../core/rng.ts';
import { disposeEngine, initEngine } from './index.ts';
import { randn, testThreads, wasmVsCpu } from './reference.ts';

before(async () => { await initEngine({ backend: 'wasm', threads: testThreads() }); });
after(async () => { await disposeEngine(); });

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const shapeOf = (m: number, k: number, t: boolean, batch: number[]) => [...batch, ...(t ? [k, m] : [m, k])];

describe('matMul on wasm matches cpu for every transpose combination', () => {
  const dims: { m: number; k: number; n: number; ba: number[]; bb: number[] }[] = [
    { m: 5, k: 7, n: 3, ba: [], bb: [] },
    { m: 33, k: 64, n: 17, ba: [], bb: [] },
    { m: 4, k: 6, n: 5, ba: [3], bb: [3] },
  ];
  for (const d of dims) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        test(`${d.ba}x${d.m}x${d.k} · ${d.bb}x${d.k}x${d.n} tA=${ta} tB=${tb}`, async () => {
          const rng = new Rng(5);
          const sa = shapeOf(d.m, d.k, ta, d.ba);
          const sb = shapeOf(d.k, d.n, tb, d.bb);
          const err = await wasmVsCpu([{ values: randn(rng, size(sa)), shape: sa }, { values: randn(rng, size(sb)), shape: sb }],
            (a, b) => {
              const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, ta, tb))))([a!, b!]);
              return [tf.matMul(a!, b!, ta, tb), ga!, gb!];
            });
          assert.ok(err < 1e-4, `max relative error ${err}`);
        });
      }
    }
  }
});

describe('fused matMul (bias + activation) on wasm matches cpu', () => {
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    test(`relu, tA=${ta} tB=${tb}`, async () => {
      const rng = new Rng(9);
      const sa = shapeOf(6, 8, ta, []);
      const sb = shapeOf(8, 4, tb, []);
      const err = await wasmVsCpu(
        [{ values: randn(rng, size(sa)), shape: sa }, { values: randn(rng, size(sb)), shape: sb }, { values: randn(rng, 4), shape: [4] }],
        (a, b, bias) => {
          const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
            tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, transposeA: ta, transposeB: tb, bias: z, activation: 'relu' });
          const g = tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => tf.sum(tf.square(f(x, y, z))))([a!, b!, bias!]);
          return [f(a!, b!, bias!), ...g];
        });
      assert.ok(err < 1e-4, `max relative error ${err}`);
    });
  }
});
