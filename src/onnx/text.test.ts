import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../engine/index.ts';
import { buildModel, type ModelSpec } from '../models/index.ts';
import { textBatch, textNet } from '../models/testing.ts';
import { openOnnx } from '../runtime/index.ts';
import { decodeOnnx, exportOnnx, onnxLogits } from './index.ts';
import { onnxChecker } from './testing.ts';

before(async () => {
  await initEngine({ backend: 'wasm', threads: 1 });
});

// Every text block and option, exported: ids with padding (lengths 1..L, and one text of
// padding only), compared with TF.js logits.
const specs: Record<string, ModelSpec> = {
  'conv + transformer (pre-norm, gelu) + max pool': textNet,
  'post-norm relu transformer, sinusoids, avg pool': {
    input: { kind: 'tokens', length: 10, vocabSize: 40 },
    blocks: [
      { type: 'embedding', dim: 12, positions: 'sinusoidal' },
      { type: 'transformer', heads: 3, norm: 'post', activation: 'relu' },
      { type: 'sepconv1d', filters: 8, kernel: 4, activation: 'hswish' },
      { type: 'seqpool', mode: 'avg' },
      { type: 'dense', units: 5, activation: 'relu' },
      { type: 'dropout', rate: 0.1 },
    ],
  },
  'no positions, flatten head': {
    input: { kind: 'tokens', length: 6, vocabSize: 30 },
    blocks: [
      { type: 'embedding', dim: 4, positions: 'none' },
      { type: 'sepconv1d', filters: 8, kernel: 4, stride: 2, padding: 'valid' },
      { type: 'conv1d', filters: 4, kernel: 2, stride: 2, activation: 'linear', bias: false },
      { type: 'flatten' },
    ],
  },
};

for (const [name, spec] of Object.entries(specs)) {
  test(`text export (${name}): int32 ids in, onnx.checker full check, parity with TF.js <= 1e-4 with padding`, async (t) => {
    const model = buildModel(spec, { numClasses: 3, seed: 7 });
    // trained-looking weights: scale every weight so activations are not all near zero
    model.setWeights(model.getWeights().map((w, i) => tf.tidy(() => tf.add(w, tf.randomNormal(w.shape, 0, 0.3, 'float32', i + 1)))));
    const l = model.inputs[0]!.shape[1] as number;
    const vocab = (spec.input as { vocabSize: number }).vocabSize;
    const batch = textBatch(32, l, vocab, 3);
    const ids = batch.ids;
    ids.fill(0, 31 * l); // the last text is padding only
    const want = tf.tidy(() => (model.predict(tf.tensor2d(ids, [32, l], 'int32')) as tf.Tensor).dataSync() as Float32Array);
    const bytes = await exportOnnx(model);
    model.dispose();
    const m = decodeOnnx(bytes);
    assert.equal(m.graph!.input![0]!.type!.tensorType!.elemType, 6, 'input is int32');
    const ops = new Set(m.graph!.node!.map((n) => n.opType));
    for (const op of ['Gather', ...(name.includes('transformer') ? ['MatMul', 'Softmax', 'LayerNormalization'] : []), 'Conv']) assert.ok(ops.has(op!), `${op} in ${[...ops].join(' ')}`);
    const check = onnxChecker(bytes, 'text.onnx');
    if ('skip' in check) t.diagnostic(check.skip);
    else assert.ok(check.ok, 'error' in check ? check.error : '');
    const s = await openOnnx('text.onnx', { bytes, threads: 1 });
    const out = await s.run({ input: { data: ids, dims: [32, l] } });
    // the export job's path: a data set holds ids as whole float32 numbers
    const viaData = await onnxLogits(s, Float32Array.from(ids), [l], 10);
    await s.release();
    assert.deepEqual(Array.from(viaData), Array.from(out['logits']!.data));
    const got = out['logits']!.data;
    assert.equal(got.length, want.length);
    let diff = 0;
    for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    assert.ok(diff <= 1e-4, `max |onnx - tfjs| = ${diff}`);
    // the logits are not trivially equal (e.g. all zero on both sides)
    assert.ok(Math.max(...Array.from(want).map(Math.abs)) > 0.01);
  });
}
