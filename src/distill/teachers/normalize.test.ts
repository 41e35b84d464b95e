import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError } from '../../core/errors.ts';
import { explicitStats, loadData, noNormalization, normalize, scaleStats, standardizeStats, type Dataset } from '../../data/index.ts';
import { disposeEngine, initEngine } from '../../engine/index.ts';
import { affineBetween, applyAffine, resolveTeacherNormalization } from './index.ts';
import { ROOT } from './testing.ts';

before(async () => { await initEngine({ backend: 'wasm', threads: 1 }); });
after(async () => { await disposeEngine(); });

test('the affine map takes the student\'s values to the teacher\'s normalisation of the same raw values', () => {
  const raw = Float32Array.from([0, 51, 128, 255, 7, 200]);
  const student = scaleStats({ x: raw, y: new Int32Array(0), shape: [6], numClasses: 2, classNames: [], valueRange: [0, 255] });
  const teacher = explicitStats(0.1307 * 255, 0.3081 * 255);
  const a = affineBetween(student, teacher, [6]);
  assert.equal(a.scale.length, 1);
  assert.ok(Math.abs(a.scale[0] - 1 / 0.3081) < 1e-5 && Math.abs(a.shift[0] + 0.1307 / 0.3081) < 1e-5);
  const xs = tf.tensor(raw.map((v) => v / 255), [1, 6]);
  const got = applyAffine(xs, a).dataSync();
  raw.forEach((v, i) => assert.ok(Math.abs(got[i] - (v / 255 - 0.1307) / 0.3081) < 1e-5));
  // Same normalisation on both sides: nothing to do, and the input tensor itself comes back.
  const id = affineBetween(student, student, [6]);
  assert.ok(id.identity);
  assert.equal(applyAffine(xs, id), xs);
  xs.dispose();
});

test('per-channel teacher stats against a global student normalisation', () => {
  // Two pixels of three channels; the teacher standardises each channel.
  const raw = [10, 20, 30, 40, 50, 60];
  const student = explicitStats(5, 2);
  const teacher = explicitStats([1, 2, 3], [10, 20, 30]);
  const a = affineBetween(student, teacher, [1, 2, 3]);
  assert.equal(a.scale.length, 6);
  const xs = tf.tensor(raw.map((v) => (v - 5) / 2), [1, 1, 2, 3]);
  const got = applyAffine(xs, a).dataSync();
  raw.forEach((v, i) => assert.ok(Math.abs(got[i] - (v - [1, 2, 3][i % 3]) / [10, 20, 30][i % 3]) < 1e-5, `${got[i]}`));
  xs.dispose();
  assert.throws(() => affineBetween(student, explicitStats([1, 2], [1, 1]), [1, 2, 3]), (e: DistilleryError) => e.code === 'TEACHER_NORMALIZE' && e.where === 'teacher.normalize');
});

test('a teacher\'s scale / standardize are fitted on the raw values behind the student\'s training set', async () => {
  const raw = (await loadData({ source: 'mnist', limit: 500, testLimit: 1 }, { baseDir: ROOT, seed: 1 })).train;
  const stdStudent = standardizeStats(raw);
  const train: Dataset = normalize(raw, stdStudent);
  const ctx = { dataShape: [28, 28, 1], normalization: stdStudent, train };
  const sc = resolveTeacherNormalization('scale', ctx);
  assert.ok(Math.abs(sc.mean[0]) < 1e-3 && Math.abs(sc.std[0] - 255) < 1e-3, JSON.stringify(sc));
  const st = resolveTeacherNormalization('standardize', ctx);
  const want = standardizeStats(raw);
  assert.ok(Math.abs(st.mean[0] - want.mean[0]) < 1e-3 && Math.abs(st.std[0] - want.std[0]) < 1e-3);
  assert.deepEqual(resolveTeacherNormalization({ mean: 1, std: 2 }, { dataShape: [28, 28, 1], normalization: noNormalization }), { kind: 'explicit', mean: [1], std: [2] });
  assert.throws(() => resolveTeacherNormalization('scale', { dataShape: [28, 28, 1], normalization: noNormalization }), (e: DistilleryError) => e.code === 'TEACHER_NORMALIZE');
});
