import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { DistilleryEvent } from '../core/events.ts';
import { fit, setBatchNormMomentum } from './trainer.ts';
import type { FitOptions } from './trainer.ts';
import { evaluate } from './metrics.ts';
import { readWeights } from './weights.ts';
import { softmaxCrossEntropy } from './losses.ts';
import { mnistSubset, tinyMlp } from './testing.ts';

await tf.setBackend('cpu');

const train = mnistSubset('train', 0, 600);
const test10k = mnistSubset('t10k', 0, 300);

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  assert.equal(a.length, b.length);
  let m = 0;
  a.forEach((w, i) => w.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j])))));
  return m;
}

const base: FitOptions = { epochs: 2, batchSize: 50, seed: 7, optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true } };

test('fit learns MNIST digits: history, events, and validation scores', async () => {
  const model = tinyMlp(1);
  const events: DistilleryEvent[] = [];
  const r = await fit(model, train, { ...base, epochs: 3, optimizer: { type: 'adam', lr: 1e-2 }, schedule: { type: 'cosine', minLr: 0 }, validation: test10k, reporter: (e) => events.push(e), reportEvery: 4 });
  assert.equal(r.epochsRun, 3);
  assert.equal(r.stoppedEarly, false);
  assert.equal(r.history.length, 3);
  const last = r.history[2];
  assert.ok(last.valAccuracy !== undefined && last.valAccuracy > 0.75, `val accuracy ${last.valAccuracy}`);
  assert.ok(last.loss < r.history[0].loss, 'training loss falls');
  assert.equal(last.valLoss, evaluate(model, test10k).loss, 'valLoss is evaluate() on the validation set');
  // 12 steps per epoch, cosine over 36 steps: the last step (35) has lr 1e-2 * (1 + cos(35pi/36)) / 2
  assert.ok(Math.abs(last.lr - 1e-2 * 0.5 * (1 + Math.cos((Math.PI * 35) / 36))) < 1e-12);
  assert.deepEqual(events.filter((e) => e.event === 'epoch_start').map((e) => [e.epoch, e.batches]), [[1, 12], [2, 12], [3, 12]]);
  const epochEvents = events.filter((e) => e.event === 'epoch');
  assert.equal(epochEvents.length, 3);
  for (const k of ['loss', 'accuracy', 'valLoss', 'valAccuracy', 'lr', 'seconds', 'samplesPerSec', 'epochs']) assert.ok(k in epochEvents[0], k);
  // batches 4 and 8 of each epoch (12 is the epoch's end)
  assert.equal(events.filter((e) => e.event === 'batch').length, 6);
  assert.ok(r.bestEpoch >= 1 && r.bestEpoch <= 3);
  model.dispose();
});

test('the same seed gives identical weights (dropout included); another seed does not', async () => {
  const runOnce = async (seed: number) => {
    const model = tinyMlp(3, { dropout: 0.3, batchNorm: true });
    await fit(model, train, { ...base, seed });
    const w = readWeights(model);
    model.dispose();
    return w;
  };
  const a = await runOnce(11);
  const b = await runOnce(11);
  const c = await runOnce(12);
  assert.equal(maxDiff(a, b), 0);
  assert.ok(maxDiff(a, c) > 1e-4);
});

test('interrupted mid-epoch then resumed: same epochs and the same final weights', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-train-'));
  try {
    const opts: FitOptions = { ...base, epochs: 3, schedule: { type: 'cosine', minLr: 0.001, warmupSteps: 5 }, validation: test10k, augment: (b, rng) => {
      // a stand-in augmentation that uses the rng it is given: flip one random pixel per sample
      for (let i = 0; i < b.n; i++) b.x[i * 784 + rng.int(0, 783)] = 1;
    } };
    const whole = tinyMlp(5, { dropout: 0.2, batchNorm: true, maxNorm: 2 });
    const full = await fit(whole, train, opts);
    const expected = readWeights(whole);
    whole.dispose();

    const broken = tinyMlp(5, { dropout: 0.2, batchNorm: true, maxNorm: 2 });
    const crash = new Error('simulated crash');
    await assert.rejects(
      fit(broken, train, { ...opts, checkpointDir: dir, reportEvery: 3, reporter: (e) => {
        if (e.event === 'batch' && e.epoch === 3 && e.batch === 6) throw crash;
      } }),
      (e) => e === crash,
    );
    broken.dispose();
    assert.deepEqual(readdirSync(dir).sort(), ['ckpt-e0002.bin', 'manifest.json'], 'one checkpoint, the older binary removed');

    // a fresh process would build the model anew: different initial weights must not matter
    const resumed = tinyMlp(99, { dropout: 0.2, batchNorm: true, maxNorm: 2 });
    const events: DistilleryEvent[] = [];
    const r = await fit(resumed, train, { ...opts, checkpointDir: dir, resume: true, reporter: (e) => events.push(e) });
    assert.equal(r.epochsRun, 3);
    assert.deepEqual(events.filter((e) => e.event === 'epoch_start').map((e) => e.epoch), [3]);
    assert.equal(maxDiff(readWeights(resumed), expected), 0);
    assert.deepEqual(r.history.map((h) => h.loss), full.history.map((h) => h.loss));

    // resuming a finished run trains nothing and leaves the weights alone
    const again = await fit(resumed, train, { ...opts, checkpointDir: dir, resume: true });
    assert.equal(again.epochsRun, 3);
    assert.equal(maxDiff(readWeights(resumed), expected), 0);
    await assert.rejects(fit(resumed, train, { ...opts, batchSize: 60, checkpointDir: dir, resume: true }), (e: Error & { code?: string }) => e.code === 'TRAIN_RESUME_MISMATCH' && /batchSize 50 -> 60/.test(e.message));
    await assert.rejects(fit(resumed, train, { ...opts, resume: true }), (e: Error & { code?: string }) => e.code === 'TRAIN_RESUME_NO_DIR');
    resumed.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('early stopping: stops after patience epochs without improvement and restores the best weights', async () => {
  const model = tinyMlp(2);
  let epoch1: Float32Array[] = [];
  // minDelta 1 on accuracy can never be beaten, so epoch 1 stays the best
  const r = await fit(model, train, { ...base, epochs: 10, validation: test10k, earlyStopping: { metric: 'valAccuracy', patience: 2, minDelta: 1 }, reporter: (e) => {
    if (e.event === 'epoch' && e.epoch === 1) epoch1 = readWeights(model);
  } });
  assert.equal(r.stoppedEarly, true);
  assert.equal(r.epochsRun, 3);
  assert.equal(r.bestEpoch, 1);
  assert.equal(maxDiff(readWeights(model), epoch1), 0);
  await assert.rejects(fit(model, train, { ...base, earlyStopping: { metric: 'valLoss', patience: 1 } }), (e: Error & { code?: string }) => e.code === 'TRAIN_EARLY_STOP_NO_VALIDATION');
  model.dispose();
});

test('no tensor leaks: the count is flat from epoch to epoch and back to the start after fit', async () => {
  const model = tinyMlp(4, { dropout: 0.1, batchNorm: true });
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  await fit(model, train, { ...base, epochs: 3, optimizer: { type: 'adamw', lr: 1e-3, weightDecay: 0.01 }, validation: test10k, reportEvery: 2, reporter: (e) => {
    if (e.event === 'epoch') counts.push(tf.memory().numTensors);
  } });
  assert.equal(counts[0], counts[1]);
  assert.equal(counts[1], counts[2]);
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

test('a NaN loss stops with TRAIN_NAN and a hint to lower the learning rate', async () => {
  const model = tinyMlp(6);
  const bad = { ...train, x: Float32Array.from(train.x) };
  bad.x[5] = NaN;
  await assert.rejects(fit(model, bad, base), (e: Error & { code?: string; hint?: string }) => e.code === 'TRAIN_NAN' && /lr/.test(e.hint ?? '') && /epoch 1/.test(e.message));
  model.dispose();
});

test('a custom loss sees the batch, its training-set indices and the model input', async () => {
  const model = tinyMlp(8);
  let checked = 0;
  await fit(model, train, { ...base, epochs: 1, batchSize: 64, loss: (logits, labels, batch) => {
    assert.deepEqual(batch.input.shape, [batch.n, 784]);
    for (let i = 0; i < batch.n; i++) assert.equal(batch.y[i], train.y[batch.indices[i]]);
    checked += batch.n;
    return softmaxCrossEntropy(logits, labels, 0.1);
  } });
  assert.equal(checked, 600, 'every sample once, the last batch short (600 = 9 * 64 + 24)');
  model.dispose();
});

test('max-norm constraints hold after training', async () => {
  const model = tinyMlp(9, { maxNorm: 0.5 });
  await fit(model, train, { ...base, epochs: 1, optimizer: { type: 'sgd', lr: 0.5 } });
  const kernel = model.layers[0].getWeights()[0];
  const norms = tf.tidy(() => tf.sqrt(tf.sum(tf.square(kernel), 0)).dataSync());
  assert.ok(Math.max(...norms) <= 0.5 + 1e-5, `max column norm ${Math.max(...norms)}`);
  model.dispose();
});

test('batchNormMomentum sets how far one step moves the moving mean; unset, the layer keeps 0.99', async () => {
  // one full-batch step: the moving mean moves from 0 by (1 - momentum) of the batch mean of the
  // BN's input, which the step's forward pass computes with the weights from before the update
  const small = mnistSubset('train', 0, 64);
  const movingAfterOneStep = async (momentum: number | undefined): Promise<{ moving: Float32Array; batchMean: Float32Array }> => {
    const model = tinyMlp(5, { batchNorm: true });
    const hidden = tf.tidy(() => tf.relu(tf.add(tf.matMul(tf.tensor2d(small.x, [64, 784]), model.layers[0]!.getWeights()[0] as tf.Tensor2D), model.layers[0]!.getWeights()[1]!)));
    const batchMean = tf.tidy(() => tf.mean(hidden, 0).dataSync() as Float32Array);
    hidden.dispose();
    await fit(model, small, { epochs: 1, batchSize: 64, seed: 1, optimizer: { type: 'sgd', lr: 0.01, momentum: 0, nesterov: false }, ...(momentum !== undefined ? { batchNormMomentum: momentum } : {}) });
    const bn = model.layers[1]!;
    const moving = bn.getWeights()[2]!.dataSync() as Float32Array;
    if (momentum !== undefined) assert.equal(bn.getConfig()['momentum'], momentum, 'saved with the model');
    model.dispose();
    return { moving, batchMean };
  };
  for (const [m, share] of [[0.9, 0.1], [undefined, 0.01]] as const) {
    const { moving, batchMean } = await movingAfterOneStep(m);
    let worst = 0;
    batchMean.forEach((v, j) => (worst = Math.max(worst, Math.abs(moving[j]! - share * v))));
    assert.ok(worst < 1e-5, `momentum ${m ?? 'default'}: moving mean off by ${worst}`);
    assert.ok(Math.max(...batchMean) > 0.1, 'the batch mean is far from zero, so the share is measurable');
  }
  const m = tinyMlp(1, { batchNorm: true });
  assert.throws(() => setBatchNormMomentum(m, 1), (e: Error & { code?: string }) => e.code === 'TRAIN_BAD_BN_MOMENTUM');
  m.dispose();
});
