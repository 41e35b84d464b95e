import { join } from 'node:path';
import { rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { DistilleryError, isDistilleryError } from '../core/errors.ts';
import type { Reporter } from '../core/events.ts';
import { silentReporter } from '../core/events.ts';
import { loadData, textAtLength } from '../data/index.ts';
import type { DataConfig, Dataset, LoadedData } from '../data/index.ts';
import { buildModel, resolveSpec, saveModel, specAugmentStep, specInputShape } from '../models/index.ts';
import { fit } from '../train/index.ts';
import type { FitOptions, StepBatch, TrainConfig } from '../train/index.ts';
import { cachedTeacherLogits, createLoss, distillHooks, transformerLayersOf, distillLossTerms, loadTeacher, teacherCost, teacherRunsOnline, trainingLogits } from '../distill/index.ts';
import type { CacheConfig, Teacher, TeacherConfig } from '../distill/index.ts';
import { checkSpecLimits, materialize, violation } from '../search/index.ts';
import type { Limit, MetricName, SearchSpace } from '../search/index.ts';
import type { Candidate, Direction } from '../search/types.ts';
import { exportCandidate, measureLatency } from './latency.ts';
// The predictor is pure (a table applied to a spec); it lives with the deploy stage that profiles devices.
import { predictLatency } from '../models/latency/index.ts';
import type { LatencyTable } from '../models/latency/index.ts';
import type { LatencyOptions, QUANTIZE_PRECISIONS } from './latency.ts';

type QuantizePrecision = (typeof QUANTIZE_PRECISIONS)[number];
import { applyTrainSettings } from './settings.ts';
import type { LossTermConfig } from './settings.ts';
import { saveModelInputs } from '../data/text/artifacts.ts';
import { TextTokenizer } from '../tokenizers/index.ts';
import type { EvalOutcome, EvalRequest, Evaluator } from './types.ts';

/** What a {@link ModelEvaluator} trains with: the validated sections of a study config. */
export interface ModelEvaluatorConfig {
  space: SearchSpace;
  data: DataConfig;
  train: TrainConfig;
  seed: number;
  objectives: readonly { metric: MetricName; direction: Direction }[];
  limits: readonly Limit[];
  /** Distil from this teacher (with `loss`, default kd + ce) instead of training on labels alone. */
  teacher?: TeacherConfig | undefined;
  loss?: readonly LossTermConfig[] | undefined;
  cache?: CacheConfig | undefined;
  /** Needed when latencyMs is an objective or a limit. */
  latency?: LatencyOptions | undefined;
  /**
   * Also export each trained candidate in this precision (int8 calibrated on the first training
   * samples): its ONNX file sizes are recorded (`onnxBytesFp32`, `onnxBytesInt8`/`onnxBytesFp16`)
   * and, on the onnx runtime, `latencyMs` times the quantized export (`latencyMsFp32` the fp32 one).
   */
  quantize?: QuantizePrecision | undefined;
  /**
   * A device's latency table (`distillery profile-device`): each candidate's `predictedLatencyMs`
   * comes from its spec, before any training, so a limit on it costs an infeasible candidate nothing.
   */
  latencyTable?: LatencyTable | undefined;
}

/** Training samples that calibrate a candidate's int8 export: enough for stable ranges, few enough to be quick. */
export const CALIBRATION_SAMPLES = 512;

/** Options of {@link createModelEvaluator}. */
export interface ModelEvaluatorOptions {
  /** Relative data, teacher and cache paths start here (the config file's folder). */
  baseDir?: string;
  reporter?: Reporter;
  /** Use this teacher instead of loading `config.teacher` (the caller keeps and disposes it). */
  teacher?: Teacher;
}

class Pruned extends Error {}

/**
 * Loads the data (and the teacher and its logits over the training set, once for the whole
 * study) and returns an evaluator that trains or distils candidates. Validation accuracy is the
 * `accuracy` metric; a study needs a validation split (`CONFIG_INVALID` without one: candidates
 * are never selected on the test set).
 *
 * @example
 * const ev = await createModelEvaluator({ space, data, train, seed: 1, objectives: [{ metric: 'accuracy', direction: 'max' }], limits: parseLimits(['macs<=2e6']) });
 * const out = await ev.evaluate({ trialId: 1, candidate: space.sample(rng), epochs: 1, artifactDir: 'runs/s/trial-0' });
 */
export async function createModelEvaluator(config: ModelEvaluatorConfig, opts: ModelEvaluatorOptions = {}): Promise<ModelEvaluator> {
  const baseDir = opts.baseDir ?? process.cwd();
  const report = opts.reporter ?? silentReporter;
  const timed = config.limits.some((l) => l.metric === 'latencyMs') || config.objectives.some((o) => o.metric === 'latencyMs');
  if (config.quantize && timed && config.latency && config.latency.runtime !== 'onnx') {
    throw new DistilleryError('CONFIG_INVALID', `quantize: ${config.quantize} latency is measured on the quantized ONNX export, but latency.runtime is ${config.latency.runtime}`, 'set latency.runtime: onnx (TF.js dequantizes weights when it loads them, so its latency is the fp32 one)', 'quantize');
  }
  if (!config.latencyTable && (config.limits.some((l) => l.metric === 'predictedLatencyMs') || config.objectives.some((o) => o.metric === 'predictedLatencyMs'))) {
    throw new DistilleryError('SEARCH_PREDICTOR', 'predictor: predictedLatencyMs is an objective or a limit but no latency table is named', 'add predictor: { table: table.json } (write the table with `distillery profile-device --runtime R --space SPACE --out table.json`)', 'predictor');
  }
  const data = await loadData(config.data, { baseDir, seed: config.seed });
  // Selection never touches the test set (as Optuna and NNI users expect): ranking candidates on
  // data.test and then reporting their test accuracy would publish a number the search tuned.
  const held = data.validation;
  if (!held) {
    throw new DistilleryError(
      'CONFIG_INVALID',
      `data.validation: a search ranks candidates on a validation split, and this config holds none${data.test ? ' (the test set is kept for the final, unbiased score, never for selection)' : ''}`,
      'set data.validation (a fraction such as 0.1, or a count such as 5000) to hold that much out of the training data',
      'data.validation',
    );
  }
  if (config.limits.some((l) => l.metric === 'latencyMs') || config.objectives.some((o) => o.metric === 'latencyMs')) {
    if (!config.latency) throw new DistilleryError('SEARCH_LATENCY', 'latency: latencyMs is an objective or a limit but no runtime is named', 'add latency: { runtime: tfjs-wasm } (or onnx)', 'latency');
  }
  let teacher: Teacher | undefined;
  let logits: Float32Array | undefined;
  if (config.teacher) {
    const numClasses = data.train.numClasses;
    teacher = opts.teacher ?? (await loadTeacher(config.teacher, { baseDir, dataShape: data.train.shape, numClasses, classNames: data.train.classNames, normalization: data.normalization, train: data.train, ...(data.train.text ? { text: { maxLength: data.train.text.maxLength } } : {}) }));
    const probe = createLoss([...distillLossTerms(config.loss)], 'loss', { seed: config.seed });
    const online = teacherRunsOnline(probe, data.augment !== undefined);
    probe.dispose();
    if (!online) {
      report({ event: 'info', message: `teacher ${teacher.name}: logits over ${data.train.y.length} training samples (once for the study)` });
      const r = await trainingLogits(teacher, data.train, { fingerprint: data.fingerprint, normalization: data.normalization, cache: config.cache, baseDir });
      logits = r.logits;
    }
  }
  return new ModelEvaluator(config, data, held, teacher, opts.teacher === undefined, logits, baseDir);
}

/** Trains (or distils) one candidate at a time; see {@link createModelEvaluator}. */
export class ModelEvaluator implements Evaluator {
  readonly objectives: readonly string[];

  constructor(
    private readonly config: ModelEvaluatorConfig,
    readonly data: LoadedData,
    private readonly held: Dataset,
    private readonly teacher: Teacher | undefined,
    private readonly ownsTeacher: boolean,
    private readonly teacherLogits: Float32Array | undefined,
    private readonly baseDir: string = process.cwd(),
  ) {
    this.objectives = config.objectives.map((o) => o.metric);
  }

  check(c: Candidate): { violation: number; metrics: Record<string, number>; reason?: string; spec?: unknown; shape?: readonly number[] } {
    const text = this.data.train.text;
    const numClasses = this.data.train.numClasses;
    let m;
    try {
      // a text model's own input length may be shorter than the data's (data.text.maxLength): the
      // length is then a searched choice, and the data is cut to it (textAtLength)
      m = materialize(this.config.space, c, text ? { numClasses, vocabSize: this.vocabSize() } : { inputShape: this.data.train.shape, numClasses });
    } catch (e) {
      if (isDistilleryError(e) && e.code === 'SEARCH_INVALID_CANDIDATE') return { violation: Infinity, metrics: {}, reason: `${e.code}: ${e.message}` };
      throw e;
    }
    if (!m.model) throw new DistilleryError('SEARCH_NO_MODEL', 'space.template.model: the space has no model template, so there is nothing to train', 'add space.template.model, or evaluate from a table (--table)', 'space.template.model');
    const shape = (text ? specInputShape(m.model) : undefined) ?? this.data.train.shape;
    if (text && shape[0]! > text.maxLength) {
      return { violation: Infinity, metrics: {}, reason: `model.input.length ${shape[0]} is above data.text.maxLength ${text.maxLength} (the data is tokenized once, at data.text.maxLength, and cut to each candidate's length; raise it to the space's largest length)` };
    }
    const table = this.config.latencyTable;
    // predicted with the dense head that the builder appends from numClasses: the model that runs
    const r = checkSpecLimits(m.model, this.config.limits, shape, numClasses, table ? (spec) => predictLatency(resolveSpec({ ...spec, input: [...shape] }, { numClasses }), table).ms : undefined);
    const spec = { model: m.model, train: m.train };
    if (r.ok) return { violation: 0, metrics: r.metrics, spec, shape };
    const reason = r.failed.map((l) => `${l.metric} ${fmt(r.metrics[l.metric as keyof typeof r.metrics])} breaks ${l.metric}${l.op}${fmt(l.value)}`).join('; ');
    return { violation: r.violation, metrics: r.metrics, reason, spec };
  }

  private vocab: number | undefined;
  /** The data tokenizer's vocabulary size (text data), which fills a template's token input that leaves it out. */
  private vocabSize(): number {
    this.vocab ??= new TextTokenizer(this.data.train.text!.tokenizer).vocabSize;
    return this.vocab;
  }

  async evaluate(req: EvalRequest): Promise<EvalOutcome> {
    const pre = this.check(req.candidate);
    const values: Record<string, number> = { ...pre.metrics };
    if (pre.violation > 0) return { state: 'infeasible', reason: pre.reason ?? 'breaks a limit', constraintViolation: pre.violation, values, artifacts: {}, ...(pre.spec ? { spec: pre.spec } : {}) };
    const spec = pre.spec as { model: NonNullable<ReturnType<typeof materialize>['model']>; train: Record<string, unknown> };
    const started = performance.now();
    let model: LayersModel | undefined;
    let loss: ReturnType<typeof createLoss> | undefined;
    const known = (): number[] => this.config.objectives.map((o) => values[o.metric] ?? NaN);
    try {
      const settings = applyTrainSettings(this.config.train, this.teacher ? [...distillLossTerms(this.config.loss)] : undefined, spec.train);
      const ownEpochs = spec.train['epochs'] !== undefined;
      const epochs = Math.max(1, ownEpochs ? Math.min(settings.train.epochs, req.epochs ?? Infinity) : (req.epochs ?? settings.train.epochs));
      const seed = req.seed ?? req.trialId;
      // a text candidate shorter than the data reads the data cut to its length
      const length = this.data.train.text ? pre.shape?.[0] : undefined;
      const train = length !== undefined ? textAtLength(this.data.train, length) : this.data.train;
      const held = length !== undefined ? textAtLength(this.held, length) : this.held;
      model = buildModel(spec.model, { inputShape: [...train.shape], numClasses: train.numClasses, seed, ...(this.data.audio ? { sampleRate: this.data.audio.sampleRate } : {}) });
      const fitOpts: FitOptions = { ...settings.train, epochs, seed, validation: held };
      // The augmentation loadData built (pixel shifts for images, time shift and noise for
      // audio), then SpecAugment's masks on this candidate's front-end.
      const aug = this.data.augment;
      const mask = specAugmentStep(model, this.config.data.augment?.specAugment, train.shape[0] ?? 0);
      if (aug || mask) {
        fitOpts.augment = (b, rng) => {
          if (aug) aug(b, train.shape, rng);
          if (mask) mask(rng);
        };
      }
      let release = () => {};
      if (this.teacher && settings.loss) {
        loss = createLoss(settings.loss, 'loss', { seed, layers: transformerLayersOf(model, this.teacher) });
        const hooks = await distillHooks({ loss, student: model, teacher: this.teacher, cachedLogits: this.teacherLogits, numClasses: train.numClasses, dataShape: train.shape }, train);
        Object.assign(fitOpts, hooks.fit);
        release = () => hooks.dispose();
      }
      // Pruning is decided between epochs: the epoch event is recorded as it comes, and the next
      // step's (awaited) beforeStep hook consults the study, which may stop the trial there.
      const pending: { step: number; metrics: Record<string, number> }[] = [];
      let lastReported = -1;
      const flush = async () => {
        while (pending.length > 0) {
          const p = pending.shift()!;
          if (p.metrics['valAccuracy'] !== undefined) values['accuracy'] = p.metrics['valAccuracy'];
          lastReported = p.step;
          if (req.onEpoch && (await req.onEpoch(p.step, known(), p.metrics))) throw new Pruned(`pruned after epoch ${p.step + 1} of ${epochs}`);
        }
      };
      const inner = fitOpts.beforeStep;
      fitOpts.beforeStep = async (b: StepBatch) => {
        await flush();
        if (inner) await inner(b);
      };
      fitOpts.reporter = (e) => {
        if (e.event === 'epoch') pending.push({ step: e.epoch - 1, metrics: numbers(e) });
      };
      let history;
      // fit leaves its running totals behind when a step throws (NaN, pruning): a scope frees them.
      tf.engine().startScope();
      try {
        history = (await fit(model, train, fitOpts)).history;
      } finally {
        release();
        tf.engine().endScope();
      }
      // The last epoch has no next step: report it here (its pruning verdict no longer matters).
      const last = pending.at(-1);
      pending.length = 0;
      if (last && last.step > lastReported && req.onEpoch) {
        values['accuracy'] = last.metrics['valAccuracy'] ?? NaN;
        await req.onEpoch(last.step, known(), last.metrics);
      }
      const final = history.at(-1)!;
      values['accuracy'] = final.valAccuracy ?? NaN;
      if (final.valLoss !== undefined) values['valLoss'] = final.valLoss;
      values['epochs'] = history.length;
      values['trainSeconds'] = (performance.now() - started) / 1000;
      if (this.config.quantize) await this.measureQuantized(model, this.config.quantize, values, train);
      else if (this.config.latency && this.needs('latencyMs')) {
        values['latencyMs'] = (await measureLatency(model, train.shape, this.config.latency)).medianMs;
      }
      const artifacts: Record<string, string> = {};
      if (req.artifactDir) {
        const dir = join(req.artifactDir, 'model');
        rmSync(dir, { recursive: true, force: true });
        await saveModel(model, dir, {
          distillery: { spec: spec.model, normalization: this.data.normalization, inputShape: train.shape, numClasses: train.numClasses, classNames: train.classNames, dataFingerprint: this.data.fingerprint, dataSource: dataSourceName(this.config.data.source), trial: req.trialId, ...(this.teacher ? { teacher: { name: this.teacher.name, kind: this.teacher.kind, hash: this.teacher.hash }, loss: settings.loss } : {}) },
        });
        saveModelInputs(dir, train);
        artifacts['model'] = dir;
      }
      const v = violation(values as Partial<Record<MetricName, number>>, this.config.limits);
      return { state: 'complete', objectives: known(), constraintViolation: v, values, artifacts, spec: { ...spec, epochs } };
    } catch (e) {
      if (e instanceof Pruned) return { state: 'pruned', reason: e.message, objectives: known(), constraintViolation: 0, values, artifacts: {}, spec };
      return { state: 'failed', reason: failureReason(e), constraintViolation: 0, values, artifacts: {}, spec };
    } finally {
      model?.dispose();
      loss?.dispose();
    }
  }

  // Sizes of the fp32 and quantized ONNX exports and, when latency counts, both timed: latencyMs
  // (what objectives and limits read) is the quantized one.
  private async measureQuantized(model: LayersModel, precision: QuantizePrecision, values: Record<string, number>, train: Dataset): Promise<void> {
    const d = train.shape.reduce((a, b) => a * b, 1);
    const n = Math.min(CALIBRATION_SAMPLES, train.y.length);
    const fp32 = await exportCandidate(model, 'fp32');
    const quantized = await exportCandidate(model, precision, precision === 'int8' ? { x: train.x.subarray(0, n * d), shape: train.shape, limit: n } : undefined);
    const suffix = precision === 'int8' ? 'Int8' : 'Fp16';
    values['onnxBytesFp32'] = fp32.length;
    values[`onnxBytes${suffix}`] = quantized.length;
    if (this.config.latency && this.needs('latencyMs')) {
      values['latencyMsFp32'] = (await measureLatency(model, train.shape, { ...this.config.latency, onnx: fp32 })).medianMs;
      values['latencyMs'] = (await measureLatency(model, train.shape, { ...this.config.latency, onnx: quantized })).medianMs;
      values[`latencyMs${suffix}`] = values['latencyMs'];
    }
  }

  private needs(metric: MetricName): boolean {
    return this.config.objectives.some((o) => o.metric === metric) || this.config.limits.some((l) => l.metric === metric);
  }

  /**
   * The teacher on the candidates' terms: its accuracy on the same held-out split they are scored
   * on (`accuracy`), and its size where its files tell (`params`, `macs`, `bytesFp32`), so that a
   * study can draw it as the reference point. Undefined without a teacher.
   *
   * @example
   * await ev.teacherMetrics(); // { accuracy: 0.99, params: 105866, bytesFp32: 423464 }
   */
  async teacherMetrics(): Promise<Record<string, number> | undefined> {
    if (!this.teacher || !this.config.teacher) return undefined;
    const { logits } = await cachedTeacherLogits(this.teacher, this.held, { cacheDir: false, normalization: this.data.normalization });
    const k = this.teacher.numClasses;
    let correct = 0;
    for (let i = 0; i < this.held.y.length; i++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (logits[i * k + j]! > logits[i * k + best]!) best = j;
      if (best === this.held.y[i]) correct++;
    }
    const cost = teacherCost(this.config.teacher, this.baseDir, this.data.train.shape, this.data.train.numClasses);
    return {
      accuracy: correct / this.held.y.length,
      ...(cost.params !== undefined ? { params: cost.params } : {}),
      ...(cost.macs !== undefined ? { macs: cost.macs } : {}),
      ...(cost.bytes ? { bytesFp32: cost.bytes.fp32, ...(cost.bytes.int8 !== undefined ? { bytesInt8: cost.bytes.int8 } : {}) } : {}),
    };
  }

  async dispose(): Promise<void> {
    if (this.teacher && this.ownsTeacher) this.teacher.dispose();
  }
}

/** `CODE: message` for distillery's errors; out-of-memory errors say so; anything else its message. */
export function failureReason(e: unknown): string {
  if (isDistilleryError(e)) return `${e.code}: ${e.message}`;
  const msg = e instanceof Error ? e.message : String(e);
  if (/out of memory|allocation failed|Aborted\(OOM\)|Cannot enlarge memory|Invalid typed array length|Array buffer allocation/i.test(msg)) return `OUT_OF_MEMORY: ${msg.split('\n')[0]}`;
  return `ERROR: ${msg.split('\n')[0]}`;
}

function numbers(e: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(e)) if (typeof v === 'number' && k !== 'epochs') out[k] = v;
  return out;
}

const fmt = (x: number | undefined): string => (x === undefined ? '?' : Number.isInteger(x) ? String(x) : x.toPrecision(4));

/** The data's source as a model's metadata records it: `mnist` for the built-in set, else its type. */
function dataSourceName(source: unknown): string {
  if (typeof source === 'string') return source;
  const type = (source as { type?: unknown } | undefined)?.type;
  return typeof type === 'string' ? type : 'files';
}
