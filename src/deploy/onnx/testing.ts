import type * as tfl from '@tensorflow/tfjs-layers';
import { loadMnist, normalize, scaleStats } from '../../data/index.ts';
import type { Dataset } from '../../data/index.ts';
import { buildModel } from '../../models/index.ts';
import type { ModelSpec } from '../../models/index.ts';
import { fit } from '../../train/index.ts';

// Helpers of this folder's tests: real MNIST and brief real training (the onnx checker is onnx/testing.ts).

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
