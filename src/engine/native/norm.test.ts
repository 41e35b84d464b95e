import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { disposeEngine, initEngine } from '../index.ts';
import { loadNativeAddon } from './addon.ts';
import { nativeSkip } from './testing.ts';
import { nativeVsCpu, randomInputs, spyOn } from './compare.ts';
import { batchNormTrain } from './norm.ts';

const addon = loadNativeAddon();
const skip = nativeSkip();
const TOL = 1e-4;

before(async () => { if (addon) await initEngine({ backend: 'native', threads: 2 }); });
after(async () => { if (addon) await disposeEngine(); });

/** Positive variances, so both backends normalise the same numbers. */
function positive(t: tf.Tensor): tf.Tensor {
  return tf.add(tf.abs(t), 0.5);
}

describe('native FusedBatchNorm matches cpu', { skip }, () => {
  test('per-channel parameters on NHWC data, with and without scale/offset', async () => {
    const inputs = randomInputs(41, [[3, 5, 4, 7], [7], [7], [7], [7]]);
    const spy = spyOn(addon!, ['batchNorm']);
    const err = await nativeVsCpu(inputs, (x, m, v, s, o) => [
      tf.batchNorm(x!, m!, positive(v!), o!, s!, 1e-3),
      tf.batchNorm(x!, m!, positive(v!), undefined, undefined, 0.1),
      tf.batchNorm(x!, m!, positive(v!), o!, undefined),
    ]);
    spy.restore();
    assert.ok(err < TOL, `worst relative error ${err}`);
    assert.equal(spy.calls['batchNorm'], 3);
  });

  test('broadcast shapes: [1,1,1,C] parameters, a size-1 offset and scale, 2-D input', async () => {
    const inputs = randomInputs(42, [[2, 3, 3, 5], [1, 1, 1, 5], [1, 1, 1, 5], [8, 6], [6], [6]]);
    const err = await nativeVsCpu(inputs, (x, m, v, x2, m2, v2) => [
      tf.batchNorm(x!, m!, positive(v!), tf.fill([1, 1, 1, 1], 0.25), tf.fill([1, 1, 1, 1], 3)),
      tf.batchNorm(x2!, m2!, positive(v2!)),
    ]);
    assert.ok(err < TOL, `worst relative error ${err}`);
  });
});

describe('native batch-norm gradient matches cpu', { skip }, () => {
  test('training-mode normalisation: moments then batchNorm, gradients for x, gamma and beta', async () => {
    const inputs = randomInputs(43, [[4, 6, 5, 9], [9], [9], [4, 6, 5, 9]]);
    const spy = spyOn(addon!, ['batchNormGrad']);
    const err = await nativeVsCpu(inputs, (x, gamma, beta, g) => tf.grads((a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
      const { mean, variance } = tf.moments(a, [0, 1, 2]);
      return tf.sum(tf.mul(tf.batchNorm(a, mean, variance, o, s, 1e-3), g!));
    })([x!, gamma!, beta!]));
    spy.restore();
    assert.ok(err < TOL, `worst relative error ${err}`);
    assert.equal(spy.calls['batchNormGrad'], 1);
  });

  test('gradients for mean, variance, scale and offset inputs on 2-D data', async () => {
    // (TF.js's own gradient cannot take a size-1 scale: it reshapes the per-channel sum to it)
    const inputs = randomInputs(44, [[5, 6], [6], [6], [5, 6], [6], [6]]);
    const err = await nativeVsCpu(inputs, (x, m, v, g, s, o) => tf.grads((a: tf.Tensor, mu: tf.Tensor, va: tf.Tensor, sc: tf.Tensor, of: tf.Tensor) =>
      tf.sum(tf.mul(tf.batchNorm(a, mu, va, of, sc, 0.01), g!)))([x!, m!, positive(v!), s!, o!]));
    assert.ok(err < TOL, `worst relative error ${err}`);
  });

  test('a tfjs-layers BatchNormalization layer in training mode: same weight gradients, same tensor count', async () => {
    const layer = (): tfl.layers.Layer => tfl.layers.batchNormalization({ inputShape: [6, 6, 8], gammaInitializer: 'randomNormal', betaInitializer: 'randomNormal' });
    const inputs = randomInputs(45, [[4, 6, 6, 8], [4, 6, 6, 8]]);
    tf.setBackend('cpu');
    const ref = layer();
    ref.apply(tf.zeros([1, 6, 6, 8]));
    const weights = ref.getWeights().map((w) => w.arraySync());
    const growth: Record<string, number> = {};
    const gradsOn = async (backend: string): Promise<Float32Array[]> => {
      await tf.setBackend(backend);
      const l = layer();
      l.apply(tf.zeros([1, 6, 6, 8]));
      l.setWeights(weights.map((w) => tf.tensor(w as number[])));
      const x = tf.tensor(inputs[0]!.values, inputs[0]!.shape);
      const g = tf.tensor(inputs[1]!.values, inputs[1]!.shape);
      const f = (): tf.Scalar => tf.sum(tf.mul(l.apply(x, { training: true }) as tf.Tensor, g));
      const { grads } = tf.variableGrads(f, l.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val));
      const out = Object.values(grads).map((t) => t.dataSync() as Float32Array);
      tf.dispose(Object.values(grads));
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) tf.dispose(Object.values(tf.variableGrads(f).grads));
      growth[backend] = tf.memory().numTensors - before;
      tf.dispose([x, g]);
      return out;
    };
    const a = await gradsOn('cpu');
    const b = await gradsOn('native');
    // tfjs-layers keeps one tensor per training-mode call outside a model (its moving-average
    // update); the native kernels must add none of their own
    assert.equal(growth['native'], growth['cpu']);
    assert.equal(a.length, 2);
    for (let i = 0; i < a.length; i++) {
      for (let j = 0; j < a[i]!.length; j++) assert.ok(Math.abs(a[i]![j]! - b[i]![j]!) <= TOL * Math.max(1, Math.abs(a[i]![j]!)), `grad ${i}[${j}]`);
    }
  });
});

describe('batchNormTrain: one native kernel each way matches moments + batchNorm on cpu', { skip }, () => {
  test('values, moments and gradients for x, scale and offset, through all three outputs', async () => {
    const inputs = randomInputs(46, [[4, 5, 6, 10], [10], [10], [4, 5, 6, 10], [10], [10]]);
    const spy = spyOn(addon!, ['batchNormTrain', 'batchNormTrainGrad']);
    const err = await nativeVsCpu(inputs, (x, gamma, beta, g, h1, h2) => {
      const { y, mean, variance } = batchNormTrain(x!, gamma as tf.Tensor1D, beta as tf.Tensor1D, 1e-3);
      // the loss reads the moments too, so their dependence on x is part of the check
      const loss = (a: tf.Tensor, s: tf.Tensor, o: tf.Tensor): tf.Scalar => {
        const r = batchNormTrain(a, s as tf.Tensor1D, o as tf.Tensor1D, 1e-3);
        return tf.addN([tf.sum(tf.mul(r.y, g!)), tf.sum(tf.mul(r.mean, h1!)), tf.sum(tf.mul(r.variance, h2!))]) as tf.Scalar;
      };
      return [y, mean, variance, ...tf.grads(loss)([x!, gamma!, beta!])];
    });
    spy.restore();
    assert.ok(err < TOL, `worst relative error ${err}`);
    assert.ok(spy.calls['batchNormTrain']! >= 2 && spy.calls['batchNormTrainGrad'] === 1, JSON.stringify(spy.calls));
  });

  test('no tensor leaks over training steps', async () => {
    await tf.setBackend('native');
    const [xv] = randomInputs(47, [[8, 4, 4, 6]]);
    const x = tf.tensor(xv!.values, xv!.shape);
    const gamma = tf.variable(tf.ones([6]));
    const beta = tf.variable(tf.zeros([6]));
    const opt = tf.train.sgd(0.1);
    const step = (): void => {
      opt.minimize(() => tf.sum(tf.square(tf.relu(batchNormTrain(x, gamma as unknown as tf.Tensor1D, beta as unknown as tf.Tensor1D).y))), false)?.dispose();
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x, gamma, beta]);
    opt.dispose();
  });
});
