import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { correctCount, evaluate, topKCount } from './metrics.ts';
import { softmaxCrossEntropy } from './losses.ts';
import { resolveInputShape } from './input.ts';
import type { Dataset } from '../data/dataset.ts';
import { tinyMlp } from './testing.ts';

await tf.setBackend('cpu');

// Rows are the logits themselves (identity model). Row 3 ties: arg-max and top-k pick the lowest index.
const ROWS = [
  [2, 1, 0],
  [0, 1, 3],
  [1, 1, 1],
];
const LABELS = [0, 1, 2];
// ln(sum exp) - logit[label], by hand: ln(e^2 + e + 1) - 2, ln(1 + e + e^3) - 1, ln 3
const CE = [0.40760596444438013, 2.1698460195562856, 1.0986122886681096];

function identityModel(): tfl.LayersModel {
  const m = tfl.sequential();
  // Dropout at rate 0.5 would change every number below if evaluate ran in training mode.
  m.add(tfl.layers.dropout({ inputShape: [3], rate: 0.5 }));
  m.add(tfl.layers.dense({ units: 3, useBias: false, kernelInitializer: tfl.initializers.identity({}) }));
  return m;
}

const ds: Dataset = { x: Float32Array.from(ROWS.flat()), y: Int32Array.from(LABELS), shape: [3], numClasses: 3, classNames: ['a', 'b', 'c'] };

test('correctCount and topKCount on hand-made logits', () => {
  tf.tidy(() => {
    const logits = tf.tensor2d(ROWS);
    const labels = tf.tensor1d(LABELS, 'int32');
    assert.equal(correctCount(logits, labels).dataSync()[0], 1);
    assert.equal(topKCount(logits, labels, 2).dataSync()[0], 2);
    assert.equal(topKCount(logits, labels, 3).dataSync()[0], 3);
    assert.equal(topKCount(logits, labels, 10).dataSync()[0], 3, 'k above the class count is all classes');
  });
});

test('softmaxCrossEntropy: mean CE, and label smoothing as (1-s) onehot + s/K', () => {
  tf.tidy(() => {
    const logits = tf.tensor2d(ROWS);
    const labels = tf.tensor1d(LABELS, 'int32');
    const mean = CE.reduce((a, b) => a + b) / 3;
    assert.ok(Math.abs(softmaxCrossEntropy(logits, labels).dataSync()[0] - mean) < 1e-6);
    // row 3 is uniform: smoothing leaves its CE at ln 3; row 1 with s = 0.3:
    // -(0.8 * log p0 + 0.1 * log p1 + 0.1 * log p2), log p = logit - 2.40760596444438
    const lse = 2.40760596444438;
    const row1 = -(0.8 * (2 - lse) + 0.1 * (1 - lse) + 0.1 * (0 - lse));
    const one = softmaxCrossEntropy(tf.tensor2d([ROWS[0]]), tf.tensor1d([0], 'int32'), 0.3).dataSync()[0];
    assert.ok(Math.abs(one - row1) < 1e-6, `${one} vs ${row1}`);
  });
});

test('evaluate: batched with a remainder, inference mode, exact numbers, no leaks', () => {
  const model = identityModel();
  const before = tf.memory().numTensors;
  const r = evaluate(model, ds, { batchSize: 2, topK: 2 });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(r.n, 3);
  assert.equal(r.errors, 2);
  assert.ok(Math.abs(r.accuracy - 1 / 3) < 1e-9);
  assert.ok(Math.abs((r.topK ?? 0) - 2 / 3) < 1e-9);
  assert.ok(Math.abs(r.loss - CE.reduce((a, b) => a + b) / 3) < 1e-6, `loss ${r.loss}`);
  assert.equal(evaluate(model, ds).topK, undefined);
  model.dispose();
});

test('input shape: [28, 28, 1] samples feed a [784] MLP; a size mismatch is TRAIN_INPUT_SHAPE', () => {
  const model = tinyMlp(1);
  assert.deepEqual(resolveInputShape(model, [28, 28, 1]), [784]);
  assert.throws(
    () => resolveInputShape(model, [27, 28, 1]),
    (e: Error & { code?: string; hint?: string }) => e.code === 'TRAIN_INPUT_SHAPE' && /\[27, 28, 1\]/.test(e.message) && !!e.hint,
  );
  assert.throws(() => evaluate(model, { ...ds, y: new Int32Array(0), x: new Float32Array(0) }), /empty/);
  model.dispose();
});
