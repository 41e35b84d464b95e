import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tfl from '@tensorflow/tfjs-layers';
import { isDistilleryError } from '../core/errors.ts';
import { initEngine } from '../engine/index.ts';
import { buildModel, specFromModel } from '../models/index.ts';
import { everyBlock, mnistHead } from '../models/testing.ts';
import { openOnnx } from '../runtime/index.ts';
import { decodeOnnx, exportOnnx, float16Value, maxAbsDiff, onnxGraph, onnxLogits, quantizeInt8, tfLogits } from './index.ts';
import { hwioToOihw, permuteFlattenRows, tfPads } from './weights.ts';
import { onnxChecker } from './testing.ts';

before(async () => {
  await initEngine({ backend: 'wasm' });
});

test("tfPads: TF's 'same' puts the odd pixel at the bottom/right; 'valid' pads nothing", () => {
  assert.deepEqual(tfPads('same', [28, 28], [3, 3], [2, 2]), [0, 0, 1, 1]);
  assert.deepEqual(tfPads('same', [7, 7], [3, 3], [1, 1]), [1, 1, 1, 1]);
  assert.deepEqual(tfPads('same', [7, 7], [3, 3], [2, 2]), [1, 1, 1, 1]);
  assert.deepEqual(tfPads('same', [4, 6], [2, 2], [2, 2]), [0, 0, 0, 0]);
  assert.deepEqual(tfPads('same', [5, 5], [5, 5], [1, 1]), [2, 2, 2, 2]);
  assert.deepEqual(tfPads('same', [8, 8], [3, 3], [1, 1], [2, 2]), [2, 2, 2, 2]);
  assert.deepEqual(tfPads('valid', [28, 28], [3, 3], [1, 1]), [0, 0, 0, 0]);
});

test('weight layouts: HWIO -> OIHW and the NHWC-flatten row permutation', () => {
  // kernel [1, 2, 2, 3]: value = 100·x + 10·i + o
  const k = new Float32Array(12);
  for (let x = 0; x < 2; x++) for (let i = 0; i < 2; i++) for (let o = 0; o < 3; o++) k[(x * 2 + i) * 3 + o] = 100 * x + 10 * i + o;
  const w = hwioToOihw(k, [1, 2, 2, 3]);
  // OIHW [3, 2, 1, 2]: w[o][i][0][x]
  assert.equal(w[((2 * 2 + 1) * 1 + 0) * 2 + 1], 112);
  assert.equal(w[((1 * 2 + 0) * 1 + 0) * 2 + 0], 1);
  // TF rows (h, w, c) of a 1x2x2 map in NHWC order; ONNX flattens (c, h, w)
  assert.deepEqual([...permuteFlattenRows(Float32Array.of(0, 1, 2, 3), [1, 2, 2], 1)], [0, 2, 1, 3]);
});

test('every block type of the spec exports and matches TF.js (fp32 within 1e-4, fp16 within 2e-2)', async (t) => {
  const model = buildModel(everyBlock, { numClasses: 7, seed: 5 });
  // real pixels: MNIST test images cut into 12x12x3 samples
  const n = 64;
  const x = mnistHead(Math.ceil((n * 432) / 784)).x.slice(0, n * 432);
  const ref = tfLogits(model, x, [12, 12, 3]);
  for (const precision of ['fp32', 'fp16'] as const) {
    const bytes = await exportOnnx(model, { precision });
    const s = await openOnnx(precision, { bytes });
    const ours = await onnxLogits(s, x, [12, 12, 3]);
    await s.release();
    const diff = maxAbsDiff(ours, ref);
    assert.ok(diff <= (precision === 'fp32' ? 1e-4 : 2e-2), `${precision}: max diff ${diff}`);
    const check = onnxChecker(bytes, `every-${precision}.onnx`);
    if ('skip' in check) t.diagnostic(check.skip);
    else assert.ok(check.ok, 'error' in check ? check.error : '');
  }
  const ops = onnxGraph(model).nodes.map((n) => n.op);
  // hsigmoid as its own block, on the output of a BN that follows a BN (not foldable)
  assert.ok(ops.includes('HardSigmoid') && ops.includes('BatchNormalization'), ops.join(' '));
  model.dispose();
});

test('fp16 stores Conv/Gemm weights as float16 behind a Cast; values round-trip within half precision', async () => {
  const model = buildModel({ input: [28, 28, 1], blocks: [{ type: 'conv2d', filters: 4 }, { type: 'flatten' }] }, { numClasses: 10, seed: 2 });
  const m = decodeOnnx(await exportOnnx(model, { precision: 'fp16' }));
  const halves = m.graph!.initializer!.filter((i) => i.dataType === 10);
  assert.equal(halves.length, 4, 'conv W, B and gemm W, B');
  assert.equal(m.graph!.node!.filter((n) => n.opType === 'Cast').length, 4);
  const w = halves.find((i) => i.name === 'b0_conv_w_fp16')!;
  const raw = w.rawData!;
  const bits = new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const kernel = model.getLayer('b0_conv').getWeights()[0]!.dataSync();
  // OIHW [4, 1, 3, 3]: element (o=1, y=2, x=0) is HWIO (2, 0, 0, 1)
  const want = kernel[((2 * 3 + 0) * 1 + 0) * 4 + 1]!;
  assert.ok(Math.abs(float16Value(bits[(1 * 3 + 2) * 3 + 0]!) - want) <= Math.abs(want) * 2 ** -11, `${float16Value(bits[15]!)} vs ${want}`);
  model.dispose();
});

test('a layer with no ONNX mapping: EXPORT_UNSUPPORTED naming the layer, its class and the format', async () => {
  const input = tfl.input({ shape: [8, 8, 2] });
  const up = tfl.layers.upSampling2d({ size: [2, 2], name: 'my_upsample' }).apply(input) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 3 }).apply(tfl.layers.flatten().apply(up) as tfl.SymbolicTensor) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: out });
  await assert.rejects(exportOnnx(model), (e: unknown) => {
    assert.ok(isDistilleryError(e));
    assert.equal(e.code, 'EXPORT_UNSUPPORTED');
    assert.match(e.message, /layer 'my_upsample' \(UpSampling2D\) cannot be exported to ONNX/);
    assert.ok(e.hint);
    return true;
  });
  const gelu = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 3, activation: 'gelu', name: 'fc_gelu' })] });
  await assert.rejects(exportOnnx(gelu), /layer 'fc_gelu' \(Dense\) cannot be exported to ONNX: activation 'gelu'/);
  model.dispose();
  gelu.dispose();
});

test('int8 without calibration samples: EXPORT_CALIBRATION', async () => {
  const model = buildModel({ input: [4], blocks: [{ type: 'dense', units: 3 }] }, { seed: 1 });
  await assert.rejects(quantizeInt8(onnxGraph(model), undefined), (e: unknown) => isDistilleryError(e) && e.code === 'EXPORT_CALIBRATION');
  model.dispose();
});

test('a spec and its weights export to the same graph as the model they came from', async () => {
  const model = buildModel(everyBlock, { numClasses: 7, seed: 9 });
  const a = onnxGraph(model);
  const b = onnxGraph({ spec: specFromModel(model), weights: model.getWeights() });
  assert.deepEqual(b.nodes.map((n) => n.op), a.nodes.map((n) => n.op));
  assert.equal(b.inits.size, a.inits.size);
  for (const [name, init] of a.inits) assert.deepEqual(b.inits.get(name)!.data, init.data, name);
  model.dispose();
});
