import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createOptimizer } from './optimizers.ts';
import type { OptimizerConfig } from './optimizers.ts';

await tf.setBackend('cpu');

// The same three gradients for every optimizer, applied to w = [1, -2] with lr 0.1.
const GRADS = [
  [0.5, -1],
  [0.1, 0.2],
  [-0.3, 0.4],
];

function run(config: OptimizerConfig, steps = 3): number[][] {
  const w = tf.variable(tf.tensor1d([1, -2]));
  const opt = createOptimizer(config, [w]);
  const out: number[][] = [];
  for (let s = 0; s < steps; s++) {
    tf.tidy(() => opt.apply([tf.tensor1d(GRADS[s])], config.lr));
    out.push(Array.from(w.dataSync()));
  }
  opt.dispose();
  w.dispose();
  return out;
}

function close(actual: number[][], expected: number[][], tol = 2e-6): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((row, i) =>
    row.forEach((v, j) => assert.ok(Math.abs(v - expected[i][j]) <= tol, `step ${i + 1}[${j}]: ${v} vs ${expected[i][j]}`)),
  );
}

test('sgd: w -= lr * g', () => {
  // [1-0.05, -2+0.1], then -0.1*[0.1, 0.2], then -0.1*[-0.3, 0.4]
  close(run({ type: 'sgd', lr: 0.1 }), [[0.95, -1.9], [0.94, -1.92], [0.97, -1.96]]);
});

test('sgd momentum 0.9 (PyTorch: v = 0.9v + g, w -= lr v)', () => {
  // v1 = [0.5, -1]; v2 = [0.55, -0.7]; v3 = [0.195, -0.23]
  close(run({ type: 'sgd', lr: 0.1, momentum: 0.9 }), [[0.95, -1.9], [0.895, -1.83], [0.8755, -1.807]]);
});

test('sgd nesterov: w -= lr (g + 0.9 v)', () => {
  // step 1: g + 0.9 v1 = [0.95, -1.9]; step 2: [0.1 + 0.495, 0.2 - 0.63] = [0.595, -0.43]
  close(run({ type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true }, 2), [[0.905, -1.81], [0.8455, -1.767]]);
});

test('sgd weight decay adds wd * w to the gradient', () => {
  // step 1: g = [0.51, -1.02]; step 2: g = [0.1 + 0.00949, 0.2 - 0.01898]
  close(run({ type: 'sgd', lr: 0.1, weightDecay: 0.01 }, 2), [[0.949, -1.898], [0.938051, -1.916102]]);
});

test('adam: bias-corrected moments', () => {
  // step 1: m̂ = g, v̂ = g², so w moves by lr * sign(g); later steps from m = b1 m + (1-b1) g etc.
  close(run({ type: 'adam', lr: 0.1 }), [
    [0.9, -1.9],
    [0.8196959064, -1.8488973940],
    [0.7986246118, -1.8354734342],
  ]);
});

test('adam with weightDecay is L2 in the gradient; adamw decays the weights directly', () => {
  close(run({ type: 'adam', lr: 0.1, weightDecay: 0.1 }), [
    [0.9, -1.9],
    [0.8136483454, -1.8336169077],
    [0.7715818211, -1.7944802191],
  ]);
  // adamw step 1: w * (1 - 0.1*0.1) = [0.99, -1.98], then the same Adam step as above
  close(run({ type: 'adamw', lr: 0.1, weightDecay: 0.1 }), [
    [0.89, -1.88],
    [0.8007959064, -1.8100973940],
    [0.7717166527, -1.7785724603],
  ]);
});

test('state export/import continues exactly where it left off', () => {
  const cfg: OptimizerConfig = { type: 'adam', lr: 0.1 };
  const w = tf.variable(tf.tensor1d([1, -2]));
  const a = createOptimizer(cfg, [w]);
  for (let s = 0; s < 2; s++) tf.tidy(() => a.apply([tf.tensor1d(GRADS[s])], 0.1));
  const state = a.exportState();
  assert.equal(state.step, 2);
  // m after two steps: 0.9 * [0.05, -0.1] + 0.1 * [0.1, 0.2]
  assert.ok(Math.abs(state.slots.m[0][0] - 0.055) < 1e-7 && Math.abs(state.slots.m[0][1] + 0.07) < 1e-7);
  a.dispose();
  const b = createOptimizer(cfg, [w]);
  b.importState(state);
  tf.tidy(() => b.apply([tf.tensor1d(GRADS[2])], 0.1));
  close([Array.from(w.dataSync())], [[0.7986246118, -1.8354734342]]);
  b.dispose();
  w.dispose();
  assert.throws(() => createOptimizer({ type: 'sgd', lr: 0.1, momentum: 0.9 }, [w]).importState(state), /adam state but the optimizer is sgd/);
});

test('bad settings are DistilleryErrors naming the key', () => {
  assert.throws(() => createOptimizer({ type: 'sgd', lr: 0 }, []), (e: Error & { code?: string; where?: string }) => e.code === 'TRAIN_BAD_LR' && e.where === 'train.optimizer.lr');
  assert.throws(() => createOptimizer({ type: 'rmsprop' as never, lr: 1 }, []), (e: Error & { code?: string }) => e.code === 'UNKNOWN_OPTIMIZER');
});
