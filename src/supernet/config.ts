import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { applyOverrides, readConfigFile, validateConfig } from '../config/index.ts';
import { dataConfigSchema } from '../data/index.ts';
import { cacheConfigSchema, lossConfigSchema, teacherConfigSchema } from '../distill/index.ts';
import { trainConfigSchema } from '../train/index.ts';
import { LATENCY_RUNTIMES } from '../evaluate/index.ts';
import { elasticSpaceSchema } from './space.ts';

const int = z.number().int();

/**
 * The `search:` section of a supernet config: what `supernet search` does when its flags do not
 * say otherwise. Objectives default to accuracy (max) and, by the latency source, `latencyMs`,
 * `predictedLatencyMs` or `macs` (min).
 */
export const supernetSearchSchema = z.strictObject({
  strategy: z.strictObject({ name: z.string().min(1).default('evolution'), options: z.record(z.string(), z.unknown()).default({}) }).prefault({}),
  objectives: z.array(z.strictObject({ metric: z.string().min(1), direction: z.enum(['min', 'max']) })).min(1).optional(),
  limits: z.array(z.string()).default([]),
  /** Subnets scored (each recalibrated and validated; infeasible ones are free and not counted). */
  trials: int.min(1).default(30),
  latency: z.strictObject({ runtime: z.enum(LATENCY_RUNTIMES), threads: int.positive().optional(), runs: int.min(1).default(20), warmup: int.min(0).default(3) }).optional(),
  predictor: z.strictObject({ table: z.string().min(1) }).optional(),
});

/**
 * The config of `distillery supernet train` (and the defaults of `supernet search`): the data
 * (with a validation split, on which subnets are scored), the elastic space under `supernet`,
 * how the sandwich rule trains it, and optionally an external teacher for the largest subnet.
 * Unknown keys are errors with their path.
 *
 * @example
 * supernetConfigSchema.parse({ data: { source: 'mnist', limit: 2000, validation: 500 }, supernet: { stem: { filters: 8 }, stages: [...] } });
 */
export const supernetConfigSchema = z.strictObject({
  name: z.string().min(1).default('supernet'),
  seed: int.nonnegative().default(1),
  backend: z.enum(['auto', 'native', 'wasm', 'cpu', 'node']).default('auto'),
  threads: int.positive().optional(),
  data: dataConfigSchema,
  supernet: elasticSpaceSchema,
  /** Trains the largest subnet on its soft targets (with `loss`, default kd 0.9 + ce 0.1) instead of the labels alone. */
  teacher: teacherConfigSchema.optional(),
  loss: lossConfigSchema.optional(),
  cache: cacheConfigSchema.optional(),
  train: trainConfigSchema.prefault({}),
  sandwich: z
    .strictObject({
      /** Random subnets per step, besides the largest and the smallest (BigNAS: 2). */
      random: int.min(0).default(2),
      /** Temperature of the in-place distillation (KL to the largest subnet's softmax; BigNAS uses 1). */
      temperature: z.number().positive().default(1),
    })
    .prefault({}),
  /** Training samples each subnet's batch norm is recalibrated on before it is scored. */
  calibration: z.strictObject({ samples: int.min(1).default(500) }).prefault({}),
  search: supernetSearchSchema.prefault({}),
});

/** A validated supernet config. */
export type SupernetConfig = z.output<typeof supernetConfigSchema>;

/**
 * Reads, overrides (`--set k=v`) and validates a supernet config file; relative paths in it
 * resolve against its folder (`baseDir`).
 *
 * @example
 * const { config, baseDir } = await loadSupernetConfig('examples/mnist-supernet.yaml', ['train.epochs=1']);
 */
export async function loadSupernetConfig(file: string, sets: readonly string[] = [], extra: Record<string, unknown> = {}): Promise<{ config: SupernetConfig; baseDir: string }> {
  const raw = await readConfigFile(file);
  const merged = applyOverrides({ ...raw.value, ...extra }, sets);
  return { config: validateConfig(supernetConfigSchema, merged, file), baseDir: dirname(resolve(file)) };
}
