import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnxChecker } from '../../src/onnx/testing.ts';
import { ROOT, runCli, tempDir, writeConfig } from '../helpers/cli.ts';

// Deploy's proof on a student that a search produced, not one written by hand: a MobileNet-style
// space (inverted residual blocks with expansion, stride 2, squeeze-excite, hard-swish), two
// candidates distilled from the committed ONNX teacher, then the front's model exported to ONNX:
// onnx.checker's full check, and the same logits (<= 1e-4) and classes as TF.js on real images.

const mobileSearch = {
  name: 'mobile',
  seed: 5,
  backend: 'wasm',
  threads: 1,
  data: { source: 'mnist', limit: 1000, validation: 200, testLimit: 500, normalize: 'scale' },
  teacher: { type: 'onnx', path: join(ROOT, 'examples/teachers/mnist-cnn.onnx'), normalize: { mean: 33.3285, std: 78.5655 } },
  cache: { enabled: false },
  loss: [{ term: 'kd', weight: 0.7, T: 4 }, { term: 'ce', weight: 0.3 }],
  space: {
    params: { act: { choice: ['relu6', 'hswish'] } },
    template: {
      model: {
        input: [28, 28, 1],
        blocks: [
          { type: 'conv2d', filters: 8, stride: 2, batchNorm: true, activation: '${act}' },
          { type: 'mbconv', filters: { choice: [8, 16] }, expansion: { choice: [2, 4] }, kernel: 3, stride: 2, se: 0.25, activation: '${act}' },
          { type: 'mbconv', filters: 16, expansion: 2, kernel: { choice: [3, 5] }, se: { choice: [0, 0.25] }, activation: '${act}' },
          { type: 'globalavgpool' },
        ],
      },
    },
  },
  train: { epochs: 1, batchSize: 32, optimizer: { type: 'adam', lr: 0.005 } },
  strategy: { name: 'random' },
  objectives: [{ metric: 'accuracy', direction: 'max' }, { metric: 'macs', direction: 'min' }],
  budget: { trials: 2, epochs: 1 },
};

test('a searched MobileNet-style student exports to ONNX: checker passes, outputs match TF.js', (t) => {
  const dir = tempDir('distillery-deploy-searched-');
  const store = join(dir, 'study.db');
  const s = runCli(['search', '--config', writeConfig(dir, 'mobile.json', mobileSearch), '--store', store, '--json']);
  assert.equal(s.code, 0, s.stderr);
  const done = s.events.at(-1)!;
  const front = done['pareto'] as { trial: number; model: string }[];
  assert.ok(front.length >= 1);
  const model = front[0]!.model;
  const spec = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8')) as { modelTopology: unknown };
  const layers = JSON.stringify(spec.modelTopology);
  assert.match(layers, /DepthwiseConv2D/, 'an inverted residual block');
  assert.match(layers, /GlobalAveragePooling2D/);

  const out = join(dir, 'export');
  const e = runCli(['export', model, '--format', 'onnx', '--out', out, '--batch', '1', '--json']);
  assert.equal(e.code, 0, e.stderr);
  const exp = e.events.at(-1)!;
  const parity = exp['parity'] as { samples: number; maxAbsDiff: number; classDiffers: number; ok: boolean };
  assert.equal(exp['data'], 'mnist', 'the trial model records that it learnt from built-in MNIST');
  assert.equal(parity.samples, 10000, 'compared on the whole MNIST test set');
  assert.ok(parity.maxAbsDiff <= 1e-4, `max |onnx - tfjs| = ${parity.maxAbsDiff}`);
  assert.equal(parity.classDiffers, 0);
  assert.equal(parity.ok, true);
  const check = onnxChecker(readFileSync(join(out, 'model.onnx')), 'mobile.onnx');
  if ('skip' in check) t.diagnostic(check.skip);
  else assert.ok(check.ok, 'error' in check ? check.error : '');
  t.diagnostic(`front model ${model}: data ${String(exp['data'])}, parity over ${parity.samples} samples, max diff ${parity.maxAbsDiff.toExponential(2)}`);
});
