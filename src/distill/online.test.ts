import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '../data/index.ts';
import { noNormalization } from '../data/index.ts';
import { disposeEngine, initEngine } from '../engine/index.ts';
import { buildModel, saveModel, type ModelSpec } from '../models/index.ts';
import type { StepBatch } from '../train/index.ts';
import { distillHooks, type DistillLoss } from './job.ts';
import { loadTeacher } from './teachers/index.ts';

let dir: string;
before(async () => {
  await initEngine({ backend: 'wasm', threads: 1 });
  dir = mkdtempSync(join(tmpdir(), 'distillery-online-'));
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await disposeEngine();
});

// A teacher whose training-mode forward pass differs from its inference one twice over: batch
// statistics instead of moving ones in the BN, and a dropout mask.
const spec: ModelSpec = {
  blocks: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'batchnorm' }, { type: 'dropout', rate: 0.5 }, { type: 'dense', units: 4 }],
};

test('an online teacher (augmented batches) gives the loss its inference-mode logits: moving BN statistics, no dropout', async () => {
  const n = 8;
  const d = 6;
  const model = buildModel(spec, { inputShape: [d], numClasses: 4, seed: 5 });
  const bn = model.layers.find((l) => l.getClassName() === 'BatchNormalization')!;
  // Moving statistics far from any batch's (gamma, beta, moving mean, moving variance).
  const stats = [tf.fill([16], 1.5), tf.fill([16], 0.2), tf.fill([16], 3), tf.fill([16], 4)];
  bn.setWeights(stats);
  tf.dispose(stats);
  await saveModel(model, join(dir, 'teacher'));
  const teacher = await loadTeacher({ type: 'tfjs', path: 'teacher' }, { baseDir: dir, dataShape: [d], numClasses: 4, normalization: noNormalization });

  const x = Float32Array.from({ length: n * d }, (_, i) => Math.sin(0.7 * i) * 2);
  const y = Int32Array.from({ length: n }, (_, i) => i % 4);
  const train: Dataset = { x, y, shape: [d], numClasses: 4, classNames: ['a', 'b', 'c', 'd'] };
  const student = buildModel({ blocks: [{ type: 'dense', units: 4 }] }, { inputShape: [d], numClasses: 4, seed: 1 });
  let seen = undefined as Float32Array | undefined;
  const loss: DistillLoss = {
    compute: (ctx) => {
      seen = ctx.teacherLogits ? Float32Array.from(ctx.teacherLogits.dataSync()) : undefined;
      return tf.scalar(0);
    },
    needsTeacher: true,
    features: { student: [], teacher: [] },
    variables: [],
  };
  // No cachedLogits: the teacher runs online, in beforeStep, on the batch the student gets.
  const hooks = await distillHooks({ loss, student, teacher, numClasses: 4, dataShape: [d] }, train);
  assert.ok(hooks.fit.beforeStep, 'without cached logits the teacher runs on each batch');
  // The batch as augmentation left it: not the data set's stored samples.
  const augmented = x.map((v, i) => v + 0.5 * Math.cos(i));
  const batch: StepBatch = { x: augmented, y, n, indices: Int32Array.from({ length: n }, (_, i) => i), epoch: 0, step: 0 };
  await hooks.fit.beforeStep(batch);
  const input = tf.tensor2d(augmented, [n, d]);
  const labels = tf.tensor1d(y, 'int32');
  const studentLogits = student.predict(input) as tf.Tensor2D;
  seen = undefined; // primeLoss (in distillHooks) ran the loss once already
  tf.dispose(hooks.fit.loss!(studentLogits, labels, { ...batch, input, features: {} }));
  hooks.dispose();

  const [want, training, stored] = tf.tidy(() => [
    (model.predict(input) as tf.Tensor).dataSync(),
    (model.apply(input, { training: true }) as tf.Tensor).dataSync(),
    (model.predict(tf.tensor2d(x, [n, d])) as tf.Tensor).dataSync(),
  ]);
  const got = seen as Float32Array | undefined; // set in the loss callback
  assert.ok(got && got.length === n * 4, 'the loss saw the teacher logits');
  const diff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));
  assert.ok(diff(got, want) < 1e-5, `online teacher vs model.predict: max |diff| ${diff(got, want)}`);
  // The check can fail: training mode (batch statistics, dropout), or the unaugmented samples,
  // move the logits a lot.
  assert.ok(diff(training, want) > 0.1, `training mode should differ from inference: ${diff(training, want)}`);
  assert.ok(diff(stored, want) > 0.1, `the unaugmented samples should give other logits: ${diff(stored, want)}`);
  tf.dispose([input, labels, studentLogits]);
  teacher.dispose();
  student.dispose();
  model.dispose();
});
