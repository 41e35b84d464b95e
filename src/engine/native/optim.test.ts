import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createOptimizer } from '../../train/optimizers.ts';
import type { OptimizerConfig } from '../../train/optimizers.ts';
import { fit } from '../../train/trainer.ts';
import { loadCheckpoint } from '../../train/checkpoint.ts';
import { readWeights } from '../../train/weights.ts';
import { buildModel, loadModel, saveModel } from '../../models/index.ts';
import { loadMnist } from '../../data/index.ts';
import { Rng } from '../../core/rng.ts';
import { randomHost } from './compare.ts';
import { nativeTestSkip } from './testing.ts';

const skip = await nativeTestSkip();

const CONFIGS: OptimizerConfig[] = [
  { type: 'sgd', lr: 0.1 },
  { type: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-3 },
  { type: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true },
  { type: 'adam', lr: 1e-2 },
  { type: 'adam', lr: 1e-2, weightDecay: 0.05 },
  { type: 'adamw', lr: 1e-2, weightDecay: 0.05, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 },
];

/** Weights and slots after `steps` updates on `backend`, from the same seeded start and gradients. */
async function trajectory(backend: string, config: OptimizerConfig, steps: number): Promise<{ weights: Float32Array[]; slots: Float32Array[]; kernels: string[] }> {
  await tf.setBackend(backend);
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  const rng = new Rng(3);
  // 40,000 values take the OpenMP path, 21 the serial one
  const shapes = [[200, 200], [7, 3]];
  const vars = shapes.map((s) => tf.variable(tf.tensor(randomHost(rng, s).values, s)));
  const opt = createOptimizer(config, vars);
  const kernels = new Set<string>();
  for (let s = 0; s < steps; s++) {
    const grads = shapes.map((sh) => randomHost(rng, sh, 0.5));
    const info = await tf.profile(() => tf.tidy(() => opt.apply(grads.map((g) => tf.tensor(g.values, g.shape)), config.lr * (1 - 0.1 * s))));
    for (const k of info.kernelNames) kernels.add(k);
  }
  const weights = vars.map((v) => Float32Array.from(v.dataSync() as Float32Array));
  const slots = Object.values(opt.exportState().slots).flat();
  opt.dispose();
  tf.dispose(vars);
  await tf.setBackend('native');
  return { weights, slots, kernels: [...kernels] };
}

test('fused native updates give the JS path\'s numbers (sgd, momentum, nesterov, L2, adam, adamw)', { skip }, async () => {
  for (const config of CONFIGS) {
    const ref = await trajectory('cpu', config, 4);
    const got = await trajectory('native', config, 4);
    // the JS path runs Multiply, Add, Sqrt...; the fused one no kernel beyond making tensors
    assert.ok(ref.kernels.includes('Multiply'));
    assert.ok(!got.kernels.includes('Multiply') && !got.kernels.includes('Add'), `${config.type}: ${got.kernels}`);
    const pairs = [...ref.weights.map((w, i) => [w, got.weights[i]]), ...ref.slots.map((s, i) => [s, got.slots[i]])];
    for (const [a, b] of pairs) {
      assert.equal(a.length, b.length);
      for (let i = 0; i < a.length; i++) {
        assert.ok(Math.abs(a[i] - b[i]) <= 1e-6 * Math.max(1, Math.abs(a[i])), `${JSON.stringify(config)} [${i}]: ${a[i]} vs ${b[i]}`);
      }
    }
  }
});

test('in-place updates never change an array or tensor that shared the weight\'s memory', { skip }, async () => {
  const rng = new Rng(5);
  const start = randomHost(rng, [100, 50]).values;
  const original = Float32Array.from(start);
  // on this backend tf.tensor adopts `start` itself: the first update must not write into it
  const init = tf.tensor(start, [100, 50]);
  const w = tf.variable(init);
  init.dispose();
  const opt = createOptimizer({ type: 'adam', lr: 0.1 }, [w]);
  const grad = randomHost(rng, [100, 50]).values;
  const step = (): void => tf.tidy(() => opt.apply([tf.tensor(grad, [100, 50])], 0.1));
  step();
  assert.deepEqual(start, original);
  const owned = w.dataId;
  step();
  assert.equal(w.dataId, owned, 'the second update runs in place');

  const read = w.dataSync() as Float32Array;
  const before = Float32Array.from(read);
  const clone = tf.clone(w);

  step();
  assert.notEqual(w.dataId, owned, 'a clone shares the buffer: the update goes to a fresh one');
  assert.deepEqual(read, before);
  assert.deepEqual(clone.dataSync(), before);

  assert.notDeepEqual(w.dataSync(), before);
  clone.dispose();
  const next = w.dataId;
  step();
  assert.equal(w.dataId, next, 'with the clone gone, in place again');

  // slices share no dataId (no refCount to see) but on the stock cpu backend can be views of
  // the weight's memory: the native backend's slicing kernels copy
  const now = Float32Array.from(w.dataSync() as Float32Array);
  const view = tf.slice(w, [10, 0], [20, 50]);
  const parts = tf.split(w, 2);
  const rows = tf.unstack(w);
  step();
  assert.equal(w.dataId, next, 'in place');
  assert.deepEqual(view.dataSync(), now.slice(500, 1500));
  assert.deepEqual(parts[1].dataSync(), now.slice(2500));
  assert.deepEqual(rows[3].dataSync(), now.slice(150, 200));
  tf.dispose([view, ...parts, ...rows]);
  opt.dispose();
  w.dispose();
});

test('after native training: getWeights, checkpoints, saveModel and a teacher copy read the right values', { skip }, async () => {
  const data = loadMnist('train', 256);
  const spec = { blocks: [{ type: 'flatten' as const }, { type: 'dense' as const, units: 32, activation: 'relu' as const }, { type: 'dense' as const, units: 10 }] };
  const model = buildModel(spec, { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
  const teacher = buildModel(spec, { inputShape: [28, 28, 1], numClasses: 10, seed: 2 });
  teacher.setWeights(model.getWeights());
  const initial = readWeights(model);
  const dir = mkdtempSync(join(tmpdir(), 'distillery-optim-'));
  try {
    await fit(model, data, { epochs: 1, batchSize: 64, optimizer: { type: 'adam', lr: 1e-3 }, checkpointDir: join(dir, 'ckpt'), seed: 1 });
    const trained = readWeights(model);
    assert.ok(trained.some((w, i) => w.some((v, j) => v !== initial[i][j])), 'training moved the weights');
    assert.deepEqual(readWeights(teacher), initial, 'a copy taken before training keeps its values');
    assert.deepEqual(model.getWeights().map((t) => Float32Array.from(t.dataSync() as Float32Array)), trained);
    assert.deepEqual(loadCheckpoint(join(dir, 'ckpt'))?.weights, trained);
    await saveModel(model, join(dir, 'model'));
    const loaded = await loadModel(join(dir, 'model'));
    assert.deepEqual(readWeights(loaded), trained);
    loaded.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    model.dispose();
    teacher.dispose();
  }
});

test('training steps on native leak no tensors', { skip }, async () => {
  const rng = new Rng(9);
  const x = tf.tensor(randomHost(rng, [32, 20]).values, [32, 20]);
  const labels = tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 5), 'int32');
  const w1 = tf.variable(tf.tensor(randomHost(rng, [20, 16], 0.3).values, [20, 16]));
  const b1 = tf.variable(tf.zeros([16]));
  const w2 = tf.variable(tf.tensor(randomHost(rng, [16, 5], 0.3).values, [16, 5]));
  const vars = [w1, b1, w2];
  const opt = createOptimizer({ type: 'sgd', lr: 0.1, momentum: 0.9 }, vars);
  const counts: number[] = [];
  const losses: number[] = [];
  for (let s = 0; s < 6; s++) {
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 5),
        tf.matMul(tf.relu6(tf.add(tf.matMul(x, w1), b1)), w2)) as tf.Scalar);
      opt.apply(vars.map((v) => grads[v.name]), 0.1);
      losses.push(value.dataSync()[0]);
    });
    counts.push(tf.memory().numTensors);
  }
  assert.deepEqual(counts.slice(1), Array<number>(5).fill(counts[1]));
  assert.ok(losses[5] < losses[0], `loss went down: ${losses}`);
  opt.dispose();
  tf.dispose([x, labels, ...vars]);
});
