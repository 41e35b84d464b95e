import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import type { Reporter } from '../core/events.ts';
import { silentReporter } from '../core/events.ts';
import { applyOverrides, readConfigFile, validateConfig } from '../config/index.ts';
import { absoluteDataPaths, dataConfigSchema, loadData } from '../data/index.ts';
import { buildModel, modelCost, modelSpecSchema } from '../models/index.ts';
import { fit, trainConfigSchema } from '../train/index.ts';
import { augmentOption, finishRun, MetricsLog, openOut, resolveOut, startEngine, withDataVocab } from './run.ts';
import type { TrainResult } from './run.ts';

export { resolveOut };
export type { TrainResult };

/** The whole config of `distillery train`: data, model, training settings. */
export const trainJobSchema = z
  .object({
    name: z.string().min(1).optional(),
    seed: z.number().int().nonnegative().default(1),
    backend: z.enum(['auto', 'native', 'wasm', 'cpu', 'node']).default('auto'),
    threads: z.number().int().positive().optional(),
    data: dataConfigSchema,
    model: modelSpecSchema,
    train: trainConfigSchema,
  })
  .strict();
export type TrainJobConfig = z.output<typeof trainJobSchema>;

/** Options of {@link train} beyond the config itself (the CLI flags). */
export interface TrainOptions {
  /** Output folder; default `runs/<name>-<time>`. */
  out?: string;
  /** Continue the interrupted run in `out` from its last checkpoint. */
  resume?: boolean;
  reporter?: Reporter;
  /** Folder that relative data paths are resolved against (the config file's folder). */
  baseDir?: string;
  /** Label for progress output, e.g. 'teacher'. */
  label?: string;
  /** `validation`: score the trained model on the validation split and leave the test split unread (a comparison reads it once, at its end). */
  scoreOn?: 'test' | 'validation';
}

/** Read, override and validate a train config file. */
export async function loadTrainConfig(file: string, sets: readonly string[] = [], extra: Record<string, unknown> = {}): Promise<{ config: TrainJobConfig; baseDir: string }> {
  const raw = await readConfigFile(file);
  const merged = applyOverrides({ ...raw.value, ...extra }, sets);
  return { config: validateConfig(trainJobSchema, merged, file), baseDir: dirname(resolve(file)) };
}

/**
 * Train one model from a validated config: load data, build the model, fit with checkpoints,
 * evaluate on the test set, save the model (TF.js layers format), the resolved config and
 * `metrics.jsonl` into the output folder.
 *
 * @example
 * const { config, baseDir } = await loadTrainConfig('examples/mnist-mlp.yaml');
 * const result = await train(config, { baseDir });
 * console.log(result.testAccuracy);
 */
export async function train(config: TrainJobConfig, opts: TrainOptions = {}): Promise<TrainResult> {
  const report = opts.reporter ?? silentReporter;
  const started = Date.now();
  const name = config.name ?? config.model.name ?? 'model';
  const out = resolveOut(name, opts.out, opts.resume ?? false);
  const engine = await startEngine(config);
  report({ event: 'start', command: 'train', name, out, engine });

  const data = await loadData(config.data, { baseDir: opts.baseDir ?? process.cwd(), seed: config.seed });
  for (const message of data.notes ?? []) report({ event: 'info', message });
  const numClasses = data.train.numClasses;
  const spec = withDataVocab(config.model, data);
  const model = buildModel(spec, { inputShape: [...data.train.shape], numClasses, seed: config.seed, ...(data.audio ? { sampleRate: data.audio.sampleRate } : {}) });
  const cost = modelCost(spec, [...data.train.shape], numClasses);
  // data paths made absolute: export and report find the data from the run folder alone
  openOut(out, { ...config, data: absoluteDataPaths(config.data, opts.baseDir ?? process.cwd()) });
  report({ event: 'info', message: `${name}: ${cost.params.toLocaleString('en-US')} params, ${cost.macs.toLocaleString('en-US')} MACs/sample, ${data.train.y.length} training samples` });

  const log = new MetricsLog(join(out, 'metrics.jsonl'), opts.resume ?? false);
  const fitResult = await fit(model, data.train, {
    ...config.train,
    seed: config.seed,
    ...(data.validation ? { validation: data.validation } : {}),
    checkpointDir: join(out, 'checkpoint'),
    resume: opts.resume ?? false,
    ...augmentOption(config.data, data, model),
    reporter: log.reporter(report, opts.label),
  });
  const result = await finishRun(model, { out, spec, data, cost, epochs: fitResult.epochsRun, evalBatchSize: config.train.evalBatchSize, started, engine, log, ...(opts.scoreOn ? { scoreOn: opts.scoreOn } : {}) });
  model.dispose();
  return result;
}
