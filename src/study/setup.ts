import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError, isDistilleryError } from '../core/errors.ts';
import { readLatencyTable } from '../models/latency/index.ts';
import type { Reporter } from '../core/events.ts';
import { initEngine } from '../engine/index.ts';
import type { BackendName } from '../engine/index.ts';
import { createModelEvaluator, TableTrialEvaluator } from '../evaluate/index.ts';
import type { Evaluator, LossTermConfig, ModelEvaluator } from '../evaluate/index.ts';
import type { Teacher } from '../distill/index.ts';
import { HyperbandPruner, materialize, MedianPruner, METRICS, parseLimits, readTable, SearchSpace, specProxy, strategies, SuccessiveHalvingPruner, withLimits } from '../search/index.ts';
import type { Limit, MetricName, Pruner, Strategy } from '../search/index.ts';
import type { Candidate, Direction } from '../search/types.ts';
import type { StudyConfig } from './config.ts';

/** Everything the study loop needs, built and checked from a config before anything is stored. */
export interface StudySetup {
  name: string;
  /** The frozen config (what the store keeps and a resume reuses). */
  config: StudyConfig;
  space: SearchSpace;
  objectives: { name: string; direction: Direction }[];
  limits: Limit[];
  evaluator: Evaluator;
  /** A fresh strategy as the config names it (the loop wraps it with the spec-only limits). */
  makeStrategy(): Strategy;
  pruner: Pruner | undefined;
  /** Most epochs a trial trains, when the budget or the pruner says. */
  maxEpochs: number | undefined;
  /** Zero-cost pre-ranking: a proxy score per candidate (higher is better). */
  preRank: { score: (c: Candidate) => number; sample: number; keep: number } | undefined;
  /** Frees the evaluator and the proxy's minibatch. */
  dispose(): Promise<void>;
}

/** Options of {@link prepareStudy}. */
export interface PrepareOptions {
  /** Relative paths in the config resolve here (its folder). */
  baseDir?: string;
  reporter?: Reporter;
  /** Use this teacher instead of loading `config.teacher` (the caller keeps it). */
  teacher?: Teacher;
}

/**
 * Checks a study config beyond its schema and builds the space, strategy factory, evaluator
 * (loading the data and the teacher's logits once), pruner and pre-ranker. Bad input fails
 * here, each with one clear error: an empty space (`SEARCH_EMPTY_SPACE`), an unknown strategy
 * (`UNKNOWN_STRATEGY`) or objective (`SEARCH_OBJECTIVE`), a bad limit (`SEARCH_LIMIT`), limits
 * that no sampled candidate meets (`SEARCH_LIMITS_UNREACHABLE`).
 *
 * @example
 * const { config, baseDir } = await loadStudyConfig('examples/mnist-search.yaml');
 * const setup = await prepareStudy(config, { baseDir });
 */
export async function prepareStudy(config: StudyConfig, opts: PrepareOptions = {}): Promise<StudySetup> {
  const baseDir = opts.baseDir ?? process.cwd();
  const space = new SearchSpace(config.space, 'space');
  if (space.dims.length === 0) throw new DistilleryError('SEARCH_EMPTY_SPACE', 'space: has no parameter to search', 'write at least one {choice: [...]}, {int: [lo, hi]} or {float: [lo, hi]} in space.params or space.template', 'space');
  const factory = strategies.get(config.strategy.name, 'strategy.name');
  const objectives = config.objectives.map((o) => ({ name: o.metric, direction: o.direction as Direction }));
  const directions = objectives.map((o) => o.direction);
  const limits = parseLimits(config.limits, 'limits');
  const strategyOpts = { ...config.strategy.options, seed: config.seed, directions };
  const makeStrategy = () => factory(space, strategyOpts);
  makeStrategy(); // options are checked now, not at the first trial

  let evaluator: Evaluator;
  let model: ModelEvaluator | undefined;
  if (config.table) {
    if (!config.table.file) throw new DistilleryError('SEARCH_TABLE', 'table.file: a table study needs the CSV file', 'pass --table FILE.csv, or set table.file', 'table.file');
    if (config.preRank) throw new DistilleryError('SEARCH_PRERANK', 'preRank: a table study builds no models to score', 'remove preRank, or search by training', 'preRank');
    if (config.quantize) throw new DistilleryError('CONFIG_INVALID', 'quantize: a table study builds no models to quantize', 'remove quantize, or search by training', 'quantize');
    const table = readTable(resolve(baseDir, config.table.file));
    config.objectives.forEach((o, i) => {
      if (!table.text.has(o.metric)) throw new DistilleryError('SEARCH_OBJECTIVE', `objectives[${i}].metric: '${o.metric}' is not a column of ${table.file}`, `columns: ${table.columns.join(', ')}`, `objectives[${i}].metric`);
    });
    evaluator = new TableTrialEvaluator(table, space, config.objectives.map((o) => ({ column: o.metric, direction: o.direction })), config.table.keys);
  } else {
    config.objectives.forEach((o, i) => {
      if (!(METRICS as readonly string[]).includes(o.metric)) throw new DistilleryError('SEARCH_OBJECTIVE', `objectives[${i}].metric: unknown objective '${o.metric}'`, `use one of: ${METRICS.join(', ')} (or --table FILE to search on a table's columns)`, `objectives[${i}].metric`);
    });
    if (!config.data) throw new DistilleryError('CONFIG_INVALID', 'data: required (unless the study reads a table)', 'add a data: section, as for distillery train', 'data');
    const engine = await initEngine({ backend: config.backend as BackendName, ...(config.threads ? { threads: config.threads } : {}) });
    // a search is a long job: say at its start what wasm costs and how to get the native engine
    if (engine.fallback) opts.reporter?.({ event: 'info', message: `note: ${engine.fallback}`, fallback: engine.fallback });
    model = await createModelEvaluator(
      {
        space, data: config.data, train: config.train, seed: config.seed, limits,
        objectives: config.objectives.map((o) => ({ metric: o.metric as MetricName, direction: o.direction })),
        teacher: config.teacher, loss: config.loss as LossTermConfig[] | undefined, cache: config.cache, latency: config.latency, quantize: config.quantize,
        ...(config.predictor ? { latencyTable: readLatencyTable(resolve(baseDir, config.predictor.table)) } : {}),
      },
      { baseDir, ...(opts.reporter ? { reporter: opts.reporter } : {}), ...(opts.teacher ? { teacher: opts.teacher } : {}) },
    );
    evaluator = model;
  }
  // A limit nothing meets, or a template no candidate makes a valid model of, fails now, after
  // sampling, instead of looping on infeasible asks.
  let invalid: string | undefined;
  let rejectedOnlyInvalid = true;
  try {
    const probe = strategies.get('random')(space, { seed: config.seed, directions });
    withLimits(probe, (c) => evaluator.check(c), limits, {
      maxTries: 500,
      onRejected: (c, v) => {
        if (Number.isFinite(v)) rejectedOnlyInvalid = false;
        else invalid ??= evaluator.check(c).reason;
      },
    }).ask();
  } catch (e) {
    await evaluator.dispose();
    if (isDistilleryError(e) && e.code === 'SEARCH_LIMITS_UNREACHABLE' && rejectedOnlyInvalid && invalid) {
      throw new DistilleryError('SEARCH_NO_VALID_CANDIDATE', `space: none of 500 sampled candidates is a valid model; the first: ${invalid.replace(/^[A-Z_]+: /, '')}`, 'fix the template so that its choices make valid models', 'space');
    }
    throw e;
  }

  const maxEpochs = config.budget.epochs ?? (config.table ? undefined : config.train.epochs);
  const p = config.budget.pruner;
  let pruner: Pruner | undefined;
  if (p && p.type !== 'none') {
    const halving = { directions, ...(p.minResource ? { minResource: p.minResource } : {}), ...(p.eta ? { eta: p.eta } : {}) };
    if (p.type === 'median') pruner = new MedianPruner({ direction: directions[0]!, ...(p.startupTrials !== undefined ? { startupTrials: p.startupTrials } : {}), ...(p.warmupSteps !== undefined ? { warmupSteps: p.warmupSteps } : {}) });
    else if (p.type === 'halving') pruner = new SuccessiveHalvingPruner(halving);
    else pruner = new HyperbandPruner({ ...halving, maxResource: maxEpochs ?? 1 });
  }

  let preRank: StudySetup['preRank'];
  let proxyX: tf.Tensor | undefined;
  if (config.preRank && model) {
    const train = model.data.train;
    const n = Math.min(32, train.y.length);
    const d = train.shape.reduce((a, b) => a * b, 1);
    proxyX = tf.tensor(train.x.subarray(0, n * d), [n, ...train.shape], 'float32');
    const score = specProxy(config.preRank.proxy, { inputShape: train.shape, numClasses: train.numClasses, seed: config.seed, x: proxyX });
    preRank = { score: (c) => score(materialize(space, c, { inputShape: train.shape, numClasses: train.numClasses }).model!), sample: config.preRank.sample, keep: config.preRank.keep };
  }
  return {
    name: config.name, config, space, objectives, limits, evaluator, makeStrategy, pruner, maxEpochs, preRank,
    async dispose() {
      proxyX?.dispose();
      await evaluator.dispose();
    },
  };
}
