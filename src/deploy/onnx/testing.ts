import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { loadMnist, normalize, scaleStats } from '../../data/index.ts';
import type { Dataset } from '../../data/index.ts';
import { buildModel } from '../../models/index.ts';
import type { ModelSpec } from '../../models/index.ts';
import { fit } from '../../train/index.ts';
import { concatF32 } from './run.ts';

// Helpers of this folder's tests: real MNIST, brief real training, and the onnx checker.

/** MNIST scaled to [0, 1]: the first `trainN` training images and the whole test set. */
export function mnist(trainN: number): { train: Dataset; test: Dataset } {
  const train = loadMnist('train', trainN);
  const stats = scaleStats(train);
  return { train: normalize(train, stats), test: normalize(loadMnist('test'), stats) };
}

/**
 * Builds `spec` and trains it for `epochs` on `train` (Adam 3e-3, batch 64), so that weights
 * and BatchNorm moving statistics are those of a real model rather than the initial ones.
 */
export async function trained(spec: ModelSpec, train: Dataset, epochs = 1, seed = 1): Promise<tfl.LayersModel> {
  const model = buildModel(spec, { inputShape: [...train.shape], numClasses: 10, seed });
  await fit(model, train, { epochs, batchSize: 64, seed, optimizer: { type: 'adam', lr: 0.003 } as never });
  return model;
}

/** TF.js logits of every sample of `x` (inference mode), batch by batch. */
export function tfLogits(model: tfl.LayersModel, x: Float32Array, shape: readonly number[], batch = 1000): Float32Array {
  const d = shape.reduce((a, b) => a * b, 1);
  const n = x.length / d;
  const parts: Float32Array[] = [];
  for (let s = 0; s < n; s += batch) {
    const e = Math.min(n, s + batch);
    const y = tf.tidy(() => model.predict(tf.tensor(x.subarray(s * d, e * d), [e - s, ...shape])) as tf.Tensor);
    parts.push(y.dataSync() as Float32Array);
    y.dispose();
  }
  return concatF32(parts);
}

/** The largest absolute difference between two arrays of the same length. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const CHECKER = '/usr/bin/python3';

/**
 * Runs `onnx.checker.check_model(m, full_check=True)` of Debian's python3-onnx on `bytes`.
 * Returns `skip` with the reason when python3-onnx is not installed (CI installs it).
 */
export function onnxChecker(bytes: Uint8Array, name: string): { ok: true } | { ok: false; error: string } | { skip: string } {
  const probe = spawnSync(CHECKER, ['-c', 'import onnx'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return { skip: `${CHECKER} with python3-onnx is not installed (apt-get install python3-onnx): onnx.checker not run` };
  const file = join(mkdtempSync(join(tmpdir(), 'distillery-onnx-')), name);
  writeFileSync(file, bytes);
  const r = spawnSync(CHECKER, ['-c', 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', file], { encoding: 'utf8' });
  return r.status === 0 ? { ok: true } : { ok: false, error: r.stderr.trim().split('\n').slice(-3).join('\n') };
}
