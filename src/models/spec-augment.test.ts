import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { validateConfig } from '../config/index.ts';
import { dataConfigSchema, type DataConfig, type Dataset, type LoadedData } from '../data/index.ts';
import { initEngine } from '../engine/index.ts';
import { augmentOption } from '../jobs/run.ts';
import { exportOnnx } from '../onnx/index.ts';
import { fit, readWeights, type FitOptions } from '../train/index.ts';
import { armSpecAugment, buildModel, SPEC_AUGMENT_DEFAULTS, type ModelSpec } from './index.ts';
import { speechBatch } from './testing.ts';

// 0.5 s at 8 kHz: a map of 12 frames x 16 mel bins, small enough for a CPU second
const SR = 8000;
const N = 4000;
const spec: ModelSpec = { blocks: [{ type: 'logmel', melBins: 16, sampleRate: SR }, { type: 'conv2d', filters: 4, stride: 2 }, { type: 'globalavgpool' }] };
const build = (seed = 1) => buildModel(spec, { inputShape: [N], numClasses: 3, seed, sampleRate: SR });
const codeWhere = (e: unknown) => `${(e as { code?: string }).code} ${(e as { where?: string }).where}`;

/** The front-end's output for `waves`, as the layer computes it in a training or an inference call. */
function features(model: ReturnType<typeof build>, waves: Float32Array, n: number, training: boolean): Float32Array {
  return tf.tidy(() => (model.getLayer('b0_frontend').apply(tf.tensor2d(waves, [n, N]), { training }) as tf.Tensor).dataSync() as Float32Array);
}

test('SpecAugment masks whole frames and bins with the map mean, in training calls only, within the bounds, seeded', async () => {
  await initEngine({ backend: 'cpu' });
  const model = build();
  const n = 12;
  const waves = speechBatch(n, N, 3);
  const plain = features(model, waves, n, false);
  const predict = () => tf.tidy(() => (model.predict(tf.tensor2d(waves, [n, N])) as tf.Tensor).dataSync() as Float32Array);
  const probs = predict();
  const config = JSON.stringify(model.toJSON(null, false));
  const onnx = await exportOnnx(model);
  const cfg = { timeMasks: 2, timeWidth: 3, freqMasks: 1, freqWidth: 4 };
  const arm = armSpecAugment(model, cfg, N, 7);
  const [, T, F] = model.getLayer('b0_frontend').outputShape as number[];
  assert.deepEqual([T, F], [12, 16]);
  // inference: bit for bit the unarmed features, and the saved config does not change
  assert.deepEqual(features(model, waves, n, false), plain);
  assert.deepEqual(predict(), probs);
  assert.equal(JSON.stringify(model.toJSON(null, false)), config);
  assert.deepEqual(await exportOnnx(model), onnx, 'the ONNX export of an armed model is that of the unarmed one');
  const masked = features(model, waves, n, true);
  assert.deepEqual(features(model, waves, n, true), masked, 'the same step seed gives the same masks');
  let rowsSeen = 0;
  let colsSeen = 0;
  for (let s = 0; s < n; s++) {
    const p = plain.subarray(s * T * F, (s + 1) * T * F);
    const m = masked.subarray(s * T * F, (s + 1) * T * F);
    const mean = p.reduce((a, v) => a + v, 0) / p.length;
    const changed = (i: number) => m[i] !== p[i];
    const isMean = (i: number) => Math.abs(m[i]! - mean) < 1e-3 * Math.max(1, Math.abs(mean));
    const rows = new Set<number>();
    const cols = new Set<number>();
    // a frame (bin) is masked when all its cells hold the mean and one of them did not before
    const whole = (cells: number[]) => cells.every(isMean) && cells.some(changed);
    for (let t = 0; t < T; t++) if (whole(Array.from({ length: F }, (_, f) => t * F + f))) rows.add(t);
    for (let f = 0; f < F; f++) if (whole(Array.from({ length: T }, (_, t) => t * F + f))) cols.add(f);
    for (let i = 0; i < T * F; i++) {
      if (changed(i)) assert.ok(isMean(i) && (rows.has(Math.floor(i / F)) || cols.has(i % F)), `map ${s} cell ${i}: changed but not part of a whole masked frame or bin`);
    }
    assert.ok(rows.size <= cfg.timeMasks * cfg.timeWidth, `map ${s}: ${rows.size} masked frames`);
    assert.ok(cols.size <= cfg.freqMasks * cfg.freqWidth, `map ${s}: ${cols.size} masked bins`);
    rowsSeen += rows.size;
    colsSeen += cols.size;
  }
  assert.ok(rowsSeen > n / 2 && colsSeen > n / 2, `masks drawn: ${rowsSeen} frames, ${colsSeen} bins over ${n} maps`);
  arm.step(8);
  assert.notDeepEqual(features(model, waves, n, true), masked, 'another step seed, other masks');
  arm.disarm();
  assert.deepEqual(features(model, waves, n, true), plain, 'disarmed: training calls are unmasked');
  model.dispose();
});

test('data.augment.specAugment: true means the defaults; bad values are CONFIG_INVALID naming the key', async () => {
  await initEngine({ backend: 'cpu' });
  const source = { type: 'audio', folder: 'x' };
  const parse = (specAugment: unknown) => validateConfig(dataConfigSchema, { source, augment: { specAugment } });
  assert.deepEqual(parse(true).augment?.specAugment, { timeMasks: 2, timeWidth: 12, freqMasks: 2, freqWidth: 9 });
  assert.deepEqual(parse({ timeMasks: 1 }).augment?.specAugment, { timeMasks: 1, timeWidth: 12, freqMasks: 2, freqWidth: 9 });
  assert.deepEqual(parse(false).augment?.specAugment, { timeMasks: 0, timeWidth: 12, freqMasks: 0, freqWidth: 9 });
  const fails = (v: unknown, key: string) => assert.throws(() => parse(v), (e) => codeWhere(e).startsWith('CONFIG_INVALID') && new RegExp(`augment\\.specAugment\\.${key}`).test(String((e as Error).message) + codeWhere(e)), `${JSON.stringify(v)} -> ${key}`);
  fails({ timeMasks: -1 }, 'timeMasks');
  fails({ freqWidth: 2.5 }, 'freqWidth');
  fails({ timeWidht: 3 }, '');
  const model = build();
  assert.throws(() => armSpecAugment(model, { timeMasks: 1, timeWidth: 13, freqMasks: 1, freqWidth: 4 }, N, 1), (e) => codeWhere(e) === 'CONFIG_INVALID data.augment.specAugment.timeWidth' && /12 frames/.test((e as Error).message));
  assert.throws(() => armSpecAugment(model, { timeMasks: 1, timeWidth: 3, freqMasks: 1, freqWidth: 17 }, N, 1), (e) => codeWhere(e) === 'CONFIG_INVALID data.augment.specAugment.freqWidth');
  assert.throws(() => armSpecAugment(model, { timeMasks: 1, timeWidth: 3, freqMasks: -1, freqWidth: 4 }, N, 1), (e) => codeWhere(e) === 'CONFIG_INVALID data.augment.specAugment.freqMasks');
  model.dispose();
  const image = buildModel({ blocks: [{ type: 'conv2d', filters: 2 }, { type: 'globalavgpool' }] }, { inputShape: [8, 8, 1], numClasses: 2, seed: 1 });
  assert.throws(() => armSpecAugment(image, true, 64, 1), (e) => codeWhere(e) === 'CONFIG_INVALID data.augment.specAugment' && /has none/.test((e as Error).message));
  image.dispose();
});

test('SpecAugment in training: it changes what is learned, and a killed and resumed run ends like an unbroken one', async () => {
  await initEngine({ backend: 'cpu' });
  const n = 24;
  const train: Dataset = { x: speechBatch(n, N, 5), y: Int32Array.from({ length: n }, (_, i) => i % 3), shape: [N], numClasses: 3, classNames: ['a', 'b', 'c'] };
  const data = { train } as unknown as LoadedData;
  const cfg = (on?: true) => ({ augment: on ? { specAugment: SPEC_AUGMENT_DEFAULTS } : {} }) as unknown as DataConfig;
  const base: FitOptions = { epochs: 2, batchSize: 8, seed: 3, optimizer: { type: 'adam', lr: 0.01 } };
  const run = async (specAugment: true | undefined, opts: Partial<FitOptions> = {}, init = 1) => {
    const model = build(init);
    try {
      await fit(model, train, { ...base, ...augmentOption(cfg(specAugment), data, model), ...opts });
      return readWeights(model);
    } finally {
      model.dispose();
    }
  };
  const whole = await run(true);
  const none = await run(undefined);
  assert.ok(whole.some((w, i) => w.some((v, j) => v !== none[i]![j])), 'the masks change the training');
  const dir = mkdtempSync(join(tmpdir(), 'distillery-specaug-'));
  try {
    const crash = new Error('simulated crash');
    await assert.rejects(run(true, { checkpointDir: dir, reportEvery: 1, reporter: (e) => {
      if (e.event === 'batch' && e.epoch === 2) throw crash;
    } }), (e) => e === crash);
    const resumed = await run(true, { checkpointDir: dir, resume: true }, 9);
    resumed.forEach((w, i) => assert.deepEqual(w, whole[i]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
