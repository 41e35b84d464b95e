import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../engine/index.ts';
import { computeFeatures, resolveFrontEnd } from '../features/index.ts';
import { buildModel, modelCost, resolveSpec, saveModel, specFromLayers, specFromModel, type ModelSpec } from './index.ts';
import { predictInStockProcess, speechBatch } from './testing.ts';

const dscnn: ModelSpec = {
  blocks: [
    { type: 'mfcc', coefficients: 10, fmax: 4000 },
    { type: 'conv2d', filters: 8, stride: 2, batchNorm: true },
    { type: 'sepconv', filters: 8 },
    { type: 'globalavgpool' },
  ],
};

test('a front-end block: raw audio in, the features of src/features out, spec read back from metadata and from layers', async () => {
  await initEngine({ backend: 'cpu' });
  const model = buildModel(dscnn, { inputShape: [16000], numClasses: 3, seed: 1 });
  assert.deepEqual(model.inputs[0]!.shape, [null, 16000]);
  const want = resolveSpec(dscnn, { inputShape: [16000], numClasses: 3 });
  assert.deepEqual(specFromModel(model), want);
  assert.deepEqual(specFromLayers(model), want);
  // the cost from the spec: no params in the front-end, its MACs counted, out [49, 10, 1]
  const cost = modelCost(dscnn, [16000], 3);
  assert.equal(cost.params, model.countParams());
  assert.deepEqual(cost.layers[0]!.outputShape, [49, 10, 1]);
  assert.equal(cost.layers[0]!.params, 0);
  assert.equal(cost.layers[0]!.macs, 49 * (480 * 2 * 257 + 257 * 40 + 40 * 10));
  // the layer computes exactly the features the reference-checked front-end does
  const waves = speechBatch(3, 16000, 2);
  const fe = resolveFrontEnd({ mfcc: 10, fmax: 4000 });
  const ref = await computeFeatures(fe, waves, 16000);
  const layer = model.getLayer('b0_frontend');
  const got = tf.tidy(() => (layer.apply(tf.tensor2d(waves, [3, 16000])) as tf.Tensor).dataSync());
  assert.deepEqual(Array.from(got), Array.from(ref.values));
  // the contract a caller reads: sampleRate, clip samples, the front-end
  const meta = (model.getUserDefinedMetadata() as { distillery: { audio: unknown } }).distillery.audio;
  assert.deepEqual(meta, { sampleRate: 16000, samples: 16000, features: 'mfcc', frontEnd: fe });
  model.dispose();
});

test('a front-end block refuses a non-audio input and a clip shorter than one window (MODEL_SHAPE)', () => {
  assert.throws(() => modelCost(dscnn, [28, 28, 1], 3), (e: Error & { code?: string }) => e.code === 'MODEL_SHAPE' && /raw audio/.test(e.message));
  assert.throws(() => modelCost(dscnn, [400], 3), (e: Error & { code?: string }) => e.code === 'MODEL_SHAPE' && /shorter than one window/.test(e.message));
  assert.throws(() => resolveSpec({ blocks: [{ type: 'logmel', fmax: 9000 }] }, { inputShape: [16000] }), (e: Error & { code?: string }) => e.code === 'MODEL_SPEC' && /Nyquist/.test(e.message));
});

test("a front-end block takes the data's sample rate when it names none, and refuses another one", () => {
  const fe = (s: ReturnType<typeof resolveSpec>) => s.blocks[0] as unknown as { sampleRate: number; fmax: number };
  // 8 kHz data: the rate (and with it the default fmax, Nyquist) follows the data, not the 16 kHz default
  const filled = fe(resolveSpec({ blocks: [{ type: 'logmel' }] }, { inputShape: [8000], sampleRate: 8000 }));
  assert.equal(filled.sampleRate, 8000);
  assert.equal(filled.fmax, 4000);
  assert.equal(fe(resolveSpec({ blocks: [{ type: 'logmel' }] }, { inputShape: [16000] })).sampleRate, 16000);
  assert.equal(fe(resolveSpec({ blocks: [{ type: 'mfcc', sampleRate: 8000 }] }, { inputShape: [8000], sampleRate: 8000 })).sampleRate, 8000);
  assert.throws(
    () => resolveSpec({ blocks: [{ type: 'mfcc', sampleRate: 16000 }] }, { inputShape: [8000], sampleRate: 8000 }),
    (e: Error & { code?: string; hint?: string }) => e.code === 'MODEL_SPEC' && /16000 Hz but the data's audio is at 8000 Hz/.test(e.message) && /model\.blocks\[0\]\.sampleRate/.test(e.hint ?? ''),
  );
});

test('a stock-TF.js process loads a saved speech model with the audio-layers module and gets the same logits from raw audio', async () => {
  await initEngine({ backend: 'cpu' });
  const dir = mkdtempSync(join(tmpdir(), 'audio-load-'));
  const model = buildModel(dscnn, { inputShape: [16000], numClasses: 3, seed: 2 });
  const waves = speechBatch(3, 16000, 3);
  const want = tf.tidy(() => Array.from((model.predict(tf.tensor2d(waves, [3, 16000])) as tf.Tensor).dataSync()));
  await saveModel(model, join(dir, 'model'));
  model.dispose();
  // the front-end's matrices are rebuilt from the config, not saved: weights.bin is the network's alone
  assert.equal(readFileSync(join(dir, 'model', 'weights.bin')).length, 4 * modelCost(dscnn, [16000], 3).params);
  writeFileSync(join(dir, 'waves.f32'), new Uint8Array(waves.buffer));
  const got = predictInStockProcess(join(dir, 'model'), './audio-layers.ts',
    `tf.tensor2d(new Float32Array(readFileSync(${JSON.stringify(join(dir, 'waves.f32'))}).buffer.slice(0)), [3, 16000])`);
  assert.equal(got.length, want.length);
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5, `logit ${i}: ${v} vs ${want[i]}`));
  assert.ok(Math.max(...want.map(Math.abs)) > 1e-3, 'logits are not all zero');
});
