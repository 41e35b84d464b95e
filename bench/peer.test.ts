/**
 * Tests of the peer benchmark's parts: round planning, the synthetic data, and that the
 * PyTorch peer builds the same models as distillery (same trainable parameter counts).
 *
 *   node --import tsx --test bench/peer.test.ts
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel } from '../src/models/index.ts';
import { disposeEngine, initEngine } from '../src/engine/index.ts';
import { BENCH_MODELS, resolvedSpec, syntheticData } from './models.ts';
import { median, pairedRatio, planRounds, trainRound } from './measure.ts';
import { TorchPeer, peerEnv } from './peers/torch.ts';
import { missingTool } from '../test/helpers/tools.ts';

after(async () => { await disposeEngine(); });

const budget = { roundMs: 2000, capMs: 30_000, rounds: 3, maxSteps: 60 };

test('planRounds sizes rounds to the budget and degrades for slow backends', () => {
  assert.deepEqual(planRounds(20, budget), { warmup: 2, steps: 60, rounds: 3 });
  assert.deepEqual(planRounds(100, budget), { warmup: 2, steps: 20, rounds: 3 });
  // 2.5 s/step: 2 steps a round, 4 steps with warm-up and the trainer's extra batch: 10 s a round
  assert.deepEqual(planRounds(2500, budget), { warmup: 1, steps: 2, rounds: 3 });
  const slow = planRounds(4000, budget); // 16 s a round: only one fits in 30 s
  assert.equal(slow.rounds, 1);
  assert.match(slow.note ?? '', /slow \(4\.0 s\/step\): 1 round of 2 steps/);
  const hopeless = planRounds(9000, budget);
  assert.equal(hopeless.rounds, 0);
  assert.match(hopeless.note ?? '', /too slow/);
});

test('median of odd and even lists', () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('pairedRatio pairs rounds run back to back, and falls back to the single values', () => {
  // a load spike in round 2 slows both sides: paired, it cancels out
  assert.equal(pairedRatio([20, 80, 22], [10, 40, 11], 22, 11), 2);
  assert.equal(pairedRatio([20, 30, 40], [10, 10], 30, 10), 2.5);
  assert.equal(pairedRatio([20], [], 20, 8000), 0.0025);
  assert.equal(pairedRatio([], [], null, 10), null);
});

test('synthetic data has the model shapes, labels in range, and is seeded', () => {
  const m = BENCH_MODELS.find((b) => b.name === 'mobilenet')!;
  const a = syntheticData(m, 50, 3);
  assert.equal(a.x.length, 50 * 32 * 32 * 3);
  assert.ok(a.y.every((v) => v >= 0 && v < 10));
  assert.equal(new Set(a.y).size, 10);
  assert.deepEqual(syntheticData(m, 50, 3).x.subarray(0, 8), a.x.subarray(0, 8));
  assert.notDeepEqual(syntheticData(m, 50, 4).x.subarray(0, 8), a.x.subarray(0, 8));
});

test('the PyTorch peer runs with OpenBLAS preloaded and passive OpenMP threads', () => {
  const env = peerEnv(2);
  assert.equal(env['OMP_WAIT_POLICY'], 'PASSIVE');
  assert.equal(env['OMP_NUM_THREADS'], '2');
  assert.equal(env['OPENBLAS_NUM_THREADS'], '2');
});

test('trainRound times steps through fit and leaks no tensors', async () => {
  await initEngine({ backend: 'cpu' });
  // a small MLP on the pure-JS backend: the real bench models take seconds a step there
  const m = { ...BENCH_MODELS[0]!, spec: { blocks: [{ type: 'dense' as const, units: 16, activation: 'relu' as const }, { type: 'dense' as const, units: 10 }] }, batch: 32 };
  const r = await trainRound(m, 1, 3);
  assert.equal(r.steps, 3);
  assert.ok(r.msPerStep > 0 && Number.isFinite(r.msPerStep));
  assert.equal(r.trainableParams, 784 * 16 + 16 + 16 * 10 + 10);
  assert.equal(r.leakedTensors, 0);
  // random labels over 10 classes: the loss starts near ln 10
  assert.ok(r.loss > 1.5 && r.loss < 3.5, `loss ${r.loss}`);
});

// On a machine without PyTorch the test skips with the install line; in CI (`CI` set) it fails.
const PYTHON = process.env['DISTILLERY_PEER_PYTHON'] ?? '/usr/bin/python3';
// finds torch without importing it (an import takes seconds, more on a loaded machine)
const TORCH_PROBE = "import importlib.util, sys; sys.exit(importlib.util.find_spec('torch') is None)";
const skip = missingTool(PYTHON, ['-c', TORCH_PROBE], 'apt-get install python3-torch libopenblas0');
test('PyTorch builds the same three models as distillery', { skip }, async () => {
  const peer = await TorchPeer.start(2);
  assert.ok(typeof peer !== 'string', String(peer));
  try {
    assert.match(peer.info.blas, /openblas/i, 'PyTorch must run on OpenBLAS, not the reference BLAS (apt-get install libopenblas0)');
    assert.equal(peer.info.threads, 2);
    // the peer's own specs, for standalone runs, are the bench's
    const py = spawnSync(PYTHON, [join(dirname(fileURLToPath(import.meta.url)), 'peers/torch_peer.py'), '--specs'], { encoding: 'utf8' });
    const specs = JSON.parse(py.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(specs), BENCH_MODELS.map((m) => m.name));
    for (const m of BENCH_MODELS) assert.deepEqual(specs[m.name], resolvedSpec(m), m.name);
    for (const m of BENCH_MODELS) {
      const model = buildModel(m.spec, { inputShape: m.input, numClasses: m.numClasses });
      const ours = model.trainableWeights.reduce((a, w) => a + w.shape.reduce<number>((p, d) => p * (d ?? 1), 1), 0);
      model.dispose();
      const r = await peer.round(m.name, resolvedSpec(m), 16, 0, 1);
      assert.ok(typeof r !== 'string', `${m.name}: ${String(r)}`);
      assert.equal(r.params, ours, `${m.name}: PyTorch ${r.params} trainable parameters, distillery ${ours}`);
    }
  } finally {
    peer.close();
  }
});
