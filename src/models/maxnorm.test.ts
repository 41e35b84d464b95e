import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { buildModel } from './build.ts';
import { describeModel } from './describe.ts';
import { loadModel, saveModel } from './io.ts';
import { specFromLayers, specFromModel } from './readback.ts';
import { resolveSpec } from './spec.ts';

await tf.setBackend('cpu');

// Hinton et al.'s MNIST nets cap each hidden unit's incoming weight vector (max-norm 3.5).
const spec = { blocks: [{ type: 'flatten' as const }, { type: 'dense' as const, units: 6, activation: 'relu' as const, maxNorm: 0.25 }, { type: 'dense' as const, units: 2 }] };

test('dense maxNorm: resolved only when set, built as a per-unit constraint, read back after save/load', async () => {
  assert.equal('maxNorm' in resolveSpec({ input: [4], blocks: [{ type: 'dense', units: 2 }] }).blocks[0]!, false, 'absent stays absent');
  const model = buildModel(spec, { inputShape: [3, 3, 1], numClasses: 2, seed: 1 });
  const want = resolveSpec(spec, { inputShape: [3, 3, 1], numClasses: 2 });
  assert.deepEqual(specFromModel(model), want);
  assert.deepEqual(specFromLayers(model), want, 'from the layer configs alone');
  assert.match(describeModel(spec, [3, 3, 1], 2).map((r) => r.block).join('\n'), /dense 6 relu maxnorm 0\.25/);

  // the constraint acts per unit (column of the [in, units] kernel): apply it as the trainer does
  const layer = model.getLayer('b1_dense');
  const kernel = layer.trainableWeights[0]!;
  tf.tidy(() => {
    const v = kernel.read() as tf.Variable;
    v.assign(tf.mul(tf.onesLike(v), tf.reshape(tf.range(1, 7), [1, 6])));
    v.assign(kernel.constraint!.apply(v));
  });
  const norms = tf.tidy(() => tf.sqrt(tf.sum(tf.square(kernel.read()), 0)).arraySync() as number[]);
  for (const n of norms) assert.ok(Math.abs(n - 0.25) < 1e-4, `column norm ${n}`);

  const dir = mkdtempSync(join(tmpdir(), 'distillery-maxnorm-'));
  try {
    await saveModel(model, dir);
    const loaded = await loadModel(dir);
    assert.deepEqual(specFromLayers(loaded), want);
    loaded.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  model.dispose();
});
