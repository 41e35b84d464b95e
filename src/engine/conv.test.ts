import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../core/rng.ts';
import { disposeEngine, initEngine } from './index.ts';
import { randn, testThreads, wasmVsCpu } from './reference.ts';

type Pad = 'same' | 'valid';
const TOL = 1e-4;
type Shape4 = [number, number, number, number];

before(async () => { await initEngine({ backend: 'wasm', threads: testThreads() }); });
after(async () => { await disposeEngine(); });

/** Loss = sum(op(x, w) * g) with a random g, so every output position has its own weight. */
function gradsOf(op: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D) {
  return (x: tf.Tensor, w: tf.Tensor, g: tf.Tensor): tf.Tensor[] => {
    const out = op(x as tf.Tensor4D, w as tf.Tensor4D);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a as tf.Tensor4D, b as tf.Tensor4D), g)))([x, w]);
    return [out, dx!, dw!];
  };
}

function inputsFor(rng: Rng, xShape: number[], wShape: number[], outShape: number[]) {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  return [
    { values: randn(rng, size(xShape)), shape: xShape },
    { values: randn(rng, size(wShape), 0.5), shape: wShape },
    { values: randn(rng, size(outShape)), shape: outShape },
  ];
}

describe('conv2d gradients on wasm match cpu', () => {
  const cases: { x: Shape4; w: Shape4; s: number | [number, number]; pad: Pad }[] = [
    { x: [2, 7, 7, 3], w: [3, 3, 3, 4], s: 1, pad: 'same' },
    { x: [2, 7, 7, 3], w: [3, 3, 3, 4], s: 2, pad: 'valid' },
    { x: [2, 8, 9, 3], w: [3, 3, 3, 5], s: 2, pad: 'same' },
    { x: [1, 8, 6, 2], w: [2, 3, 2, 5], s: [2, 1], pad: 'same' },
    { x: [3, 5, 5, 4], w: [1, 1, 4, 6], s: 1, pad: 'valid' },
    { x: [1, 11, 10, 2], w: [5, 5, 2, 3], s: 2, pad: 'same' },
  ];
  for (const c of cases) {
    test(`x ${c.x} w ${c.w} stride ${c.s} ${c.pad}`, async () => {
      const rng = new Rng(7);
      const out = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.w) as tf.Tensor4D, c.s, c.pad).shape);
      const err = await wasmVsCpu(inputsFor(rng, c.x, c.w, out), gradsOf((x, w) => tf.conv2d(x, w, c.s, c.pad)));
      assert.ok(err < TOL, `max relative error ${err}`);
    });
  }
});

describe('depthwiseConv2d gradients on wasm match cpu', () => {
  const cases: { x: Shape4; w: Shape4; s: number; pad: Pad }[] = [
    { x: [2, 7, 7, 3], w: [3, 3, 3, 1], s: 1, pad: 'same' },
    { x: [2, 8, 8, 4], w: [3, 3, 4, 1], s: 2, pad: 'same' },
    { x: [2, 9, 7, 3], w: [3, 3, 3, 1], s: 2, pad: 'valid' },
    { x: [1, 6, 6, 2], w: [3, 3, 2, 3], s: 1, pad: 'valid' },
    { x: [1, 7, 7, 2], w: [5, 5, 2, 2], s: 2, pad: 'same' },
  ];
  for (const c of cases) {
    test(`x ${c.x} w ${c.w} stride ${c.s} ${c.pad}`, async () => {
      const rng = new Rng(11);
      const out = tf.tidy(() => tf.depthwiseConv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.w) as tf.Tensor4D, c.s, c.pad).shape);
      const err = await wasmVsCpu(inputsFor(rng, c.x, c.w, out), gradsOf((x, w) => tf.depthwiseConv2d(x, w, c.s, c.pad)));
      assert.ok(err < TOL, `max relative error ${err}`);
    });
  }
});
