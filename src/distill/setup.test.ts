import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadData } from '../data/index.ts';
import { disposeEngine, initEngine } from '../engine/index.ts';
import { DEFAULT_LOSS } from './config.ts';
import { createLoss } from './losses/index.ts';
import { distillLossTerms, teacherRunsOnline, trainingLogits } from './setup.ts';
import { loadTeacher } from './teachers/index.ts';
import { ROOT } from './teachers/testing.ts';
import type { Teacher } from './types.ts';

let dir: string;
before(async () => {
  await initEngine({ backend: 'wasm', threads: 1 });
  dir = mkdtempSync(join(tmpdir(), 'distillery-setup-'));
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await disposeEngine();
});

test('distillLossTerms: the configured terms, else the default kd + ce (also for an empty list)', () => {
  const mine = [{ term: 'dkd', weight: 1 }];
  assert.equal(distillLossTerms(mine), mine);
  assert.equal(distillLossTerms(undefined), DEFAULT_LOSS);
  assert.equal(distillLossTerms([]), DEFAULT_LOSS);
  assert.deepEqual(DEFAULT_LOSS, [{ term: 'kd', weight: 0.9, T: 4 }, { term: 'ce', weight: 0.1 }]);
});

test('teacherRunsOnline: with augmentation or a teacher-feature term, never for logits alone', () => {
  const kd = createLoss([...DEFAULT_LOSS]);
  const hint = createLoss([{ term: 'hint', weight: 1, student: 'dense_1', teacher: 'fc1' }, { term: 'ce', weight: 1 }]);
  assert.equal(teacherRunsOnline(kd, false), false);
  assert.equal(teacherRunsOnline(kd, true), true);
  assert.equal(teacherRunsOnline(hint, false), true);
  kd.dispose();
  hint.dispose();
});

test('trainingLogits follows the cache section: off (nothing on disk), a folder read against baseDir, its batch size', async () => {
  const data = await loadData({ source: 'mnist', limit: 96, testLimit: 1, normalize: 'scale' }, { baseDir: ROOT, seed: 1 });
  const ctx = { baseDir: ROOT, dataShape: [28, 28, 1], numClasses: 10, normalization: data.normalization };
  const teacher = await loadTeacher({ type: 'onnx', path: join(ROOT, 'examples/teachers/mnist-cnn.onnx'), normalize: { mean: 33.3285, std: 78.5655 } }, ctx);
  let calls = 0;
  const counted: Teacher = { ...teacher, predict: (x, o) => (calls++, teacher.predict(x, o)) };
  const base = { fingerprint: data.fingerprint, normalization: data.normalization, baseDir: dir };
  try {
    const off = await trainingLogits(counted, data.train, { ...base, cache: { enabled: false, dir: 'c', batchSize: 32 } });
    assert.deepEqual([off.hit, off.logits.length, calls], [false, 96 * 10, 3]);
    assert.equal(existsSync(join(dir, 'c')), false, 'cache off: nothing written');

    calls = 0;
    const first = await trainingLogits(counted, data.train, { ...base, cache: { enabled: true, dir: 'c', batchSize: 48 } });
    assert.deepEqual([first.hit, calls], [false, 2]);
    assert.ok(readdirSync(join(dir, 'c')).some((f) => f.endsWith('.json')), 'the relative cache.dir is under baseDir');
    const again = await trainingLogits(counted, data.train, { ...base, cache: { enabled: true, dir: 'c', batchSize: 48 } });
    assert.deepEqual([again.hit, calls], [true, 2]);
    assert.deepEqual(again.logits, first.logits);
    assert.deepEqual(off.logits, first.logits);
  } finally {
    teacher.dispose();
  }
});
