import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../../engine/index.ts';
import type { ModelSpec } from '../../models/index.ts';
import { decodeOnnx, exportOnnx } from '../../onnx/index.ts';
import { onnxChecker } from '../../onnx/testing.ts';
import { compareVariants, variantRows } from './index.ts';
import { mnist, trained } from './testing.ts';

// The target: the int8 ONNX of the MNIST MLP student is >= 3.5x smaller than fp32 with
// <= 0.5 points of accuracy lost on the whole MNIST test set, measured in onnxruntime.

before(async () => {
  await initEngine({ backend: 'wasm' });
});

test('MNIST MLP student 784-100-10: int8 >= 3.5x smaller, <= 0.5 points lost; fp16 ~2x smaller, ~nothing lost', async (t) => {
  const data = mnist(6000);
  const spec: ModelSpec = { blocks: [{ type: 'flatten' }, { type: 'dense', units: 100, activation: 'relu' }, { type: 'dense', units: 10 }] };
  const model = await trained(spec, data.train, 2);
  const calibration = { x: data.train.x, shape: data.train.shape, limit: 500 };
  const fp32 = await exportOnnx(model);
  const fp16 = await exportOnnx(model, { precision: 'fp16' });
  const int8 = await exportOnnx(model, { precision: 'int8', calibration });
  model.dispose();

  const rows = await compareVariants(
    [{ precision: 'fp32', bytes: fp32 }, { precision: 'fp16', bytes: fp16 }, { precision: 'int8', bytes: int8 }],
    data.train.shape,
    { test: data.test, iterations: 20, batches: [1, 32] },
  );
  for (const r of variantRows(rows)) t.diagnostic(r.join(' | '));
  const [r32, r16, r8] = rows as [typeof rows[0], typeof rows[0], typeof rows[0]];
  assert.equal(r32.samples, 10000);
  assert.ok(r32.accuracy! > 0.9, `fp32 accuracy ${r32.accuracy}`);
  assert.ok(r8.sizeRatio >= 3.5, `int8 only ${r8.sizeRatio.toFixed(2)}x smaller`);
  assert.ok(r8.accuracyDropPoints! <= 0.5, `int8 lost ${r8.accuracyDropPoints!.toFixed(2)} points`);
  assert.ok(r8.agreement! > 0.98, `int8 agrees with fp32 on ${r8.agreement}`);
  assert.ok(r16.sizeRatio > 1.9 && r16.sizeRatio < 2.05, `fp16 ${r16.sizeRatio}`);
  assert.ok(Math.abs(r16.accuracyDropPoints!) <= 0.05, `fp16 changed accuracy by ${r16.accuracyDropPoints} points`);
  for (const r of rows) {
    assert.equal(r.latency.length, 2);
    assert.ok(r.latency.every((l) => l.p50Ms > 0 && l.p95Ms >= l.p50Ms && l.throughput > 0));
  }

  // QDQ form: int8 weights per output channel (Gemm B is [in, out]: axis 1), int32 biases,
  // uint8 activations with one scale each
  const m = decodeOnnx(int8);
  const dq = m.graph!.node!.filter((n) => n.opType === 'DequantizeLinear');
  const weightDq = dq.filter((n) => n.input![0]!.endsWith('_w_q'));
  assert.equal(weightDq.length, 2);
  for (const n of weightDq) assert.equal(Number(n.attribute!.find((a) => a.name === 'axis')!.i), 1);
  const inits = new Map(m.graph!.initializer!.map((i) => [i.name!, i]));
  assert.equal(inits.get('b1_dense_w_q')!.dataType, 3, 'int8');
  assert.equal(inits.get('b1_dense_w_s')!.dims!.map(Number).join(), '100');
  assert.equal(inits.get('b1_dense_b_q')!.dataType, 6, 'int32');
  const q = m.graph!.node!.filter((n) => n.opType === 'QuantizeLinear');
  assert.equal(q.length, 2, 'the flattened input and the hidden ReLU output');
  assert.equal(inits.get(q[0]!.input![2]!)!.dataType, 2, 'uint8');
  for (const [name, bytes] of [['fp16', fp16], ['int8', int8]] as const) {
    const check = onnxChecker(bytes, `mlp-${name}.onnx`);
    if ('skip' in check) t.diagnostic(check.skip);
    else assert.ok(check.ok, 'error' in check ? check.error : '');
  }
});
