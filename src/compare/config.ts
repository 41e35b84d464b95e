import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { applyOverrides, readConfigFile, validateConfig } from '../config/index.ts';
import { dataConfigSchema } from '../data/index.ts';
import { cacheConfigSchema, teacherConfigSchema } from '../distill/index.ts';
import { modelSpecSchema } from '../models/index.ts';
import { spaceSchema } from '../search/index.ts';
import { trainConfigSchema } from '../train/index.ts';

const int = z.number().int();

/** The four arms, in the order they run and are reported. */
export const ARMS = ['student', 'distilled', 'search', 'search-distilled'] as const;
/** One of {@link ARMS}. */
export type ArmName = (typeof ARMS)[number];

/**
 * The whole config of `distillery compare`: the data (with a validation split: every arm selects
 * on it), the teacher, the hand-designed student, a search space, objectives and hard limits,
 * the training settings every arm starts from, the distillation settings the distilled arms
 * choose among, the budget in training MACs per arm and seed, and the seeds.
 *
 * @example
 * compareConfigSchema.parse({ data: { source: 'mnist', validation: 0.1 }, teacher: { type: 'tfjs', path: 't' },
 *   student: { blocks: [{ type: 'flatten' }, { type: 'dense', units: 10 }] }, space: { template: { model: { blocks: [...] } } },
 *   objectives: [{ metric: 'accuracy', direction: 'max' }, { metric: 'macs', direction: 'min' }], budget: { studentEpochs: 20 } });
 */
export const compareConfigSchema = z
  .object({
    name: z.string().min(1).default('compare'),
    /** The first seed; the arms run seeds seed, seed + 1, … */
    seed: int.nonnegative().default(1),
    /** Seeds per arm: at least 3, so that a difference can be weighed against the seeds' spread. */
    seeds: int.min(3, 'give at least 3 seeds: a win is only called when it exceeds the spread across seeds').default(3),
    backend: z.enum(['auto', 'native', 'wasm', 'cpu', 'node']).default('auto'),
    threads: int.positive().optional(),
    data: dataConfigSchema,
    teacher: teacherConfigSchema,
    cache: cacheConfigSchema.optional(),
    /** The hand-designed student a user would otherwise pick. */
    student: modelSpecSchema,
    /** The architectures (and training settings) the search arms choose among. */
    space: spaceSchema,
    /** Settings every arm trains with (its epochs are set by the budget). */
    train: trainConfigSchema.prefault({}),
    /** The search arms' strategy. */
    strategy: z.object({ name: z.string().min(1).default('tpe'), options: z.record(z.string(), z.unknown()).default({}) }).strict().prefault({}),
    /** Accuracy (max) first, then the cost the limits bound (min): the fronts are drawn on these two. */
    objectives: z
      .array(z.object({ metric: z.string().min(1), direction: z.enum(['min', 'max']) }).strict())
      .length(2, 'give two objectives: { metric: accuracy, direction: max } and the cost, e.g. { metric: macs, direction: min }'),
    limits: z.array(z.string()).default([]),
    /** What the distilled arms choose among (a kd term at T with weight alpha, and 1 - alpha on the labels). */
    distill: z
      .object({
        temperature: z.array(z.number().positive()).min(1).default([2, 4]),
        alpha: z.array(z.number().min(0).max(1)).min(1).default([0.5, 0.9]),
      })
      .strict()
      .prefault({}),
    budget: z
      .object({
        /** The budget as the training MACs of this many epochs of the hand student (give this or `macs`). */
        studentEpochs: int.min(1).optional(),
        /** The budget in training MACs per arm and seed. */
        macs: z.number().positive().optional(),
        /** The teacher's forward MACs per sample, when its files do not tell (an ONNX teacher). */
        teacherMacs: z.number().positive().optional(),
        /** Share of the budget the distilled arm spends choosing T and alpha; the rest trains the chosen recipe. */
        tune: z.number().gt(0).lt(1).default(0.3),
        /** Share of the budget the search arms spend searching; the rest retrains the chosen candidate. */
        search: z.number().gt(0).lt(1).default(0.5),
        /** Epochs each search candidate trains (fewer when the search budget is nearly spent). */
        trialEpochs: int.min(1).default(2),
        /** A search stops after this many trained candidates even with budget left. */
        maxTrials: int.min(1).default(40),
      })
      .strict()
      .refine((b) => (b.studentEpochs === undefined) !== (b.macs === undefined), { message: 'give exactly one of budget.studentEpochs and budget.macs' }),
  })
  .strict();

/** A validated compare config (defaults filled in). */
export type CompareConfig = z.output<typeof compareConfigSchema>;

/**
 * Reads, overrides (`--set k=v`) and validates a compare config file. Relative paths in it
 * resolve against its folder, returned as `baseDir`.
 *
 * @example
 * const { config, baseDir } = await loadCompareConfig('examples/mnist-compare.yaml', ['seeds=3']);
 */
export async function loadCompareConfig(file: string, sets: readonly string[] = [], extra: Record<string, unknown> = {}): Promise<{ config: CompareConfig; baseDir: string }> {
  const raw = await readConfigFile(file);
  const merged = applyOverrides({ ...raw.value, ...extra }, sets);
  return { config: validateConfig(compareConfigSchema, merged, file), baseDir: dirname(resolve(file)) };
}
