import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { DistilleryError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import { splitFields } from '../csv.ts';
import type { Dataset } from '../dataset.ts';
import { readText } from '../files.ts';
import type { AudioSource } from './config.ts';
import type { ClipRef } from './folder.ts';
import { indexFolder } from './folder.ts';
import { fitLength, mixdown, readWav, resample } from './wav.ts';

/** An audio source read into memory: waveforms [n, samples] per split, and the noise recordings. */
export interface AudioData {
  readonly train: Dataset;
  /** Present for folders (the speaker-safe split); manifests leave validation to `data.validation`. */
  readonly validation?: Dataset;
  readonly test?: Dataset;
  /** The background noise recordings at the source's rate, for silence clips and noise mixing. */
  readonly noise: readonly Float32Array[];
  /** Samples per clip (sampleRate * clipSeconds). */
  readonly samples: number;
  readonly sampleRate: number;
}

/** How a clip is read: target rate, length, and the rates a file may have. */
export interface ClipFormat {
  readonly sampleRate: number;
  readonly samples: number;
  readonly acceptRates?: readonly number[];
}

/**
 * Read one clip as the model sees it: decoded, mixed down to mono, resampled to the target
 * rate, padded or cut to `samples`. DATA_WAV_RATE when the file's rate is not accepted.
 *
 * @example
 * const x = readClip('yes/a.wav', { sampleRate: 16000, samples: 16000 });
 */
export function readClip(path: string, format: ClipFormat): Float32Array {
  return fitLength(readMono(path, format), format.samples);
}

/**
 * Load an audio `data.source`: index the folder (or read the manifests), then read every clip.
 * `limit` / `testLimit` keep the first clips of the (seeded, shuffled) train / test lists.
 *
 * @example
 * const data = loadAudio(parsedSource, '.', 1000);
 */
export function loadAudio(source: AudioSource, baseDir: string, limit?: number, testLimit?: number): AudioData {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  if ((source.folder === undefined) === (source.manifest === undefined)) {
    throw new DistilleryError('CONFIG_INVALID', 'data.source: give exactly one of folder or manifest', 'folder: a Speech Commands layout; manifest: a path,label CSV', 'data.source');
  }
  if (source.folder !== undefined && (source.test !== undefined || source.noise !== undefined)) {
    throw new DistilleryError('CONFIG_INVALID', 'data.source.test and data.source.noise go with manifest, not folder', 'a folder holds its own testing_list.txt and _background_noise_/', 'data.source');
  }
  const samples = Math.round(source.sampleRate * source.clipSeconds);
  const format: ClipFormat = { sampleRate: source.sampleRate, samples, ...(source.acceptRates ? { acceptRates: source.acceptRates } : {}) };
  const withWords = source.words !== undefined;
  if (source.folder !== undefined) {
    const idx = indexFolder(at(source.folder), {
      ...(source.words ? { words: source.words } : {}),
      validationPercent: source.validationPercent,
      testPercent: source.testPercent,
      silencePercent: source.silencePercent ?? (withWords ? 10 : 0),
      unknownPercent: source.unknownPercent ?? (withWords ? 10 : 0),
      seed: source.seed,
    });
    const noise = idx.noise.map((p) => readMono(p, format));
    const rng = new Rng(source.seed ^ 0x5eed);
    const read = (refs: readonly ClipRef[], n?: number) => readClips(refs.slice(0, n ?? refs.length), idx.classNames, format, noise, rng);
    const out = { train: read(idx.train, limit), noise, samples, sampleRate: source.sampleRate };
    const validation = idx.validation.length > 0 ? read(idx.validation) : undefined;
    const test = idx.test.length > 0 ? read(idx.test, testLimit) : undefined;
    return { ...out, ...(validation ? { validation } : {}), ...(test ? { test } : {}) };
  }
  const train = readManifest(at(source.manifest as string));
  const test = source.test !== undefined ? readManifest(at(source.test)) : undefined;
  const noiseDir = source.noise !== undefined ? at(source.noise) : undefined;
  const noise = noiseDir ? noiseFiles(noiseDir).map((p) => readMono(p, format)) : [];
  // Code-unit order, as the CSV source sorts class names: independent of the machine's locale.
  const classNames = [...new Set([...train, ...(test ?? [])].map((r) => r.label))].sort();
  const rng = new Rng(source.seed);
  const shuffled = rng.shuffle([...train]);
  const out = { train: readClips(shuffled.slice(0, limit ?? shuffled.length), classNames, format, noise, rng), noise, samples, sampleRate: source.sampleRate };
  return test ? { ...out, test: readClips(test.slice(0, testLimit ?? test.length), classNames, format, noise, rng) } : out;
}

function readClips(refs: readonly ClipRef[], classNames: readonly string[], format: ClipFormat, noise: readonly Float32Array[], rng: Rng): Dataset {
  const d = format.samples;
  const x = new Float32Array(refs.length * d);
  const y = new Int32Array(refs.length);
  const index = new Map(classNames.map((n, i) => [n, i]));
  for (let i = 0; i < refs.length; i++) {
    const r = refs[i];
    y[i] = index.get(r.label) as number;
    if (r.path === null) silenceClip(x.subarray(i * d, (i + 1) * d), noise, rng);
    else x.set(readClip(r.path, format), i * d);
  }
  return { x, y, shape: [d], numClasses: classNames.length, classNames };
}

/**
 * A silence clip: a random stretch of a random noise recording at a random volume in [0, 1),
 * or zeros without noise. (TensorFlow's pipeline adds the noise only in training and leaves
 * test silence all zeros; noise in every split is what the data set's released test set has.)
 */
function silenceClip(out: Float32Array, noise: readonly Float32Array[], rng: Rng): void {
  if (noise.length === 0) return;
  const src = noise[rng.int(0, noise.length - 1)];
  const vol = rng.next();
  const start = src.length > out.length ? rng.int(0, src.length - out.length) : 0;
  const n = Math.min(out.length, src.length);
  for (let i = 0; i < n; i++) out[i] = src[start + i] * vol;
}

/**
 * Read a whole WAV file at the format's rate: decoded, mixed down to mono, resampled; not cut
 * or padded (noise recordings, long recordings). DATA_WAV_RATE as {@link readClip}.
 *
 * @example
 * const noise = readMono('_background_noise_/pink_noise.wav', { sampleRate: 16000, samples: 16000 });
 */
export function readMono(path: string, format: ClipFormat): Float32Array {
  const wav = readWav(path);
  if (format.acceptRates && !format.acceptRates.includes(wav.sampleRate)) {
    throw new DistilleryError(
      'DATA_WAV_RATE',
      `${path}: sample rate ${wav.sampleRate} Hz is not in data.source.acceptRates [${format.acceptRates.join(', ')}]`,
      `resample the file (e.g. \`sox in.wav -r ${format.sampleRate} out.wav\`) or add its rate to acceptRates`,
      path,
    );
  }
  return resample(mixdown(wav.channels), wav.sampleRate, format.sampleRate);
}

function readManifest(path: string): ClipRef[] {
  const lines = readText(path).split(/\r?\n/);
  const header = splitFields(lines[0] ?? '').map((h) => h.trim());
  const pi = header.indexOf('path');
  const li = header.indexOf('label');
  if (pi < 0 || li < 0) {
    throw new DistilleryError('DATA_AUDIO_MANIFEST', `${path}: the header needs 'path' and 'label' columns, it has ${header.join(', ')}`, 'start the manifest with the line path,label', path);
  }
  const base = dirname(path);
  const out: ClipRef[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const f = splitFields(lines[i]);
    const p = f[pi]?.trim();
    const label = f[li]?.trim();
    if (!p || !label) {
      throw new DistilleryError('DATA_AUDIO_MANIFEST', `${path}: line ${i + 1} lacks a path or a label`, 'every row needs path,label', path);
    }
    out.push({ path: isAbsolute(p) ? p : join(base, p), label });
  }
  if (out.length === 0) throw new DistilleryError('DATA_AUDIO_EMPTY', `${path}: the manifest lists no clips`, 'add path,label rows', path);
  return out;
}

function noiseFiles(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DistilleryError('DATA_NOT_FOUND', `${dir}: no such folder`, "data.source.noise is resolved against the config file's folder", dir);
  }
  return readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.wav'))
    .sort()
    .map((f) => join(dir, f));
}
