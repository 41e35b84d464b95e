import { resolve } from 'node:path';
import type { Dataset, Normalization } from '../data/index.ts';
import { cachedTeacherLogits, type CachedLogits } from './cache.ts';
import { DEFAULT_LOSS, type CacheConfig } from './config.ts';
import type { Teacher } from './types.ts';

// The set-up every distillation shares, whether it is one run (jobs/distill.ts) or each
// candidate of a search (evaluate/model.ts): which loss, and whether the teacher's logits can be
// computed once or the teacher must run on every batch.

/**
 * The loss terms a distillation trains with: the configured ones, else {@link DEFAULT_LOSS}.
 *
 * @example
 * distillLossTerms(undefined); // DEFAULT_LOSS: kd (T = 4, weight 0.9) + ce (0.1)
 * distillLossTerms([{ term: 'dkd', weight: 1 }]); // as given
 */
export function distillLossTerms<T extends { readonly term: string }>(terms: readonly T[] | undefined): readonly (T | (typeof DEFAULT_LOSS)[number])[] {
  return terms !== undefined && terms.length > 0 ? terms : DEFAULT_LOSS;
}

/**
 * Whether the teacher must run on each training batch instead of once over the training set:
 * cached logits are those of the un-augmented samples, and feature terms (hint, at, rkd) need
 * the teacher's inner outputs, which the cache does not keep (so do `layers: uniform` terms,
 * before they are expanded).
 *
 * @example
 * teacherRunsOnline(createLoss([{ term: 'kd', weight: 1 }]), false); // false: logits once, from the cache
 * teacherRunsOnline(createLoss([{ term: 'kd', weight: 1 }]), true); // true: each shifted batch
 */
export function teacherRunsOnline(loss: { readonly features: { readonly teacher: readonly string[] }; readonly mapsLayers?: boolean }, augmented: boolean): boolean {
  return augmented || loss.features.teacher.length > 0 || loss.mapsLayers === true;
}

/** Inputs of {@link trainingLogits}. */
export interface TrainingLogitsOptions {
  /** The training set's fingerprint, as `loadData` gives it. */
  fingerprint: string;
  normalization: Normalization;
  /** The `cache:` section; absent: the default folder and batch size. */
  cache?: CacheConfig | undefined;
  /** Folder that a relative `cache.dir` is read against (the config file's). */
  baseDir: string;
}

/**
 * The teacher's logits over the whole training set, through the logit cache as the `cache:`
 * section asks (on disk, off, or in another folder).
 *
 * @example
 * const { logits, hit } = await trainingLogits(teacher, data.train, { fingerprint: data.fingerprint, normalization: data.normalization, cache: config.cache, baseDir });
 */
export function trainingLogits(teacher: Teacher, train: Dataset, opts: TrainingLogitsOptions): Promise<CachedLogits> {
  const c = opts.cache;
  return cachedTeacherLogits(teacher, train, {
    fingerprint: opts.fingerprint,
    normalization: opts.normalization,
    ...(c ? { batchSize: c.batchSize } : {}),
    ...(c && !c.enabled ? { cacheDir: false as const } : c?.dir ? { cacheDir: resolve(opts.baseDir, c.dir) } : {}),
  });
}
