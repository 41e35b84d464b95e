import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';
import type { DistilleryEvent, Reporter } from '../core/events.ts';
import { writeFileAtomic, writeJsonAtomic } from '../core/fs.ts';
import { initEngine } from '../engine/index.ts';
import type { BackendName, EngineInfo } from '../engine/index.ts';
import type { Batch, DataConfig, LoadedData } from '../data/index.ts';
import { saveModel, specAugmentStep } from '../models/index.ts';
import type { ModelCost, ModelSpec } from '../models/index.ts';
import { saveModelInputs } from '../data/text/artifacts.ts';
import { TextTokenizer } from '../tokenizers/index.ts';
import { evaluate } from '../train/index.ts';

// The pieces every job that trains a model shares (train, distill): the output folder, the
// engine, metrics.jsonl, evaluation on the held-out set and saving the model.

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

/**
 * The model spec with the data's vocabulary size written in where the spec leaves it out (a
 * text model's `input: { kind: tokens, length }`, or a first `embedding` block without
 * `vocabSize`): the size of the tokenizer built from (or read for) the training texts. So a
 * config need not know the vocabulary the data builds, and the spec saved with the model is
 * complete. Non-text data, or a spec that gives the size, comes back unchanged.
 *
 * @example
 * const spec = withDataVocab(config.model, data); // input: { kind: 'tokens', length: 128, vocabSize: 7993 }
 */
export function withDataVocab(spec: ModelSpec, data: LoadedData): ModelSpec {
  const text = data.train.text;
  if (!text) return spec;
  const first = spec.blocks[0];
  const input = spec.input;
  if (input !== undefined && !Array.isArray(input)) {
    if (input.vocabSize !== undefined || (first?.type === 'embedding' && first.vocabSize !== undefined)) return spec;
    return { ...spec, input: { ...input, vocabSize: new TextTokenizer(text.tokenizer).vocabSize } };
  }
  if (first?.type !== 'embedding' || first.vocabSize !== undefined) return spec;
  return { ...spec, blocks: [{ ...first, vocabSize: new TextTokenizer(text.tokenizer).vocabSize }, ...spec.blocks.slice(1)] };
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/**
 * Decide the output folder and refuse to overwrite a run: checked before any work, created only
 * once the inputs have loaded, so bad input leaves nothing behind.
 *
 * @example
 * const out = resolveOut('mnist-mlp', undefined, false); // runs/mnist-mlp-20260101-120000
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

/**
 * Start the engine a job config asks for.
 *
 * @example
 * const engine = await startEngine({ backend: 'wasm', threads: 2 });
 */
export function startEngine(config: { backend: string; threads?: number | undefined }): Promise<EngineInfo> {
  return initEngine({ backend: config.backend as BackendName, ...(config.threads ? { threads: config.threads } : {}) });
}

/**
 * The `augment` hook of `fit` for a `data.augment` section (±shift pixels for images; time
 * shift and background noise for audio: the one {@link loadData} built), or none. With
 * `specAugment` it also arms `model`'s front-end with the masks (training calls only), each
 * step's masks seeded by one draw from the epoch's augmentation stream, so a resumed run masks
 * as an unbroken one. Pass the model being trained (never a teacher: it sees unmasked features).
 *
 * @example
 * await fit(model, data.train, { ...opts, ...augmentOption(config.data, data, model) });
 */
export function augmentOption(dataConfig: DataConfig, data: LoadedData, model?: LayersModel): { augment?: (b: Batch, rng: Rng) => void } {
  const aug = data.augment;
  const mask = model ? specAugmentStep(model, dataConfig.augment?.specAugment, data.train.shape[0] ?? 0) : undefined;
  if (!aug && !mask) return {};
  return {
    augment: (b, rng) => {
      if (aug) aug(b, data.train.shape, rng);
      if (mask) mask(rng);
    },
  };
}

/**
 * Create the output folder and write the resolved config into it: the moment a job commits to
 * its output, after every input has loaded.
 *
 * @example
 * openOut(out, config);
 */
export function openOut(out: string, config: unknown): void {
  mkdirSync(out, { recursive: true });
  writeJsonAtomic(join(out, 'config.json'), config);
}

type Line = { event: string; epoch?: unknown; [k: string]: unknown };

function readEpochLines(file: string): Line[] {
  if (!existsSync(file)) return [];
  const lines: Line[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((text, i) => {
    if (text.trim() === '') return;
    let line: unknown;
    let why = 'not a JSON object';
    try {
      line = JSON.parse(text);
    } catch (e) {
      why = `not valid JSON: ${(e as Error).message}`;
    }
    if (typeof line !== 'object' || line === null || Array.isArray(line)) {
      throw new DistilleryError(
        'TRAIN_METRICS_CORRUPT',
        `${file}: line ${i + 1} is ${why} (${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)})`,
        'the run\'s metrics log is damaged (the checkpoint, which holds the training state, is not): delete that line and --resume again, or start afresh without --resume',
        file,
      );
    }
    if ((line as Line).event === 'epoch') lines.push(line as Line);
  });
  return lines;
}

/**
 * `metrics.jsonl` of a run: one line per epoch, rewritten atomically after each, then the test
 * scores. On resume the epochs already recorded are kept; resumed epochs replace any recorded
 * beyond the checkpoint.
 *
 * @example
 * const log = new MetricsLog(join(out, 'metrics.jsonl'), resume);
 * await fit(model, train, { ...opts, reporter: log.reporter(report, 'student') });
 * log.append({ event: 'test', ...scores });
 */
export class MetricsLog {
  private readonly lines: Line[];

  constructor(
    readonly file: string,
    resume: boolean,
  ) {
    this.lines = resume ? readEpochLines(file) : [];
  }

  /** A reporter for `fit` that records epochs and passes every event on (labelled, when `label` is set). */
  reporter(report: Reporter, label?: string): Reporter {
    return (e: DistilleryEvent) => {
      if (e.event === 'epoch') {
        while (this.lines.length > 0 && Number(this.lines[this.lines.length - 1]!.epoch) >= e.epoch) this.lines.pop();
        this.lines.push(e);
        this.write();
      }
      report(label ? { ...e, label } : e);
    };
  }

  /** Add a line (e.g. the test scores) and rewrite the file. */
  append(line: Line): void {
    this.lines.push(line);
    this.write();
  }

  private write(): void {
    writeFileAtomic(this.file, this.lines.map((h) => JSON.stringify(h)).join('\n') + '\n');
  }
}

/**
 * The part of a data set a run is scored on: test, else validation, else train. With `scoreOn:
 * 'validation'` the test split is left alone (a job inside a comparison, which reads it once at
 * the end): validation, else train.
 */
export function evalSetOf(data: LoadedData, scoreOn: 'test' | 'validation' = 'test'): { set: LoadedData['train']; evaluatedOn: TrainResult['evaluatedOn'] } {
  if (data.test && scoreOn === 'test') return { set: data.test, evaluatedOn: 'test' };
  if (data.validation) return { set: data.validation, evaluatedOn: 'validation' };
  return { set: data.train, evaluatedOn: 'train' };
}

/** What {@link finishRun} needs besides the model. */
export interface FinishOptions {
  out: string;
  spec: ModelSpec;
  data: LoadedData;
  cost: ModelCost;
  epochs: number;
  evalBatchSize: number;
  started: number;
  engine: EngineInfo;
  log: MetricsLog;
  /** Extra keys for the saved model's `distillery` metadata (e.g. the teacher it learnt from). */
  metadata?: Record<string, unknown>;
  /** `validation`: score on the validation split and never read the test split (see {@link evalSetOf}). */
  scoreOn?: 'test' | 'validation';
}

/**
 * Score a trained model on the held-out set, save it (TF.js layers format, with the spec,
 * normalisation and data fingerprint in its metadata) into `out/model`, and log the scores.
 *
 * @example
 * const result = await finishRun(model, { out, spec: config.model, data, cost, epochs: fitResult.epochsRun, evalBatchSize: 1000, started, engine, log });
 */
export async function finishRun(model: LayersModel, o: FinishOptions): Promise<TrainResult> {
  const { set, evaluatedOn } = evalSetOf(o.data, o.scoreOn);
  const scores = evaluate(model, set, { batchSize: o.evalBatchSize });
  const modelDir = join(o.out, 'model');
  const train = o.data.train;
  await saveModel(model, modelDir, {
    distillery: { spec: o.spec, normalization: o.data.normalization, inputShape: train.shape, numClasses: train.numClasses, classNames: train.classNames, dataFingerprint: o.data.fingerprint, ...o.metadata },
  });
  saveModelInputs(modelDir, train);
  o.log.append({ event: 'test', ...scores, evaluatedOn });
  return {
    out: o.out,
    modelDir,
    testAccuracy: scores.accuracy,
    testErrors: scores.errors,
    testLoss: scores.loss,
    testSamples: scores.n,
    evaluatedOn,
    params: o.cost.params,
    macs: o.cost.macs,
    bytes: o.cost.bytes,
    epochs: o.epochs,
    seconds: (Date.now() - o.started) / 1000,
    engine: o.engine,
  };
}
