import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { fit } from './trainer.ts';
import type { FitOptions } from './trainer.ts';
import { readWeights } from './weights.ts';
import { softmaxCrossEntropy } from './losses.ts';
import type { LossFn, StepBatch } from './losses.ts';
import { mnistSubset, tinyMlp } from './testing.ts';

// The hooks distillation needs: layer features in the loss, extra trained variables (FitNets'
// adapter), and an async per-batch hook before the step (an online teacher).

await tf.setBackend('cpu');

const train = mnistSubset('train', 0, 600);
const base: FitOptions = { epochs: 2, batchSize: 50, seed: 5, optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 } };

/** A hint-like loss: cross-entropy plus an adapter from the hidden layer's output regressed onto one-hot labels. */
function hintLoss(layer: string, adapter: tf.Variable): LossFn {
  return (logits, labels, batch) => {
    const feat = batch.features[layer] as tf.Tensor2D;
    const target = tf.cast(tf.oneHot(labels, 10), 'float32');
    const hint = tf.mean(tf.square(tf.sub(tf.matMul(feat, adapter), target))) as tf.Scalar;
    return tf.add(softmaxCrossEntropy(logits, labels), hint);
  };
}

function hintError(model: ReturnType<typeof tinyMlp>, adapter: tf.Variable): number {
  return tf.tidy(() => {
    const x = tf.tensor2d(train.x, [600, 784]);
    const feat = model.layers[0].apply(x) as tf.Tensor2D;
    const target = tf.cast(tf.oneHot(tf.tensor1d(train.y, 'int32'), 10), 'float32');
    return tf.mean(tf.square(tf.sub(tf.matMul(feat, adapter), target))).dataSync()[0] as number;
  });
}

test('features: the loss gets a named layer output from the same forward pass, and extra variables train', async () => {
  const model = tinyMlp(1);
  const layer = model.layers[0].name;
  const adapter = tf.variable(tf.randomNormal([32, 10], 0, 0.1, 'float32', 3), true, 'hook_test_adapter_a');
  const before = hintError(model, adapter);
  const adapter0 = adapter.dataSync().slice();
  let checked = false;
  const loss = hintLoss(layer, adapter);
  await fit(model, train, { ...base, features: [layer], extraVariables: [adapter], loss: (logits, labels, batch) => {
    if (!checked) {
      // the head applied to the feature gives exactly the logits: the same pass, not a second one
      const feat = batch.features[layer] as tf.Tensor2D;
      assert.deepEqual(feat.shape, [batch.n, 32]);
      const [k, b] = model.layers[1].getWeights();
      const again = tf.add(tf.matMul(feat, k as tf.Tensor2D), b as tf.Tensor1D);
      assert.ok(tf.max(tf.abs(tf.sub(again, logits))).dataSync()[0]! < 1e-5);
      checked = true;
    }
    return loss(logits, labels, batch);
  } });
  assert.ok(checked);
  let moved = 0;
  adapter.dataSync().forEach((v, i) => (moved = Math.max(moved, Math.abs(v - adapter0[i]!))));
  assert.ok(moved > 1e-3, 'the optimizer updated the extra variable');
  const after = hintError(model, adapter);
  assert.ok(after < 0.9 * before, `hint error ${before} -> ${after}`);
  await assert.rejects(fit(model, train, { ...base, features: ['no_such_layer'] }), (e: Error & { code?: string }) => e.code === 'TRAIN_UNKNOWN_FEATURE' && /no_such_layer/.test(e.message));
  adapter.dispose();
  model.dispose();
});

test('extra variables are checkpointed: an interrupted and resumed run ends exactly like an unbroken one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-hooks-'));
  try {
    const run = async (opts: Partial<FitOptions>, seed: number) => {
      const model = tinyMlp(seed, { dropout: 0.2 });
      const adapter = tf.variable(tf.zeros([32, 10]), true, `hook_test_adapter_${seed}`);
      const layer = model.layers[0].name;
      try {
        await fit(model, train, { ...base, epochs: 3, optimizer: { type: 'adam', lr: 1e-3 }, features: [layer], extraVariables: [adapter], loss: hintLoss(layer, adapter), ...opts });
        return { weights: readWeights(model), adapter: adapter.dataSync().slice() as Float32Array };
      } finally {
        adapter.dispose();
        model.dispose();
      }
    };
    const whole = await run({}, 7);
    const crash = new Error('simulated crash');
    await assert.rejects(run({ checkpointDir: dir, reportEvery: 4, reporter: (e) => {
      if (e.event === 'batch' && e.epoch === 2) throw crash;
    } }, 7), (e) => e === crash);
    // a new process builds everything anew: other initial values must not matter
    const resumed = await run({ checkpointDir: dir, resume: true }, 70);
    assert.deepEqual(resumed.adapter, whole.adapter);
    resumed.weights.forEach((w, i) => assert.deepEqual(w, whole.weights[i]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('beforeStep is awaited before each step and sees the augmented batch the loss trains on', async () => {
  const model = tinyMlp(2);
  const seen: StepBatch[] = [];
  let pending: Float32Array | undefined;
  let steps = 0;
  const tensorsBefore = tf.memory().numTensors;
  await fit(model, train, {
    ...base,
    augment: (b, rng) => {
      for (let i = 0; i < b.n; i++) b.x[i * 784 + rng.int(0, 783)] = 1;
    },
    beforeStep: async (batch) => {
      await new Promise((r) => setImmediate(r));
      pending = Float32Array.from(batch.x);
      seen.push(batch);
    },
    loss: (logits, labels, batch) => {
      assert.ok(pending, 'the hook finished before the step began');
      assert.deepEqual(batch.x, pending);
      assert.equal(batch.step, seen.at(-1)!.step);
      assert.deepEqual(batch.indices, seen.at(-1)!.indices);
      pending = undefined;
      steps++;
      return softmaxCrossEntropy(logits, labels);
    },
  });
  assert.equal(steps, 24);
  assert.deepEqual(seen.map((b) => b.step), Array.from({ length: 24 }, (_, i) => i));
  assert.deepEqual(seen.map((b) => b.epoch), [...Array(12).fill(0), ...Array(12).fill(1)]);
  assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensors leak');
  model.dispose();
});
