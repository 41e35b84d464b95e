import { before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { Rng } from '../../core/rng.ts';
import { initEngine } from '../../engine/index.ts';
import type { ModelSpec } from '../../models/index.ts';
import { openOnnx } from '../../runtime/index.ts';
import { argmaxRows, decodeOnnx, exportOnnx, maxAbsDiff, onnxLogits, tfLogits } from '../../onnx/index.ts';
import { onnxChecker } from '../../onnx/testing.ts';
import { mnist, trained } from './testing.ts';

// ONNX export against TF.js on real MNIST: logits within 1e-4 on 1,000 test images, the same
// predicted class on all 10,000, and onnx.checker's full check on each file.

const data = mnist(1000);

before(async () => {
  await initEngine({ backend: 'wasm' });
});

async function parity(t: TestContext, model: tfl.LayersModel, name: string, minAccuracy?: number): Promise<string[]> {
  const bytes = await exportOnnx(model);
  const session = await openOnnx(name, { bytes });
  const { x, y, shape } = data.test;
  const ours = await onnxLogits(session, x, shape);
  await session.release();
  const ref = tfLogits(model, x, shape);
  assert.equal(ours.length, ref.length);
  const d = shape.reduce((a, b) => a * b, 1);
  const head = 1000 * 10;
  const diff = maxAbsDiff(ours.subarray(0, head), ref.subarray(0, head));
  assert.ok(diff <= 1e-4, `${name}: max |onnx - tfjs| on 1,000 logits rows = ${diff}`);
  const a = argmaxRows(ours, 10);
  const b = argmaxRows(ref, 10);
  let differ = 0;
  let correct = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) differ++;
    if (a[i] === y[i]) correct++;
  }
  assert.equal(differ, 0, `${name}: ${differ} of ${a.length} test images get another class`);
  assert.equal(a.length, x.length / d);
  // trained, not random: the parity holds on a model that has learnt something (each bound a
  // few points under what the seeded run reaches, so a model that did not train misses it)
  if (minAccuracy !== undefined) assert.ok(correct / a.length > minAccuracy, `${name}: accuracy ${correct / a.length} <= ${minAccuracy}`);
  const check = onnxChecker(bytes, `${name}.onnx`);
  if ('skip' in check) t.diagnostic(check.skip);
  else assert.ok(check.ok, `${name}: onnx.checker: ${'error' in check ? check.error : ''}`);
  const m = decodeOnnx(bytes);
  assert.equal(Number(m.opsetImport[0]!.version), 17);
  assert.equal(m.graph!.input![0]!.type!.tensorType!.shape!.dim![0]!.dimParam, 'batch');
  return m.graph!.node!.map((n) => n.opType!);
}

test('quickstart student MLP 784-100-10: parity, checker, spec in metadata', async (t) => {
  const spec: ModelSpec = { blocks: [{ type: 'flatten' }, { type: 'dense', units: 100, activation: 'relu' }, { type: 'dense', units: 10 }] };
  const model = await trained(spec, data.train, 1);
  // one epoch on 1,000 images reaches 79.1% (wasm, seed 1)
  const ops = await parity(t, model, 'mlp', 0.72);
  assert.deepEqual(ops, ['Flatten', 'Gemm', 'Relu', 'Gemm']);
  const meta = Object.fromEntries(decodeOnnx(await exportOnnx(model)).metadataProps.map((p) => [p.key, p.value]));
  assert.equal(JSON.parse(meta['distillery.spec']!).blocks[1].units, 100);
  assert.match(meta['distillery.version']!, /^\d+\.\d+\.\d+/);
  model.dispose();
});

test('conv net with BatchNorm, max/avg pooling and an NHWC flatten: parity, BN folded', async (t) => {
  const spec: ModelSpec = {
    blocks: [
      { type: 'conv2d', filters: 8, batchNorm: true },
      { type: 'maxpool' },
      { type: 'conv2d', filters: 12, stride: 2, batchNorm: true, activation: 'relu6' },
      // 'same' with an odd remainder: TF pads bottom/right, and averages only real pixels
      { type: 'avgpool', size: 3, stride: 2, padding: 'same' },
      { type: 'dropout', rate: 0.2 },
      // 4x4x12 flattened in TF's NHWC order: the Dense rows are permuted for ONNX's NCHW
      { type: 'flatten' },
      { type: 'dense', units: 10 },
    ],
  };
  const model = await trained(spec, data.train, 1);
  // one epoch on 1,000 images: 27.0% (wasm, seed 1), the BN moving statistics still young; chance is 10%
  const ops = await parity(t, model, 'conv', 0.23);
  assert.deepEqual(ops, ['Conv', 'Relu', 'MaxPool', 'Conv', 'Clip', 'AveragePool', 'Flatten', 'Gemm']);
  model.dispose();
});

/**
 * Sets every BatchNorm's gamma, beta, moving mean and moving variance to seeded random values:
 * a few training steps barely move the moving averages (momentum 0.99), and folding must be
 * right for any statistics, not just for 0 and 1.
 */
function randomizeBatchNorms(model: tfl.LayersModel, seed: number): number {
  const rng = new Rng(seed);
  let n = 0;
  for (const l of model.layers) {
    if (l.getClassName() !== 'BatchNormalization') continue;
    const c = l.getWeights()[0]!.shape[0]!;
    const draw = (lo: number, hi: number) => tf.tensor1d(Float32Array.from({ length: c }, () => lo + (hi - lo) * rng.next()));
    const values = [draw(0.5, 1.5), draw(-0.5, 0.5), draw(-0.5, 0.5), draw(0.3, 2)];
    l.setWeights(values);
    tf.dispose(values);
    n++;
  }
  return n;
}

test('MobileNet-style student (mbconv: expansion, stride 2, SE, hswish, residual): parity', async (t) => {
  const spec: ModelSpec = {
    blocks: [
      { type: 'conv2d', filters: 8, stride: 2, batchNorm: true, activation: 'hswish' },
      { type: 'mbconv', filters: 12, expansion: 3, stride: 2, se: 0.25, activation: 'hswish' },
      { type: 'mbconv', filters: 12, expansion: 3, se: 0.25, activation: 'hswish' },
      { type: 'mbconv', filters: 12, expansion: 2 },
      { type: 'sepconv', filters: 16, activation: 'swish' },
      { type: 'globalavgpool' },
    ],
  };
  const model = await trained(spec, { ...data.train, x: data.train.x.subarray(0, 256 * 784), y: data.train.y.subarray(0, 256) }, 1);
  assert.equal(randomizeBatchNorms(model, 7), 12);
  const ops = await parity(t, model, 'mobilenet');
  assert.equal(ops.filter((o) => o === 'BatchNormalization').length, 0, 'every BN folded into its conv');
  assert.equal(ops.filter((o) => o === 'HardSwish').length, 5);
  assert.equal(ops.filter((o) => o === 'HardSigmoid').length, 0);
  assert.equal(ops.filter((o) => o === 'Add').length, 2, 'two residual blocks');
  assert.equal(ops.filter((o) => o === 'Conv').length, 12);
  model.dispose();
});
