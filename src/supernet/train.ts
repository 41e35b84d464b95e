import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError } from '../core/errors.ts';
import { silentReporter, type DistilleryEvent, type Reporter } from '../core/events.ts';
import { deriveSeed, Rng } from '../core/rng.ts';
import { size, type Dataset } from '../data/index.ts';
import { createLoss, distillLossTerms, kdLoss, loadTeacher, trainingLogits, type Loss } from '../distill/index.ts';
import { initEngine, type BackendName } from '../engine/index.ts';
import { modelCost } from '../models/index.ts';
import { createOptimizer, createSchedule, epochOrder, hasCheckpoint, loadCheckpoint, saveCheckpoint, softmaxCrossEntropy, type EpochMetrics } from '../train/index.ts';
import type { SupernetConfig } from './config.ts';
import { saveSupernet, SUPERNET_JSON, type SupernetManifest } from './folder.ts';
import { loadSupernetData } from './data.ts';
import { Supernet } from './net.ts';
import { imageBatch, recalibrate, subnetAccuracy } from './score.ts';
import { largestArch, randomArch, smallestArch, subnetSpec, type ElasticSpace, type SubnetArch } from './space.ts';

/**
 * Training compute: a forward pass and a backward pass costing two, 3 × the forward MACs per
 * sample seen (Kaplan et al. 2020; the convention `compare` charges its arms with).
 */
export const TRAIN_MACS_FACTOR = 3;

/** Options of {@link trainSupernet}. */
export interface TrainSupernetOptions {
  /** The folder to write (`supernet.json`, `weights.bin`, `checkpoint/`). */
  out: string;
  /** Relative paths in the config start here. */
  baseDir?: string;
  /** Continue from the checkpoint in `out/checkpoint`. */
  resume?: boolean;
  reporter?: Reporter;
}

/** What {@link trainSupernet} returns: the manifest it wrote. */
export type TrainSupernetResult = SupernetManifest & { out: string; seconds: number };

function emit(report: Reporter, e: { event: string; [k: string]: unknown }): void {
  report(e as DistilleryEvent);
}

/** Forward MACs per sample of a subnet, from its spec. */
export function subnetMacs(space: ElasticSpace, arch: SubnetArch, inputShape: readonly number[], numClasses: number): number {
  return modelCost(subnetSpec(space, arch), inputShape, numClasses).macs;
}

/**
 * `distillery supernet train`: trains the weight-sharing supernet with the **sandwich rule and
 * in-place distillation** (BigNAS, Yu et al. 2020; Cai et al. 2020 use it inside OFA too): each
 * step the largest subnet learns from the labels (or from an external teacher's soft targets
 * when the config has one), and the smallest plus `sandwich.random` random subnets learn from
 * the largest's softened output of the same batch (KL at `sandwich.temperature`, no gradient
 * into the target); the gradients of all of them are summed into one optimizer step. Chosen
 * over OFA's progressive shrinking because it trains every subnet from the first step in one
 * phase with one schedule, so a run is one job with one checkpoint format, and BigNAS reports
 * it matching progressive shrinking without its per-phase tuning.
 *
 * Everything a step does follows from (seed, step): the batch order from (seed, epoch), the
 * random subnets from (seed, step). A checkpoint after every epoch holds the weights and the
 * optimizer's state, so a run killed at any point and resumed (`resume: true`) ends with the
 * same weights as one that was not (same backend). Events: `start`, `epoch` (loss, largest
 * and smallest validation accuracy after recalibration), `done`.
 *
 * @example
 * const r = await trainSupernet(config, { out: 'runs/supernet', baseDir: 'examples' });
 */
export async function trainSupernet(config: SupernetConfig, opts: TrainSupernetOptions): Promise<TrainSupernetResult> {
  const report = opts.reporter ?? silentReporter;
  const started = performance.now();
  const out = opts.out;
  const ckptDir = join(out, 'checkpoint');
  if (!opts.resume && (existsSync(join(out, SUPERNET_JSON)) || hasCheckpoint(ckptDir))) {
    throw new DistilleryError('SUPERNET_OUT_EXISTS', `${out}: already holds a supernet run`, 'pass --resume to continue it, or another --out', out);
  }
  if (opts.resume && !hasCheckpoint(ckptDir)) {
    throw new DistilleryError('SUPERNET_NO_CHECKPOINT', `${out}: no checkpoint to resume from`, 'run without --resume to start the training', out);
  }
  const engine = await initEngine({ backend: config.backend as BackendName, ...(config.threads ? { threads: config.threads } : {}) });
  if (engine.fallback) emit(report, { event: 'info', message: `note: ${engine.fallback}` });
  const baseDir = opts.baseDir ?? process.cwd();
  const data = await loadSupernetData(config, baseDir);
  const train = data.train;
  const space = config.supernet;
  const net = new Supernet(space, train.shape, train.numClasses, config.seed);
  const vars = net.variables;
  const info = net.weights.map((w) => ({ name: w.name, shape: [...w.variable.shape] }));
  const opt = createOptimizer(config.train.optimizer, vars);
  const n = size(train);
  const bs = Math.min(config.train.batchSize, n);
  const stepsPerEpoch = Math.ceil(n / bs);
  const epochs = config.train.epochs;
  const schedule = createSchedule(config.train.schedule, { baseLr: config.train.optimizer.lr, epochs, stepsPerEpoch });

  let loss: Loss | undefined;
  let teacherLogits: Float32Array | undefined;
  if (config.teacher) {
    const teacher = await loadTeacher(config.teacher, { baseDir, dataShape: train.shape, numClasses: train.numClasses, classNames: train.classNames, normalization: data.normalization, train });
    try {
      teacherLogits = (await trainingLogits(teacher, train, { fingerprint: data.fingerprint, normalization: data.normalization, cache: config.cache, baseDir })).logits;
    } finally {
      teacher.dispose();
    }
    loss = createLoss(distillLossTerms(config.loss), 'loss', { seed: config.seed });
    if (loss.features.student.length > 0 || loss.features.teacher.length > 0) throw new DistilleryError('SUPERNET_LOSS', 'loss: feature terms (hint, at, rkd) need a layer model; the supernet trains on logits', 'use kd, dkd and ce terms', 'loss');
  }

  let epoch0 = 0;
  let history: Record<string, number>[] = [];
  let trainingMacs = 0;
  if (opts.resume) {
    const state = loadCheckpoint(ckptDir, info)!;
    net.write(state.weights, ckptDir);
    opt.importState(state.optimizer);
    epoch0 = state.epoch;
    history = state.history as unknown as Record<string, number>[];
    trainingMacs = history.at(-1)?.['trainingMacs'] ?? 0;
  }
  const largest = largestArch(space);
  const smallest = smallestArch(space);
  const macsOf = (a: SubnetArch) => subnetMacs(space, a, train.shape, train.numClasses);
  emit(report, { event: 'start', command: 'supernet train', out, resume: opts.resume ?? false, epochs, stepsPerEpoch, samples: n, largestMacs: macsOf(largest), smallestMacs: macsOf(smallest), subnetsPerStep: 2 + config.sandwich.random });

  const T = config.sandwich.temperature;
  mkdirSync(out, { recursive: true });
  try {
    for (let epoch = epoch0; epoch < epochs; epoch++) {
      const t0 = performance.now();
      const order = epochOrder(config.seed, epoch, n);
      let lossSum = 0;
      let distillSum = 0;
      for (let b = 0; b < stepsPerEpoch; b++) {
        const step = epoch * stepsPerEpoch + b;
        const start = b * bs;
        const end = Math.min(n, start + bs);
        const others = stepSubnets(config, step).slice(1);
        const r = sandwichStep(net, vars, train, order, start, end, largest, others, T, loss, teacherLogits);
        tf.tidy(() => opt.apply(vars.map((v) => r.grads[v.name]), schedule(step)));
        for (const g of Object.values(r.grads)) g.dispose();
        lossSum += r.loss * (end - start);
        distillSum += r.distill * (end - start);
        trainingMacs += TRAIN_MACS_FACTOR * (end - start) * [largest, ...others].reduce((a, s) => a + macsOf(s), 0);
      }
      const trainSeconds = (performance.now() - t0) / 1000;
      const val = data.validation;
      const accOf = (a: SubnetArch) => subnetAccuracy(net, a, recalibrate(net, a, train, { samples: config.calibration.samples, seed: config.seed }), val);
      const row = { epoch: epoch + 1, loss: lossSum / n, distillLoss: distillSum / n, valAccuracyLargest: accOf(largest), valAccuracySmallest: accOf(smallest), lr: schedule((epoch + 1) * stepsPerEpoch - 1), seconds: trainSeconds, samplesPerSec: n / trainSeconds, trainingMacs };
      history.push(row);
      saveCheckpoint(ckptDir, { epoch: epoch + 1, globalStep: (epoch + 1) * stepsPerEpoch, seed: config.seed, batchSize: bs, samples: n, stoppedEarly: false, history: history as unknown as EpochMetrics[], weights: net.read(), optimizer: opt.exportState() }, info);
      emit(report, { event: 'epoch', ...row, epochs });
    }
    const manifest = {
      config, baseDir, inputShape: [...train.shape], numClasses: train.numClasses, classNames: [...train.classNames], normalization: data.normalization, dataFingerprint: data.fingerprint,
      steps: epochs * stepsPerEpoch, trainingMacs, history,
    };
    saveSupernet(out, net, manifest);
    const seconds = (performance.now() - started) / 1000;
    emit(report, { event: 'done', command: 'supernet train', out, trainingMacs, steps: manifest.steps, final: history.at(-1) ?? {}, seconds });
    return { format: 'distillery-supernet', version: 1, weights: info, ...manifest, out, seconds };
  } finally {
    loss?.dispose();
    net.dispose();
    opt.dispose();
    if (!existsSync(join(out, SUPERNET_JSON)) && !hasCheckpoint(ckptDir)) rmSync(out, { recursive: true, force: true });
  }
}

/**
 * The subnets trained at global step `step`: the largest, the smallest, then `sandwich.random`
 * random ones drawn from (seed, step) alone, so a resumed run draws the same ones and a planner
 * can count a run's compute before it starts.
 *
 * @example
 * stepSubnets(config, 0).length; // 2 + config.sandwich.random
 */
export function stepSubnets(config: SupernetConfig, step: number): SubnetArch[] {
  const space = config.supernet;
  const rng = new Rng(deriveSeed(config.seed, step, 7));
  return [largestArch(space), smallestArch(space), ...Array.from({ length: config.sandwich.random }, () => randomArch(space, rng))];
}

/**
 * The training MACs of each epoch of a run over `samples` training samples, before it runs
 * (what {@link trainSupernet} will count): 3 × forward MACs per sample, every subnet of every step.
 */
export function plannedTrainingMacs(config: SupernetConfig, samples: number, inputShape: readonly number[], numClasses: number): number[] {
  const bs = Math.min(config.train.batchSize, samples);
  const steps = Math.ceil(samples / bs);
  const cache = new Map<string, number>();
  const macs = (a: SubnetArch) => {
    const k = JSON.stringify(a);
    if (!cache.has(k)) cache.set(k, subnetMacs(config.supernet, a, inputShape, numClasses));
    return cache.get(k)!;
  };
  return Array.from({ length: config.train.epochs }, (_, e) => {
    let sum = 0;
    for (let b = 0; b < steps; b++) sum += TRAIN_MACS_FACTOR * (Math.min(samples, (b + 1) * bs) - b * bs) * stepSubnets(config, e * steps + b).reduce((a, s) => a + macs(s), 0);
    return sum;
  });
}

/**
 * One sandwich step's gradients (not yet applied): the largest subnet's loss on the labels or
 * the teacher, then the summed in-place distillation loss of `others` towards the largest's
 * output, which is held fixed (it is read out of the first gradient pass, so no gradient flows
 * into it). Returns the summed gradients by variable name and both losses.
 */
export function sandwichStep(
  net: Supernet, vars: tf.Variable[], train: Dataset, order: Int32Array, start: number, end: number,
  largest: SubnetArch, others: readonly SubnetArch[], T: number, loss: Loss | undefined, teacherLogits: Float32Array | undefined,
): { grads: Record<string, tf.Tensor>; loss: number; distill: number } {
  const k = train.numClasses;
  return tf.tidy(() => {
    const x = imageBatch(train, start, end, order);
    const yIdx = new Int32Array(end - start);
    for (let i = 0; i < yIdx.length; i++) yIdx[i] = train.y[order[start + i]!]!;
    const labels = tf.tensor1d(yIdx, 'int32');
    let teacher: tf.Tensor2D | undefined;
    if (teacherLogits) {
      const t = new Float32Array(yIdx.length * k);
      for (let i = 0; i < yIdx.length; i++) t.set(teacherLogits.subarray(order[start + i]! * k, (order[start + i]! + 1) * k), i * k);
      teacher = tf.tensor2d(t, [yIdx.length, k]);
    }
    let soft: tf.Tensor2D | undefined;
    const first = tf.variableGrads(() => {
      const logits = net.forward(x, largest, { kind: 'train' });
      soft = tf.keep(logits);
      return loss && teacher ? loss.compute({ studentLogits: logits, teacherLogits: teacher, labels }) : softmaxCrossEntropy(logits, labels);
    }, vars);
    const target = soft!;
    const grads: Record<string, tf.Tensor> = { ...first.grads };
    let distill = 0;
    if (others.length > 0) {
      const second = tf.variableGrads(() => {
        let sum: tf.Scalar = tf.scalar(0);
        for (const a of others) sum = tf.add(sum, kdLoss(net.forward(x, a, { kind: 'train' }), target, T));
        return sum;
      }, vars);
      for (const [name, g] of Object.entries(second.grads)) grads[name] = grads[name] ? tf.add(grads[name]!, g) : g;
      distill = second.value.dataSync()[0]!;
    }
    target.dispose();
    return { grads, loss: first.value.dataSync()[0]!, distill };
  }) as { grads: Record<string, tf.Tensor>; loss: number; distill: number };
}
