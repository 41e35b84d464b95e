import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { disposeEngine, initEngine } from '../index.ts';
import { loadNativeAddon } from './addon.ts';
import { nativeSkip } from './testing.ts';
import { nativeVsCpu, randomInputs, runOn, spyOn, worstError } from './compare.ts';

const addon = loadNativeAddon();
const skip = nativeSkip();
const TOL = 1e-5;

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid';

before(async () => { if (addon) await initEngine({ backend: 'native', threads: 2 }); });
after(async () => { if (addon) await disposeEngine(); });

function poolOut(x: Shape4, f: number, s: number, pad: Pad): number[] {
  return tf.backend_util.computePool2DInfo(x, f, s, 1, pad).outShape;
}

/** [y, dL/dx] for L = sum(pool(x) * g). */
function valueAndGrad(pool: (x: tf.Tensor4D) => tf.Tensor4D) {
  return (x: tf.Tensor, g: tf.Tensor): tf.Tensor[] =>
    [pool(x as tf.Tensor4D), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(pool(a as tf.Tensor4D), g)))(x)];
}

/** TF's average-pool gradient: each window spreads g / (its in-bounds pixel count). */
function avgPoolGradReference(x: Shape4, g: Float32Array, f: number, s: number, pad: Pad): Float32Array {
  const info = tf.backend_util.computePool2DInfo(x, f, s, 1, pad);
  const [n, h, w, c] = x;
  const dx = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < info.outHeight; i++) {
      for (let j = 0; j < info.outWidth; j++) {
        const r0 = Math.max(0, i * s - info.padInfo.top), r1 = Math.min(h, i * s - info.padInfo.top + f);
        const c0 = Math.max(0, j * s - info.padInfo.left), c1 = Math.min(w, j * s - info.padInfo.left + f);
        const count = (r1 - r0) * (c1 - c0);
        for (let r = r0; r < r1; r++) {
          for (let q = c0; q < c1; q++) {
            for (let k = 0; k < c; k++) dx[((b * h + r) * w + q) * c + k]! += g[((b * info.outHeight + i) * info.outWidth + j) * c + k]! / count;
          }
        }
      }
    }
  }
  return dx;
}

describe('native pooling matches cpu (values and gradients)', { skip }, () => {
  const cases: { x: Shape4; f: number; s: number; pad: Pad }[] = [
    { x: [2, 26, 26, 32], f: 2, s: 2, pad: 'valid' }, // the conv net's first pool
    { x: [2, 11, 11, 7], f: 2, s: 2, pad: 'valid' }, // odd size: the last row and column are dropped
    { x: [2, 7, 9, 3], f: 3, s: 2, pad: 'same' },
    { x: [2, 8, 8, 5], f: 3, s: 1, pad: 'same' },
    { x: [1, 7, 6, 4], f: 2, s: 2, pad: 'same' }, // the extra pad goes to the bottom/right
  ];
  for (const c of cases) {
    test(`max pool x ${c.x} filter ${c.f} stride ${c.s} ${c.pad}`, async () => {
      const inputs = randomInputs(31, [c.x, poolOut(c.x, c.f, c.s, c.pad)]);
      const spy = spyOn(addon!, ['maxPool', 'maxPoolGrad']);
      const err = await nativeVsCpu(inputs, valueAndGrad((x) => tf.maxPool(x, c.f, c.s, c.pad)));
      spy.restore();
      assert.ok(err < TOL, `worst relative error ${err}`);
      assert.ok(spy.calls['maxPool']! >= 1 && spy.calls['maxPoolGrad']! >= 1, JSON.stringify(spy.calls));
    });
    test(`avg pool x ${c.x} filter ${c.f} stride ${c.s} ${c.pad}`, async () => {
      const inputs = randomInputs(32, [c.x, poolOut(c.x, c.f, c.s, c.pad)]);
      const spy = spyOn(addon!, ['avgPool', 'avgPoolGrad']);
      const [y, dx] = await runOn('native', inputs, valueAndGrad((x) => tf.avgPool(x, c.f, c.s, c.pad)));
      spy.restore();
      assert.ok(spy.calls['avgPool']! >= 1 && spy.calls['avgPoolGrad']! >= 1, JSON.stringify(spy.calls));
      const [yRef, dxStock] = await runOn('cpu', inputs, valueAndGrad((x) => tf.avgPool(x, c.f, c.s, c.pad)));
      assert.ok(worstError([yRef!], [y!]) < TOL, 'forward');
      // the stock cpu gradient divides by the whole window even where it overlaps padding; TF
      // (and this kernel) divide by the in-bounds count, as the forward pass does
      const dxRef = avgPoolGradReference(c.x, inputs[1]!.values, c.f, c.s, c.pad);
      assert.ok(worstError([dxRef], [dx!]) < TOL, `gradient: ${worstError([dxRef], [dx!])}`);
      if (c.pad === 'valid') assert.ok(worstError([dxStock!], [dx!]) < TOL, 'gradient vs stock');
    });
  }

  test('ties: the gradient goes to the first maximum of each window, as on cpu', async () => {
    // every window of 2x2 holds two or four equal maxima; half the windows are all negative
    const x = new Float32Array(2 * 4 * 4 * 3).map((_, i) => ((i >> 1) % 3 === 0 ? -2 : (i % 7 < 3 ? 1 : -1)));
    const inputs = [{ values: x, shape: [2, 4, 4, 3] }, ...randomInputs(33, [[2, 2, 2, 3]])];
    const err = await nativeVsCpu(inputs, valueAndGrad((a) => tf.maxPool(a, 2, 2, 'valid')));
    assert.equal(err, 0);
  });

  test('a window of all negative values still routes its gradient (wasm 4.22 drops it)', async () => {
    const inputs = [{ values: Float32Array.of(-3, -1, -2, -4), shape: [1, 2, 2, 1] }, { values: Float32Array.of(5), shape: [1, 1, 1, 1] }];
    const [, dx] = await runOn('native', inputs, valueAndGrad((a) => tf.maxPool(a, 2, 2, 'valid')));
    assert.deepEqual([...dx!], [0, 5, 0, 0]);
  });

  test('no tensor leaks over training steps through max and avg pooling', async () => {
    await tf.setBackend('native');
    const [xv] = randomInputs(34, [[4, 8, 8, 3]]);
    const x = tf.variable(tf.tensor(xv!.values, xv!.shape));
    const opt = tf.train.sgd(0.1);
    const step = (): void => {
      opt.minimize(() => tf.sum(tf.avgPool(tf.maxPool(x as unknown as tf.Tensor4D, 2, 2, 'same'), 3, 1, 'same')), false)?.dispose();
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
    opt.dispose();
  });
});
