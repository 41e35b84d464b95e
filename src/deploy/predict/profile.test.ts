import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { writeJsonAtomic } from '../../core/fs.ts';
import { initEngine } from '../../engine/index.ts';
import { comparePredictions, summarizeErrors } from './compare.ts';
import { measureLatency, profileDevice, specRunner } from './profile.ts';
import { randomMlpSpecs, randomSpecs, readSpecSource } from './sources.ts';
import { costOfResolved, resolveSpec, type ModelSpec } from '../../models/index.ts';
import { blockInstances, fitKernelModel, fitNonNegative, predictKernelMs, predictLatency, readLatencyTable } from '../../models/latency/index.ts';

const quick = { threads: 1, warmup: 1, iterations: 5, rounds: 2 };

test('specRunner times a model as loaded from its files, as bench does: relu6 runs as Relu then Minimum', async () => {
  await initEngine({ backend: 'wasm', threads: 1 });
  // built in memory, the relu6 layers run one Relu6 kernel; the saved model loads stock relu6
  const spec: ModelSpec = { input: [8, 8, 1], blocks: [{ type: 'sepconv', filters: 4, kernel: 3, stride: 1, activation: 'relu6' }, { type: 'activation', fn: 'relu6' }, { type: 'flatten' }] };
  const { runner, release } = await specRunner(resolveSpec(spec, { numClasses: 3 }), 'tfjs-wasm', 1);
  const run = await runner.prepare(1);
  const kernels = (await tf.profile(() => void run.run())).kernels.map((k) => k.name);
  await run.dispose();
  await release();
  assert.ok(!kernels.includes('Relu6'), kernels.join(','));
  // the sepconv's depthwise and pointwise convs (BN after each) and the activation block
  assert.equal(kernels.filter((k) => k === 'Minimum').length, 3, kernels.join(','));
});

test('profile-device on onnx: every block of the specs gets an entry, and the table predicts them', async () => {
  const specs = randomSpecs(2, 5);
  const table = await profileDevice(specs, { ...quick, runtime: 'onnx', calibration: specs });
  const keys = new Set(specs.flatMap((s) => blockInstances(s).map((b) => b.key)));
  assert.deepEqual(new Set(Object.keys(table.entries)), keys);
  for (const e of Object.values(table.entries)) assert.ok(e.ms >= 0 && Number.isFinite(e.ms));
  assert.ok(table.scale > 0);
  // the calibration models and their latencies travel with the table, to put later checks on its scale
  assert.deepEqual(table.anchors?.specs, specs);
  assert.ok(table.anchors.ms.length === 2 && table.anchors.ms.every((v) => v > 0 && Number.isFinite(v)));
  const dir = mkdtempSync(join(tmpdir(), 'distillery-profile-'));
  writeJsonAtomic(join(dir, 't.json'), table);
  const back = readLatencyTable(join(dir, 't.json'));
  for (const s of specs) {
    const p = predictLatency(s, back);
    assert.equal(p.missing, 0);
    assert.ok(p.ms > 0 && Number.isFinite(p.ms));
  }
  const { rows, summary } = await comparePredictions(specs.map((spec, i) => ({ name: `m${i}`, spec })), back, { warmup: 1, iterations: 5 });
  assert.equal(summary.n, 2);
  assert.deepEqual(rows.map((r) => r.name), ['m0', 'm1']);
});

test('profile-device ends with one interleaved pass over every model the kernel model is fitted on, and fits on that', async () => {
  const specs = randomMlpSpecs(12, 41);
  let seen: { specs: readonly unknown[]; ms: readonly number[] } = { specs: [], ms: [] };
  const said: string[] = [];
  const reporter = (e: { event: string; message?: string }): void => void said.push(e.message ?? '');
  const table = await profileDevice(specs, { ...quick, runtime: 'onnx', calibration: specs.slice(0, 2), kernelModels: 8, finalPass: 2, reporter, onKernelData: (s, ms) => (seen = { specs: s, ms }) });
  assert.ok(said.some((m) => /kernel model fitted on \d+ models \(final pass of 2 rounds\)/.test(m)), said.join('\n'));
  // the calibration models lead the final pass, and their figures there become the anchors' reference
  assert.equal(seen.specs.length, table.kernels!.n);
  assert.deepEqual(seen.specs.slice(0, 2), specs.slice(0, 2));
  assert.deepEqual(table.anchors!.ms, seen.ms.slice(0, 2));
  assert.ok(seen.ms.every((v) => v > 0 && Number.isFinite(v)));
  // the block kinds' table latencies are features of the kernel model by default, and it predicts with them
  assert.ok(table.kernels!.blockKinds?.includes('dense'), JSON.stringify(table.kernels!.blockKinds));
  for (const s of specs) assert.ok(predictLatency(s, table).ms > 0);
});

/**
 * One real measurement: the kernel model fitted on models timed on onnxruntime predicts
 * held-out ones (both spaces) better than latency ∝ MACs fitted on the same timings. Both are
 * judged against the same measurement of the same run, so how fast or loaded the machine is
 * moves both alike and the bound is a ratio. A predictor that ignored dispatch or fusion costs
 * is no better than the baseline (ratio about 1).
 */
test('on onnxruntime, the kernel model beats MACs-proportional on held-out models', async () => {
  const train = [...randomSpecs(24, 31), ...randomMlpSpecs(16, 32)];
  const held = [...randomSpecs(12, 33), ...randomMlpSpecs(12, 34)];
  const opts = { runtime: 'onnx', threads: 1, warmup: 3, iterations: 10, rounds: 3 } as const;
  const ms = await measureLatency([...train, ...held], opts);
  const trainMs = ms.slice(0, train.length);
  const heldMs = ms.slice(train.length);
  const km = fitKernelModel(train, trainMs, 'onnx');
  const err = (p: number[]) => summarizeErrors(p.map((v, i) => ({ errorPct: (100 * (v - heldMs[i]!)) / heldMs[i]! })));
  const kernel = err(held.map((s) => predictKernelMs(s, km)));
  const [a, b] = fitNonNegative(train.map((s) => [1, costOfResolved(s).macs]), trainMs);
  const macs = err(held.map((s) => a! + b! * costOfResolved(s).macs));
  // measured when written, six runs on the shared machine at load 20-23: the kernel model's
  // |error| median + p90 was 0.42-0.64 of MACs-proportional's (kernel median 9-16%, MACs 21-28%);
  // a clean-clone CI run with a type check started beside it mid-measurement reached 0.83. The
  // bound is set above that: a model that ignored dispatch or fusion costs scores about 1.
  const ratio = (kernel.medianAbsPct + kernel.p90AbsPct) / (macs.medianAbsPct + macs.p90AbsPct);
  const why = `kernel model median ${kernel.medianAbsPct.toFixed(1)}%, p90 ${kernel.p90AbsPct.toFixed(1)}%; MACs-proportional ${macs.medianAbsPct.toFixed(1)}%, ${macs.p90AbsPct.toFixed(1)}%; ratio ${ratio.toFixed(2)}`;
  assert.ok(ratio < 0.95, why);
});

test('spec sources: a search space is sampled into distinct valid specs; a list is read as is', () => {
  const fromSpace = readSpecSource('examples/spaces/mnist-mobile.yaml', { samples: 12, seed: 3 });
  assert.equal(fromSpace.length, 12);
  assert.equal(new Set(fromSpace.map((s) => JSON.stringify(s))).size, 12);
  for (const s of fromSpace) assert.equal(s.blocks.at(-1)!.type, 'dense');
  const dir = mkdtempSync(join(tmpdir(), 'distillery-specs-'));
  writeFileSync(join(dir, 'list.json'), JSON.stringify([{ blocks: [{ type: 'flatten' }] }, { input: [4, 4, 2], blocks: [{ type: 'conv2d', filters: 3 }] }]));
  const list = readSpecSource(join(dir, 'list.json'));
  assert.deepEqual(list.map((s) => s.input), [[28, 28, 1], [4, 4, 2]]);
  writeFileSync(join(dir, 'odd.json'), '{"hello": 1}');
  assert.throws(() => readSpecSource(join(dir, 'odd.json')), { code: 'PREDICT_SPACE' });
});
