import { isAbsolute, resolve } from 'node:path';
import { DistilleryError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import type { Augment } from './augment.ts';
import { augmentFrom } from './augment.ts';
import { mixNoise, timeShift } from './audio/augment.ts';
import type { AudioSource } from './audio/config.ts';
import { loadAudio } from './audio/source.ts';
import type { DataConfig, DataConfigInput, DataSource, NormalizeConfig } from './config.ts';
import { parseDataConfig } from './config.ts';
import { readCsvPart } from './csv.ts';
import type { Dataset } from './dataset.ts';
import { sampleSize } from './dataset.ts';
import { fingerprint } from './fingerprint.ts';
import { readIdxPart } from './idx.ts';
import type { RawPart } from './labels.ts';
import { labelParts } from './labels.ts';
import { mnistFiles } from './mnist.ts';
import type { Normalization } from './normalize.ts';
import { applyStats, explicitStats, noNormalization, scaleStats, standardizeStats } from './normalize.ts';
import { readNpyPart } from './npy.ts';
import { split } from './ops.ts';
import { isTextSource, loadTextData } from './text/load.ts';

/** What {@link loadData} returns: the parts, ready to train on, and what made them. */
export interface LoadedData {
  readonly train: Dataset;
  readonly validation?: Dataset;
  readonly test?: Dataset;
  /** Fitted on `train` only; save it with the model and apply it to new inputs. */
  readonly normalization: Normalization;
  /** {@link fingerprint} of the final `train` (the teacher-logit cache key). */
  readonly fingerprint: string;
  /** The batch augmentation `data.augment` asks for, if any. */
  readonly augment?: Augment;
  /** Things worth telling the user (texts read as latin-1, truncated, empty). */
  readonly notes?: readonly string[];
  /** For audio sources: the clips' rate and the background noise recordings. */
  readonly audio?: { readonly sampleRate: number; readonly noise: readonly Float32Array[] };
}

/** Where relative paths start, and the seed of the validation split. */
export interface LoadOptions {
  /** The config file's folder; relative data paths are resolved against it. */
  readonly baseDir: string;
  readonly seed: number;
}

/**
 * Load the `data:` section of a config: read the source (train and optional test), keep the
 * first `limit` / `testLimit` samples, hold out `validation` from the training part (stratified
 * unless `stratify: false`), fit `normalize` on what remains for training, and apply it to
 * every part.
 *
 * @example
 * const data = await loadData({ source: 'mnist', limit: 10000, validation: 0.1, normalize: 'scale' }, { baseDir: '.', seed: 1 });
 * // data.train: 9,000 samples, data.validation: 1,000, data.test: 10,000, values in [0, 1]
 */
export async function loadData(config: DataConfigInput, opts: LoadOptions): Promise<LoadedData> {
  const cfg = parseDataConfig(config);
  if (isTextSource(cfg.source)) {
    const t = loadTextData(cfg, opts);
    return { train: t.train, ...(t.validation ? { validation: t.validation } : {}), ...(t.test ? { test: t.test } : {}), normalization: noNormalization, fingerprint: t.fingerprint, notes: t.notes };
  }
  if (cfg.text) throw new DistilleryError('CONFIG_INVALID', 'data.text: applies to text sources only (spam, text, text-folder)', 'remove data.text, or use a text source', 'data.text');
  if (typeof cfg.source !== 'string' && cfg.source.type === 'audio') return loadAudioData(cfg, cfg.source, opts);
  const source = cfg.source as NumericSource;
  const parts = readSource(source, opts.baseDir, cfg.limit, cfg.testLimit);
  const numClasses = typeof source === 'string' || source.type === 'mnist' ? 10 : source.numClasses;
  const shape = typeof source === 'string' || source.type === 'mnist' ? undefined : source.shape;
  const labelled = labelParts(parts, numClasses).map((ds, i) => (shape ? reshape(ds, shape, partFile(parts[i])) : ds));
  const train = labelled[0];
  const rawTest = labelled[1];
  if (rawTest && rawTest.shape.join(',') !== train.shape.join(',')) {
    throw new DistilleryError(
      'DATA_SHAPE',
      `${partFile(parts[1])}: test samples have shape [${rawTest.shape.join(', ')}], training samples [${train.shape.join(', ')}]`,
      'train and test files need the same columns or image size',
      partFile(parts[1]),
    );
  }
  const out = splitAndNormalize(cfg, opts, train, undefined, rawTest);
  const augment = augmentFrom(cfg.augment);
  return { ...out, fingerprint: fingerprint(out.train), ...(augment ? { augment } : {}) };
}

/**
 * The statistics a `data.normalize` setting gives for this training split.
 *
 * @example
 * const stats = fitNormalization(train, 'standardize');
 */
export function fitNormalization(train: Dataset, how: NormalizeConfig): Normalization {
  if (how === 'none') return noNormalization;
  if (how === 'scale') return scaleStats(train);
  if (how === 'standardize') return standardizeStats(train);
  if ('standardize' in how) return standardizeStats(train, how.standardize);
  return explicitStats(how.mean, how.std);
}

/**
 * The same samples seen with another per-sample shape of the same size.
 *
 * @example
 * const images = reshape(flat, [28, 28, 1], 'train.csv');
 */
export function reshape(ds: Dataset, shape: readonly number[], where = 'data.source.shape'): Dataset {
  const want = shape.reduce((a, b) => a * b, 1);
  const have = sampleSize(ds);
  if (want !== have) {
    throw new DistilleryError(
      'DATA_SHAPE',
      `${where}: samples hold ${have} values, data.source.shape [${shape.join(', ')}] needs ${want}`,
      'make data.source.shape multiply out to the number of feature columns',
      'data.source.shape',
    );
  }
  return { ...ds, shape: [...shape] };
}

/** The sources read as numbers (not text, not audio). */
type NumericSource = Exclude<DataSource, 'spam' | { type: 'spam' | 'text' | 'text-folder' | 'audio' }>;

/**
 * An audio source: waveforms [n, samples]. A folder brings its own speaker-safe validation
 * split, so `data.validation` (a random split that would put one speaker on both sides) is
 * refused for it; manifests are split like any other source.
 */
function loadAudioData(cfg: DataConfig, source: AudioSource, opts: LoadOptions): LoadedData {
  if (source.folder !== undefined && cfg.validation > 0) {
    throw new DistilleryError(
      'CONFIG_INVALID',
      'data.validation: an audio folder is split by speaker; a random split would put one speaker in both parts',
      'remove data.validation and set data.source.validationPercent (or add validation_list.txt)',
      'data.validation',
    );
  }
  const audio = loadAudio(source, opts.baseDir, cfg.limit, cfg.testLimit);
  const out = {
    ...splitAndNormalize(cfg, opts, audio.train, audio.validation, audio.test),
    audio: { sampleRate: audio.sampleRate, noise: audio.noise },
  };
  const augment = audioAugment(cfg.augment, audio.samples, audio.sampleRate, audio.noise);
  return { ...out, fingerprint: fingerprint(out.train), ...(augment ? { augment } : {}) };
}

/**
 * Hold out `data.validation` from the training part (when set; a source may bring its own
 * validation part instead), fit `data.normalize` on what remains and apply it to every part.
 */
function splitAndNormalize(cfg: DataConfig, opts: LoadOptions, train: Dataset, validation: Dataset | undefined, test: Dataset | undefined) {
  if (cfg.validation > 0) {
    const s = split(train, cfg.validation, new Rng(opts.seed), { stratify: cfg.stratify });
    train = s.train;
    validation = s.validation;
  }
  const stats = fitNormalization(train, cfg.normalize);
  return {
    train: normalizeOwned(train, stats),
    normalization: stats,
    ...(validation ? { validation: normalizeOwned(validation, stats) } : {}),
    ...(test ? { test: normalizeOwned(test, stats) } : {}),
  };
}

/** Time shift then noise, as TensorFlow's Speech Commands pipeline orders them. */
function audioAugment(cfg: DataConfig['augment'], samples: number, rate: number, noise: readonly Float32Array[]): Augment | undefined {
  if (cfg?.shift !== undefined && cfg.shift > 0) {
    throw new DistilleryError('CONFIG_INVALID', 'data.augment.shift moves images by pixels; audio clips take data.augment.timeShift (seconds)', 'use timeShift: 0.1 for ±100 ms', 'data.augment.shift');
  }
  const maxShift = Math.round((cfg?.timeShift ?? 0) * rate);
  const mix = cfg?.noise;
  if (mix && noise.length === 0) {
    throw new DistilleryError('CONFIG_INVALID', 'data.augment.noise: the source has no background noise recordings', 'add _background_noise_/ to the folder (or data.source.noise for a manifest)', 'data.augment.noise');
  }
  if (maxShift === 0 && !mix) return undefined;
  return (batch, _shape, rng) => {
    if (maxShift > 0) timeShift(batch, samples, maxShift, rng);
    if (mix) mixNoise(batch, samples, noise, mix, rng);
  };
}

function readSource(source: NumericSource, baseDir: string, limit?: number, testLimit?: number): RawPart[] {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  if (source === 'mnist' || source.type === 'mnist') {
    const tr = mnistFiles('train');
    const te = mnistFiles('test');
    return [readIdxPart(tr.images, tr.labels, limit), readIdxPart(te.images, te.labels, testLimit)];
  }
  if (source.type === 'idx') {
    const tr = readIdxPart(at(source.train.images), at(source.train.labels), limit);
    return source.test ? [tr, readIdxPart(at(source.test.images), at(source.test.labels), testLimit)] : [tr];
  }
  if (source.type === 'npy') {
    const tr = readNpyPart(at(source.train.x), at(source.train.y), limit);
    return source.test ? [tr, readNpyPart(at(source.test.x), at(source.test.y), testLimit)] : [tr];
  }
  const csvOpts = (n: number | undefined) => ({ ...(source.label !== undefined ? { label: source.label } : {}), ...(n !== undefined ? { limit: n } : {}) });
  const tr = readCsvPart(at(source.train), csvOpts(limit));
  return source.test ? [tr, readCsvPart(at(source.test), csvOpts(testLimit))] : [tr];
}

/** Normalise in place: every array here was read or copied by this load, so no one else holds it. */
function normalizeOwned(ds: Dataset, stats: Normalization): Dataset {
  if (stats.kind === 'none') return ds;
  applyStats(ds, stats, ds.x);
  const { valueRange: _raw, ...rest } = ds;
  return rest;
}

function partFile(p: RawPart | undefined): string {
  return p?.labelFile ?? 'data.source';
}
