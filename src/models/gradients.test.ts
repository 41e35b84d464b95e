import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { initEngine } from '../engine/index.ts';
import { nativeSkip } from '../engine/native/testing.ts';
import { buildModel } from './build.ts';
import type { ModelSpec } from './spec.ts';
import { mnistHead } from './testing.ts';

// Every block type and activation the project builds, in two tiny MNIST nets: one ending in
// flatten, one in globalavgpool. A maxpool after a conv on MNIST's black borders sees all-zero
// windows (zero-initialised bias, relu/swish of 0 is 0), where stock wasm's MaxPoolGrad is wrong.
const nets: Record<string, ModelSpec> = {
  'flatten net': {
    blocks: [
      { type: 'conv2d', filters: 4, batchNorm: true, bias: true },
      { type: 'maxpool' },
      { type: 'sepconv', filters: 6, stride: 2, activation: 'hswish' },
      { type: 'mbconv', filters: 6, expansion: 2, se: 0.5, activation: 'relu6' },
      { type: 'conv2d', filters: 4, kernel: 2, padding: 'valid', activation: 'relu6' },
      { type: 'avgpool' },
      { type: 'batchnorm' },
      { type: 'activation', fn: 'tanh' },
      { type: 'flatten' },
      { type: 'dense', units: 8, activation: 'sigmoid' },
      { type: 'dropout', rate: 0 },
    ],
  },
  'globalavgpool net': {
    blocks: [
      { type: 'conv2d', filters: 4, activation: 'swish' },
      { type: 'maxpool', size: 3, stride: 2, padding: 'same' },
      { type: 'mbconv', filters: 8, expansion: 1, kernel: 5, stride: 2, activation: 'hsigmoid' },
      { type: 'mbconv', filters: 8, expansion: 3, se: 0.25, activation: 'hswish' },
      { type: 'sepconv', filters: 8, padding: 'valid', batchNorm: false, bias: true, activation: 'sigmoid' },
      { type: 'avgpool', size: 2, stride: 1, padding: 'same' },
      { type: 'activation', fn: 'relu' },
      { type: 'globalavgpool' },
      { type: 'dense', units: 6, activation: 'relu', bias: false },
      { type: 'activation', fn: 'linear' },
    ],
  },
};

/** Gradients that are zero in exact arithmetic: the bias of a conv followed by BN. */
const vanishingByNet: Record<string, string[]> = { 'flatten net': ['b0_conv/bias'], 'globalavgpool net': [] };

const N = 8;
const { x, y } = mnistHead(N);

interface Result {
  loss: number;
  logits: Float32Array;
  /** Per trainable weight, in model order (variable names differ between two builds). */
  grads: { name: string; g: Float32Array }[];
}

/** Cross-entropy and the gradient of every trainable weight, BN in training mode. */
function lossAndGrads(model: tfl.LayersModel): Result {
  return tf.tidy(() => {
    const xs = tf.tensor4d(x, [N, 28, 28, 1]);
    const labels = tf.oneHot(tf.tensor1d(y, 'int32'), 10);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar, vars);
    const out = model.trainableWeights.map((w, i) => ({ name: w.originalName, g: grads[vars[i]!.name]!.dataSync() as Float32Array }));
    const logits = (model.predict(xs) as tf.Tensor).dataSync() as Float32Array;
    return { loss: value.dataSync()[0]!, logits, grads: out };
  });
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

/** Largest |a - b| over `scale`. */
function relErr(got: Float32Array, ref: Float32Array, scale: number): number {
  assert.equal(got.length, ref.length);
  let m = 0;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(got[i]! - ref[i]!));
  return m / scale;
}

// native: its batch norm in training mode is one kernel each way (models/layers.ts), its
// activation gradients too; the logits after the training-mode call check the moving averages.
// Not the globalavgpool net: its 'same' avgpool has padded borders, where the stock cpu
// AvgPoolGrad divides by the whole window and native by the in-bounds pixels (the true gradient).
const nativeMissing = nativeSkip();
const backendsByNet: Record<string, Array<'wasm' | 'native'>> = { 'flatten net': ['wasm', 'native'], 'globalavgpool net': ['wasm'] };
for (const [name, spec] of Object.entries(nets)) for (const backend of backendsByNet[name]!) {
  test(`${name}: loss and gradients of every weight on ${backend} match the cpu backend`, { skip: backend === 'native' ? nativeMissing : false }, async () => {
    await initEngine({ backend: 'cpu' });
    const ref = buildModel(spec, { inputShape: [28, 28, 1], numClasses: 10, seed: 5 });
    const weights = ref.getWeights().map((w) => ({ shape: w.shape, data: Float32Array.from(w.dataSync()) }));
    const want = lossAndGrads(ref);
    ref.dispose();

    await initEngine({ backend, threads: backend === 'wasm' ? 1 : 2 });
    assert.equal(tf.getBackend(), backend);
    const model = buildModel(spec, { inputShape: [28, 28, 1], numClasses: 10, seed: 6 });
    const copies = weights.map((w) => tf.tensor(w.data, w.shape));
    model.setWeights(copies);
    tf.dispose(copies);
    const got = lossAndGrads(model);
    model.dispose();

    assert.ok(Math.abs(got.loss - want.loss) <= 1e-4 * Math.abs(want.loss), `loss ${got.loss} vs ${want.loss}`);
    assert.ok(relErr(got.logits, want.logits, maxAbs(want.logits)) < 1e-4, 'inference logits');
    // Errors are relative to each tensor's largest gradient; a gradient that is zero in exact
    // arithmetic (a conv bias right before BN) is float noise on both, measured against the
    // model's largest gradient (wasm's noise there is ~1e-4 of it: a 6k-term sum that cancels).
    const top = Math.max(...want.grads.map((w) => maxAbs(w.g)));
    const vanishing = want.grads.filter((w) => maxAbs(w.g) < 1e-6 * top).map((w) => w.name);
    assert.deepEqual(vanishing, vanishingByNet[name], 'weights with no gradient (the test would not see a wrong kernel there)');
    assert.equal(got.grads.length, want.grads.length);
    const bad: string[] = [];
    want.grads.forEach(({ name: w, g }, i) => {
      const e = relErr(got.grads[i]!.g, g, vanishing.includes(w) ? top : maxAbs(g));
      if (!(e < 1e-3)) bad.push(`${w} ${e.toExponential(2)}`);
    });
    assert.deepEqual(bad, [], `weights whose ${backend} gradient differs from cpu (relative error)`);
  });
}
