import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { loadMnist, normalize, scaleStats } from '../../data/index.ts';
import type { Dataset } from '../../data/index.ts';
import { buildModel } from '../../models/index.ts';
import type { ModelSpec } from '../../models/index.ts';
import { fit } from '../../train/index.ts';

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

export { maxAbsDiff, tfLogits } from './parity.ts';

const CHECKER = '/usr/bin/python3';

/**
 * Runs `onnx.checker.check_model(m, full_check=True)` of Debian's python3-onnx on `bytes`.
 * Returns `skip` with the reason when python3-onnx is not installed on a user's machine; in CI
 * (`CI` set) a missing checker is an error instead.
 */
export function onnxChecker(bytes: Uint8Array, name: string): { ok: true } | { ok: false; error: string } | { skip: string } {
  const probe = spawnSync(CHECKER, ['-c', 'import onnx'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const why = `${CHECKER} with python3-onnx is not installed (apt-get install python3-onnx)`;
    // In CI (.ci/run sets CI) nothing may skip: the missing checker is a failure there.
    return process.env['CI'] ? { ok: false, error: `${why}; CI must install it` } : { skip: `${why}: onnx.checker not run` };
  }
  const file = join(mkdtempSync(join(tmpdir(), 'distillery-onnx-')), name);
  writeFileSync(file, bytes);
  const r = spawnSync(CHECKER, ['-c', 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', file], { encoding: 'utf8' });
  return r.status === 0 ? { ok: true } : { ok: false, error: r.stderr.trim().split('\n').slice(-3).join('\n') };
}
