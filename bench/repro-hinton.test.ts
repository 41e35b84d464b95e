/**
 * The PyTorch reference of the Hinton et al. reproduction (bench/peers/hinton_torch.py) builds
 * the same models and follows the same recipe as bench/repro-hinton.ts, so its test errors are a
 * like-for-like peer of distillery's.
 *
 *   node --import tsx --test bench/repro-hinton.test.ts
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildModel } from '../src/models/index.ts';
import { disposeEngine, initEngine } from '../src/engine/index.ts';
import { missingTool } from '../test/helpers/tools.ts';
import { FULL, LOSS, OPTIMIZER, QUICK, STUDENT, TEACHER } from './repro-hinton.ts';

after(async () => { await disposeEngine(); });

const PYTHON = process.env['DISTILLERY_PEER_PYTHON'] ?? '/usr/bin/python3';
// finds torch without importing it (an import takes seconds, more on a loaded machine)
const TORCH_PROBE = "import importlib.util, sys; sys.exit(importlib.util.find_spec('torch') is None)";
const skip = missingTool(PYTHON, ['-c', TORCH_PROBE], 'apt-get install python3-torch libopenblas0');

interface PeerModel { sizes: number[]; dropout: number[]; params: number; maxNorm?: number; shift?: number }
interface PeerSpecs {
  teacher: PeerModel;
  student: PeerModel;
  recipe: { batchSize: number; lr: number; momentum: number; schedule: string; T: number; soft: number; hard: number; full: Record<string, number | null>; quick: Record<string, number | null> };
}

/** Sizes, dropout rates and max-norm of a distillery spec, read from its blocks. */
function describe(spec: typeof TEACHER | typeof STUDENT) {
  const blocks = spec.blocks as readonly { type: string; units?: number; rate?: number; maxNorm?: number }[];
  return {
    sizes: [784, ...blocks.filter((b) => b.type === 'dense').map((b) => b.units!)],
    dropout: blocks.filter((b) => b.type === 'dropout').map((b) => b.rate!),
    maxNorm: [...new Set(blocks.filter((b) => b.type === 'dense').map((b) => b.maxNorm))],
  };
}

test('the PyTorch Hinton reference builds the same models with the same recipe', { skip }, async () => {
  const r = spawnSync(PYTHON, [join(import.meta.dirname, 'peers/hinton_torch.py'), '--specs'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const peer = JSON.parse(r.stdout) as PeerSpecs;
  await initEngine({ backend: 'cpu' });
  for (const [name, spec] of [['teacher', TEACHER], ['student', STUDENT]] as const) {
    const ours = describe(spec);
    assert.deepEqual(peer[name].sizes, ours.sizes, `${name} layer sizes`);
    assert.deepEqual(peer[name].dropout, ours.dropout, `${name} dropout rates, in order`);
    const model = buildModel(spec as never, { inputShape: [28, 28, 1], numClasses: 10 });
    const params = model.trainableWeights.reduce((a, w) => a + w.shape.reduce<number>((p, d) => p * (d ?? 1), 1), 0);
    model.dispose();
    assert.equal(peer[name].params, params, `${name}: PyTorch ${peer[name].params} trainable parameters, distillery ${params}`);
  }
  // max-norm 3.5 on every dense layer of the teacher, none on the student; ±2-pixel jitter for the teacher
  assert.deepEqual(describe(TEACHER).maxNorm, [peer.teacher.maxNorm]);
  assert.deepEqual(describe(STUDENT).maxNorm, [undefined]);
  assert.equal(peer.teacher.shift, 2);
  const { recipe } = peer;
  assert.deepEqual([recipe.lr, recipe.momentum, recipe.schedule], [OPTIMIZER.lr, OPTIMIZER.momentum, 'cosine']);
  assert.equal(recipe.batchSize, FULL.batchSize);
  const kd = LOSS.find((l) => l.term === 'kd')!;
  const ce = LOSS.find((l) => l.term === 'ce')!;
  assert.deepEqual([recipe.T, recipe.soft, recipe.hard], [kd.T, kd.weight, ce.weight]);
  for (const [mode, s] of [['full', FULL], ['quick', QUICK]] as const) {
    assert.deepEqual(recipe[mode], { limit: s.limit ?? null, teacherEpochs: s.teacherEpochs, studentEpochs: s.studentEpochs }, mode);
  }
});
