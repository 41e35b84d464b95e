import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../engine/index.ts';
import { buildModel, type ModelSpec } from '../models/index.ts';
import { textBatch } from '../models/testing.ts';
import { openOnnx } from '../runtime/index.ts';
import { argmaxRows, decodeOnnx, exportOnnx, maxAbsDiff, onnxLogits } from './index.ts';
import { onnxChecker } from './testing.ts';

before(async () => {
  await initEngine({ backend: 'cpu' });
});

// int8 for text: the embedding table per row and the projections' weights per output column as
// int8, the MatMul inputs uint8; the attention's float arithmetic (the -1e9 mask, softmax) and
// the residual stream untouched.
const spec: ModelSpec = {
  input: { kind: 'tokens', length: 16, vocabSize: 2000 },
  blocks: [
    { type: 'embedding', dim: 16 },
    { type: 'transformer', heads: 2, ffDim: 32, norm: 'post' },
    { type: 'seqpool', mode: 'max' },
  ],
};

test('text int8: int8 embedding rows and MatMul weights, float attention mask; checker, size and agreement with fp32', async (t) => {
  const model = buildModel(spec, { numClasses: 3, seed: 5 });
  // larger weights than the initialisers give, so the logits spread as a trained model's do
  model.setWeights(model.getWeights().map((w, i) => tf.tidy(() => tf.add(w, tf.randomNormal(w.shape, 0, 0.3, 'float32', i + 1)))));
  const L = 16;
  const cal = textBatch(200, L, 2000, 1);
  const test = textBatch(400, L, 2000, 2);
  test.ids.fill(0, 399 * L); // a text of padding only
  const fp32 = await exportOnnx(model);
  const int8 = await exportOnnx(model, { precision: 'int8', calibration: { x: Float32Array.from(cal.ids), shape: [L] } });
  model.dispose();

  const m = decodeOnnx(int8);
  const nodes = m.graph!.node!;
  const inits = new Map(m.graph!.initializer!.map((i) => [i.name!, i]));
  const producer = new Map(nodes.flatMap((n) => n.output!.map((o) => [o, n] as const)));
  // the table: int8 rows, one float scale per row, only the looked-up rows dequantised
  const gathers = nodes.filter((n) => n.opType === 'Gather');
  assert.equal(gathers.length, 2);
  assert.equal(inits.get(gathers[0]!.input![0]!)!.dataType, 3, 'int8 table');
  assert.deepEqual(inits.get(gathers[1]!.input![0]!)!.dims!.map(Number), [2000, 1], 'a scale per row');
  assert.ok(!nodes.some((n) => n.opType === 'DequantizeLinear' && n.input![0] === gathers[0]!.input![0]), 'the whole table is never dequantised');
  // q, k, v, o, ff1, ff2 read int8 weights per output column; the two attention products stay float
  const matmuls = nodes.filter((n) => n.opType === 'MatMul');
  const weighted = matmuls.filter((n) => producer.get(n.input![1]!)?.opType === 'DequantizeLinear');
  assert.equal(matmuls.length, 8);
  assert.equal(weighted.length, 6);
  for (const n of weighted) {
    const dq = producer.get(n.input![1]!)!;
    assert.equal(inits.get(dq.input![0]!)!.dataType, 3, 'int8 weights');
    assert.equal(Number(dq.attribute!.find((a) => a.name === 'axis')!.i), 1);
    assert.equal(producer.get(n.input![0]!)?.opType, 'DequantizeLinear', 'uint8 activations in');
  }
  // nothing quantises the mask's bias or the softmax, and every sum (the scores plus the mask,
  // the post-norm residuals that also feed quantised MatMuls) reads float values
  const quantised = new Set(nodes.filter((n) => n.opType === 'QuantizeLinear').map((n) => producer.get(n.input![0]!)?.opType));
  for (const op of ['Softmax', 'Unsqueeze', 'Sub']) assert.ok(!quantised.has(op), `a ${op} output is quantised`);
  for (const n of nodes.filter((n) => n.opType === 'Add')) for (const i of n.input!) assert.notEqual(producer.get(i)?.opType, 'DequantizeLinear', `${n.name} reads a dequantised ${i}`);
  const check = onnxChecker(int8, 'text-int8.onnx');
  if ('skip' in check) t.diagnostic(check.skip);
  else assert.ok(check.ok, 'error' in check ? check.error : '');

  // the table is 32,000 of the 35,000 weights: int8 with per-row scales is > 2.5x smaller
  assert.ok(fp32.length / int8.length > 2.5, `int8 only ${(fp32.length / int8.length).toFixed(2)}x smaller`);
  const x = Float32Array.from(test.ids);
  const [a, q] = await Promise.all([fp32, int8].map(async (bytes, i) => {
    const s = await openOnnx(`v${i}`, { bytes });
    try {
      return await onnxLogits(s, x, [L]);
    } finally {
      await s.release();
    }
  })) as [Float32Array, Float32Array];
  const pa = argmaxRows(a, 3);
  const pq = argmaxRows(q, 3);
  let same = 0;
  for (let i = 0; i < pa.length; i++) if (pa[i] === pq[i]) same++;
  const scale = Math.max(...Array.from(a, Math.abs));
  t.diagnostic(`int8 ${(fp32.length / int8.length).toFixed(2)}x smaller, agrees on ${same}/400, max |int8 - fp32| ${maxAbsDiff(a, q).toFixed(3)} of logits up to ${scale.toFixed(1)}`);
  assert.ok(same / pa.length >= 0.9, `int8 agrees with fp32 on ${same} of 400`);
  assert.ok(maxAbsDiff(a, q) < 0.2 * scale, `max |int8 - fp32| ${maxAbsDiff(a, q)} against logits up to ${scale}`);
});
