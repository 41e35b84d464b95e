import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type * as tfl from '@tensorflow/tfjs-layers';
import { buildModel } from './build.ts';
import { modelCost } from './cost.ts';
import { describeModel, formatDescription } from './describe.ts';
import { loadModel, saveModel } from './io.ts';
import { blockOutputNames, specFromLayers, specFromModel } from './readback.ts';
import { resolveSpec, type ModelSpec } from './spec.ts';
import { everyBlock, mnistHead } from './testing.ts';

const mnistNet: ModelSpec = {
  name: 'tiny-mnist',
  blocks: [
    { type: 'conv2d', filters: 6, stride: 2, batchNorm: true },
    { type: 'mbconv', filters: 6, expansion: 2, se: 0.5, activation: 'hswish' },
    { type: 'sepconv', filters: 8, stride: 2, activation: 'relu6' },
    { type: 'maxpool' },
    { type: 'flatten' },
    { type: 'dense', units: 16, activation: 'swish' },
    { type: 'dropout', rate: 0.25 },
  ],
};

function predict(model: tfl.LayersModel, x: Float32Array, n: number): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor4d(x, [n, 28, 28, 1])) as tf.Tensor).dataSync() as Float32Array);
}

function weightsOf(model: tfl.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

test('spec -> model -> spec gives the resolved spec, from metadata and from the layers alone', async () => {
  await tf.setBackend('cpu');
  const model = buildModel(everyBlock, { seed: 1 });
  const want = resolveSpec(everyBlock);
  assert.deepEqual(specFromModel(model), want);
  assert.deepEqual(specFromLayers(model), want);
  // unnamed specs stay unnamed; named ones keep their name
  assert.equal(want.name, undefined);
  const named = buildModel(mnistNet, { inputShape: [28, 28, 1], numClasses: 10 });
  assert.deepEqual(specFromLayers(named), resolveSpec(mnistNet, { inputShape: [28, 28, 1], numClasses: 10 }));
  assert.equal(specFromModel(named).name, 'tiny-mnist');
  model.dispose();
  named.dispose();
});

test('every block output shape matches the cost walk, and layer names follow the block index', async () => {
  await tf.setBackend('cpu');
  const model = buildModel(everyBlock);
  const names = blockOutputNames(model);
  const cost = modelCost(everyBlock);
  assert.equal(names.length, cost.layers.length);
  names.forEach((n, i) => {
    assert.ok(n.startsWith(`b${i}_`), n);
    assert.deepEqual(model.getLayer(n).outputShape, [null, ...cost.layers[i]!.outputShape], n);
  });
  model.dispose();
});

test('the same seed gives the same weights, another seed other weights', async () => {
  await tf.setBackend('cpu');
  const opts = { inputShape: [28, 28, 1], numClasses: 10 };
  const [a, b, c] = [buildModel(mnistNet, { ...opts, seed: 7 }), buildModel(mnistNet, { ...opts, seed: 7 }), buildModel(mnistNet, { ...opts, seed: 8 })];
  const [wa, wb, wc] = [weightsOf(a), weightsOf(b), weightsOf(c)];
  assert.deepEqual(wa, wb);
  assert.notDeepEqual(wa[0], wc[0]);
  // two layers of one shape must not start equal (each initialiser has its own seed)
  const l1 = a.getLayer('b1_expand').getWeights()[0]!.dataSync();
  const l2 = a.getLayer('b1_project').getWeights()[0]!.dataSync();
  assert.notDeepEqual(Array.from(l1.slice(0, 6)), Array.from(l2.slice(0, 6)));
  for (const m of [a, b, c]) m.dispose();
});

test('a model rebuilt from its spec, given the same weights, computes the same logits on MNIST', async () => {
  await tf.setBackend('cpu');
  const tensorsBefore = tf.memory().numTensors;
  const { x } = mnistHead(8);
  const a = buildModel(mnistNet, { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
  const b = buildModel(specFromModel(a), { seed: 2 });
  assert.equal(b.countParams(), a.countParams());
  const before = predict(b, x, 8);
  b.setWeights(a.getWeights());
  const ya = predict(a, x, 8);
  assert.notDeepEqual(before, ya);
  assert.deepEqual(predict(b, x, 8), ya);
  a.dispose();
  b.dispose();
  assert.equal(tf.memory().numTensors, tensorsBefore, 'build, predict and dispose leak no tensors');
});

test('saveModel/loadModel: stock TF.js files that give back the spec, the metadata and the outputs', async () => {
  await tf.setBackend('cpu');
  const dir = mkdtempSync(join(tmpdir(), 'distillery-models-'));
  try {
    const { x } = mnistHead(4);
    const model = buildModel(mnistNet, { inputShape: [28, 28, 1], numClasses: 10, seed: 3 });
    await saveModel(model, dir, { distillery: { numClasses: 10, spec: { blocks: [] } }, note: 'kept' });
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(json['format'], 'layers-model');
    const loaded = await loadModel(dir);
    assert.deepEqual(specFromModel(loaded), specFromModel(model));
    const meta = loaded.getUserDefinedMetadata() as { distillery: { numClasses: number }; note: string };
    assert.equal(meta.distillery.numClasses, 10);
    assert.equal(meta.note, 'kept');
    assert.deepEqual(predict(loaded, x, 4), predict(model, x, 4));
    // metadata holding a raw spec (no appended head) is checked against the layers, not trusted
    loaded.setUserDefinedMetadata({ distillery: { spec: mnistNet } });
    assert.deepEqual(specFromModel(loaded), specFromModel(model));
    // a copy whose metadata was stripped still gives the spec back from its layers
    loaded.setUserDefinedMetadata({});
    assert.deepEqual(specFromModel(loaded), specFromModel(model));
    model.dispose();
    loaded.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await assert.rejects(loadModel(join(dir, 'nope')), { code: 'MODEL_NOT_FOUND' });
});

test('shape errors come from the spec before TF.js builds anything', () => {
  assert.throws(() => buildModel({ blocks: [{ type: 'conv2d', filters: 2 }, { type: 'dense', units: 3 }] }, { inputShape: [4, 4, 1] }), {
    code: 'MODEL_SHAPE',
    where: 'model.blocks[1]',
  });
});

test('describeModel lists blocks with shapes, params and MACs, and a total', () => {
  const rows = describeModel(mnistNet, [28, 28, 1], 10);
  const cost = modelCost(mnistNet, [28, 28, 1], 10);
  assert.equal(rows.length, cost.layers.length + 1);
  assert.equal(rows[1]!.block, 'mbconv 6 k3 s1 x2 se0.5 hswish');
  assert.deepEqual(rows[7]!.outputShape, [10]);
  assert.deepEqual(rows.at(-1), { path: 'model', name: '', block: 'total', outputShape: [10], params: cost.params, macs: cost.macs });
  const text = formatDescription(rows);
  assert.match(text.split('\n')[1]!, /^b0\s+conv2d 6 k3 s2 same relu bn nobias\s+14x14x6\s+78\s+10,584$/);
});
