import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/core/rng.ts';
import { initEngine } from '../../src/engine/index.ts';
import { buildModel, saveModel } from '../../src/models/index.ts';
import { runCli, tempDir, writeConfig } from '../helpers/cli.ts';

// Export's two promises: a file that misses parity with the trained model is an error unless
// the user accepts it, and a model trained on the user's own files is calibrated on them.

test('a parity miss is EXPORT_PARITY (exit 2, the numbers, nothing written) unless --accept-parity-miss', async () => {
  await initEngine({ backend: 'cpu' });
  const dir = tempDir('distillery-parity-');
  // A real model whose logits are ~1e4: float32 rounding in the two runtimes' different summation
  // orders then moves logits by ~4e-3, far beyond the 1e-4 tolerance (no class changes).
  const model = buildModel({ blocks: [{ type: 'flatten' }, { type: 'dense', units: 64, activation: 'relu' }, { type: 'dense', units: 10 }] }, { inputShape: [8, 8, 1], numClasses: 10, seed: 1 });
  model.setWeights(model.getWeights().map((w) => tf.mul(w, 100)));
  const modelDir = join(dir, 'big', 'model');
  await saveModel(model, modelDir);
  model.dispose();

  const miss = runCli(['export', modelDir, '--out', join(dir, 'out'), '--no-compare']);
  assert.equal(miss.code, 2, miss.stderr);
  const lines = miss.stderr.trim().split('\n');
  assert.equal(lines.length, 1, miss.stderr);
  assert.match(lines[0]!, /^error EXPORT_PARITY: .*model: the ONNX export does not compute what the TF\.js model does \(max \|onnx - tfjs\| \d\.\de-\d over 256 random samples, 0 predicted classes differ; tolerance 0\.0001, no class may differ\); nothing written \(hint: .*--accept-parity-miss/);
  assert.equal(existsSync(join(dir, 'out')), false, 'a parity miss leaves no file');

  const accepted = runCli(['export', modelDir, '--out', join(dir, 'out'), '--no-compare', '--accept-parity-miss', '--json']);
  assert.equal(accepted.code, 0, accepted.stderr);
  const done = accepted.events.at(-1)!;
  const parity = done['parity'] as { ok: boolean; maxAbsDiff: number };
  assert.equal(parity.ok, false);
  assert.ok(parity.maxAbsDiff > 1e-4, String(parity.maxAbsDiff));
  assert.ok(existsSync(join(dir, 'out', 'model.onnx')));
  assert.ok(accepted.events.some((e) => e['event'] === 'warning' && /parity NOT within 0\.0001.*--accept-parity-miss/.test(String(e['message']))), accepted.stdout);
});

/** A CSV of 4 features and 3 classes, each class around its own centre (learnable in 2 epochs). */
function csv(n: number, seed: number): string {
  const rng = new Rng(seed);
  const rows = ['a,b,c,d,label'];
  for (let i = 0; i < n; i++) {
    const k = i % 3;
    const f = [0, 1, 2, 3].map((j) => (j === k ? 3 : 0) + rng.normal() * 0.5);
    rows.push(`${f.map((v) => v.toFixed(3)).join(',')},${k}`);
  }
  return rows.join('\n') + '\n';
}

test("export --quantize int8 of a model trained on the user's CSV files calibrates on the data its run's config.json names", () => {
  const dir = tempDir('distillery-own-data-');
  // data and config in their own folder, the CLI run from elsewhere: relative paths must survive
  const proj = join(dir, 'project');
  mkdirSync(join(proj, 'data'), { recursive: true });
  writeFileSync(join(proj, 'data', 'train.csv'), csv(600, 1));
  writeFileSync(join(proj, 'data', 'test.csv'), csv(300, 2));
  const cfg = writeConfig(proj, 'train.json', {
    name: 'own', seed: 2,
    data: { source: { type: 'csv', train: 'data/train.csv', test: 'data/test.csv' }, normalize: 'standardize' },
    model: { blocks: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'dense', units: 3 }] },
    train: { epochs: 3, batchSize: 32, optimizer: { type: 'adam', lr: 0.01 } },
  });
  const run = join(dir, 'runs', 'own');
  const trained = runCli(['train', '--config', cfg, '--out', run]);
  assert.equal(trained.code, 0, trained.stderr);

  const r = runCli(['export', join(run, 'model'), '--quantize', 'int8', '--out', join(dir, 'int8'), '--batch', '1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const done = r.events.at(-1)!;
  assert.equal(done['data'], 'run');
  const variants = done['variants'] as { precision: string; accuracy?: number; samples?: number }[];
  assert.equal(variants[1]!.precision, 'int8');
  assert.equal(variants[1]!.samples, 300, 'scored on the test file the run names');
  // the classes are far apart: a model that learnt them, calibrated on the right data, is near-perfect
  assert.ok(variants[0]!.accuracy! > 0.95 && variants[1]!.accuracy! > 0.95, JSON.stringify(variants));
  assert.ok(existsSync(join(dir, 'int8', 'model.int8.onnx')));

  // the data moved away: the error names the run's config.json and the way out (--data)
  renameSync(join(proj, 'data'), join(proj, 'moved'));
  const gone = runCli(['export', join(run, 'model'), '--quantize', 'int8', '--out', join(dir, 'gone')]);
  assert.equal(gone.code, 2, gone.stderr);
  assert.match(gone.stderr.trim(), /^error DATA_NOT_FOUND: .*runs\/own\/config\.json names the training data, but: .*data\/train\.csv: no such file \(hint: .*pass --data CONFIG/);
  assert.equal(existsSync(join(dir, 'gone')), false);
});
