// Child process for the kill -9 test in resume.test.ts (not part of the API): trains the
// tiny MLP with checkpoints, prints every event as a JSON line, and at the end writes the
// final weights to <dir>/final.bin.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { writeFileAtomic } from '../core/fs.ts';
import { fit } from './trainer.ts';
import type { FitOptions } from './trainer.ts';
import { readWeights } from './weights.ts';
import { mnistSubset, tinyMlp } from './testing.ts';

/** The run both the child and the test's uninterrupted reference perform. */
export const CHILD_RUN: Omit<FitOptions, 'checkpointDir'> = {
  epochs: 3,
  batchSize: 32,
  seed: 21,
  optimizer: { type: 'adam', lr: 2e-3 },
  schedule: { type: 'cosine', minLr: 0 },
  reportEvery: 1,
};
export const CHILD_SAMPLES = 1200;

async function main(): Promise<void> {
  const [dir, resume] = process.argv.slice(2);
  await tf.setBackend('cpu');
  const model = tinyMlp(31, { dropout: 0.2 });
  await fit(model, mnistSubset('train', 0, CHILD_SAMPLES), {
    ...CHILD_RUN,
    checkpointDir: join(dir, 'checkpoint'),
    resume: resume === 'resume',
    reporter: (e) => process.stdout.write(JSON.stringify(e) + '\n'),
  });
  const all = readWeights(model);
  const flat = new Float32Array(all.reduce((a, w) => a + w.length, 0));
  let at = 0;
  for (const w of all) {
    flat.set(w, at);
    at += w.length;
  }
  writeFileAtomic(join(dir, 'final.bin'), new Uint8Array(flat.buffer));
}

if (process.argv[1]?.endsWith('testing-child.ts')) await main();
