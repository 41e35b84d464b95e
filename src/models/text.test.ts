import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../core/errors.ts';
import { initEngine } from '../engine/index.ts';
import { buildModel } from './build.ts';
import { modelCost } from './cost.ts';
import { describeModel } from './describe.ts';
import { specFromLayers, specFromModel } from './readback.ts';
import { resolveSpec, type ModelSpec } from './spec.ts';
import { predictInStockProcess, textBatch, textNet } from './testing.ts';

function code(fn: () => unknown): DistilleryError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DistilleryError) return e;
    throw e;
  }
  assert.fail('expected a DistilleryError');
}

test('text blocks: params and MACs against a hand count, and countParams() agrees', async () => {
  await initEngine({ backend: 'cpu' });
  const c = modelCost(textNet, undefined, 3);
  // embedding 50·16 table + 12·16 learned positions; conv1d 3·16·16 + 16; sepconv1d 5·16 + 16·16 + 16;
  // transformer 4·16² + 2·16·32 kernels + 4·16 qkvo biases + 32 + 16 ff biases + 4·16 norms; dense 16·3 + 3
  assert.deepEqual(c.layers.map((l) => l.params), [992, 784, 352, 2224, 0, 51]);
  // conv1d 12·(3·16·16); sepconv1d 12·(5·16 + 16·16); transformer 12·(4·16² + 2·16·32) + 2·12²·16; dense 16·3
  assert.deepEqual(c.layers.map((l) => l.macs), [0, 9216, 4032, 29184, 0, 48]);
  assert.deepEqual(c.layers.map((l) => l.outputShape), [[12, 16], [12, 16], [12, 16], [12, 16], [16], [3]]);
  const model = buildModel(textNet, { numClasses: 3, seed: 1 });
  assert.equal(model.countParams(), c.params);
  assert.equal(c.params, 4403);
  assert.equal(model.inputs[0]!.dtype, 'int32');
  assert.match(describeModel(textNet, undefined, 3).map((r) => r.block).join('\n'), /transformer h2 ff32 pre-norm gelu/);
  model.dispose();
});

test('text specs: vocabSize from the data, token input checks, and shape errors name the block', () => {
  const spec: ModelSpec = { input: { kind: 'tokens', length: 8 }, blocks: [{ type: 'embedding', dim: 8 }, { type: 'seqpool' }] };
  const r = resolveSpec(spec, { vocabSize: 30, numClasses: 2 });
  assert.deepEqual(r.input, [8]);
  assert.deepEqual(r.blocks[0], { type: 'embedding', dim: 8, vocabSize: 30, positions: 'learned' });
  assert.equal(code(() => resolveSpec(spec)).code, 'MODEL_VOCAB_MISSING');
  assert.equal(buildModel(spec, { vocabSize: 30, numClasses: 2 }).countParams(), 30 * 8 + 8 * 8 + 8 * 2 + 2);
  assert.equal(code(() => resolveSpec({ input: { kind: 'tokens', length: 8, vocabSize: 9 }, blocks: [{ type: 'dense', units: 2 }] })).where, 'model.blocks[0]');
  assert.equal(code(() => modelCost({ input: [8], blocks: [{ type: 'dense', units: 4 }, { type: 'embedding', dim: 4, vocabSize: 9 }] })).where, 'model.blocks[1]');
  const shape = code(() => modelCost({ input: { kind: 'tokens', length: 8, vocabSize: 9 }, blocks: [{ type: 'embedding', dim: 6 }, { type: 'transformer', heads: 4 }] }));
  assert.equal(shape.code, 'MODEL_SHAPE');
  assert.equal(shape.where, 'model.blocks[1]');
  assert.equal(code(() => modelCost({ input: { kind: 'tokens', length: 8, vocabSize: 9 }, blocks: [{ type: 'embedding', dim: 6 }, { type: 'dense', units: 2 }] })).code, 'MODEL_SHAPE');
  // the padding mask is read position by position: masked blocks need the full-length sequence
  const short = code(() => modelCost({ input: { kind: 'tokens', length: 8, vocabSize: 9 }, blocks: [{ type: 'embedding', dim: 6 }, { type: 'conv1d', filters: 6, stride: 2 }, { type: 'seqpool' }] }));
  assert.equal(short.where, 'model.blocks[2]');
  assert.match(short.message, /length 4, not the input's 8/);
});

test('text model -> spec -> model: the resolved spec from metadata and from the layers alone', async () => {
  await initEngine({ backend: 'cpu' });
  const model = buildModel(textNet, { numClasses: 3, seed: 1 });
  const want = resolveSpec(textNet, { numClasses: 3 });
  assert.deepEqual(specFromModel(model), want);
  assert.deepEqual(specFromLayers(model), want);
  model.dispose();
});

/** Logits of `ids` after the embedding row of the padding id 0 is set to `row`. */
function logitsWithPadRow(model: tfl.LayersModel, ids: Int32Array, n: number, l: number, row: number): Float32Array {
  const embed = model.getLayer('b0_embed');
  const [table] = embed.getWeights();
  const values = table!.arraySync() as number[][];
  values[0] = values[0]!.map(() => row);
  embed.setWeights([tf.tensor2d(values)]);
  return tf.tidy(() => (model.predict(tf.tensor2d(ids, [n, l], 'int32')) as tf.Tensor).dataSync() as Float32Array);
}

test('attention and pooling ignore padding: logits do not move when the padding vectors change', async () => {
  await initEngine({ backend: 'cpu' });
  for (const [norm, mode] of [['pre', 'max'], ['post', 'avg']] as const) {
    const spec: ModelSpec = { input: { kind: 'tokens', length: 6, vocabSize: 20 }, blocks: [{ type: 'embedding', dim: 8 }, { type: 'transformer', heads: 2, norm }, { type: 'seqpool', mode }] };
    const model = buildModel(spec, { numClasses: 2, seed: 3 });
    const ids = Int32Array.from([5, 9, 2, 0, 0, 0, 7, 1, 1, 4, 13, 0, 0, 0, 0, 0, 0, 0]);
    const a = logitsWithPadRow(model, ids, 3, 6, 0.5);
    const b = logitsWithPadRow(model, ids, 3, 6, -3);
    // the all-padding third text pools to zeros: its logits are the head's bias (0 at init)
    assert.deepEqual([...a.slice(4)], [0, 0]);
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-5, `${norm}/${mode} logit ${i}: ${a[i]} vs ${b[i]}`);
    // ...while the same tokens without the mask would see them: a longer text moves the logits
    const c = tf.tidy(() => (model.predict(tf.tensor2d(Int32Array.from([5, 9, 2, 3, 0, 0]), [1, 6], 'int32')) as tf.Tensor).dataSync());
    assert.ok(Math.abs(c[0]! - a[0]!) > 1e-4);
    model.dispose();
  }
});

test('a stock-TF.js process loads a saved text model with the text-layers module and gets the same logits', async () => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { saveModel } = await import('./io.ts');
  await initEngine({ backend: 'cpu' });
  const dir = mkdtempSync(join(tmpdir(), 'text-load-'));
  const model = buildModel(textNet, { numClasses: 3, seed: 2 });
  const { ids, n } = textBatch(4, 12, 50, 7);
  const want = tf.tidy(() => Array.from((model.predict(tf.tensor2d(ids, [n, 12], 'int32')) as tf.Tensor).dataSync()));
  await saveModel(model, join(dir, 'model'));
  model.dispose();
  // A fresh process with stock tfjs-core, the cpu backend, tfjs-layers and the one module.
  const got = predictInStockProcess(join(dir, 'model'), './text-layers.ts', `tf.tensor2d(${JSON.stringify(Array.from(ids))}, [${n}, 12], 'int32')`);
  assert.equal(got.length, want.length);
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5, `logit ${i}: ${v} vs ${want[i]}`));
});
