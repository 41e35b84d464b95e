import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { DistilleryError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import type { Reporter } from '../core/events.ts';
import { silentReporter } from '../core/events.ts';
import { writeFileAtomic, writeJsonAtomic } from '../core/fs.ts';
import { applyOverrides, readConfigFile, validateConfig } from '../config/index.ts';
import { initEngine } from '../engine/index.ts';
import type { BackendName, EngineInfo } from '../engine/index.ts';
import { dataConfigSchema, loadData, shiftAugment } from '../data/index.ts';
import { buildModel, modelCost, modelSpecSchema, saveModel } from '../models/index.ts';
import { evaluate, fit, trainConfigSchema } from '../train/index.ts';

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
}

/** What a finished training run reports; also the `done` event's payload. */
export interface TrainResult {
  out: string;
  modelDir: string;
  testAccuracy: number;
  testErrors: number;
  testLoss: number;
  testSamples: number;
  evaluatedOn: 'test' | 'validation' | 'train';
  params: number;
  macs: number;
  bytes: { fp32: number; fp16: number; int8: number };
  epochs: number;
  seconds: number;
  engine: EngineInfo;
}

/** Read, override and validate a train config file. */
export async function loadTrainConfig(file: string, sets: readonly string[] = [], extra: Record<string, unknown> = {}): Promise<{ config: TrainJobConfig; baseDir: string }> {
  const raw = await readConfigFile(file);
  const merged = applyOverrides({ ...raw.value, ...extra }, sets);
  return { config: validateConfig(trainJobSchema, merged, file), baseDir: dirname(resolve(file)) };
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/**
 * Decide the output folder and refuse to overwrite a run: checked before any work, created only
 * once the inputs have loaded, so bad input leaves nothing behind.
 */
export function resolveOut(name: string, out: string | undefined, resume: boolean): string {
  if (resume && !out) {
    throw new DistilleryError('OUT_REQUIRED', '--resume needs the folder of the run to continue', 'pass --out DIR, the folder the interrupted run wrote to');
  }
  const dir = resolve(out ?? join('runs', `${name}-${timestamp()}`));
  if (resume) {
    if (!existsSync(join(dir, 'checkpoint'))) {
      throw new DistilleryError('RESUME_NO_CHECKPOINT', `${dir}: no checkpoint to resume from`, 'run without --resume to start afresh', dir);
    }
  } else if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new DistilleryError('OUT_EXISTS', `${dir}: the output folder is not empty`, 'pass --resume to continue that run, or another --out', dir);
  }
  return dir;
}

function readEpochLines(file: string): { event: string; epoch?: unknown }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { event: string; epoch?: unknown })
    .filter((l) => l.event === 'epoch');
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
  const engine = await initEngine({ backend: config.backend as BackendName, ...(config.threads ? { threads: config.threads } : {}) });
  report({ event: 'start', command: 'train', name, out, engine });

  const data = await loadData(config.data, { baseDir: opts.baseDir ?? process.cwd(), seed: config.seed });
  const numClasses = data.train.numClasses;
  const model = buildModel(config.model, { inputShape: [...data.train.shape], numClasses, seed: config.seed });
  const cost = modelCost(config.model, [...data.train.shape], numClasses);
  mkdirSync(out, { recursive: true });
  writeJsonAtomic(join(out, 'config.json'), config);
  report({ event: 'info', message: `${name}: ${cost.params.toLocaleString('en-US')} params, ${cost.macs.toLocaleString('en-US')} MACs/sample, ${data.train.y.length} training samples` });

  const shift = config.data.augment?.shift ?? 0;
  const metricsFile = join(out, 'metrics.jsonl');
  // on resume, keep the epochs already recorded; the resumed ones replace any beyond the checkpoint
  const history: { event: string; epoch?: unknown; [k: string]: unknown }[] = opts.resume ? readEpochLines(metricsFile) : [];
  const fitResult = await fit(model, data.train, {
    ...config.train,
    seed: config.seed,
    ...(data.validation ? { validation: data.validation } : {}),
    checkpointDir: join(out, 'checkpoint'),
    resume: opts.resume ?? false,
    ...(shift > 0 ? { augment: (b: Parameters<typeof shiftAugment>[0], rng: Rng) => shiftAugment(b, data.train.shape, shift, rng) } : {}),
    reporter: (e) => {
      if (e.event === 'epoch') {
        while (history.length > 0 && Number(history[history.length - 1].epoch) >= e.epoch) history.pop();
        history.push(e);
        writeFileAtomic(metricsFile, history.map((h) => JSON.stringify(h)).join('\n') + '\n');
      }
      report(opts.label ? { ...e, label: opts.label } : e);
    },
  });

  const evalSet = data.test ?? data.validation ?? data.train;
  const evaluatedOn = data.test ? 'test' : data.validation ? 'validation' : 'train';
  const scores = evaluate(model, evalSet, { batchSize: config.train.evalBatchSize });
  const modelDir = join(out, 'model');
  await saveModel(model, modelDir, {
    distillery: { spec: config.model, normalization: data.normalization, inputShape: data.train.shape, numClasses, classNames: data.train.classNames, dataFingerprint: data.fingerprint },
  });
  const result: TrainResult = {
    out,
    modelDir,
    testAccuracy: scores.accuracy,
    testErrors: scores.errors,
    testLoss: scores.loss,
    testSamples: scores.n,
    evaluatedOn,
    params: cost.params,
    macs: cost.macs,
    bytes: cost.bytes,
    epochs: fitResult.epochsRun,
    seconds: (Date.now() - started) / 1000,
    engine,
  };
  history.push({ event: 'test', ...scores, evaluatedOn });
  writeFileAtomic(metricsFile, history.map((h) => JSON.stringify(h)).join('\n') + '\n');
  model.dispose();
  return result;
}
