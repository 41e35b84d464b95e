import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import { noNormalization } from '../../data/index.ts';
import { disposeEngine, initEngine } from '../../engine/index.ts';
import { buildModel, saveModel } from '../../models/index.ts';
import { combineLogits, loadTeacher, normalizeWeights, parseTeacherConfig } from './index.ts';
import { FIXTURES } from './testing.ts';

let dir: string;
before(async () => {
  await initEngine({ backend: 'wasm', threads: 1 });
  dir = mkdtempSync(join(tmpdir(), 'distillery-ensemble-'));
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await disposeEngine();
});

const close = (got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5) => {
  assert.equal(got.length, want.length);
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) < tol, `[${i}] ${got[i]} vs ${want[i]}`);
};

test('ensemble arithmetic on known numbers', () => {
  assert.deepEqual(normalizeWeights([3, 1], 2), [0.75, 0.25]);
  assert.deepEqual(normalizeWeights(undefined, 4), [0.25, 0.25, 0.25, 0.25]);
  const a = tf.tensor2d([[0, 2], [1, 1]]);
  const b = tf.tensor2d([[4, -2], [3, -1]]);
  // 0.75·[0, 2] + 0.25·[4, −2] = [1, 1]
  close(combineLogits([a, b], [0.75, 0.25], 'logits').dataSync(), [1, 1, 1.5, 0.5]);
  // softmax([0, 2]) = [0.119203, 0.880797]; softmax([4, −2]) = [0.997527, 0.002473]; mean: [0.558365, 0.441635]
  const p = combineLogits([a, b], [0.5, 0.5], 'probs');
  close(tf.exp(p).dataSync().slice(0, 2), [0.558365, 0.441635]);
  close(p.dataSync().slice(0, 2), [Math.log(0.558365), Math.log(0.441635)]);
  // A weight of 0 drops the member (no log 0).
  close(combineLogits([a, b], [1, 0], 'probs').dataSync().slice(0, 2), [Math.log(0.119203), Math.log(0.880797)]);
  // Confident members do not underflow: log-probs of −1000 stay finite.
  const sharp = combineLogits([tf.tensor2d([[0, 1000]]), tf.tensor2d([[0, 1000]])], [0.5, 0.5], 'probs').dataSync();
  close(sharp, [-1000, 0], 1e-3);
});

test('an ONNX and a TF.js teacher as a weighted ensemble, both combine rules', async () => {
  const model = buildModel({ blocks: [{ type: 'flatten' }, { type: 'dense', units: 4 }] }, { inputShape: [4, 4, 3], numClasses: 4, seed: 5 });
  await saveModel(model, join(dir, 'small'));
  const ctx = { baseDir: FIXTURES, dataShape: [4, 4, 3], numClasses: 4, normalization: noNormalization };
  const members = [{ type: 'onnx', path: 'linear-nchw-3x4x4.onnx' }, { type: 'tfjs', path: join(dir, 'small') }] as const;
  const rng = new Rng(9);
  const x = tf.tensor(Float32Array.from({ length: 6 * 48 }, () => rng.normal()), [6, 4, 4, 3]);
  const [ta, tb] = [await loadTeacher(members[0], ctx), await loadTeacher(members[1], ctx)];
  const [la, lb] = [(await ta.predict(x)).logits, (await tb.predict(x)).logits];
  const byLogits = await loadTeacher(parseTeacherConfig({ type: 'ensemble', members, weights: [3, 1] }), ctx);
  const out = await byLogits.predict(x, { features: ['m0/features'] });
  close(out.logits.dataSync(), tf.add(tf.mul(la, 0.75), tf.mul(lb, 0.25)).dataSync());
  assert.deepEqual(out.features!['m0/features'].shape, [6, 4, 4, 3]);
  assert.ok(byLogits.featureNames.includes('m0/features') && byLogits.featureNames.includes('m1/b0'));
  const byProbs = await loadTeacher(parseTeacherConfig({ type: 'ensemble', members, combine: 'probs', weights: [3, 1] }), ctx);
  const mix = tf.add(tf.mul(tf.softmax(la), 0.75), tf.mul(tf.softmax(lb), 0.25));
  close(tf.exp((await byProbs.predict(x)).logits).dataSync(), mix.dataSync());
  // The hash follows the normalised weights and the rule.
  const scaled = await loadTeacher(parseTeacherConfig({ type: 'ensemble', members, weights: [6, 2] }), ctx);
  const equal = await loadTeacher(parseTeacherConfig({ type: 'ensemble', members }), ctx);
  assert.equal(scaled.hash, byLogits.hash);
  assert.notEqual(equal.hash, byLogits.hash);
  assert.notEqual(byProbs.hash, byLogits.hash);
  // A member's error names the member's key path.
  await assert.rejects(
    loadTeacher(parseTeacherConfig({ type: 'ensemble', members: [members[0], { type: 'onnx', path: 'mnist-5class.onnx' }] }), ctx),
    (e: DistilleryError) => e.code === 'TEACHER_INPUT_SHAPE' && e.where === 'teacher.members[1].path',
  );
  for (const t of [ta, tb, byLogits, byProbs, scaled, equal]) t.dispose();
  model.dispose();
});

test('teacher configs are validated with the key path at fault', () => {
  const bad = (v: unknown, where: string) =>
    assert.throws(() => parseTeacherConfig(v), (e: DistilleryError) => e.code === 'CONFIG_INVALID' && e.where === where && e.message.includes(where));
  bad({ type: 'onnx', path: 'a.onnx', layuot: 'nchw' }, 'teacher.layuot');
  bad({ type: 'onnx', path: 'a.onnx', layout: 'chw' }, 'teacher.layout');
  bad({ type: 'ensemble', members: [{ type: 'onnx', path: 'a.onnx' }], weights: [1, 2] }, 'teacher.weights');
  bad({ type: 'ensemble', members: [{ type: 'onnx', path: 'a.onnx' }], weights: [0] }, 'teacher.weights');
  bad({ type: 'ensemble', members: [{ type: 'tflite', path: 'a' }] }, 'teacher.members[0].type');
  bad({ type: 'tfjs', path: 'm', normalize: { mean: 1 } }, 'teacher.normalize');
  bad({ type: 'tfjs' }, 'teacher.path');
  assert.deepEqual(parseTeacherConfig({ type: 'ensemble', members: [{ type: 'tfjs', path: 'm' }] }), { type: 'ensemble', members: [{ type: 'tfjs', path: 'm' }], combine: 'logits' });
});
