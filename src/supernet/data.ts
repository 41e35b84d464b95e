import { DistilleryError } from '../core/errors.ts';
import { loadData, type Dataset, type LoadedData } from '../data/index.ts';
import type { SupernetConfig } from './config.ts';

/** The supernet's data: the training set and the validation split subnets are scored on. */
export type SupernetData = LoadedData & { readonly validation: Dataset };

/**
 * Loads the `data:` section of a supernet config. A validation split is required: subnets are
 * chosen by their accuracy on it (the test set is never used to choose), and an image shape
 * [H, W, C] is required by the convolutional space.
 *
 * @example
 * const data = await loadSupernetData(config, 'examples');
 */
export async function loadSupernetData(config: SupernetConfig, baseDir: string): Promise<SupernetData> {
  const data = await loadData(config.data, { baseDir, seed: config.seed });
  if (!data.validation) throw new DistilleryError('CONFIG_INVALID', 'data.validation: a supernet scores its subnets on held-out data', 'set data.validation, e.g. 2000 (samples) or 0.1 (a fraction)', 'data.validation');
  if (data.train.shape.length !== 3) throw new DistilleryError('SUPERNET_INPUT', `data: the supernet's space is convolutional and needs images [H, W, C], the data gives [${data.train.shape.join(', ')}]`, 'use an image source (mnist, idx or npy images with a shape)', 'data');
  return data as SupernetData;
}
