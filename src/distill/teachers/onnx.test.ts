import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import { loadData, noNormalization } from '../../data/index.ts';
import { disposeEngine, initEngine } from '../../engine/index.ts';
import { openOnnx } from '../../runtime/index.ts';
import { inputMapping, loadTeacher } from './index.ts';
import { fixtureWeights, FIXTURES, ROOT } from './testing.ts';

before(async () => { await initEngine({ backend: 'wasm', threads: 1 }); });
after(async () => { await disposeEngine(); });

const CNN = join(ROOT, 'examples/teachers/mnist-cnn.onnx');
// (x/255 − 0.1307)/0.3081 written on the raw 0..255 scale
const CNN_NORMALIZE = { mean: 0.1307 * 255, std: 0.3081 * 255 };

async function rejects(p: Promise<unknown>, code: string, ...parts: string[]): Promise<DistilleryError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  assert.ok(e instanceof DistilleryError, `expected DistilleryError ${code}, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  for (const s of parts) assert.ok(e.message.includes(s), `'${e.message}' should mention '${s}'`);
  assert.ok(e.hint);
  return e;
}

test('the PyTorch CNN teacher (NCHW) classifies 1000 MNIST test images at > 97% and gives NHWC features', async () => {
  const data = await loadData({ source: 'mnist', limit: 10, testLimit: 1000, normalize: 'scale' }, { baseDir: ROOT, seed: 1 });
  const test = data.test!;
  const teacher = await loadTeacher({ type: 'onnx', path: CNN, normalize: CNN_NORMALIZE }, { baseDir: ROOT, dataShape: test.shape, numClasses: 10, normalization: data.normalization });
  assert.deepEqual(teacher.featureNames, ['features']);
  assert.deepEqual(teacher.inputShape, [28, 28, 1]);
  const x = tf.tensor(test.x, [1000, 28, 28, 1]);
  const { logits, features } = await teacher.predict(x, { features: ['features'] });
  const pred = (await tf.argMax(logits, 1).data()) as Int32Array;
  const acc = pred.reduce((s, p, i) => s + (p === test.y[i] ? 1 : 0), 0) / 1000;
  assert.ok(acc > 0.97, `accuracy ${acc}`);
  assert.deepEqual(features!.features.shape, [1000, 7, 7, 32]);

  // The transposes both ways: the same images fed NCHW straight to onnxruntime.
  const nchw = tf.tidy(() => tf.transpose(tf.sub(tf.div(tf.slice(x, 0, 4), 0.3081), 0.1307 / 0.3081), [0, 3, 1, 2]));
  const s = await openOnnx(CNN);
  const direct = await s.run({ input: { data: nchw.dataSync() as Float32Array, dims: nchw.shape } });
  await s.release();
  const logits4 = tf.slice(logits, 0, 4).dataSync();
  direct.logits.data.forEach((v, i) => assert.ok(Math.abs(v - logits4[i]) < 1e-3, `logit ${i}: ${v} vs ${logits4[i]}`));
  const f = tf.slice(features!.features, 0, 4).arraySync() as number[][][][];
  const fd = direct.features.data; // NCHW [4, 32, 7, 7]
  for (const [n, c, h, w] of [[0, 0, 0, 0], [1, 5, 3, 2], [3, 31, 6, 4], [2, 17, 1, 6]]) {
    assert.ok(Math.abs(f[n][h][w][c] - fd[((n * 32 + c) * 7 + h) * 7 + w]) < 1e-3);
  }
  // Raw 0..255 student data: the affine map adapts, the logits stay the same.
  const raw = await loadData({ source: 'mnist', limit: 10, testLimit: 4 }, { baseDir: ROOT, seed: 1 });
  const t2 = await loadTeacher({ type: 'onnx', path: CNN, normalize: CNN_NORMALIZE }, { baseDir: ROOT, dataShape: [28, 28, 1], numClasses: 10, normalization: raw.normalization });
  const l2 = (await t2.predict(tf.tensor(raw.test!.x, [4, 28, 28, 1]))).logits.dataSync();
  l2.forEach((v, i) => assert.ok(Math.abs(v - logits4[i]) < 1e-3));
  assert.notEqual(t2.hash, teacher.hash, 'another input map is another teacher');
  tf.dispose([x, logits, features!.features, nchw]);
  teacher.dispose();
  t2.dispose();
});

test('NCHW and NHWC models of the same function agree with hand arithmetic on NHWC data', async () => {
  const ctx = { baseDir: FIXTURES, dataShape: [4, 4, 3], numClasses: 4, normalization: noNormalization };
  const a = await loadTeacher({ type: 'onnx', path: 'linear-nchw-3x4x4.onnx' }, ctx);
  const b = await loadTeacher({ type: 'onnx', path: 'linear-nhwc-4x4x3.onnx' }, ctx);
  const rng = new Rng(3);
  const vals = Float32Array.from({ length: 5 * 48 }, () => rng.normal());
  const x = tf.tensor(vals, [5, 4, 4, 3]);
  const ob = await b.predict(x);
  assert.equal(x.isDisposed, false, 'the caller keeps its batch');
  const oa = await a.predict(x, { features: ['features'] });
  const { w, b: bias } = fixtureWeights();
  const want = new Float64Array(5 * 4);
  for (let n = 0; n < 5; n++) for (let y = 0; y < 4; y++) for (let xx = 0; xx < 4; xx++) for (let c = 0; c < 3; c++) {
    const v = vals[n * 48 + (y * 4 + xx) * 3 + c];
    for (let k = 0; k < 4; k++) want[n * 4 + k] += v * w(c * 16 + y * 4 + xx, k);
  }
  for (let i = 0; i < 20; i++) want[i] += bias(i % 4);
  for (const o of [oa, ob]) o.logits.dataSync().forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-4, `${v} vs ${want[i]}`));
  // relu(x) of an NCHW model comes back NHWC, elementwise equal to relu of the input.
  const feat = oa.features!.features.dataSync();
  assert.deepEqual(oa.features!.features.shape, [5, 4, 4, 3]);
  feat.forEach((v, i) => assert.equal(v, Math.max(0, vals[i])));
  // Forcing the wrong layout is a shape error that names both shapes.
  await rejects(loadTeacher({ type: 'onnx', path: 'linear-nchw-3x4x4.onnx', layout: 'nhwc' }, ctx), 'TEACHER_INPUT_SHAPE', '[N, 4, 4, 3]', '[N, 3, 4, 4]');
  await rejects(a.predict(x, { features: ['mm'] }), 'TEACHER_FEATURE', "'mm' is not an output", 'logits, features');
  tf.dispose([x, oa.logits, ob.logits, oa.features!.features]);
  const before = tf.memory().numTensors;
  const again = await a.predict(tf.zeros([2, 4, 4, 3]), { features: ['features'] });
  tf.dispose([again.logits, again.features!.features]);
  assert.equal(tf.memory().numTensors, before + 1, 'only the caller\'s input is left');
  a.dispose();
  b.dispose();
});

test('inputMapping picks NCHW, NHWC or flat from the model input shape', () => {
  assert.equal(inputMapping(['batch', 1, 28, 28], [28, 28, 1]), 'nchw');
  assert.equal(inputMapping(['batch', 28, 28, 1], [28, 28, 1]), 'nhwc');
  assert.equal(inputMapping([-1, 3, 3, 3], [3, 3, 3]), 'nchw'); // ambiguous: PyTorch's layout
  assert.equal(inputMapping([-1, 3, 3, 3], [3, 3, 3], 'nhwc'), 'nhwc');
  assert.equal(inputMapping(['N', 784], [28, 28, 1]), 'flat');
  assert.equal(inputMapping(['N', 784], [784]), 'nhwc');
  assert.equal(inputMapping(['N', 3, 32, 32], [28, 28, 1]), undefined);
  assert.equal(inputMapping(['N', 1, 28, 28], [28, 28, 1], 'nhwc'), undefined);
  assert.equal(inputMapping(['N', 785], [28, 28, 1]), undefined);
});

test('a flat-input model with a symbolic class axis is probed for its class count', async () => {
  const t = await loadTeacher({ type: 'onnx', path: 'flat-symbolic.onnx' }, { baseDir: FIXTURES, dataShape: [28, 28, 1], numClasses: 10, normalization: noNormalization });
  assert.equal(t.numClasses, 10);
  const x = tf.tidy(() => tf.mul(tf.ones([1, 28, 28, 1]), 0.5));
  const got = (await t.predict(x)).logits.dataSync();
  const { w, b } = fixtureWeights();
  for (let k = 0; k < 10; k++) {
    let s = b(k);
    for (let i = 0; i < 784; i++) s += 0.5 * w(i, k);
    assert.ok(Math.abs(got[k] - s) < 1e-4, `${got[k]} vs ${s}`);
  }
  await rejects(loadTeacher({ type: 'onnx', path: 'flat-symbolic.onnx' }, { baseDir: FIXTURES, dataShape: [28, 28, 1], numClasses: 7, normalization: noNormalization }), 'TEACHER_CLASSES', 'expected 7, got 10');
  x.dispose();
  t.dispose();
});

test('bad teachers: class count, input shape, not a model, missing file, bad names', async () => {
  const ctx = { baseDir: FIXTURES, dataShape: [28, 28, 1], numClasses: 10, normalization: noNormalization };
  await rejects(loadTeacher({ type: 'onnx', path: 'mnist-5class.onnx' }, ctx), 'TEACHER_CLASSES', 'mnist-5class.onnx', 'expected 10, got 5');
  await rejects(loadTeacher({ type: 'onnx', path: 'rgb-32x32.onnx' }, ctx), 'TEACHER_INPUT_SHAPE', 'rgb-32x32.onnx', '[N, 1, 28, 28]', 'got [N, 3, 32, 32]');
  await rejects(loadTeacher({ type: 'onnx', path: 'not-a-model.onnx' }, ctx), 'TEACHER_FORMAT', 'not-a-model.onnx');
  await rejects(loadTeacher({ type: 'onnx', path: 'missing.onnx' }, ctx), 'TEACHER_NOT_FOUND', 'missing.onnx');
  await rejects(loadTeacher({ type: 'onnx', path: FIXTURES }, ctx), 'TEACHER_FORMAT', 'folder');
  await rejects(loadTeacher({ type: 'onnx', path: CNN, output: 'probs' }, ctx), 'TEACHER_OUTPUT', "'probs'", 'logits, features');
  await rejects(loadTeacher({ type: 'onnx', path: CNN, input: 'x' }, ctx), 'TEACHER_INPUT', "'x'", 'input');
});
