import { z } from 'zod';
import { isAbsolute, resolve } from 'node:path';
import { DistilleryError } from '../core/errors.ts';
import { buildTokenizerSchema } from '../tokenizers/build.ts';
import { audioSourceSchema } from './audio/config.ts';

const file = z.string().min(1);
const shape = z.array(z.number().int().positive()).min(1);
const common = {
  /** Reshape every sample, e.g. [28, 28, 1] for images stored as 784 CSV columns. */
  shape: shape.optional(),
  /** The number of classes, when the labels present do not show it (a subset, say). */
  numClasses: z.number().int().min(2).optional(),
};

const idxPart = z.object({ images: file, labels: file }).strict();
const npyPart = z.object({ x: file, y: file }).strict();

/** `data.source`: the built-in MNIST or spam corpus, or the user's IDX, CSV or NPY files, audio clips, or texts (a table or a folder per class). */
export const dataSourceSchema = z.union([
  z.enum(['mnist', 'spam'], { error: 'expected "mnist", "spam" or an object with type: mnist | spam | idx | csv | npy | audio | text | text-folder' }),
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('mnist') }).strict(),
    z.object({ type: z.literal('spam') }).strict(),
    z
      .object({
        type: z.literal('text'),
        /** CSV, TSV or JSON Lines with a header (CSV/TSV) naming the columns. */
        train: file,
        test: file.optional(),
        /** Default: from the extension (.tsv, .jsonl/.ndjson; else CSV). */
        format: z.enum(['csv', 'tsv', 'jsonl']).optional(),
        /** The column holding the texts. */
        text: z.string().min(1).default('text'),
        /** The column holding the labels (class names or numbers). */
        label: z.string().min(1).default('label'),
      })
      .strict(),
    /** A folder per class of `.txt` files, under `train` (and `test`). */
    z.object({ type: z.literal('text-folder'), train: file, test: file.optional() }).strict(),
    z.object({ type: z.literal('idx'), train: idxPart, test: idxPart.optional(), ...common }).strict(),
    z
      .object({
        type: z.literal('csv'),
        train: file,
        test: file.optional(),
        /** Header name, or 0-based column index (negative counts from the end). */
        label: z.union([z.string().min(1), z.number().int()]).optional(),
        ...common,
      })
      .strict(),
    z.object({ type: z.literal('npy'), train: npyPart, test: npyPart.optional(), ...common }).strict(),
    audioSourceSchema,
  ]),
]);

const count = z.number().int().min(0);

/**
 * `data.augment.specAugment`: SpecAugment's time and frequency masks (Park et al. 2019) on the
 * log-mel/MFCC map, in training only. The defaults follow MatchboxNet's masks, scaled to a map
 * of 40 mel bins and ~100 frames (one second at a 10 ms hop).
 */
export const specAugmentSchema = z
  .object({
    /** Time masks per clip. */
    timeMasks: count.max(100).default(2),
    /** The widest time mask, in frames (each is drawn from 0..timeWidth). */
    timeWidth: count.default(12),
    /** Frequency masks per clip. */
    freqMasks: count.max(100).default(2),
    /** The widest frequency mask, in bins (or MFCC coefficients). */
    freqWidth: count.default(9),
  })
  .strict();
/** A parsed `data.augment.specAugment` object. */
export type SpecAugmentConfig = z.output<typeof specAugmentSchema>;

/**
 * `data.augment`: `shift` jitters images by whole pixels; `timeShift` (seconds, ±) and `noise`
 * (background noise at a random SNR) are for audio clips (see data/audio/augment.ts);
 * `specAugment` masks the features of a model with a `logmel`/`mfcc` front-end (models/spec-augment.ts).
 */
export const augmentSchema = z
  .object({
    shift: z.number().int().min(0).max(64).optional(),
    timeShift: z.number().min(0).max(10).optional(),
    noise: z
      .object({
        /** The chance that a clip gets noise mixed in. */
        probability: z.number().min(0).max(1).default(0.8),
        /** The signal-to-noise ratio in dB, drawn uniformly from [min, max]. */
        snr: z.tuple([z.number(), z.number()]).default([0, 20]),
      })
      .strict()
      .optional(),
    /** SpecAugment's masks on the front-end's features, in training only; `true` takes the defaults, `false` is off (no masks). */
    specAugment: z.preprocess((v) => (v === true ? {} : v === false ? { timeMasks: 0, freqMasks: 0 } : v), specAugmentSchema).optional(),
  })
  .strict();

const stat = z.union([z.number(), z.array(z.number()).min(1)]);

/** `data.normalize`: none, scale to [0, 1], standardize on the training split, or given stats. */
export const normalizeSchema = z.union([
  z.enum(['none', 'scale', 'standardize']),
  z.object({ standardize: z.enum(['global', 'channel', 'feature']) }).strict(),
  z.object({ mean: stat, std: stat }).strict(),
]);

/**
 * `data.text`: how a text source becomes token ids. `tokenizer` builds the student's
 * vocabulary from the training split (word-level or WordPiece), or names a tokenizer.json
 * (`{ path }`) whose padding token must be id 0. `encoding: auto` reads files that are not
 * UTF-8 as latin-1 (and says so), `strict` stops on them. `clean` strips e-mail headers
 * and/or HTML first (nothing by default: the raw text is kept).
 */
export const textConfigSchema = z
  .object({
    maxLength: z.number().int().min(1).max(8192).default(128),
    tokenizer: z.union([buildTokenizerSchema, z.object({ path: file }).strict()]).default({ kind: 'wordpiece', vocabSize: 8000, minFrequency: 2, lowercase: true }),
    encoding: z.enum(['auto', 'strict']).default('auto'),
    clean: z.array(z.enum(['headers', 'html'])).default([]),
  })
  .strict();
/** A parsed `data.text`. */
export type TextConfig = z.infer<typeof textConfigSchema>;

/**
 * The `data:` section of a config. Unknown keys are errors.
 *
 * @example
 * const cfg = dataConfigSchema.parse({ source: 'mnist', validation: 0.1, normalize: 'scale' });
 */
export const dataConfigSchema = z
  .object({
    source: dataSourceSchema,
    /** The first N training samples only (read from disk lazily where the format allows). */
    limit: z.number().int().positive().optional(),
    testLimit: z.number().int().positive().optional(),
    /** Fraction (0 < f < 1) or count (whole, >= 1) held out of the training part; 0 = none. */
    validation: z
      .number()
      .min(0)
      .refine((v) => v < 1 || Number.isInteger(v), { message: 'a count (>= 1) must be a whole number; a fraction must be < 1' })
      .default(0),
    /** Keep class proportions in the validation split. */
    stratify: z.boolean().default(true),
    normalize: normalizeSchema.default('none'),
    augment: augmentSchema.optional(),
    /** How texts become token ids (text sources only). */
    text: textConfigSchema.optional(),
  })
  .strict();

/** A parsed `data:` section (defaults filled in). */
export type DataConfig = z.infer<typeof dataConfigSchema>;
/** A `data:` section as written by a user (defaults optional). */
export type DataConfigInput = z.input<typeof dataConfigSchema>;
/** A parsed `data.source`. */
export type DataSource = z.infer<typeof dataSourceSchema>;
/** A parsed `data.normalize`. */
export type NormalizeConfig = z.infer<typeof normalizeSchema>;

/**
 * Validate a `data:` section, throwing CONFIG_INVALID that names the key path at fault
 * (`data.source.train: ...`).
 *
 * @example
 * const cfg = parseDataConfig(yaml.parse(text).data);
 */
export function parseDataConfig(value: unknown, prefix = 'data'): DataConfig {
  const r = dataConfigSchema.safeParse(value);
  if (r.success) return r.data;
  const flat = flatten(r.error.issues as readonly Issue[], [prefix]);
  const lines = flat.map((i) => `${i.path.join('.')}: ${i.message}`);
  return fail(lines, flat[0]?.path.join('.') ?? prefix);
}

interface Issue {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly errors?: readonly (readonly Issue[])[];
}

/**
 * zod reports a failed union as one vague "Invalid input" holding every branch's issues. Keep
 * the branch the user most likely meant: not one that failed on the value's type itself, and
 * of those the one with the fewest complaints.
 */
function flatten(issues: readonly Issue[], at: readonly string[]): { path: string[]; message: string }[] {
  return issues.flatMap((i) => {
    const path = [...at, ...i.path.map(String)];
    if (i.code !== 'invalid_union' || !i.errors || i.errors.length === 0) return [{ path, message: i.message }];
    const kinds = i.errors.filter((b) => !(b.length === 1 && b[0].path.length === 0 && (b[0].code === 'invalid_type' || b[0].code === 'invalid_value')));
    const pool = kinds.length > 0 ? kinds : i.errors;
    const best = pool.reduce((a, b) => (b.length < a.length ? b : a));
    return flatten(best, path);
  });
}

function fail(lines: string[], where: string): never {
  throw new DistilleryError('CONFIG_INVALID', lines.join('; '), 'see the data section of the docs for the accepted keys', where);
}

/**
 * The same `data:` section with every file path of its source made absolute against `baseDir`
 * (the config file's folder). A run writes this into its `config.json`, so a later step that
 * starts from the run folder alone (export's int8 calibration, the report's accuracy) finds the
 * data wherever it is run from.
 *
 * @example
 * absoluteDataPaths({ ...cfg, source: { type: 'csv', train: 'train.csv' } }, '/home/me/proj').source;
 * // { type: 'csv', train: '/home/me/proj/train.csv' }
 */
export function absoluteDataPaths(cfg: DataConfig, baseDir: string): DataConfig {
  const s = cfg.source;
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const text = cfg.text && 'path' in cfg.text.tokenizer ? { text: { ...cfg.text, tokenizer: { path: at(cfg.text.tokenizer.path) } } } : {};
  if (s === 'mnist' || s === 'spam') return s === 'spam' ? { ...cfg, ...text } : cfg;
  if (s.type === 'mnist') return cfg;
  if (s.type === 'spam') return { ...cfg, ...text };
  if (s.type === 'text' || s.type === 'text-folder') return { ...cfg, ...text, source: { ...s, train: at(s.train), ...(s.test !== undefined ? { test: at(s.test) } : {}) } };
  if (s.type === 'csv') return { ...cfg, source: { ...s, train: at(s.train), ...(s.test !== undefined ? { test: at(s.test) } : {}) } };
  if (s.type === 'idx') {
    const part = (p: { images: string; labels: string }) => ({ images: at(p.images), labels: at(p.labels) });
    return { ...cfg, source: { ...s, train: part(s.train), ...(s.test !== undefined ? { test: part(s.test) } : {}) } };
  }
  if (s.type === 'audio') {
    const opt = (k: 'folder' | 'manifest' | 'test' | 'noise') => (s[k] !== undefined ? { [k]: at(s[k]) } : {});
    return { ...cfg, source: { ...s, ...opt('folder'), ...opt('manifest'), ...opt('test'), ...opt('noise') } };
  }
  const part = (p: { x: string; y: string }) => ({ x: at(p.x), y: at(p.y) });
  return { ...cfg, source: { ...s, train: part(s.train), ...(s.test !== undefined ? { test: part(s.test) } : {}) } };
}
