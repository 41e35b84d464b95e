import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import { explicitStats, gatherBatch, loadData, take } from '../data/index.ts';
import { disposeEngine, initEngine } from '../engine/index.ts';
import { cachedTeacherLogits, gatherRows, teacherLogitsFor } from './cache.ts';
import { loadTeacher } from './teachers/index.ts';
import { ROOT } from './teachers/testing.ts';
import type { Teacher } from './types.ts';

let dir: string;
before(async () => {
  await initEngine({ backend: 'wasm', threads: 1 });
  dir = mkdtempSync(join(tmpdir(), 'distillery-cache-'));
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await disposeEngine();
});

const CNN = join(ROOT, 'examples/teachers/mnist-cnn.onnx');

/** The same teacher, counting its predict calls (to tell a cache hit from a recompute). */
function counting(t: Teacher): Teacher & { calls: number } {
  const c = { ...t, calls: 0 } as Teacher & { calls: number };
  c.predict = (x, o) => {
    c.calls++;
    return t.predict(x, o);
  };
  return c;
}

async function setup() {
  const data = await loadData({ source: 'mnist', limit: 1200, testLimit: 1, normalize: 'scale' }, { baseDir: ROOT, seed: 1 });
  const ctx = { baseDir: ROOT, dataShape: [28, 28, 1], numClasses: 10, normalization: data.normalization };
  const teacher = await loadTeacher({ type: 'onnx', path: CNN, normalize: { mean: 33.3285, std: 78.5655 } }, ctx);
  return { data, ctx, teacher };
}

test('cached logits line up with shuffled batches: row i is sample i', async () => {
  const { data, teacher } = await setup();
  const before = tf.memory().numTensors;
  const table = await teacherLogitsFor(teacher, data.train, { cacheDir: join(dir, 'align'), fingerprint: data.fingerprint, normalization: data.normalization, batchSize: 500 });
  assert.equal(table.length, 1200 * 10);
  assert.equal(tf.memory().numTensors, before, 'computing the table leaks no tensors');
  const order = new Rng(4).permutation(1200);
  const batch = gatherBatch(data.train, order, 100, 356);
  const x = tf.tensor(batch.x, [batch.n, 28, 28, 1]);
  const direct = (await teacher.predict(x)).logits;
  const rows = gatherRows(table, 10, order.subarray(100, 356));
  assert.deepEqual(rows.shape, [256, 10]);
  const [a, b] = [direct.dataSync(), rows.dataSync()];
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-4, `${i}: ${v} vs ${b[i]}`));
  // And the rows are the teacher's good answers for those labels, not someone else's.
  const pred = (await tf.argMax(rows, 1).data()) as Int32Array;
  assert.ok(pred.filter((p, i) => p === batch.y[i]).length > 245);
  tf.dispose([x, direct, rows]);
  teacher.dispose();
});

test('the cache is hit when the key matches and missed when any part of it changes', async () => {
  const { data, ctx, teacher } = await setup();
  const cacheDir = join(dir, 'keys');
  const t = counting(teacher);
  const opts = { cacheDir, fingerprint: data.fingerprint, normalization: data.normalization, batchSize: 600 };
  const first = await cachedTeacherLogits(t, data.train, opts);
  assert.equal(first.hit, false);
  assert.equal(t.calls, 2);
  assert.ok(existsSync(first.file!));
  const header = JSON.parse(readFileSync(join(cacheDir, `${first.key}.json`), 'utf8'));
  assert.deepEqual([header.n, header.numClasses, header.byteLength, header.teacher.hash], [1200, 10, 48000, teacher.hash]);
  assert.ok(!readdirSync(cacheDir).some((f) => f.endsWith('.tmp')), 'no temp files left behind');

  const again = await cachedTeacherLogits(t, data.train, opts);
  assert.equal(again.hit, true);
  assert.equal(t.calls, 2, 'a hit runs no teacher');
  assert.deepEqual(again.logits, first.logits);
  // Without a fingerprint it is computed from the data: the same key.
  assert.equal((await cachedTeacherLogits(t, data.train, { cacheDir, normalization: data.normalization })).key, first.key);

  // Other preprocessing, other data, another teacher: each a miss under a new key.
  const otherNorm = await cachedTeacherLogits(t, data.train, { ...opts, normalization: explicitStats(0, 255) });
  const otherData = await cachedTeacherLogits(t, take(data.train, 1000), { ...opts, fingerprint: 'fp-of-1000' });
  const otherTeacher = await loadTeacher({ type: 'onnx', path: CNN, normalize: { mean: 0, std: 255 } }, ctx);
  const byOther = await cachedTeacherLogits(otherTeacher, data.train, opts);
  for (const r of [otherNorm, otherData, byOther]) assert.equal(r.hit, false);
  assert.equal(new Set([first.key, otherNorm.key, otherData.key, byOther.key]).size, 4);
  assert.ok(byOther.logits.some((v, i) => Math.abs(v - first.logits[i]) > 0.1), 'another normalisation gives other logits');

  // A damaged entry is recomputed, not read.
  truncateSync(first.file!, 100);
  const healed = await cachedTeacherLogits(t, data.train, opts);
  assert.equal(healed.hit, false);
  assert.deepEqual(healed.logits, first.logits);
  assert.equal((await cachedTeacherLogits(t, data.train, opts)).hit, true);

  // cacheDir: false computes and writes nothing.
  const off = await cachedTeacherLogits(t, data.train, { ...opts, cacheDir: false });
  assert.equal(off.file, undefined);
  await assert.rejects(teacherLogitsFor(t, { ...data.train, numClasses: 5 }, opts), (e: DistilleryError) => e.code === 'TEACHER_CLASSES');
  teacher.dispose();
  otherTeacher.dispose();
});
