import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { disposeEngine, initEngine } from '../engine/index.ts';
import { loadNativeAddon } from '../engine/native/addon.ts';
import { nativeSkip } from '../engine/native/testing.ts';
import { spyOn } from '../engine/native/compare.ts';
import { buildModel } from './build.ts';
import type { ModelSpec } from './spec.ts';
import { mnistHead } from './testing.ts';

// The BatchNormalization layers that buildModel makes run the engine's one-kernel batch norm in
// training, its relu6 activations TF.js's one-kernel relu6 (models/layers.ts); these tests pin
// what must not change with it: the saved form, the outputs, and the moving averages next to
// the stock layer's.
const spec: ModelSpec = { blocks: [{ type: 'conv2d', filters: 4, batchNorm: true }, { type: 'mbconv', filters: 6, expansion: 2 }, { type: 'globalavgpool' }] };
const N = 6;
const { x } = mnistHead(N);
const addon = loadNativeAddon();

after(async () => { await disposeEngine(); });

test('a model with batch norm and relu6 saves as stock layers and loads in stock tfjs-layers with the same outputs', async () => {
  await initEngine({ backend: 'cpu' });
  const model = buildModel(spec, { inputShape: [28, 28, 1], numClasses: 10, seed: 3 });
  const xs = tf.tensor4d(x, [N, 28, 28, 1]);
  // one training-mode call moves the moving averages away from their initial 0 / 1
  tf.dispose(model.apply(xs, { training: true }) as tf.Tensor);
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const topology = JSON.stringify(saved!.modelTopology);
  assert.equal((topology.match(/"class_name":"BatchNormalization"/g) ?? []).length, 4, 'stem, expand, depthwise and project BN, stock class name');
  // the relu6 activations (tf.relu6 inside, models/layers.ts) save as stock 'relu6' too
  assert.equal((topology.match(/"activation":"relu6"/g) ?? []).length, 2, 'the mbconv expand and depthwise relu6');
  const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
  const stockClass = tfl.layers.batchNormalization({ name: 'stock_probe' }).constructor;
  assert.equal(loaded.getLayer('b0_bn').constructor, stockClass, 'the loader made the stock layer: ours is not registered');
  assert.notEqual(model.getLayer('b0_bn').constructor, stockClass);
  const a = (model.predict(xs) as tf.Tensor).dataSync();
  const b = (loaded.predict(xs) as tf.Tensor).dataSync();
  assert.deepEqual([...b], [...a]);
  const movingVar = model.getLayer('b0_bn').getWeights()[3]!.dataSync();
  assert.ok(movingVar.some((v) => Math.abs(v - 1) > 1e-4), 'the moving variance moved (else the check above sees no update)');
  tf.dispose([xs]);
  model.dispose();
  loaded.dispose();
});

test('training-mode batch norm: one native kernel per layer and the moving averages of the stock layer', { skip: nativeSkip() }, async () => {
  // reference: the stock layer on cpu, with the stock moments + batchNorm composition
  await initEngine({ backend: 'cpu' });
  const ref = tfl.layers.batchNormalization({ axis: -1, momentum: 0.9, name: 'ref_bn' });
  const input = tf.tensor4d(x.slice(0, N * 784).map((v, i) => v * 3 + (i % 4)), [N, 28, 7, 4]);
  const refY = tf.tidy(() => (ref.apply(input, { training: true }) as tf.Tensor).dataSync());
  const refW = ref.getWeights().map((w) => w.dataSync());
  input.dispose();

  await initEngine({ backend: 'native', threads: 2 });
  const model = buildModel({ input: [28, 7, 4], blocks: [{ type: 'batchnorm' }, { type: 'flatten' }] }, { numClasses: 2 });
  const bn = model.layers.find((l) => l.getClassName() === 'BatchNormalization')!;
  (bn as unknown as { momentum: number }).momentum = 0.9; // a larger step, so a wrong update shows
  const xs = tf.tensor4d(x.slice(0, N * 784).map((v, i) => v * 3 + (i % 4)), [N, 28, 7, 4]);
  const spy = spyOn(addon!, ['batchNormTrain', 'batchNormTrainGrad']);
  const { y, g } = tf.tidy(() => {
    const gamma = bn.trainableWeights[0]!.read() as tf.Variable;
    let out: Float32Array | undefined;
    const { grads } = tf.variableGrads(() => {
      const yt = bn.apply(xs, { training: true }) as tf.Tensor;
      out = yt.dataSync() as Float32Array;
      return tf.sum(tf.square(yt)) as tf.Scalar;
    }, [gamma]);
    return { y: out!, g: grads[gamma.name]!.dataSync() };
  });
  spy.restore();
  assert.equal(spy.calls['batchNormTrain'], 1);
  assert.equal(spy.calls['batchNormTrainGrad'], 1);
  const w = bn.getWeights().map((t) => t.dataSync());
  for (const i of [2, 3]) {
    for (let c = 0; c < 4; c++) assert.ok(Math.abs(w[i]![c]! - refW[i]![c]!) <= 1e-5 * Math.max(1, Math.abs(refW[i]![c]!)), `moving ${i === 2 ? 'mean' : 'variance'}[${c}] ${w[i]![c]} vs ${refW[i]![c]}`);
  }
  // normalised data has unit variance per channel, so d/dgamma sum(y^2) = 2 * gamma * count
  for (const v of g) assert.ok(Math.abs(v - 2 * N * 28 * 7) < 1e-2 * N * 28 * 7, `dgamma ${v}`);
  assert.equal(y.length, refY.length);
  let worst = 0;
  for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i]! - refY[i]!));
  assert.ok(worst < 1e-4, `training-mode output differs from the stock layer's by ${worst}`);
  xs.dispose();
  model.dispose();
});
