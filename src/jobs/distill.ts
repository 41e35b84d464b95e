import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { silentReporter } from '../core/events.ts';
import { applyOverrides, readConfigFile, validateConfig } from '../config/index.ts';
import { absoluteDataPaths, loadData } from '../data/index.ts';
import { buildModel, modelCost } from '../models/index.ts';
import { fit } from '../train/index.ts';
import { distillSections } from '../distill/config.ts';
import { createLoss } from '../distill/losses/index.ts';
import { loadTeacher } from '../distill/teachers/index.ts';
import { teacherRunsOnline, trainingLogits } from '../distill/setup.ts';
import { distillHooks, evaluateTeacher, transformerLayersOf } from '../distill/job.ts';
import { teacherCost } from '../distill/teachers/cost.ts';
import type { Teacher } from '../distill/types.ts';
import { augmentOption, evalSetOf, finishRun, MetricsLog, openOut, resolveOut, startEngine, withDataVocab } from './run.ts';
import type { TrainResult } from './run.ts';
import { trainJobSchema } from './train.ts';
import type { TrainOptions } from './train.ts';

/**
 * The whole config of `distillery distill`: a train config (data, `model` = the student,
 * train, seed, backend, threads, name) plus `teacher`, `loss` and `cache`.
 *
 * @example
 * distillJobSchema.parse({ data: { source: 'mnist' }, model: { blocks: [{ type: 'flatten' }] }, teacher: { type: 'onnx', path: 'cnn.onnx' } });
 */
export const distillJobSchema = trainJobSchema.extend(distillSections).strict();
/** A validated distill config (defaults filled in). */
export type DistillJobConfig = z.output<typeof distillJobSchema>;

/**
 * Read, override and validate a distill config file.
 *
 * @example
 * const { config, baseDir } = await loadDistillConfig('examples/mnist-distill.yaml', ['train.epochs=2']);
 */
export async function loadDistillConfig(file: string, sets: readonly string[] = [], extra: Record<string, unknown> = {}): Promise<{ config: DistillJobConfig; baseDir: string }> {
  const raw = await readConfigFile(file);
  const merged = applyOverrides({ ...raw.value, ...extra }, sets);
  return { config: validateConfig(distillJobSchema, merged, file), baseDir: dirname(resolve(file)) };
}

/** The teacher's side of a distillation's result. Sizes are absent when the teacher's file does not tell them. */
export interface TeacherResult {
  name: string;
  kind: Teacher['kind'];
  testAccuracy: number;
  testErrors: number;
  testLoss: number;
  testSamples: number;
  params?: number;
  macs?: number;
  bytes?: { fp32: number; fp16?: number; int8?: number };
}

/** What {@link distill} returns; the `done` event carries it. */
export interface DistillResult {
  out: string;
  student: TrainResult;
  teacher: TeacherResult;
  /** Where the teacher's training-set logits came from: the disk cache, computed now (and cached), or online per batch. */
  teacherLogits: 'cached' | 'computed' | 'online' | 'unused';
  seconds: number;
}

/** Options of {@link distill}: those of `train`, and optionally a teacher already loaded. */
export interface DistillOptions extends TrainOptions {
  /** Use this teacher instead of loading `config.teacher` (the caller keeps and disposes it). */
  teacher?: Teacher;
}

/**
 * Distil a teacher into a student from a validated config. Everything is loaded and checked
 * first (data, loss terms, teacher against the data, student, features, shapes), so bad input
 * leaves no output folder; then the teacher's logits over the training set come from the cache
 * (or the teacher runs online on each batch, when augmentation or teacher features need it),
 * the student trains on the weighted loss with checkpoints, both are scored on the test set,
 * and the student is saved like `train` saves a model.
 *
 * @example
 * const { config, baseDir } = await loadDistillConfig('examples/mnist-distill.yaml');
 * const r = await distill(config, { baseDir });
 * console.log(r.teacher.testErrors, r.student.testErrors);
 */
export async function distill(config: DistillJobConfig, opts: DistillOptions = {}): Promise<DistillResult> {
  const report = opts.reporter ?? silentReporter;
  const started = Date.now();
  const name = config.name ?? config.model.name ?? 'student';
  const resume = opts.resume ?? false;
  const out = resolveOut(name, opts.out, resume);
  const baseDir = opts.baseDir ?? process.cwd();
  const engine = await startEngine(config);
  report({ event: 'start', command: 'distill', name, out, engine });

  const data = await loadData(config.data, { baseDir, seed: config.seed });
  for (const message of data.notes ?? []) report({ event: 'info', message });
  const numClasses = data.train.numClasses;
  const dataShape = data.train.shape;
  let loss = createLoss(config.loss, 'loss', { seed: config.seed });
  let teacher: Teacher | undefined;
  let student: ReturnType<typeof buildModel> | undefined;
  try {
    const text = data.train.text ? { text: { maxLength: data.train.text.maxLength } } : {};
    teacher = opts.teacher ?? (await loadTeacher(config.teacher, { baseDir, dataShape, numClasses, classNames: data.train.classNames, normalization: data.normalization, train: data.train, ...text }));
    const spec = withDataVocab(config.model, data);
    student = buildModel(spec, { inputShape: [...dataShape], numClasses, seed: config.seed, ...(data.audio ? { sampleRate: data.audio.sampleRate } : {}) });
    if (loss.mapsLayers) {
      // layers: uniform terms pair the student's transformer blocks with the teacher's
      loss.dispose();
      loss = createLoss(config.loss, 'loss', { seed: config.seed, layers: transformerLayersOf(student, teacher) });
    }
    const cost = modelCost(spec, [...dataShape], numClasses);
    const augment = augmentOption(config.data, data, student);
    // SpecAugment masks the student's features only: the teacher's inputs are unchanged by it
    const online = teacherRunsOnline(loss, data.augment !== undefined);
    let source: DistillResult['teacherLogits'] = loss.needsTeacher ? (online ? 'online' : 'computed') : 'unused';
    let cachedLogits: Float32Array | undefined;
    if (loss.needsTeacher && !online) {
      report({ event: 'info', message: `teacher ${teacher.name}: logits over ${data.train.y.length} training samples` });
      const r = await trainingLogits(teacher, data.train, { fingerprint: data.fingerprint, normalization: data.normalization, cache: config.cache, baseDir });
      cachedLogits = r.logits;
      if (r.hit) source = 'cached';
    }
    const hooks = await distillHooks({ loss, student, teacher, cachedLogits, numClasses, dataShape }, data.train);

    // data paths made absolute: export and report find the data from the run folder alone
    openOut(out, { ...config, data: absoluteDataPaths(config.data, baseDir) });
    report({ event: 'info', message: `${name}: ${cost.params.toLocaleString('en-US')} params, ${cost.macs.toLocaleString('en-US')} MACs/sample; teacher ${teacher.name} (${teacher.kind}), teacher logits ${source}` });
    const log = new MetricsLog(join(out, 'metrics.jsonl'), resume);
    let epochs = 0;
    try {
      const r = await fit(student, data.train, {
        ...config.train,
        seed: config.seed,
        ...(data.validation ? { validation: data.validation } : {}),
        checkpointDir: join(out, 'checkpoint'),
        resume,
        ...augment,
        ...hooks.fit,
        reporter: log.reporter(report, opts.label),
      });
      epochs = r.epochsRun;
    } finally {
      hooks.dispose();
    }

    const { set } = evalSetOf(data, opts.scoreOn);
    const t = await evaluateTeacher(teacher, set, config.cache.batchSize);
    const studentResult = await finishRun(student, {
      out, spec, data, cost, epochs, evalBatchSize: config.train.evalBatchSize, started, engine, log,
      metadata: { teacher: { name: teacher.name, kind: teacher.kind, hash: teacher.hash }, loss: config.loss },
      ...(opts.scoreOn ? { scoreOn: opts.scoreOn } : {}),
    });
    const size = teacherCost(config.teacher, baseDir, dataShape, numClasses);
    return {
      out,
      student: studentResult,
      teacher: { name: teacher.name, kind: teacher.kind, testAccuracy: t.accuracy, testErrors: t.errors, testLoss: t.loss, testSamples: t.n, ...size },
      teacherLogits: source,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    student?.dispose();
    if (teacher && !opts.teacher) teacher.dispose();
    loss.dispose();
  }
}
