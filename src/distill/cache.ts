import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { assert, DistilleryError } from '../core/errors.ts';
import { writeFileAtomic, writeJsonAtomic } from '../core/fs.ts';
import type { Dataset } from '../data/dataset.ts';
import { sampleSize, size } from '../data/dataset.ts';
import { fingerprint as fingerprintOf } from '../data/fingerprint.ts';
import type { Normalization } from '../data/normalize.ts';
import { hashParts } from './teachers/common.ts';
import type { Teacher } from './types.ts';

/**
 * Where teacher logits are cached when no `cacheDir` is given: `$DISTILLERY_CACHE_DIR` if set,
 * else `.distillery/cache` under the current directory. Project-local rather than the OS
 * cache dir: the files belong to the project's data and teachers (a 60k × 10 MNIST table is
 * 2.4 MB), they are easy to find and delete, and runs in a container or CI see them too.
 *
 * @example
 * defaultCacheDir(); // '/home/me/proj/.distillery/cache'
 */
export function defaultCacheDir(): string {
  return resolve(process.env.DISTILLERY_CACHE_DIR || join('.distillery', 'cache'));
}

/** Options of {@link teacherLogitsFor}. */
export interface LogitCacheOptions {
  /** Cache folder (default {@link defaultCacheDir}); `false` turns the cache off (compute only). */
  readonly cacheDir?: string | false;
  /** Fingerprint of `ds` as `loadData` gives it; computed from `ds` when absent. */
  readonly fingerprint?: string;
  /** The preprocessing the data stage applied (part of the key). */
  readonly normalization: Normalization;
  /** Samples per teacher call (default 1024: big batches keep onnxruntime's threads busy). */
  readonly batchSize?: number;
  /** Called after each batch with the samples done so far and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** What {@link cachedTeacherLogits} found or made. */
export interface CachedLogits {
  /** n × numClasses logits, row i for sample i of the data set, in its order. */
  readonly logits: Float32Array;
  readonly numClasses: number;
  /** True when the logits were read from disk. */
  readonly hit: boolean;
  /** The cache key (file stem), or undefined with the cache off. */
  readonly key: string | undefined;
  /** The binary file, or undefined with the cache off. */
  readonly file: string | undefined;
}

/** The JSON header written beside the binary logits: the cache entry exists once it does. */
interface Header {
  readonly version: 1;
  readonly key: string;
  readonly teacher: { readonly name: string; readonly kind: string; readonly hash: string };
  readonly dataFingerprint: string;
  readonly normalization: Normalization;
  readonly n: number;
  readonly numClasses: number;
  readonly dtype: 'float32';
  readonly byteLength: number;
  readonly created: string;
}

/**
 * The cache key: the teacher's hash, the data set's fingerprint and the preprocessing. A
 * change to any of them (other weights, other samples or order, other normalisation) gives
 * another key, so stale logits are never read.
 *
 * @example
 * logitCacheKey(teacher.hash, data.fingerprint, data.normalization); // 64 hex digits
 */
export function logitCacheKey(teacherHash: string, dataFingerprint: string, normalization: Normalization): string {
  return hashParts(['distillery-logits-v1', teacherHash, dataFingerprint, { kind: normalization.kind, mean: normalization.mean, std: normalization.std }]);
}

/**
 * {@link teacherLogitsFor} that also says whether the cache was hit and where the file is.
 *
 * @example
 * const { logits, hit } = await cachedTeacherLogits(teacher, data.train, { normalization: data.normalization });
 */
export async function cachedTeacherLogits(teacher: Teacher, ds: Dataset, opts: LogitCacheOptions): Promise<CachedLogits> {
  const n = size(ds);
  const K = teacher.numClasses;
  if (K !== ds.numClasses) {
    throw new DistilleryError('TEACHER_CLASSES', `${teacher.name}: the teacher outputs ${K} classes, the data set has ${ds.numClasses} (expected ${ds.numClasses}, got ${K})`, 'use a teacher trained on the same classes as the data', 'teacher');
  }
  if (opts.cacheDir === false) return { logits: await computeLogits(teacher, ds, opts), numClasses: K, hit: false, key: undefined, file: undefined };
  const dir = opts.cacheDir ?? defaultCacheDir();
  const fp = opts.fingerprint ?? fingerprintOf(ds);
  // A text fingerprint covers the raw texts, not the ids: a teacher that reads the student's ids
  // (not its own tokenisation of the texts) adds the student's tokenizer to its key.
  const dataKey = ds.text && !teacher.readsTexts ? hashParts([fp, ds.text.tokenizer, ds.text.maxLength]) : fp;
  const key = logitCacheKey(teacher.hash, dataKey, opts.normalization);
  const file = join(dir, `${key}.logits.bin`);
  const headerFile = join(dir, `${key}.json`);
  const hit = readEntry(file, headerFile, key, n, K);
  if (hit) return { logits: hit, numClasses: K, hit: true, key, file };
  const logits = await computeLogits(teacher, ds, opts);
  // Binary first, header last: the header marks a complete entry, and both are renamed into place.
  writeFileAtomic(file, new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength));
  const header: Header = {
    version: 1,
    key,
    teacher: { name: teacher.name, kind: teacher.kind, hash: teacher.hash },
    dataFingerprint: fp,
    normalization: opts.normalization,
    n,
    numClasses: K,
    dtype: 'float32',
    byteLength: logits.byteLength,
    created: new Date().toISOString(),
  };
  writeJsonAtomic(headerFile, header);
  return { logits, numClasses: K, hit: false, key, file };
}

/**
 * The teacher's logits for every sample of `ds` (n × numClasses, row i = sample i of `ds` in
 * its order, so a shuffled batch looks its rows up by its sample indices), computed once in
 * big batches and cached on disk under a key of the teacher's hash, the data's fingerprint
 * and the normalisation; recomputed when any of them changes. With augmentation on, run the
 * teacher online on the augmented batch instead: cached logits are of the unaugmented samples.
 *
 * @example
 * const table = await teacherLogitsFor(teacher, data.train, { fingerprint: data.fingerprint, normalization: data.normalization });
 * const rows = gatherRows(table, teacher.numClasses, batch.indices); // this batch's teacher logits
 */
export async function teacherLogitsFor(teacher: Teacher, ds: Dataset, opts: LogitCacheOptions): Promise<Float32Array> {
  return (await cachedTeacherLogits(teacher, ds, opts)).logits;
}

/**
 * Rows `indices` of an n × K table, as a `[indices.length, K]` tensor: a batch's cached
 * teacher logits.
 *
 * @example
 * const teacherLogits = gatherRows(table, 10, batch.indices);
 */
export function gatherRows(table: Float32Array, K: number, indices: ArrayLike<number>): tf.Tensor2D {
  const out = new Float32Array(indices.length * K);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    assert(j >= 0 && (j + 1) * K <= table.length, () => `row ${j} out of a logit table of ${table.length / K} rows`);
    out.set(table.subarray(j * K, (j + 1) * K), i * K);
  }
  return tf.tensor2d(out, [indices.length, K]);
}

function readEntry(file: string, headerFile: string, key: string, n: number, K: number): Float32Array | undefined {
  if (!existsSync(headerFile) || !existsSync(file)) return undefined;
  let h: Partial<Header>;
  try {
    h = JSON.parse(readFileSync(headerFile, 'utf8')) as Partial<Header>;
  } catch {
    return undefined; // a damaged header is a miss: the entry is rewritten
  }
  if (h.version !== 1 || h.key !== key || h.n !== n || h.numClasses !== K || h.byteLength !== n * K * 4) return undefined;
  if (statSync(file).size !== h.byteLength) return undefined;
  const b = readFileSync(file);
  // Copy into a fresh, aligned buffer: a Buffer's offset in Node's pool need not be a multiple of 4.
  const out = new Float32Array(n * K);
  new Uint8Array(out.buffer).set(b);
  return out;
}

async function computeLogits(teacher: Teacher, ds: Dataset, opts: LogitCacheOptions): Promise<Float32Array> {
  const n = size(ds);
  const d = sampleSize(ds);
  const K = teacher.numClasses;
  const bs = Math.max(1, opts.batchSize ?? 1024);
  const out = new Float32Array(n * K);
  for (let s = 0; s < n; s += bs) {
    const e = Math.min(n, s + bs);
    const x = tf.tensor(ds.x.subarray(s * d, e * d), [e - s, ...ds.shape]);
    try {
      const { logits, features } = await teacher.predict(x, ds.text ? { texts: ds.text.texts.slice(s, e) } : {});
      for (const f of Object.values(features ?? {})) f.dispose();
      assert(logits.shape[0] === e - s && logits.shape[1] === K, () => `teacher ${teacher.name} gave logits of shape [${logits.shape.join(', ')}] for ${e - s} samples`);
      out.set((await logits.data()) as Float32Array, s * K);
      logits.dispose();
    } finally {
      x.dispose();
    }
    opts.onProgress?.(e, n);
  }
  return out;
}
