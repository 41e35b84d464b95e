import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../../core/errors.ts';
import { loadData, noNormalization, scaleStats } from '../../data/index.ts';
import { disposeEngine, initEngine } from '../../engine/index.ts';
import { blockOutputNames, buildModel, saveModel, type ModelSpec } from '../../models/index.ts';
import { loadTeacher } from './index.ts';
import { ROOT } from './testing.ts';

let dir: string;
before(async () => {
  await initEngine({ backend: 'wasm', threads: 1 });
  dir = mkdtempSync(join(tmpdir(), 'distillery-tfjs-teacher-'));
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await disposeEngine();
});

const spec: ModelSpec = { blocks: [{ type: 'conv2d', filters: 4, stride: 2 }, { type: 'maxpool' }, { type: 'flatten' }, { type: 'dense', units: 16, activation: 'relu' }, { type: 'dense', units: 10 }] };

async function mnist(n: number, normalize: 'scale' | 'none') {
  const data = await loadData({ source: 'mnist', limit: 10, testLimit: n, normalize }, { baseDir: ROOT, seed: 1 });
  return { data, x: tf.tensor(data.test!.x, [n, 28, 28, 1]) };
}

test('a saved TF.js model as a teacher gives the model\'s own logits and named layer features', async () => {
  const model = buildModel(spec, { inputShape: [28, 28, 1], numClasses: 10, seed: 7 });
  await saveModel(model, join(dir, 'm1'));
  const { data, x } = await mnist(16, 'scale');
  const ctx = { baseDir: dir, dataShape: [28, 28, 1], numClasses: 10, normalization: data.normalization };
  const teacher = await loadTeacher({ type: 'tfjs', path: 'm1' }, ctx);
  const blocks = blockOutputNames(model);
  assert.ok(teacher.featureNames.includes(blocks[0]) && teacher.featureNames.includes('b3'));
  const { logits, features } = await teacher.predict(x, { features: ['b0', blocks[3]] });
  const want = model.predict(x) as tf.Tensor;
  assert.deepEqual(logits.shape, [16, 10]);
  const [g, w] = [logits.dataSync(), want.dataSync()];
  g.forEach((v, i) => assert.ok(Math.abs(v - w[i]) < 1e-5, `${v} vs ${w[i]}`));
  // b0 is block 0's output: a 2-strided conv of 4 filters on 28×28.
  const sub = tfl.model({ inputs: model.inputs, outputs: model.getLayer(blocks[0]).output as tfl.SymbolicTensor });
  const wantB0 = (sub.predict(x) as tf.Tensor).dataSync();
  assert.deepEqual(features!.b0.shape, [16, 14, 14, 4]);
  features!.b0.dataSync().forEach((v, i) => assert.ok(Math.abs(v - wantB0[i]) < 1e-5));
  assert.deepEqual(features![blocks[3]].shape, [16, 16]);
  // The same files again hash the same; the path given as model.json works too.
  const again = await loadTeacher({ type: 'tfjs', path: join(dir, 'm1', 'model.json') }, ctx);
  assert.equal(again.hash, teacher.hash);
  await assert.rejects(teacher.predict(x, { features: ['nope'] }), (e: DistilleryError) => e.code === 'TEACHER_FEATURE' && e.message.includes("'nope'"));
  tf.dispose([x, logits, want, features!.b0, features![blocks[3]]]);
  teacher.dispose();
  again.dispose();
  model.dispose();
});

test('the normalisation saved with the model is applied to the student\'s batches', async () => {
  const model = buildModel(spec, { inputShape: [28, 28, 1], numClasses: 10, seed: 3 });
  // As `distillery train` saves a model trained on `normalize: scale`.
  await saveModel(model, join(dir, 'm2'), { distillery: { normalization: { kind: 'scale', mean: [0], std: [255] } } });
  const raw = await mnist(8, 'none');
  const teacher = await loadTeacher({ type: 'tfjs', path: 'm2' }, { baseDir: dir, dataShape: [28, 28, 1], numClasses: 10, normalization: noNormalization });
  const got = (await teacher.predict(raw.x)).logits.dataSync();
  const want = tf.tidy(() => (model.predict(tf.div(raw.x, 255)) as tf.Tensor).dataSync());
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-4, `${v} vs ${want[i]}`));
  // An explicit teacher normalize wins over the metadata: `none` feeds raw values.
  const asRaw = await loadTeacher({ type: 'tfjs', path: 'm2', normalize: 'none' }, { baseDir: dir, dataShape: [28, 28, 1], numClasses: 10, normalization: scaleStats(raw.data.test!) });
  const scaled = tf.div(raw.x, 255);
  const got2 = (await asRaw.predict(scaled)).logits.dataSync();
  const want2 = (model.predict(raw.x) as tf.Tensor).dataSync();
  got2.forEach((v, i) => assert.ok(Math.abs(v - want2[i]) < 1e-3 * Math.max(1, Math.abs(want2[i])), `${v} vs ${want2[i]}`));
  assert.notEqual(asRaw.hash, teacher.hash);
  tf.dispose([raw.x, scaled]);
  teacher.dispose();
  asRaw.dispose();
  model.dispose();
});

test('a softmax-ended model gives log-probabilities as logits', async () => {
  const m = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [28, 28, 1] }), tfl.layers.dense({ units: 10, activation: 'softmax' })] });
  await saveModel(m, join(dir, 'soft'));
  const t = await loadTeacher({ type: 'tfjs', path: 'soft' }, { baseDir: dir, dataShape: [28, 28, 1], numClasses: 10, normalization: noNormalization });
  const x = tf.randomUniform([3, 28, 28, 1]);
  const got = (await t.predict(x)).logits;
  const sums = tf.tidy(() => tf.sum(tf.exp(got), 1).dataSync());
  sums.forEach((s) => assert.ok(Math.abs(s - 1) < 1e-5));
  assert.ok(got.dataSync().every((v) => v < 0));
  tf.dispose([x, got]);
  t.dispose();
  m.dispose();
});

test('bad TF.js teachers: class count, input shape, not a model, missing', async () => {
  const model = buildModel(spec, { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
  await saveModel(model, join(dir, 'm3'));
  const ctx = { baseDir: dir, dataShape: [28, 28, 1], numClasses: 10, normalization: noNormalization };
  const code = (c: string, ...parts: string[]) => (e: unknown) => e instanceof DistilleryError && e.code === c && parts.every((p) => e.message.includes(p));
  await assert.rejects(loadTeacher({ type: 'tfjs', path: 'm3' }, { ...ctx, numClasses: 5 }), code('TEACHER_CLASSES', 'expected 5, got 10'));
  await assert.rejects(loadTeacher({ type: 'tfjs', path: 'm3' }, { ...ctx, dataShape: [32, 32, 3] }), code('TEACHER_INPUT_SHAPE', 'expected [N, 32, 32, 3]', 'got [N, 28, 28, 1]'));
  mkdirSync(join(dir, 'junk'));
  writeFileSync(join(dir, 'junk', 'model.json'), '{"hello": 1}');
  await assert.rejects(loadTeacher({ type: 'tfjs', path: 'junk' }, ctx), code('TEACHER_FORMAT', 'junk'));
  writeFileSync(join(dir, 'junk', 'notes.txt'), 'x');
  await assert.rejects(loadTeacher({ type: 'tfjs', path: 'junk/notes.txt' }, ctx), code('TEACHER_FORMAT', 'notes.txt'));
  await assert.rejects(loadTeacher({ type: 'tfjs', path: 'absent' }, ctx), code('TEACHER_NOT_FOUND', 'absent'));
  model.dispose();
});
