import { z } from 'zod';
import { lossConfigSchema } from './losses/index.ts';
import { teacherConfigSchema } from './teachers/index.ts';

/**
 * The loss when a config gives none: Hinton et al.'s soft targets at T = 4 with most of the
 * weight, plus a little cross-entropy on the hard labels (their §2 recommends a "considerably
 * lower weight" on the hard term).
 *
 * @example
 * distillSectionsSchema.parse({ teacher: { type: 'onnx', path: 't.onnx' } }).loss; // DEFAULT_LOSS
 */
export const DEFAULT_LOSS = [
  { term: 'kd', weight: 0.9, T: 4 },
  { term: 'ce', weight: 0.1 },
] as const;

/**
 * `cache:`: where the teacher's logits over the training set are kept between runs. They are
 * keyed by the teacher's hash, the data's fingerprint and the preprocessing, so a stale entry
 * is never read. With `enabled: false` they are still computed once per run, in memory.
 *
 * @example
 * cacheConfigSchema.parse({ dir: '.distillery/cache' });
 */
export const cacheConfigSchema = z
  .object({
    /** Read and write the on-disk cache. */
    enabled: z.boolean().default(true),
    /** Cache folder, relative to the config file; default `$DISTILLERY_CACHE_DIR`, else `.distillery/cache` under the working directory. */
    dir: z.string().min(1).optional(),
    /** Samples per teacher forward pass when filling the cache and scoring the teacher. */
    batchSize: z.number().int().min(1).default(1024),
  })
  .strict();

/** A validated `cache:` section. */
export type CacheConfig = z.output<typeof cacheConfigSchema>;

/**
 * The sections a distill config adds to a train config: `teacher` (required), `loss` (a
 * weighted sum of named terms; default {@link DEFAULT_LOSS}) and `cache`.
 *
 * @example
 * const sections = distillSectionsSchema.parse({ teacher: { type: 'tfjs', path: 'runs/teacher/model' }, loss: [{ term: 'kd', weight: 1, T: 20 }] });
 */
export const distillSections = {
  teacher: teacherConfigSchema,
  loss: lossConfigSchema.prefault([...DEFAULT_LOSS]),
  cache: cacheConfigSchema.prefault({}),
};

/** {@link distillSections} as one strict object schema, for use without the train sections. */
export const distillSectionsSchema = z.object(distillSections).strict();
