import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { isDistilleryError } from '../core/errors.ts';
import { initEngine } from '../engine/index.ts';
import { parseLimits, SearchSpace } from '../search/index.ts';
import { trainConfigSchema } from '../train/index.ts';
import type { DataConfig } from '../data/index.ts';
import { applyTrainSettings } from './settings.ts';
import { createModelEvaluator, failureReason } from './model.ts';
import { measureLatency } from './latency.ts';
import { loadModel } from '../models/index.ts';
import type { LatencyTable } from '../models/latency/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'distillery-eval-'));

// An MLP whose width is searched: MACs = 784·u + 10·u, so the limit below admits u <= 32.
const space = new SearchSpace({
  template: {
    model: { blocks: [{ type: 'flatten' }, { type: 'dense', units: { choice: [16, 32, 64] }, activation: 'relu' }, { type: 'dense', units: 10 }] },
    train: { lr: { choice: [0.003, 1e38] } },
  },
});
const data = { source: 'mnist', limit: 1200, validation: 300, normalize: 'scale' } as unknown as DataConfig;
const train = trainConfigSchema.parse({ epochs: 2, batchSize: 50, optimizer: { type: 'adam', lr: 0.003 } });
const units = (u: number, lr = 0.003) => ({ 'model.blocks[1].units': u, 'train.lr': lr });

test('one candidate: trained, scored on validation, timed on wasm, saved; infeasible ones cost no training; NaN fails; pruning stops it', async () => {
  await initEngine({ backend: 'wasm', threads: 1 });
  const ev = await createModelEvaluator({
    space, data, train, seed: 1,
    objectives: [{ metric: 'accuracy', direction: 'max' }, { metric: 'macs', direction: 'min' }, { metric: 'latencyMs', direction: 'min' }],
    limits: parseLimits(['macs<=30000']),
    latency: { runtime: 'tfjs-wasm', runs: 5, warmup: 1 },
  });
  const before = tf.memory().numTensors;
  const steps: number[] = [];
  const ok = await ev.evaluate({ trialId: 1, candidate: units(32), epochs: 1, artifactDir: join(dir, 't1'), onEpoch: (s) => (steps.push(s), false) });
  assert.equal(ok.state, 'complete', ok.reason);
  const [acc, macs, lat] = ok.objectives!;
  assert.equal(macs, 784 * 32 + 32 * 10);
  assert.ok(acc! > 0.5 && acc! <= 1, `validation accuracy ${acc}`);
  assert.ok(lat! > 0 && lat! < 1000, `latency ${lat}`);
  assert.deepEqual(steps, [0], 'epochs: the budget (1), not train.epochs (2)');
  assert.equal(ok.values['epochs'], 1);
  assert.equal(ok.constraintViolation, 0);
  assert.ok(existsSync(join(ok.artifacts['model']!, 'model.json')));
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked by a trial');

  const t0 = performance.now();
  const big = await ev.evaluate({ trialId: 2, candidate: units(64), epochs: 1 });
  assert.equal(big.state, 'infeasible');
  assert.match(big.reason!, /macs 50816 breaks macs<=30000/);
  assert.ok(performance.now() - t0 < 500, 'no training for an infeasible candidate');

  const nan = await ev.evaluate({ trialId: 3, candidate: units(16, 1e38), epochs: 1 });
  assert.equal(nan.state, 'failed');
  assert.match(nan.reason!, /^TRAIN_NAN: /);

  const pruned = await ev.evaluate({ trialId: 4, candidate: units(16), epochs: 2, onEpoch: (s) => s === 0 });
  assert.equal(pruned.state, 'pruned');
  assert.match(pruned.reason!, /after epoch 1 of 2/);
  assert.ok(pruned.objectives![0]! > 0, 'a pruned trial keeps its last validation accuracy');
  assert.equal(tf.memory().numTensors, before, 'failed and pruned trials free their tensors');
  await ev.dispose();

  // the same model exported to ONNX and timed by onnxruntime
  const model = await loadModel(ok.artifacts['model']!);
  const onnx = await measureLatency(model, [28, 28, 1], { runtime: 'onnx', threads: 1, runs: 5, warmup: 1 });
  assert.equal(onnx.runtime, 'onnx');
  assert.ok(onnx.medianMs > 0 && onnx.medianMs < 1000, `onnx latency ${onnx.medianMs}`);
  await initEngine({ backend: 'cpu' });
  await assert.rejects(measureLatency(model, [28, 28, 1], { runtime: 'tfjs-wasm' }), (e) => isDistilleryError(e) && e.code === 'SEARCH_RUNTIME_UNAVAILABLE');
  model.dispose();
});

test('candidate training settings: lr, temperature and alpha reach the optimizer and the loss; bad values name the space path', () => {
  const loss = [{ term: 'kd', weight: 0.9, T: 4 }, { term: 'ce', weight: 0.1 }];
  const r = applyTrainSettings(train, loss, { lr: 0.02, temperature: 8, alpha: 0.7, epochs: 3 });
  assert.equal(r.train.optimizer.lr, 0.02);
  assert.equal(r.train.optimizer.type, 'adam');
  assert.equal(r.train.epochs, 3);
  assert.deepEqual(r.loss, [{ term: 'kd', weight: 0.7, T: 8 }, { term: 'ce', weight: 1 - 0.7 }]);
  assert.throws(() => applyTrainSettings(train, loss, { batchSize: 0 }), (e) => isDistilleryError(e) && e.where === 'space.template.train.batchSize');
  assert.throws(() => applyTrainSettings(train, undefined, { temperature: 4 }), (e) => isDistilleryError(e) && /no teacher/.test(e.message));
});

test('failure reasons: error codes kept, out-of-memory named', () => {
  assert.equal(failureReason(new RangeError('Array buffer allocation failed')), 'OUT_OF_MEMORY: Array buffer allocation failed');
  assert.equal(failureReason(new Error('boom\nstack')), 'ERROR: boom');
});

test('teacherMetrics: the teacher scored on the same held-out split as the candidates, with its size', async () => {
  await initEngine({ backend: 'wasm', threads: 1 });
  const teacherPath = join(import.meta.dirname, '../../examples/teachers/mnist-cnn.onnx');
  const ev = await createModelEvaluator({
    space, data, train, seed: 1,
    objectives: [{ metric: 'accuracy', direction: 'max' }],
    limits: [],
    teacher: { type: 'onnx', path: teacherPath, normalize: { mean: 33.3285, std: 78.5655 } } as never,
    cache: { enabled: false } as never,
  });
  const m = (await ev.teacherMetrics())!;
  // the committed CNN scores 99.13% on the MNIST test set; on 300 held-out training images it is
  // near-perfect: a wrong normalisation would drop it to chance
  assert.ok(m['accuracy']! >= 0.97, `teacher accuracy ${m['accuracy']}`);
  assert.equal(m['accuracy']! * 300, Math.round(m['accuracy']! * 300), 'a count of the 300 held-out images');
  assert.equal(m['params'], 160 + 4640 + 100416 + 650, 'conv 1->16, conv 16->32, dense 1568->64, dense 64->10');
  await ev.dispose();
  const none = await createModelEvaluator({ space, data, train, seed: 1, objectives: [{ metric: 'accuracy', direction: 'max' }], limits: [] });
  assert.equal(await none.teacherMetrics(), undefined);
});

test('predictedLatencyMs: a latency table applied to the spec, checked before training', async () => {
  // A table whose only knowledge is a per-block line in MACs (1 µs per 1,000 MACs): the
  // prediction of the u-unit MLP is then (784u + 10u) MACs of its two dense blocks.
  const table: LatencyTable = {
    version: 2, runtime: 'onnx', threads: 1, batch: 1, device: { cpus: 2, cpuModel: 'test', platform: 'linux' }, createdAt: '',
    entries: {}, fits: { '*': { coef: [0, 1e-6, 0, 0], n: 1 } }, emptyMs: {}, emptyFit: [0, 0], scale: 1, kindScales: {}, overheadMs: 0,
  };
  const ev = await createModelEvaluator({
    space, data, train, seed: 1,
    objectives: [{ metric: 'accuracy', direction: 'max' }, { metric: 'predictedLatencyMs', direction: 'min' }],
    limits: parseLimits(['predictedLatencyMs<=0.03']),
    latencyTable: table,
  });
  const small = ev.check(units(32));
  assert.ok(Math.abs(small.metrics['predictedLatencyMs']! - 794 * 32 * 1e-6) < 1e-9, String(small.metrics['predictedLatencyMs']));
  assert.equal(small.violation, 0);
  const big = ev.check(units(64));
  assert.ok(big.violation > 0);
  assert.match(big.reason!, /predictedLatencyMs 0\.05082 breaks predictedLatencyMs<=0\.03/);
  const out = await ev.evaluate({ trialId: 9, candidate: units(64), epochs: 1 });
  assert.equal(out.state, 'infeasible', 'no training for a candidate the table rules out');
  // a template that does not end in the dense head: the head the builder appends (10u MACs) is predicted too
  const headless = new SearchSpace({ template: { model: { blocks: [{ type: 'flatten' }, { type: 'dense', units: { choice: [16, 32] }, activation: 'relu' }, { type: 'dropout', rate: 0.1 }] } } });
  const hv = await createModelEvaluator({ space: headless, data, train, seed: 1, objectives: [{ metric: 'accuracy', direction: 'max' }], limits: parseLimits(['predictedLatencyMs<=1']), latencyTable: table });
  const p = hv.check({ 'model.blocks[1].units': 32 }).metrics['predictedLatencyMs']!;
  assert.ok(Math.abs(p - 794 * 32 * 1e-6) < 1e-9, `${p}: the whole model's, not the headless ${784 * 32 * 1e-6}`);
  await hv.dispose();
  await assert.rejects(
    createModelEvaluator({ space, data, train, seed: 1, objectives: [{ metric: 'predictedLatencyMs', direction: 'min' }], limits: [] }),
    (e) => isDistilleryError(e) && e.code === 'SEARCH_PREDICTOR',
  );
});
