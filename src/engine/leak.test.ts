import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Rng } from '../core/rng.ts';
import { disposeEngine, initEngine } from './index.ts';
import { randn, testThreads } from './reference.ts';

before(async () => { await initEngine({ backend: 'wasm', threads: testThreads() }); });
after(async () => { await disposeEngine(); });

test('training steps on wasm neither leak tensors nor fail to learn', () => {
  const L = tfl.layers;
  // Every kernel we register: conv and depthwise (stride 1 and 2), max pool, bias sums, dense.
  const model = tfl.sequential({ layers: [
    L.conv2d({ inputShape: [12, 12, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
    L.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same' }),
    L.depthwiseConv2d({ kernelSize: 3, padding: 'same' }),
    L.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }),
    L.batchNormalization(),
    L.maxPooling2d({ poolSize: 2 }),
    L.flatten(),
    L.dense({ units: 3 }),
  ] });
  const rng = new Rng(1);
  const x = tf.tensor(randn(rng, 16 * 144), [16, 12, 12, 1]);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 3), 'int32'), 3);
  const opt = tf.train.adam(0.01);
  const step = () => tf.tidy(() => opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)!.dataSync()[0]!);
  const first = step();
  step();
  // Kernel temporaries live below the engine (heap allocations with no tf.Tensor), so the
  // backend's own count is checked too.
  const dataIds = () => tf.engine().backend.numDataIds();
  const before = tf.memory().numTensors;
  const beforeIds = dataIds();
  let last = first;
  for (let i = 0; i < 20; i++) last = step();
  assert.equal(tf.memory().numTensors, before);
  assert.equal(dataIds(), beforeIds);
  assert.ok(last < first * 0.8, `loss ${first} -> ${last}`);
  tf.dispose([x, y]);
  opt.dispose();
  model.dispose();
});
