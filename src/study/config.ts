import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { applyOverrides, readConfigFile, validateConfig } from '../config/index.ts';
import { dataConfigSchema } from '../data/index.ts';
import { cacheConfigSchema, lossConfigSchema, teacherConfigSchema } from '../distill/index.ts';
import { spaceSchema } from '../search/index.ts';
import { trainConfigSchema } from '../train/index.ts';
import { LATENCY_RUNTIMES, QUANTIZE_PRECISIONS } from '../evaluate/index.ts';

const int = z.number().int();

/**
 * `budget.pruner`: stop unpromising trials between epochs. `median` (Optuna's default rule),
 * `halving` (asynchronous successive halving) or `hyperband`; with several objectives the
 * halving pruners rank by non-dominated sorting and crowding.
 *
 * @example
 * prunerConfigSchema.parse({ type: 'halving', minResource: 1, eta: 3 });
 */
export const prunerConfigSchema = z
  .object({
    type: z.enum(['none', 'median', 'halving', 'hyperband']),
    startupTrials: int.min(0).optional(),
    warmupSteps: int.min(0).optional(),
    minResource: int.min(1).optional(),
    eta: int.min(2).optional(),
  })
  .strict();

/**
 * The whole config of `distillery search`: the data and space, how candidates train (`train`
 * defaults; `teacher` + `loss` to distil them), the strategy, objectives, limits, budget,
 * latency runtime, optional zero-cost pre-ranking, or a table to read objectives from instead
 * of training. Unknown keys are errors with their path.
 *
 * @example
 * studyConfigSchema.parse({ data: { source: 'mnist', validation: 0.1 }, space: { template: { model: { blocks: [...] } } },
 *   objectives: [{ metric: 'accuracy', direction: 'max' }, { metric: 'macs', direction: 'min' }], limits: ['macs<=2e6'] });
 */
export const studyConfigSchema = z
  .object({
    name: z.string().min(1).default('study'),
    seed: int.nonnegative().default(1),
    backend: z.enum(['auto', 'native', 'wasm', 'cpu', 'node']).default('auto'),
    threads: int.positive().optional(),
    data: dataConfigSchema.optional(),
    space: spaceSchema,
    teacher: teacherConfigSchema.optional(),
    loss: lossConfigSchema.optional(),
    cache: cacheConfigSchema.optional(),
    train: trainConfigSchema.prefault({}),
    strategy: z.object({ name: z.string().min(1).default('tpe'), options: z.record(z.string(), z.unknown()).default({}) }).strict().prefault({}),
    objectives: z.array(z.object({ metric: z.string().min(1), direction: z.enum(['min', 'max']) }).strict()).min(1, 'give at least one objective, e.g. { metric: accuracy, direction: max }'),
    limits: z.array(z.string()).default([]),
    budget: z
      .object({
        /** Trials that train (complete, pruned or failed); infeasible ones cost nothing and do not count. */
        trials: int.min(1).default(10),
        /** Most epochs a trial trains (default train.epochs; a space's train.epochs is capped by it). */
        epochs: int.min(1).optional(),
        /** Stop asking for new trials after this many seconds (per run). */
        seconds: z.number().positive().optional(),
        pruner: prunerConfigSchema.optional(),
      })
      .strict()
      .prefault({}),
    latency: z
      .object({ runtime: z.enum(LATENCY_RUNTIMES), threads: int.positive().optional(), runs: int.min(1).default(20), warmup: int.min(0).default(3) })
      .strict()
      .optional(),
    /**
     * Export each trained candidate quantized too (`int8`: QDQ, calibrated on training samples;
     * `fp16`): its ONNX sizes go into the trial's values, and on `latency.runtime: onnx`,
     * `latencyMs` times the quantized export (the fp32 figure is kept as `latencyMsFp32`). Rank by
     * the quantized size with the `bytesInt8` / `bytesFp16` metrics.
     */
    quantize: z.enum(QUANTIZE_PRECISIONS).optional(),
    /**
     * A device's latency table (`distillery profile-device --runtime R --space SPACE --out FILE`):
     * `predictedLatencyMs` becomes a metric known from the spec alone, so a limit on it rejects a
     * candidate before any training, and an objective on it needs no timing runs.
     */
    predictor: z.object({ table: z.string().min(1) }).strict().optional(),
    /** Zero-cost pre-ranking: draw `sample` candidates, train only the best `keep` by the proxy. */
    preRank: z.object({ proxy: z.enum(['naswot', 'synflow']), sample: int.min(2), keep: int.min(1) }).strict().optional(),
    /** A tabular benchmark to read objectives from (objectives then name its columns). */
    table: z.object({ file: z.string().min(1).optional(), keys: z.record(z.string(), z.string()).optional() }).strict().optional(),
    /** Folder for the trials' saved models (default: `<store>.artifacts` beside the store). */
    artifacts: z.string().min(1).optional(),
  })
  .strict();

/** A validated study config (defaults filled in). */
export type StudyConfig = z.output<typeof studyConfigSchema>;

/**
 * Reads, overrides (`--set k=v`) and validates a study config file. Relative paths in it
 * (data, teacher, table) resolve against its folder, returned as `baseDir`.
 *
 * @example
 * const { config, baseDir } = await loadStudyConfig('examples/mnist-search.yaml', ['budget.trials=4']);
 */
export async function loadStudyConfig(file: string, sets: readonly string[] = [], extra: Record<string, unknown> = {}): Promise<{ config: StudyConfig; baseDir: string }> {
  const raw = await readConfigFile(file);
  const merged = applyOverrides({ ...raw.value, ...extra }, sets);
  return { config: validateConfig(studyConfigSchema, merged, file), baseDir: dirname(resolve(file)) };
}
